//! HidHardware: one open HID device as a device's Hardware. A thread owns the device: it writes
//! `tx` output reports in order, answers `rx` reads, and while `rx` is subscribed turns input
//! reports into notifications. A failed write or read ends the hardware: the Device hears
//! `Disconnected` (it is removed and reported) and the DCM may open the device again later.

use crate::backend::HidConnection;
use actix::prelude::*;
use plugd_core::{Endpoint, HardwareCommand};
use plugd_device::{HardwareCall, HardwareError, HardwareEvent, HardwareReply};
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long the thread waits for an input report before looking at its queue again.
const POLL: Duration = Duration::from_millis(20);
/// Largest input report read.
const REPORT_BYTES: usize = 256;

/// Told to the DCM when the hardware stops.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct DeviceReleased {
    /// The device's address.
    pub address: String,
}

enum Job {
    Write(Vec<u8>),
    Read(Duration, oneshot::Sender<Result<Vec<u8>, String>>),
    Subscribe(bool),
}

#[derive(Message)]
#[rtype(result = "()")]
enum FromThread {
    Report(Vec<u8>),
    Failed(String),
}

/// The actor.
pub struct HidHardware {
    address: String,
    connection: Option<Box<dyn HidConnection>>,
    jobs: Option<mpsc::Sender<Job>>,
    events: Option<Recipient<HardwareEvent>>,
    released: Recipient<DeviceReleased>,
    lost_reason: Option<String>,
}

impl HidHardware {
    /// Hardware for an open device.
    pub fn new(
        address: String,
        connection: Box<dyn HidConnection>,
        released: Recipient<DeviceReleased>,
    ) -> Self {
        HidHardware {
            address,
            connection: Some(connection),
            jobs: None,
            events: None,
            released,
            lost_reason: None,
        }
    }
}

fn device_loop(
    mut connection: Box<dyn HidConnection>,
    jobs: mpsc::Receiver<Job>,
    me: Recipient<FromThread>,
) {
    let mut subscribed = false;
    let mut buffer = [0_u8; REPORT_BYTES];
    loop {
        let job = if subscribed {
            match jobs.try_recv() {
                Ok(job) => Some(job),
                Err(mpsc::TryRecvError::Empty) => None,
                Err(mpsc::TryRecvError::Disconnected) => return,
            }
        } else {
            match jobs.recv() {
                Ok(job) => Some(job),
                Err(_) => return,
            }
        };
        match job {
            Some(Job::Write(report)) => {
                if let Err(error) = connection.write(&report) {
                    me.do_send(FromThread::Failed(format!("HID write failed: {error}")));
                    return;
                }
            }
            Some(Job::Read(timeout, reply)) => {
                let result = connection
                    .read(&mut buffer, timeout)
                    .map(|count| buffer[..count].to_vec());
                let failed = result.as_ref().err().cloned();
                let _ = reply.send(result);
                if let Some(error) = failed {
                    me.do_send(FromThread::Failed(format!("HID read failed: {error}")));
                    return;
                }
            }
            Some(Job::Subscribe(on)) => subscribed = on,
            None => match connection.read(&mut buffer, POLL) {
                Ok(0) => {}
                Ok(count) => me.do_send(FromThread::Report(buffer[..count].to_vec())),
                Err(error) => {
                    me.do_send(FromThread::Failed(format!("HID read failed: {error}")));
                    return;
                }
            },
        }
    }
}

impl Actor for HidHardware {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let Some(connection) = self.connection.take() else {
            ctx.stop();
            return;
        };
        let (jobs, pending) = mpsc::channel();
        self.jobs = Some(jobs);
        let me = ctx.address().recipient();
        if let Err(error) = std::thread::Builder::new()
            .name(format!("hid {}", self.address))
            .spawn(move || device_loop(connection, pending, me))
        {
            self.lost_reason = Some(format!("cannot start the HID thread: {error}"));
            ctx.stop();
        }
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.jobs = None;
        if let Some(events) = self.events.take() {
            events.do_send(HardwareEvent::Disconnected {
                reason: self
                    .lost_reason
                    .take()
                    .unwrap_or_else(|| "HID device released".to_string()),
            });
        }
        self.released.do_send(DeviceReleased {
            address: self.address.clone(),
        });
    }
}

impl Handler<FromThread> for HidHardware {
    type Result = ();

    fn handle(&mut self, message: FromThread, ctx: &mut Self::Context) {
        match message {
            FromThread::Report(data) => {
                if let Some(events) = &self.events {
                    events.do_send(HardwareEvent::Notification {
                        endpoint: Endpoint::Rx,
                        data,
                    });
                }
            }
            FromThread::Failed(reason) => {
                tracing::info!(address = %self.address, %reason, "HID device lost");
                self.lost_reason = Some(reason);
                ctx.stop();
            }
        }
    }
}

impl HidHardware {
    fn queue(&self, job: Job) -> Result<(), HardwareError> {
        self.jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok())
            .then_some(())
            .ok_or(HardwareError::Disconnected)
    }
}

impl Handler<HardwareCall> for HidHardware {
    type Result = ResponseFuture<Result<HardwareReply, HardwareError>>;

    fn handle(&mut self, call: HardwareCall, ctx: &mut Self::Context) -> Self::Result {
        let done = |result: Result<(), HardwareError>| -> Self::Result {
            Box::pin(async move { result.map(|()| HardwareReply::Done) })
        };
        match call {
            HardwareCall::Attach { events } => {
                self.events = Some(events);
                done(Ok(()))
            }
            HardwareCall::Command(HardwareCommand::Write { endpoint, data, .. }) => {
                if endpoint != Endpoint::Tx {
                    return done(Err(HardwareError::InvalidEndpoint(endpoint)));
                }
                done(self.queue(Job::Write(data)))
            }
            HardwareCall::Command(HardwareCommand::Subscribe { endpoint })
            | HardwareCall::Command(HardwareCommand::Unsubscribe { endpoint })
                if endpoint != Endpoint::Rx =>
            {
                done(Err(HardwareError::InvalidEndpoint(endpoint)))
            }
            HardwareCall::Command(HardwareCommand::Subscribe { .. }) => {
                done(self.queue(Job::Subscribe(true)))
            }
            HardwareCall::Command(HardwareCommand::Unsubscribe { .. }) => {
                done(self.queue(Job::Subscribe(false)))
            }
            HardwareCall::Read {
                endpoint, timeout, ..
            } => {
                if endpoint != Endpoint::Rx {
                    return done(Err(HardwareError::InvalidEndpoint(endpoint)));
                }
                let (reply, answer) = oneshot::channel();
                let queued = self.queue(Job::Read(timeout, reply));
                Box::pin(async move {
                    queued?;
                    match answer.await {
                        Ok(Ok(data)) if data.is_empty() => Err(HardwareError::Timeout(timeout)),
                        Ok(Ok(data)) => Ok(HardwareReply::Data(data)),
                        Ok(Err(error)) => Err(HardwareError::Transport(error)),
                        Err(_) => Err(HardwareError::Disconnected),
                    }
                })
            }
            HardwareCall::Disconnect => {
                self.events = None;
                ctx.stop();
                done(Ok(()))
            }
        }
    }
}

//! UsbHardware: one open USB device as a device's Hardware. A thread owns the device and runs
//! its transfers in order: a `txvendorcontrol` write is a vendor control request whose value is
//! the written byte (two bytes: little-endian), as the Rez TranceVibrator takes it; a `tx` write
//! is an interrupt OUT transfer; `rx` reads and subscriptions are interrupt IN transfers. A
//! failed transfer ends the hardware: the Device hears `Disconnected` (it is removed and
//! reported) and the DCM may open the device again later.

use crate::backend::UsbConnection;
use actix::prelude::*;
use plugd_core::{Endpoint, HardwareCommand};
use plugd_device::{HardwareCall, HardwareError, HardwareEvent, HardwareReply};
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long the thread waits for an interrupt IN transfer before looking at its queue again.
const POLL: Duration = Duration::from_millis(20);
/// Largest interrupt IN transfer read.
const REPORT_BYTES: usize = 256;
/// How long one OUT transfer may take (upstream: 100 ms for the control request).
const TRANSFER_TIMEOUT: Duration = Duration::from_millis(100);

/// Told to the DCM when the hardware stops.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct DeviceReleased {
    /// The device's address.
    pub address: String,
}

enum Job {
    Control(u16),
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
pub struct UsbHardware {
    address: String,
    endpoints: Vec<Endpoint>,
    connection: Option<Box<dyn UsbConnection>>,
    jobs: Option<mpsc::Sender<Job>>,
    events: Option<Recipient<HardwareEvent>>,
    released: Recipient<DeviceReleased>,
    lost_reason: Option<String>,
}

impl UsbHardware {
    /// Hardware for an open device.
    pub fn new(
        address: String,
        connection: Box<dyn UsbConnection>,
        released: Recipient<DeviceReleased>,
    ) -> Self {
        UsbHardware {
            address,
            endpoints: connection.endpoints(),
            connection: Some(connection),
            jobs: None,
            events: None,
            released,
            lost_reason: None,
        }
    }
}

fn device_loop(
    mut connection: Box<dyn UsbConnection>,
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
            Some(Job::Control(value)) => {
                if let Err(error) = connection.vendor_control(value, TRANSFER_TIMEOUT) {
                    me.do_send(FromThread::Failed(format!(
                        "USB control transfer failed: {error}"
                    )));
                    return;
                }
            }
            Some(Job::Write(data)) => {
                if let Err(error) = connection.interrupt_out(&data, TRANSFER_TIMEOUT) {
                    me.do_send(FromThread::Failed(format!(
                        "USB interrupt transfer failed: {error}"
                    )));
                    return;
                }
            }
            Some(Job::Read(timeout, reply)) => {
                let result = connection
                    .interrupt_in(&mut buffer, timeout)
                    .map(|count| buffer[..count].to_vec());
                let failed = result.as_ref().err().cloned();
                let _ = reply.send(result);
                if let Some(error) = failed {
                    me.do_send(FromThread::Failed(format!(
                        "USB interrupt read failed: {error}"
                    )));
                    return;
                }
            }
            Some(Job::Subscribe(on)) => subscribed = on,
            None => match connection.interrupt_in(&mut buffer, POLL) {
                Ok(0) => {}
                Ok(count) => me.do_send(FromThread::Report(buffer[..count].to_vec())),
                Err(error) => {
                    me.do_send(FromThread::Failed(format!(
                        "USB interrupt read failed: {error}"
                    )));
                    return;
                }
            },
        }
    }
}

impl Actor for UsbHardware {
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
            .name(format!("usb {}", self.address))
            .spawn(move || device_loop(connection, pending, me))
        {
            self.lost_reason = Some(format!("cannot start the USB thread: {error}"));
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
                    .unwrap_or_else(|| "USB device released".to_string()),
            });
        }
        self.released.do_send(DeviceReleased {
            address: self.address.clone(),
        });
    }
}

impl Handler<FromThread> for UsbHardware {
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
                tracing::info!(address = %self.address, %reason, "USB device lost");
                self.lost_reason = Some(reason);
                ctx.stop();
            }
        }
    }
}

impl UsbHardware {
    fn queue(&self, job: Job) -> Result<(), HardwareError> {
        self.jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok())
            .then_some(())
            .ok_or(HardwareError::Disconnected)
    }
}

impl Handler<HardwareCall> for UsbHardware {
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
                if !self.endpoints.contains(&endpoint) {
                    return done(Err(HardwareError::InvalidEndpoint(endpoint)));
                }
                match endpoint {
                    Endpoint::TxVendorControl => match control_value(&data) {
                        Some(value) => done(self.queue(Job::Control(value))),
                        None => done(Err(HardwareError::Transport(
                            "a vendor control write needs one or two bytes".to_string(),
                        ))),
                    },
                    Endpoint::Tx => done(self.queue(Job::Write(data))),
                    other => done(Err(HardwareError::InvalidEndpoint(other))),
                }
            }
            HardwareCall::Command(HardwareCommand::Subscribe { endpoint })
            | HardwareCall::Command(HardwareCommand::Unsubscribe { endpoint })
                if endpoint != Endpoint::Rx || !self.endpoints.contains(&endpoint) =>
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
                if endpoint != Endpoint::Rx || !self.endpoints.contains(&endpoint) {
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

/// The control request's value: the written byte, or two bytes little-endian.
pub fn control_value(data: &[u8]) -> Option<u16> {
    match data {
        [value] => Some(u16::from(*value)),
        [low, high] => Some(u16::from_le_bytes([*low, *high])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_values_are_the_written_byte_or_two_bytes_little_endian() {
        assert_eq!(control_value(&[7]), Some(7));
        assert_eq!(control_value(&[0x34, 0x12]), Some(0x1234));
        assert_eq!(control_value(&[]), None);
        assert_eq!(control_value(&[1, 2, 3]), None);
    }
}

//! BtleHardware: one connected BLE device as a device's Hardware. Every GATT operation (write
//! with or without response, read, subscribe, unsubscribe) goes through one task, in the order
//! the Device sent them; notifications arrive as events on the endpoint their characteristic
//! serves. A failed operation or a disconnection ends the hardware: the Device hears
//! `Disconnected` and the DCM hears [`HardwareGone`] with `lost: true`, so it reconnects the
//! device when it advertises again. A `Disconnect` from the Device ends it with `lost: false`.

use crate::backend::{BleLink, GattCharacteristic};
use crate::endpoints::write_kind;
use actix::prelude::*;
use plugd_core::{Endpoint, HardwareCommand};
use plugd_device::{HardwareCall, HardwareError, HardwareEvent, HardwareReply};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long one write, subscribe or unsubscribe may take before the device counts as lost.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

/// Told to the DCM when the hardware stops.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct HardwareGone {
    /// The device's address.
    pub address: String,
    /// True when the device dropped or failed (reconnect it); false when the Device let go.
    pub lost: bool,
}

/// The link is gone (sent by the DCM on an adapter disconnection, or by the operation task).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct LinkLost(pub String);

/// A notification from the link.
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct Notified(String, Vec<u8>);

enum Operation {
    Write(Vec<u8>, bool),
    Read(Duration),
    Subscribe,
    Unsubscribe,
}

struct Job {
    characteristic: GattCharacteristic,
    operation: Operation,
    reply: oneshot::Sender<Result<HardwareReply, HardwareError>>,
}

/// The actor.
pub struct BtleHardware {
    address: String,
    link: Arc<dyn BleLink>,
    endpoints: BTreeMap<Endpoint, GattCharacteristic>,
    jobs: Option<mpsc::UnboundedSender<Job>>,
    events: Option<Recipient<HardwareEvent>>,
    gone: Recipient<HardwareGone>,
    lost_reason: Option<String>,
}

impl BtleHardware {
    /// Hardware for the device at `address` behind `link`, serving `endpoints`.
    pub fn new(
        address: String,
        link: Arc<dyn BleLink>,
        endpoints: BTreeMap<Endpoint, GattCharacteristic>,
        gone: Recipient<HardwareGone>,
    ) -> Self {
        BtleHardware {
            address,
            link,
            endpoints,
            jobs: None,
            events: None,
            gone,
            lost_reason: None,
        }
    }

    fn submit(
        &self,
        endpoint: Endpoint,
        operation: Operation,
    ) -> ResponseFuture<Result<HardwareReply, HardwareError>> {
        let Some(characteristic) = self.endpoints.get(&endpoint).cloned() else {
            return Box::pin(async move { Err(HardwareError::InvalidEndpoint(endpoint)) });
        };
        let (reply, answer) = oneshot::channel();
        let queued = self.jobs.as_ref().is_some_and(|jobs| {
            jobs.send(Job {
                characteristic,
                operation,
                reply,
            })
            .is_ok()
        });
        Box::pin(async move {
            if !queued {
                return Err(HardwareError::Disconnected);
            }
            answer.await.unwrap_or(Err(HardwareError::Disconnected))
        })
    }
}

/// Runs one job on the link; `Err` means the device is lost.
async fn run(link: &Arc<dyn BleLink>, job: &Job) -> Result<HardwareReply, (HardwareError, String)> {
    let characteristic = &job.characteristic;
    let bounded = |future, limit| async move {
        match tokio::time::timeout(limit, future).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {limit:?}")),
        }
    };
    match &job.operation {
        Operation::Write(data, with_response) => {
            let Some(with_response) = write_kind(characteristic.properties, *with_response) else {
                return Err((
                    HardwareError::Transport(format!(
                        "characteristic {} takes no writes",
                        characteristic.uuid
                    )),
                    String::new(),
                ));
            };
            bounded(
                link.write(characteristic, data.clone(), with_response),
                OPERATION_TIMEOUT,
            )
            .await
            .map(|()| HardwareReply::Done)
            .map_err(|error| {
                (
                    HardwareError::Transport(error.clone()),
                    format!("write failed: {error}"),
                )
            })
        }
        Operation::Read(timeout) => {
            match tokio::time::timeout(*timeout, link.read(characteristic)).await {
                Ok(Ok(data)) => Ok(HardwareReply::Data(data)),
                Ok(Err(error)) => Err((
                    HardwareError::Transport(error.clone()),
                    format!("read failed: {error}"),
                )),
                // A slow read is the reader's problem, not a lost device.
                Err(_) => Err((HardwareError::Timeout(*timeout), String::new())),
            }
        }
        Operation::Subscribe => bounded(link.subscribe(characteristic), OPERATION_TIMEOUT)
            .await
            .map(|()| HardwareReply::Done)
            .map_err(|error| {
                (
                    HardwareError::Transport(error.clone()),
                    format!("subscribe failed: {error}"),
                )
            }),
        Operation::Unsubscribe => bounded(link.unsubscribe(characteristic), OPERATION_TIMEOUT)
            .await
            .map(|()| HardwareReply::Done)
            .map_err(|error| {
                (
                    HardwareError::Transport(error.clone()),
                    format!("unsubscribe failed: {error}"),
                )
            }),
    }
}

impl Actor for BtleHardware {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let (jobs, mut pending) = mpsc::unbounded_channel::<Job>();
        self.jobs = Some(jobs);
        let link = self.link.clone();
        let me = ctx.address();
        actix::spawn(async move {
            while let Some(job) = pending.recv().await {
                match run(&link, &job).await {
                    Ok(reply) => {
                        let _ = job.reply.send(Ok(reply));
                    }
                    Err((error, lost)) => {
                        let _ = job.reply.send(Err(error));
                        if !lost.is_empty() {
                            me.do_send(LinkLost(lost));
                            return;
                        }
                    }
                }
            }
        });
        let notifications = self.link.notifications();
        let me = ctx.address();
        actix::spawn(async move {
            match notifications.await {
                Ok(mut stream) => {
                    use futures_util::StreamExt;
                    while let Some((uuid, data)) = stream.next().await {
                        if !me.connected() {
                            return;
                        }
                        me.do_send(Notified(uuid, data));
                    }
                }
                Err(error) => tracing::warn!(%error, "no notifications from this BLE device"),
            }
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.jobs = None;
        let lost = self.lost_reason.is_some();
        if let Some(events) = self.events.take() {
            events.do_send(HardwareEvent::Disconnected {
                reason: self
                    .lost_reason
                    .clone()
                    .unwrap_or_else(|| "released".to_string()),
            });
        }
        let link = self.link.clone();
        actix::spawn(async move {
            let _ = tokio::time::timeout(OPERATION_TIMEOUT, link.disconnect()).await;
        });
        self.gone.do_send(HardwareGone {
            address: self.address.clone(),
            lost,
        });
    }
}

impl Handler<Notified> for BtleHardware {
    type Result = ();

    fn handle(&mut self, message: Notified, _: &mut Self::Context) {
        let Notified(uuid, data) = message;
        let endpoint = self
            .endpoints
            .iter()
            .find(|(_, characteristic)| characteristic.uuid.eq_ignore_ascii_case(&uuid))
            .map(|(endpoint, _)| *endpoint);
        match (endpoint, &self.events) {
            (Some(endpoint), Some(events)) => {
                events.do_send(HardwareEvent::Notification { endpoint, data })
            }
            (None, _) => {
                tracing::trace!(address = %self.address, %uuid, "notification from an unmapped characteristic")
            }
            _ => {}
        }
    }
}

impl Handler<LinkLost> for BtleHardware {
    type Result = ();

    fn handle(&mut self, message: LinkLost, ctx: &mut Self::Context) {
        if self.lost_reason.is_none() {
            tracing::info!(address = %self.address, reason = %message.0, "BLE device lost");
            self.lost_reason = Some(message.0);
        }
        ctx.stop();
    }
}

impl Handler<HardwareCall> for BtleHardware {
    type Result = ResponseFuture<Result<HardwareReply, HardwareError>>;

    fn handle(&mut self, call: HardwareCall, ctx: &mut Self::Context) -> Self::Result {
        match call {
            HardwareCall::Attach { events } => {
                self.events = Some(events);
                Box::pin(async { Ok(HardwareReply::Done) })
            }
            HardwareCall::Command(HardwareCommand::Write {
                endpoint,
                data,
                write_with_response,
            }) => self.submit(endpoint, Operation::Write(data, write_with_response)),
            HardwareCall::Command(HardwareCommand::Subscribe { endpoint }) => {
                self.submit(endpoint, Operation::Subscribe)
            }
            HardwareCall::Command(HardwareCommand::Unsubscribe { endpoint }) => {
                self.submit(endpoint, Operation::Unsubscribe)
            }
            HardwareCall::Read {
                endpoint, timeout, ..
            } => self.submit(endpoint, Operation::Read(timeout)),
            HardwareCall::Disconnect => {
                self.events = None;
                ctx.stop();
                Box::pin(async { Ok(HardwareReply::Done) })
            }
        }
    }
}

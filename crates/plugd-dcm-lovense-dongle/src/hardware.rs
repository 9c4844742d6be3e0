//! DongleToy: the one toy connected through the dongle, as a device's Hardware. Writes to `tx`
//! become dongle `command` messages (the DCM owns the dongle and sends them); the toy's replies
//! arrive as `rx` notifications. Subscribing is accepted and changes nothing, as upstream does:
//! the dongle always forwards the toy's replies.

use actix::prelude::*;
use plugd_core::{Endpoint, HardwareCommand};
use plugd_device::{HardwareCall, HardwareError, HardwareEvent, HardwareReply};

/// A Lovense command for the toy `id`. Sent by [`DongleToy`] to the DCM.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ToyWrite {
    /// The dongle's id for the toy.
    pub id: String,
    /// The command text (`Vibrate:10;`).
    pub command: String,
}

/// The Device let go of the toy (or it was lost). Sent by [`DongleToy`] to the DCM.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ToyReleased {
    /// The dongle's id for the toy.
    pub id: String,
}

/// A reply from the toy. Sent by the DCM.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ToyReply(pub String);

/// The toy or the dongle is gone. Sent by the DCM.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ToyLost(pub String);

/// The actor.
pub struct DongleToy {
    id: String,
    writes: Recipient<ToyWrite>,
    released: Recipient<ToyReleased>,
    events: Option<Recipient<HardwareEvent>>,
    lost_reason: Option<String>,
}

impl DongleToy {
    /// Hardware for toy `id`; its writes go to `writes`, its end to `released`.
    pub fn new(id: String, writes: Recipient<ToyWrite>, released: Recipient<ToyReleased>) -> Self {
        DongleToy {
            id,
            writes,
            released,
            events: None,
            lost_reason: None,
        }
    }
}

impl Actor for DongleToy {
    type Context = Context<Self>;

    fn stopped(&mut self, _: &mut Self::Context) {
        if let Some(events) = self.events.take() {
            events.do_send(HardwareEvent::Disconnected {
                reason: self
                    .lost_reason
                    .take()
                    .unwrap_or_else(|| "Lovense dongle toy released".to_string()),
            });
        }
        self.released.do_send(ToyReleased {
            id: self.id.clone(),
        });
    }
}

impl Handler<ToyReply> for DongleToy {
    type Result = ();

    fn handle(&mut self, message: ToyReply, _: &mut Self::Context) {
        if let Some(events) = &self.events {
            events.do_send(HardwareEvent::Notification {
                endpoint: Endpoint::Rx,
                data: message.0.into_bytes(),
            });
        }
    }
}

impl Handler<ToyLost> for DongleToy {
    type Result = ();

    fn handle(&mut self, message: ToyLost, ctx: &mut Self::Context) {
        self.lost_reason = Some(message.0);
        ctx.stop();
    }
}

impl Handler<HardwareCall> for DongleToy {
    type Result = Result<HardwareReply, HardwareError>;

    fn handle(&mut self, call: HardwareCall, ctx: &mut Self::Context) -> Self::Result {
        match call {
            HardwareCall::Attach { events } => self.events = Some(events),
            HardwareCall::Command(HardwareCommand::Write { endpoint, data, .. }) => {
                if endpoint != Endpoint::Tx {
                    return Err(HardwareError::InvalidEndpoint(endpoint));
                }
                let command = String::from_utf8(data).map_err(|_| {
                    HardwareError::Transport("the dongle carries text commands only".to_string())
                })?;
                self.writes.do_send(ToyWrite {
                    id: self.id.clone(),
                    command,
                });
            }
            HardwareCall::Command(HardwareCommand::Subscribe { .. })
            | HardwareCall::Command(HardwareCommand::Unsubscribe { .. }) => {}
            HardwareCall::Read { endpoint, .. } => {
                return Err(HardwareError::InvalidEndpoint(endpoint))
            }
            HardwareCall::Disconnect => {
                self.events = None;
                ctx.stop();
            }
        }
        Ok(HardwareReply::Done)
    }
}

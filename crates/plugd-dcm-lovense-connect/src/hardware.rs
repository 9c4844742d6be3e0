//! LovenseConnectToy: one toy held by the Lovense Connect app, as a device's Hardware. A write
//! to `tx` is a command path (see `api::command_path`) requested from the app, in order, one at
//! a time; a read of `rx` answers the battery percent the app last reported (one byte, as
//! upstream). The toy is polled every second: when the app stops listing it as connected, or
//! stops answering three times running, or a command fails, the device is reported gone.

use crate::api::{command_path, parse_toys};
use crate::http::{get, BaseUrl};
use actix::prelude::*;
use plugd_core::{Endpoint, HardwareCommand};
use plugd_device::{HardwareCall, HardwareError, HardwareEvent, HardwareReply};
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the toy's presence and battery are polled (upstream: 1 s; faster polling has
/// crashed the app's HTTP server).
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Unanswered polls in a row before the toy counts as gone.
const POLLS_BEFORE_GONE: u32 = 3;

/// Told to the DCM when the toy's hardware stops, so it may offer the toy again later.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ToyReleased {
    /// The app's id for the toy.
    pub id: String,
}

/// The toy is gone (why, for the log).
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct ToyGone(String);

/// The outcome of one poll.
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct Polled(Result<Option<(bool, u8)>, String>);

/// The actor.
pub struct LovenseConnectToy {
    base: BaseUrl,
    id: String,
    battery: u8,
    missed_polls: u32,
    polling: bool,
    events: Option<Recipient<HardwareEvent>>,
    commands: Option<mpsc::UnboundedSender<String>>,
    released: Recipient<ToyReleased>,
    gone_reason: Option<String>,
}

impl LovenseConnectToy {
    /// Hardware for toy `id` of the app at `base`, with the battery it last reported.
    pub fn new(base: BaseUrl, id: String, battery: u8, released: Recipient<ToyReleased>) -> Self {
        LovenseConnectToy {
            base,
            id,
            battery,
            missed_polls: 0,
            polling: false,
            events: None,
            commands: None,
            released,
            gone_reason: None,
        }
    }
}

impl Actor for LovenseConnectToy {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Commands leave in order, one request at a time, from one task.
        let (commands, mut pending) = mpsc::unbounded_channel::<String>();
        self.commands = Some(commands);
        let base = self.base.clone();
        let me = ctx.address();
        actix::spawn(async move {
            while let Some(path) = pending.recv().await {
                tracing::trace!(%path, "Lovense Connect command");
                match get(&base, &path, REQUEST_TIMEOUT).await {
                    Ok((200, _)) => {}
                    Ok((status, body)) => {
                        tracing::debug!(%path, status, %body, "Lovense Connect refused a command")
                    }
                    Err(error) => {
                        me.do_send(ToyGone(format!("command {path} failed: {error}")));
                        return;
                    }
                }
            }
        });
        ctx.run_interval(POLL_INTERVAL, |toy, ctx| {
            if toy.polling {
                return;
            }
            toy.polling = true;
            let (base, id) = (toy.base.clone(), toy.id.clone());
            let me = ctx.address();
            actix::spawn(async move {
                let outcome = match get(&base, "GetToys", REQUEST_TIMEOUT).await {
                    Ok((200, body)) => Ok(parse_toys(&body).and_then(|toys| {
                        toys.into_iter()
                            .find(|toy| toy.id == id)
                            .map(|toy| (toy.connected, toy.battery))
                    })),
                    Ok((status, _)) => Err(format!("GetToys answered {status}")),
                    Err(error) => Err(error.to_string()),
                };
                me.do_send(Polled(outcome));
            });
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.commands = None;
        if let Some(events) = self.events.take() {
            events.do_send(HardwareEvent::Disconnected {
                reason: self
                    .gone_reason
                    .take()
                    .unwrap_or_else(|| "Lovense Connect toy released".to_string()),
            });
        }
        self.released.do_send(ToyReleased {
            id: self.id.clone(),
        });
    }
}

impl Handler<Polled> for LovenseConnectToy {
    type Result = ();

    fn handle(&mut self, message: Polled, ctx: &mut Self::Context) {
        self.polling = false;
        match message.0 {
            Ok(Some((true, battery))) => {
                self.missed_polls = 0;
                self.battery = battery;
            }
            Ok(_) => {
                self.gone_reason = Some("the Lovense Connect app no longer holds the toy".into());
                ctx.stop();
            }
            Err(error) => {
                self.missed_polls += 1;
                tracing::debug!(toy = %self.id, %error, missed = self.missed_polls, "Lovense Connect poll failed");
                if self.missed_polls >= POLLS_BEFORE_GONE {
                    self.gone_reason = Some(format!(
                        "the Lovense Connect app stopped answering: {error}"
                    ));
                    ctx.stop();
                }
            }
        }
    }
}

impl Handler<ToyGone> for LovenseConnectToy {
    type Result = ();

    fn handle(&mut self, message: ToyGone, ctx: &mut Self::Context) {
        self.gone_reason = Some(message.0);
        ctx.stop();
    }
}

impl Handler<HardwareCall> for LovenseConnectToy {
    type Result = Result<HardwareReply, HardwareError>;

    fn handle(&mut self, call: HardwareCall, ctx: &mut Self::Context) -> Self::Result {
        match call {
            HardwareCall::Attach { events } => self.events = Some(events),
            HardwareCall::Command(HardwareCommand::Write { endpoint, data, .. }) => {
                if endpoint != Endpoint::Tx {
                    return Err(HardwareError::InvalidEndpoint(endpoint));
                }
                let text = String::from_utf8(data).map_err(|_| {
                    HardwareError::Transport("Lovense Connect commands are text".to_string())
                })?;
                let path = command_path(&text, &self.id);
                let sent = self
                    .commands
                    .as_ref()
                    .is_some_and(|commands| commands.send(path).is_ok());
                if !sent {
                    return Err(HardwareError::Disconnected);
                }
            }
            // The app pushes nothing: there is nothing to turn on or off.
            HardwareCall::Command(HardwareCommand::Subscribe { .. })
            | HardwareCall::Command(HardwareCommand::Unsubscribe { .. }) => {}
            HardwareCall::Read { endpoint, .. } => {
                if endpoint != Endpoint::Rx {
                    return Err(HardwareError::InvalidEndpoint(endpoint));
                }
                return Ok(HardwareReply::Data(vec![self.battery]));
            }
            HardwareCall::Disconnect => {
                self.events = None;
                ctx.stop();
            }
        }
        Ok(HardwareReply::Done)
    }
}

//! The device WebSocket: one [`DeviceSocket`] actor per connected simulated device. It reads
//! the greeting, asks the DeviceConfig actor what the device is, hands the DeviceManager a
//! connected device, and from then on is that device's Hardware: writes, reads and
//! subscriptions become frames, the device's frames become notifications and read replies.

use crate::wire::{FromDevice, SimulateGreeting, ToDevice, UpstreamGreeting};
use actix::prelude::*;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use plugd_config::{DeviceIdentity, Transport};
use plugd_core::{Endpoint, HardwareCommand};
use plugd_device::{
    DeviceConfig, DeviceManager, FindProtocol, HardwareCall, HardwareConnected, HardwareError,
    HardwareEvent, HardwareReply,
};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A device that does not greet within this long is dropped (docs/simulated-devices.md).
const GREETING_DEADLINE: Duration = Duration::from_secs(5);
/// How often the socket is pinged, and how long it may stay silent.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest frame a device may send.
const MAX_FRAME_BYTES: usize = 1 << 20;

/// Numbers addresses for devices that greet without one.
static NEXT_ANONYMOUS_ADDRESS: AtomicU64 = AtomicU64::new(1);

/// The actors a device socket talks to.
#[derive(Clone)]
pub struct DeviceSocketContext {
    /// Identification.
    pub config: Addr<DeviceConfig>,
    /// Where connected devices go.
    pub device_manager: Addr<DeviceManager>,
}

/// Which greeting the device used.
enum Greeting {
    /// `{"identifier": ...}`: binary frames are the tx/rx byte pipe.
    Upstream,
    /// `{"simulate": ...}`: JSON frames for every endpoint.
    Simulate,
}

/// Where the socket is.
enum State {
    AwaitingGreeting,
    /// Asking DeviceConfig.
    Matching,
    Connected {
        greeting: Greeting,
        endpoints: Vec<Endpoint>,
    },
}

/// One device connection.
pub struct DeviceSocket {
    context: DeviceSocketContext,
    state: State,
    /// The Device actor's event handler, once attached.
    events: Option<Recipient<HardwareEvent>>,
    /// Endpoints with notifications on.
    subscribed: HashSet<Endpoint>,
    /// Reads waiting for a ReadReply, by id.
    reads: HashMap<u64, oneshot::Sender<Vec<u8>>>,
    next_read_id: u64,
    last_heard: Instant,
}

impl DeviceSocket {
    fn new(context: DeviceSocketContext) -> Self {
        DeviceSocket {
            context,
            state: State::AwaitingGreeting,
            events: None,
            subscribed: HashSet::new(),
            reads: HashMap::new(),
            next_read_id: 1,
            last_heard: Instant::now(),
        }
    }

    fn send_error(ctx: &mut ws::WebsocketContext<Self>, reason: &str) {
        ctx.text(ToDevice::Error { reason }.to_text());
    }

    fn on_greeting(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        let fallback = format!(
            "sim-{}",
            NEXT_ANONYMOUS_ADDRESS.fetch_add(1, Ordering::Relaxed)
        );
        let (identity, greeting) = if let Ok(greeting) =
            serde_json::from_str::<SimulateGreeting>(text)
        {
            match greeting.simulate.identity(fallback) {
                Ok(identity) => (identity, Greeting::Simulate),
                Err(reason) => {
                    ctx.text(ToDevice::Rejected { reason: &reason }.to_text());
                    ctx.close(None);
                    ctx.stop();
                    return;
                }
            }
        } else if let Ok(greeting) = serde_json::from_str::<UpstreamGreeting>(text) {
            (
                DeviceIdentity::named(Transport::Websocket, greeting.identifier, greeting.address),
                Greeting::Upstream,
            )
        } else {
            Self::send_error(
                ctx,
                "expected a greeting: {\"identifier\":..,\"address\":..,\"version\":0} or {\"simulate\":{..}}",
            );
            return;
        };
        self.state = State::Matching;
        let lookup = self.context.config.send(FindProtocol {
            identity: identity.clone(),
        });
        lookup
            .into_actor(self)
            .map(move |found, socket, ctx| match found.ok().flatten() {
                None => {
                    let reason = format!(
                        "no protocol plugd implements matches {} device {:?}",
                        identity.transport.name(),
                        identity.name
                    );
                    tracing::info!(address = %identity.address, "{reason}");
                    if matches!(greeting, Greeting::Simulate) {
                        ctx.text(ToDevice::Rejected { reason: &reason }.to_text());
                    }
                    ctx.close(None);
                    ctx.stop();
                }
                Some(matched) => {
                    let endpoints = match greeting {
                        Greeting::Simulate => matched.endpoints.clone(),
                        Greeting::Upstream => vec![Endpoint::Tx, Endpoint::Rx],
                    };
                    if matches!(greeting, Greeting::Simulate) {
                        ctx.text(
                            ToDevice::Accepted {
                                protocol: &matched.protocol,
                                endpoints: &endpoints,
                            }
                            .to_text(),
                        );
                    }
                    tracing::info!(
                        name = %identity.name,
                        address = %identity.address,
                        protocol = %matched.protocol,
                        "simulated device connected"
                    );
                    socket.state = State::Connected {
                        greeting,
                        endpoints: endpoints.clone(),
                    };
                    socket.context.device_manager.do_send(HardwareConnected {
                        identity,
                        protocol: matched,
                        endpoints,
                        hardware: ctx.address().recipient(),
                        default_message_gap: None,
                    });
                }
            })
            .wait(ctx);
    }

    fn on_device_frame(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        if matches!(
            self.state,
            State::Connected {
                greeting: Greeting::Upstream,
                ..
            }
        ) {
            Self::send_error(
                ctx,
                "after the identifier greeting only binary frames are allowed",
            );
            return;
        }
        match serde_json::from_str::<FromDevice>(text) {
            Ok(FromDevice::Notification { endpoint, data }) => self.notify(endpoint, data),
            Ok(FromDevice::ReadReply { id, data }) => match self.reads.remove(&id) {
                Some(reply) => {
                    let _ = reply.send(data);
                }
                None => Self::send_error(ctx, &format!("no read with id {id} is waiting")),
            },
            Ok(FromDevice::Disconnect {}) => {
                ctx.close(None);
                ctx.stop();
            }
            Err(error) => Self::send_error(ctx, &format!("malformed frame: {error}")),
        }
    }

    fn notify(&mut self, endpoint: Endpoint, data: Vec<u8>) {
        if !self.subscribed.contains(&endpoint) {
            tracing::trace!(%endpoint, "notification on an unsubscribed endpoint dropped");
            return;
        }
        if let Some(events) = &self.events {
            events.do_send(HardwareEvent::Notification { endpoint, data });
        }
    }

    fn has_endpoint(&self, endpoint: Endpoint) -> bool {
        match &self.state {
            State::Connected { endpoints, .. } => endpoints.contains(&endpoint),
            _ => false,
        }
    }

    fn command(
        &mut self,
        command: HardwareCommand,
        ctx: &mut ws::WebsocketContext<Self>,
    ) -> Result<HardwareReply, HardwareError> {
        let upstream = matches!(
            self.state,
            State::Connected {
                greeting: Greeting::Upstream,
                ..
            }
        );
        match command {
            HardwareCommand::Write {
                endpoint,
                data,
                write_with_response,
            } => {
                if !self.has_endpoint(endpoint) {
                    return Err(HardwareError::InvalidEndpoint(endpoint));
                }
                if upstream {
                    ctx.binary(data);
                } else {
                    ctx.text(
                        ToDevice::Write {
                            endpoint,
                            data: &data,
                            write_with_response,
                        }
                        .to_text(),
                    );
                }
            }
            HardwareCommand::Subscribe { endpoint } => {
                if !self.has_endpoint(endpoint) {
                    return Err(HardwareError::InvalidEndpoint(endpoint));
                }
                self.subscribed.insert(endpoint);
                if !upstream {
                    ctx.text(ToDevice::Subscribe { endpoint }.to_text());
                }
            }
            HardwareCommand::Unsubscribe { endpoint } => {
                self.subscribed.remove(&endpoint);
                if !upstream {
                    ctx.text(ToDevice::Unsubscribe { endpoint }.to_text());
                }
            }
        }
        Ok(HardwareReply::Done)
    }
}

impl Actor for DeviceSocket {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(4096);
        ctx.run_later(GREETING_DEADLINE, |socket, ctx| {
            if matches!(socket.state, State::AwaitingGreeting) {
                tracing::info!("device socket sent no greeting in time; closing it");
                Self::send_error(ctx, "no greeting within 5 s");
                ctx.close(None);
                ctx.stop();
            }
        });
        ctx.run_interval(HEARTBEAT_INTERVAL, |socket, ctx| {
            if socket.last_heard.elapsed() > HEARTBEAT_TIMEOUT {
                tracing::info!("device socket silent too long; dropping it");
                ctx.stop();
                return;
            }
            ctx.ping(b"");
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        if let Some(events) = &self.events {
            events.do_send(HardwareEvent::Disconnected {
                reason: "device socket closed".to_string(),
            });
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for DeviceSocket {
    fn handle(&mut self, item: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        let message = match item {
            Ok(message) => message,
            Err(error) => {
                tracing::info!(%error, "device socket protocol error; closing");
                ctx.stop();
                return;
            }
        };
        match message {
            ws::Message::Text(text) => match self.state {
                State::AwaitingGreeting => self.on_greeting(&text, ctx),
                State::Matching => Self::send_error(ctx, "still identifying the device"),
                State::Connected { .. } => self.on_device_frame(&text, ctx),
            },
            ws::Message::Binary(data) => match self.state {
                State::Connected {
                    greeting: Greeting::Upstream,
                    ..
                } => self.notify(Endpoint::Rx, data.to_vec()),
                _ => Self::send_error(
                    ctx,
                    "binary frames are only for the identifier greeting's byte pipe",
                ),
            },
            ws::Message::Ping(payload) => ctx.pong(&payload),
            ws::Message::Pong(_) => {}
            ws::Message::Close(_) => {
                ctx.close(None);
                ctx.stop();
            }
            ws::Message::Continuation(_) | ws::Message::Nop => {}
        }
    }
}

impl Handler<HardwareCall> for DeviceSocket {
    type Result = ResponseFuture<Result<HardwareReply, HardwareError>>;

    fn handle(&mut self, call: HardwareCall, ctx: &mut Self::Context) -> Self::Result {
        let result = match call {
            HardwareCall::Attach { events } => {
                self.events = Some(events);
                Ok(HardwareReply::Done)
            }
            HardwareCall::Command(command) => self.command(command, ctx),
            HardwareCall::Disconnect => {
                self.events = None;
                ctx.close(None);
                ctx.stop();
                Ok(HardwareReply::Done)
            }
            HardwareCall::Read {
                endpoint,
                length,
                timeout,
            } => {
                if matches!(
                    self.state,
                    State::Connected {
                        greeting: Greeting::Upstream,
                        ..
                    }
                ) {
                    Err(HardwareError::Transport(
                        "the identifier greeting's byte pipe cannot be read".to_string(),
                    ))
                } else if !self.has_endpoint(endpoint) {
                    Err(HardwareError::InvalidEndpoint(endpoint))
                } else {
                    let id = self.next_read_id;
                    self.next_read_id += 1;
                    let (reply, receiver) = oneshot::channel();
                    self.reads.insert(id, reply);
                    ctx.text(
                        ToDevice::Read {
                            id,
                            endpoint,
                            length,
                            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                        }
                        .to_text(),
                    );
                    return Box::pin(async move {
                        match tokio::time::timeout(timeout, receiver).await {
                            Ok(Ok(data)) => Ok(HardwareReply::Data(data)),
                            Ok(Err(_)) => Err(HardwareError::Disconnected),
                            Err(_) => Err(HardwareError::Timeout(timeout)),
                        }
                    });
                }
            }
        };
        Box::pin(async move { result })
    }
}

/// The actix-web handler for the device WebSocket (any path).
pub async fn device_socket_route(
    request: HttpRequest,
    stream: web::Payload,
    context: web::Data<DeviceSocketContext>,
) -> Result<HttpResponse, actix_web::Error> {
    ws::WsResponseBuilder::new(
        DeviceSocket::new(context.get_ref().clone()),
        &request,
        stream,
    )
    .frame_size(MAX_FRAME_BYTES)
    .start()
}

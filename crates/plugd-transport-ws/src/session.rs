//! Session: one actor per client WebSocket. Registers with the Server in `started`, unregisters
//! in `stopping` (so every way a connection ends stops what the client was running), answers
//! every frame through `plugd_server::session::ClientSession`, keeps replies in request order,
//! and pings the socket to notice dead peers. Before the upgrade, [`client_socket_route`] applies
//! the [`AccessPolicy`] (shared-secret token, Origin allow-list); after it, the Session applies the
//! [`SessionLimits`] (frame size, handshake timeout, heartbeat, and the message limits of
//! `plugd_server::session::MessageLimits`). docs/security.md lists them all.

use crate::access::{AccessDecision, AccessPolicy};
use actix::prelude::*;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use plugd_core::SessionId;
use plugd_messages::{render, Event, MessageError};
use plugd_server::session::{HandshakeStep, MessageLimits, SubscriptionKey};
use plugd_server::{
    ClientRequest, ClientSession, Connect, Disconnect, FrameStep, Handshake, ReplyQueue, Server,
    ServerEvent,
};
use std::time::{Duration, Instant};

/// Connection limits (each a command-line flag; docs/security.md).
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// Largest WebSocket frame accepted (`--max-frame-bytes`).
    pub max_frame_bytes: usize,
    /// How often the socket is pinged (`--heartbeat-interval`).
    pub heartbeat_interval: Duration,
    /// A peer silent (no frame, no pong) this long is dropped (`--heartbeat-timeout`); it is
    /// noticed at the next heartbeat, so within timeout + interval.
    pub heartbeat_timeout: Duration,
    /// A connection that has not sent RequestServerInfo this long after connecting is closed
    /// (`--handshake-timeout`).
    pub handshake_timeout: Duration,
    /// Messages per frame, per second, subscriptions.
    pub messages: MessageLimits,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            max_frame_bytes: 1 << 20,
            heartbeat_interval: Duration::from_secs(5),
            heartbeat_timeout: Duration::from_secs(15),
            handshake_timeout: Duration::from_secs(10),
            messages: MessageLimits::default(),
        }
    }
}

/// One client connection.
pub struct Session {
    server: Addr<Server>,
    limits: SessionLimits,
    /// Assigned by the Server in `started`.
    id: Option<SessionId>,
    logic: ClientSession,
    replies: ReplyQueue,
    /// Where the client connected from (told to the Server for the clients list).
    peer: Option<std::net::SocketAddr>,
    /// The newest device list not yet rendered for this client. Lists that arrive while one
    /// waits replace it, so a burst of device changes costs this client one render, not one
    /// per change (the v0–v3 DeviceAdded/Removed diff is taken from what it last saw).
    pending_devices: Option<Event>,
    last_heard: Instant,
}

impl Session {
    /// A session talking to `server`.
    pub fn new(server: Addr<Server>, limits: SessionLimits) -> Self {
        Session {
            server,
            limits,
            id: None,
            logic: ClientSession::with_limits(limits.messages),
            replies: ReplyQueue::default(),
            peer: None,
            pending_devices: None,
            last_heard: Instant::now(),
        }
    }

    /// The client's address, as the socket saw it.
    pub fn from_peer(mut self, peer: Option<std::net::SocketAddr>) -> Self {
        self.peer = peer;
        self
    }

    /// Renders the waiting device list, if any, before anything that must come after it.
    fn flush_device_list(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        if let Some(event) = self.pending_devices.take() {
            self.send_event(&event, ctx);
        }
    }

    /// An event's frames, behind any reply still outstanding.
    fn send_event(&mut self, event: &Event, ctx: &mut ws::WebsocketContext<Self>) {
        // An event caused by a request (ScanningFinished after StartScanning, a DeviceList after
        // a stop) must not overtake that request's reply: while replies are outstanding, events
        // queue behind them.
        for frame in self.logic.event(event) {
            if self.replies.outstanding() == 0 {
                ctx.text(frame);
            } else {
                let slot = self.replies.reserve();
                self.send_in_order(slot, frame, ctx);
            }
        }
    }

    fn on_text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        let Some(session) = self.id else {
            return;
        };
        if self.logic.version().is_none() {
            self.on_handshake_frame(session, text, ctx);
            return;
        }
        // The client acts on the devices it was shown: show it the newest list first.
        self.flush_device_list(ctx);
        for step in self.logic.frame(text) {
            match step {
                FrameStep::Answer(frame) => {
                    let slot = self.replies.reserve();
                    self.send_in_order(slot, frame, ctx);
                }
                FrameStep::Close(frame) => {
                    tracing::warn!(session = ?self.id, "client over the message rate for too long; closing it");
                    // Straight out: replies still outstanding are never sent, the actor stops.
                    ctx.text(frame);
                    ctx.close(Some(ws::CloseCode::Policy.into()));
                    ctx.stop();
                    return;
                }
                FrameStep::Forward {
                    ids,
                    request,
                    shape,
                } => {
                    let slots: Vec<(u64, u32)> = ids
                        .into_iter()
                        .map(|id| (self.replies.reserve(), id))
                        .collect();
                    let subscription = SubscriptionKey::subscribed_by(&request);
                    let request = self.server.send(ClientRequest { session, request });
                    ctx.spawn(request.into_actor(self).map(move |result, session, ctx| {
                        let result = result.unwrap_or_else(|_| {
                            Err(plugd_messages::UnknownError::NoDeviceManager.into())
                        });
                        if let (Some(key), Err(_)) = (subscription, &result) {
                            session.logic.subscription_failed(key);
                        }
                        // A reply may name devices of a list still waiting: that list first.
                        session.flush_device_list(ctx);
                        for (slot, id) in slots {
                            let frame = session.logic.render_result(id, &shape, &result);
                            session.send_in_order(slot, frame, ctx);
                        }
                    }));
                }
            }
        }
    }

    fn on_handshake_frame(
        &mut self,
        session: SessionId,
        text: &str,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        if text.trim().is_empty() {
            return;
        }
        match self.logic.handshake_frame(text) {
            HandshakeStep::Refuse(frame) => ctx.text(frame),
            HandshakeStep::RefuseAndClose(frame) => {
                ctx.text(frame);
                ctx.close(Some(ws::CloseCode::Policy.into()));
                ctx.stop();
            }
            HandshakeStep::Request(handshake, version) => {
                // `.wait` holds the mailbox: later frames are read once the handshake is done.
                let request = self.server.send(Handshake {
                    session,
                    client_name: handshake.client_name.clone(),
                    version,
                });
                request
                    .into_actor(self)
                    .map(move |result, session, ctx| match result {
                        Ok(Ok(accepted)) => {
                            let frame = session.logic.accept(
                                handshake.id,
                                version,
                                &accepted.server_name,
                                accepted.max_ping_time_ms,
                                &accepted.devices,
                            );
                            ctx.text(frame);
                        }
                        Ok(Err(error)) => ctx.text(render::error(handshake.id, &error)),
                        Err(_) => ctx.stop(),
                    })
                    .wait(ctx);
            }
        }
    }

    fn send_in_order(&mut self, slot: u64, frame: String, ctx: &mut ws::WebsocketContext<Self>) {
        for ready in self.replies.complete(slot, frame) {
            ctx.text(ready);
        }
    }
}

impl Actor for Session {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(1024);
        let interval = self.limits.heartbeat_interval;
        let timeout = self.limits.heartbeat_timeout;
        ctx.run_interval(interval, move |session, ctx| {
            if session.last_heard.elapsed() > timeout {
                tracing::info!(session = ?session.id, "client silent too long; dropping it");
                ctx.stop();
                return;
            }
            ctx.ping(b"");
        });
        let handshake_timeout = self.limits.handshake_timeout;
        ctx.run_later(handshake_timeout, move |session, ctx| {
            if session.logic.version().is_some() {
                return;
            }
            tracing::info!(session = ?session.id, "no RequestServerInfo in time; closing");
            let error = MessageError::LimitExceeded(format!(
                "no RequestServerInfo within {} ms of connecting (--handshake-timeout)",
                handshake_timeout.as_millis()
            ));
            ctx.text(render::error(0, &error.into()));
            ctx.close(Some(ws::CloseCode::Policy.into()));
            ctx.stop();
        });
        self.server
            .send(Connect {
                events: ctx.address().recipient(),
                address: self.peer,
            })
            .into_actor(self)
            .map(|result, session, ctx| match result {
                Ok(Ok(id)) => session.id = Some(id),
                Ok(Err(refusal)) => {
                    ctx.text(render::error(0, &refusal));
                    ctx.close(Some(ws::CloseCode::Again.into()));
                    ctx.stop();
                }
                Err(_) => ctx.stop(),
            })
            .wait(ctx);
    }

    fn stopping(&mut self, _: &mut Self::Context) -> Running {
        if let Some(session) = self.id.take() {
            self.server.do_send(Disconnect { session });
        }
        Running::Stop
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Session {
    fn handle(&mut self, item: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        let message = match item {
            Ok(message) => message,
            Err(error) => {
                tracing::info!(session = ?self.id, %error, "client WebSocket error; closing");
                if let ws::ProtocolError::Overflow = error {
                    let error = MessageError::LimitExceeded(format!(
                        "frame larger than {} bytes (--max-frame-bytes)",
                        self.limits.max_frame_bytes
                    ));
                    ctx.text(render::error(0, &error.into()));
                    ctx.close(Some(ws::CloseCode::Size.into()));
                }
                ctx.stop();
                return;
            }
        };
        match message {
            ws::Message::Text(text) => self.on_text(&text, ctx),
            ws::Message::Binary(_) => {
                let error = MessageError::MessageSerializationError(
                    "binary frames are not Buttplug messages; send JSON in text frames".to_string(),
                );
                ctx.text(render::error(0, &error.into()));
            }
            ws::Message::Ping(payload) => ctx.pong(&payload),
            ws::Message::Pong(_) => {}
            ws::Message::Close(reason) => {
                ctx.close(reason);
                ctx.stop();
            }
            ws::Message::Continuation(_) => {
                let error = MessageError::MessageSerializationError(
                    "fragmented frames are not supported".to_string(),
                );
                ctx.text(render::error(0, &error.into()));
            }
            ws::Message::Nop => {}
        }
    }
}

impl Handler<ServerEvent> for Session {
    type Result = ();

    fn handle(&mut self, event: ServerEvent, ctx: &mut Self::Context) {
        match event {
            ServerEvent::Event(event @ Event::DeviceListChanged(_)) => {
                // Rendered once the events already queued for this actor have been seen (the
                // flush message goes behind them); a newer list replaces a waiting one.
                if self.pending_devices.replace(event).is_none() {
                    ctx.notify(FlushDeviceList);
                }
            }
            ServerEvent::Event(event) => {
                // Events keep their order: a waiting list goes out before a later event.
                self.flush_device_list(ctx);
                self.send_event(&event, ctx);
            }
            ServerEvent::PingedOut => {
                ctx.text(self.logic.pinged_out());
                ctx.close(Some(ws::CloseCode::Policy.into()));
                self.id = None;
                ctx.stop();
            }
            ServerEvent::ShuttingDown => {
                ctx.close(Some(ws::CloseCode::Away.into()));
                self.id = None;
                ctx.stop();
            }
        }
    }
}

/// Internal: render the device list that is waiting (see `Session::pending_devices`).
#[derive(Message)]
#[rtype(result = "()")]
struct FlushDeviceList;

impl Handler<FlushDeviceList> for Session {
    type Result = ();

    fn handle(&mut self, _: FlushDeviceList, ctx: &mut Self::Context) {
        self.flush_device_list(ctx);
    }
}

/// The actix-web handler for the client WebSocket (any path). Needs `web::Data` of the Server's
/// address, [`SessionLimits`] and [`AccessPolicy`]. A request the policy refuses gets its HTTP
/// status (401 without the token, 403 from a refused Origin) and is never upgraded.
pub async fn client_socket_route(
    request: HttpRequest,
    stream: web::Payload,
    server: web::Data<Addr<Server>>,
    limits: web::Data<SessionLimits>,
    access: web::Data<AccessPolicy>,
) -> Result<HttpResponse, actix_web::Error> {
    let origin = request
        .headers()
        .get(actix_web::http::header::ORIGIN)
        .map(|value| value.to_str().unwrap_or("<not text>"));
    let query = request.uri().query();
    match access.decide(request.path(), query, origin) {
        AccessDecision::Allow => {}
        AccessDecision::Unauthorized => {
            tracing::warn!(peer = ?request.peer_addr(), "client refused: missing or wrong token (--auth-token)");
            return Ok(HttpResponse::Unauthorized()
                .insert_header(("WWW-Authenticate", "Token realm=\"plugd\""))
                .body("plugd: this server needs its token: ws://host:port/?token=TOKEN or ws://host:port/TOKEN\n"));
        }
        AccessDecision::OriginRefused => {
            tracing::warn!(peer = ?request.peer_addr(), origin = origin.unwrap_or(""), "web page refused: its Origin is not allowed (--allowed-origin)");
            return Ok(HttpResponse::Forbidden()
                .body("plugd: connections from this web page's origin are not allowed; start plugd with --allowed-origin ORIGIN\n"));
        }
    }
    ws::WsResponseBuilder::new(
        Session::new(server.get_ref().clone(), *limits.get_ref()).from_peer(request.peer_addr()),
        &request,
        stream,
    )
    .frame_size(limits.max_frame_bytes)
    .start()
}

//! Server: the handshake (server name, spec version, MaxPingTime), routing of client requests
//! (device commands straight to their Device through the DeviceManager's `DeviceRoutes`;
//! scanning to the DeviceManager), and fan-out of device events to every connected client (subscription
//! readings, input and raw, to their subscriber only). Many clients at once; each is a
//! `Recipient<ServerEvent>` registered with `Connect`.

use crate::metrics::ServerMetrics;
use crate::ping_manager::{ForgetPing, PingExpired, PingManager, Pinged, WatchPing};
use actix::prelude::*;
use plugd_core::{DeviceIndex, SessionId};
use plugd_device::device_manager::{
    ClientGone, DeviceManager, DeviceManagerEvent, ShutdownDevices, StartScanningAll,
    StopScanningAll, SubscribeDeviceEvents,
};
use plugd_device::DeviceRoutes;
use plugd_messages::{
    ButtplugError, DeviceInfo, Event, HandshakeError, MessageError, PingError, Reply, Request,
    SpecVersion,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// Server-wide settings from the command line.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// `ServerName` in ServerInfo (`--server-name`).
    pub server_name: String,
    /// MaxPingTime; zero disables the ping check (`--max-ping-time`).
    pub max_ping_time: Duration,
    /// Most clients connected at once; `None` for no limit (`--max-clients`, 1 behaves like
    /// the reference server).
    pub max_clients: Option<usize>,
    /// If the Server actor ever ends other than by [`ShutdownServer`] (a panic in a handler),
    /// every device is stopped and then, with `Some(code)`, the process exits with that code so
    /// that a supervisor (systemd's `Restart=on-failure`) starts a fresh plugd. The binary
    /// sets it; `None` (tests, embedding) only stops the devices.
    pub exit_code_on_failure: Option<i32>,
    /// Gives freed memory back to the operating system (the binary passes glibc's
    /// `malloc_trim`). Called once things have settled after clients or devices left
    /// ([`MEMORY_RELEASE_DELAY`]): the allocator otherwise keeps what a burst of departures
    /// freed, and a server with churning clients and toys would only grow. `None`: never.
    pub release_memory: Option<fn()>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            server_name: "Buttplug Server".to_string(),
            max_ping_time: Duration::ZERO,
            max_clients: None,
            exit_code_on_failure: None,
            release_memory: None,
        }
    }
}

/// What the Server tells one client.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub enum ServerEvent {
    /// A device event (list changed, scanning finished, a subscribed reading).
    Event(Event),
    /// The client missed its ping: its devices were stopped; send ERROR_PING and close.
    PingedOut,
    /// The server is shutting down: close the connection.
    ShuttingDown,
}

/// A new connection. Replies with its session id, or the refusal to send it before closing
/// (too many clients).
#[derive(Message)]
#[rtype(result = "Result<SessionId, ButtplugError>")]
pub struct Connect {
    /// Where this client's events go.
    pub events: Recipient<ServerEvent>,
    /// The client's address as its transport saw it (`ip:port`), for the clients list.
    pub address: Option<std::net::SocketAddr>,
}

/// The client's RequestServerInfo, already parsed.
#[derive(Debug, Message)]
#[rtype(result = "Result<HandshakeAccepted, ButtplugError>")]
pub struct Handshake {
    /// The client.
    pub session: SessionId,
    /// `ClientName`.
    pub client_name: String,
    /// The negotiated spec version.
    pub version: SpecVersion,
}

/// What the client needs after a successful handshake.
#[derive(Debug, Clone)]
pub struct HandshakeAccepted {
    /// `ServerName`.
    pub server_name: String,
    /// `MaxPingTime` in ms.
    pub max_ping_time_ms: u32,
    /// The devices connected right now (v0–v3 DeviceAdded events diff against this).
    pub devices: Arc<Vec<DeviceInfo>>,
}

/// A request from a handshaken client.
#[derive(Debug, Message)]
#[rtype(result = "Result<Reply, ButtplugError>")]
pub struct ClientRequest {
    /// The client.
    pub session: SessionId,
    /// The request in the internal model.
    pub request: Request,
}

/// The connection is gone. Sent from the Session's `stopping`.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Disconnect {
    /// The client.
    pub session: SessionId,
}

/// Stop every device, tell every client, and reply when the devices have their stop commands.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ShutdownServer;

/// A built-in observer client (the web dashboard / REST API): like [`Connect`], but it does not
/// count towards `--max-clients` and is listed as an observer. It still handshakes and sends
/// ordinary `ClientRequest`s.
#[derive(Message)]
#[rtype(result = "SessionId")]
pub struct ConnectObserver {
    /// Where its events go.
    pub events: Recipient<ServerEvent>,
}

/// The clients and the request counters, for observers (`/metrics`, the dashboard).
#[derive(Debug, Message)]
#[rtype(result = "ServerStatusReport")]
pub struct ServerStatus;

/// What [`ServerStatus`] answers.
#[derive(Debug, Clone)]
pub struct ServerStatusReport {
    /// Every connected client, by session.
    pub clients: Vec<ClientSummary>,
    /// The counters.
    pub metrics: ServerMetrics,
}

/// One connected client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSummary {
    /// Its session.
    pub session: SessionId,
    /// `ClientName` and spec version, once handshaken.
    pub handshake: Option<(String, u32)>,
    /// A built-in observer (the web dashboard), not a remote client.
    pub observer: bool,
    /// The client's address (`ip:port`); `None` for built-in observers.
    pub address: Option<std::net::SocketAddr>,
}

/// A request finished: count it (sent by the Server to itself).
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct RequestDone {
    session: SessionId,
    request: &'static str,
    elapsed: Duration,
    error: Option<(u32, String)>,
}

/// The request type's name, for counters.
fn request_name(request: &Request) -> &'static str {
    match request {
        Request::Ping => "Ping",
        Request::StartScanning => "StartScanning",
        Request::StopScanning => "StopScanning",
        Request::RequestDeviceList => "RequestDeviceList",
        Request::Stop(_) => "Stop",
        Request::Output(_) => "Output",
        Request::Input(_) => "Input",
        Request::Raw(_) => "Raw",
    }
}

/// One connected client.
struct Client {
    events: Recipient<ServerEvent>,
    /// Set by the handshake.
    handshake: Option<(String, SpecVersion)>,
    /// A built-in observer ([`ConnectObserver`]).
    observer: bool,
    /// Where the client connected from.
    address: Option<std::net::SocketAddr>,
}

/// The actor. See the module doc.
pub struct Server {
    settings: ServerSettings,
    device_manager: Addr<DeviceManager>,
    /// Started in `started`.
    ping_manager: Option<Addr<PingManager>>,
    clients: HashMap<SessionId, Client>,
    next_session: u64,
    /// The device list as of the last DeviceListChanged, shared with every handshake.
    devices: Arc<Vec<DeviceInfo>>,
    /// Request counters for observers.
    metrics: ServerMetrics,
    /// Set by [`ShutdownServer`]: the end that follows is the orderly one.
    shut_down: bool,
    /// A memory release is scheduled ([`ServerSettings::release_memory`]).
    release_scheduled: bool,
    /// Where device commands go, as of the DeviceManager's last list change.
    routes: DeviceRoutes,
}

impl Server {
    /// A server routing to `device_manager`.
    pub fn new(settings: ServerSettings, device_manager: Addr<DeviceManager>) -> Self {
        Server {
            settings,
            device_manager,
            ping_manager: None,
            clients: HashMap::new(),
            next_session: 1,
            devices: Arc::new(Vec::new()),
            metrics: ServerMetrics::default(),
            shut_down: false,
            release_scheduled: false,
            routes: DeviceRoutes::default(),
        }
    }

    fn max_ping_time_ms(&self) -> u32 {
        u32::try_from(self.settings.max_ping_time.as_millis()).unwrap_or(u32::MAX)
    }

    fn broadcast(&self, event: &ServerEvent) {
        for client in self.clients.values() {
            if client.handshake.is_some() {
                client.events.do_send(event.clone());
            }
        }
    }

    /// Something left (a client, a device): schedule one memory release after the burst.
    fn departed(&mut self, ctx: &mut Context<Self>) {
        let Some(release) = self.settings.release_memory else {
            return;
        };
        if self.release_scheduled {
            return;
        }
        self.release_scheduled = true;
        ctx.run_later(MEMORY_RELEASE_DELAY, move |server, _| {
            server.release_scheduled = false;
            let started = std::time::Instant::now();
            release();
            tracing::debug!(
                elapsed_us = started.elapsed().as_micros() as u64,
                "freed memory given back to the OS"
            );
        });
    }
}

/// How long after a client or device left the freed memory is given back: departures come in
/// bursts (a churn of toys, clients reconnecting), and one release after the burst is enough.
pub const MEMORY_RELEASE_DELAY: Duration = Duration::from_secs(1);

/// How long the devices get to write their stop bytes after a Server failure before the
/// process exits (see [`ServerSettings::exit_code_on_failure`]).
const FAILURE_EXIT_DEADLINE: Duration = Duration::from_secs(2);

impl Actor for Server {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(65_536);
        self.ping_manager = Some(PingManager::new(ctx.address().recipient()).start());
        self.device_manager
            .do_send(SubscribeDeviceEvents(ctx.address().recipient()));
    }

    /// Supervision: actix runs this even when a handler panicked. Any end but the orderly
    /// shutdown leaves clients without routing, so every device is stopped, and then (with
    /// `exit_code_on_failure`) the process exits for its supervisor to restart it.
    fn stopped(&mut self, _: &mut Self::Context) {
        if self.shut_down {
            return;
        }
        tracing::error!("the Server actor ended abnormally; stopping every device");
        self.device_manager.do_send(ShutdownDevices);
        if let Some(code) = self.settings.exit_code_on_failure {
            // A deadline, not an await: this runs while actix tears the actor down, where
            // nothing may be spawned. The stop bytes are handed to the transports at once.
            let _ = std::thread::Builder::new()
                .name("plugd-failure-exit".to_string())
                .spawn(move || {
                    std::thread::sleep(FAILURE_EXIT_DEADLINE);
                    tracing::error!(code, "plugd exits after an internal failure, for a restart");
                    std::process::exit(code);
                });
        }
    }
}

impl Handler<Connect> for Server {
    type Result = Result<SessionId, ButtplugError>;

    fn handle(&mut self, message: Connect, _: &mut Self::Context) -> Self::Result {
        if let Some(limit) = self.settings.max_clients {
            let remote = self
                .clients
                .values()
                .filter(|client| !client.observer)
                .count();
            if remote >= limit {
                tracing::warn!(limit, "client refused: the server is full (--max-clients)");
                return Err(MessageError::LimitExceeded(format!(
                    "the server is full: {limit} client(s) connected, the most --max-clients allows"
                ))
                .into());
            }
        }
        let session = SessionId(self.next_session);
        self.next_session += 1;
        self.clients.insert(
            session,
            Client {
                events: message.events,
                handshake: None,
                observer: false,
                address: message.address,
            },
        );
        tracing::debug!(%session, clients = self.clients.len(), "client connected");
        Ok(session)
    }
}

impl Handler<ConnectObserver> for Server {
    type Result = MessageResult<ConnectObserver>;

    fn handle(&mut self, message: ConnectObserver, _: &mut Self::Context) -> Self::Result {
        let session = SessionId(self.next_session);
        self.next_session += 1;
        self.clients.insert(
            session,
            Client {
                events: message.events,
                handshake: None,
                observer: true,
                address: None,
            },
        );
        MessageResult(session)
    }
}

impl Handler<ServerStatus> for Server {
    type Result = MessageResult<ServerStatus>;

    fn handle(&mut self, _: ServerStatus, _: &mut Self::Context) -> Self::Result {
        let mut clients: Vec<ClientSummary> = self
            .clients
            .iter()
            .map(|(session, client)| ClientSummary {
                session: *session,
                handshake: client
                    .handshake
                    .as_ref()
                    .map(|(name, version)| (name.clone(), version.number())),
                observer: client.observer,
                address: client.address,
            })
            .collect();
        clients.sort_by_key(|client| client.session);
        MessageResult(ServerStatusReport {
            clients,
            metrics: self.metrics.clone(),
        })
    }
}

impl Handler<RequestDone> for Server {
    type Result = ();

    fn handle(&mut self, message: RequestDone, _: &mut Self::Context) {
        self.metrics.record(
            message.session.0,
            message.request,
            message.elapsed,
            message.error,
        );
    }
}

impl Handler<Handshake> for Server {
    type Result = Result<HandshakeAccepted, ButtplugError>;

    fn handle(&mut self, message: Handshake, _: &mut Self::Context) -> Self::Result {
        let max_ping_time_ms = self.max_ping_time_ms();
        let client = self
            .clients
            .get_mut(&message.session)
            .ok_or(HandshakeError::ReconnectDenied)?;
        if client.handshake.is_some() {
            return Err(HandshakeError::HandshakeAlreadyHappened.into());
        }
        tracing::info!(
            session = %message.session,
            client = %message.client_name,
            version = message.version.number(),
            "client handshake"
        );
        client.handshake = Some((message.client_name, message.version));
        if !self.settings.max_ping_time.is_zero() {
            if let Some(ping_manager) = &self.ping_manager {
                ping_manager.do_send(WatchPing {
                    session: message.session,
                    max_ping_time: self.settings.max_ping_time,
                });
            }
        }
        Ok(HandshakeAccepted {
            server_name: self.settings.server_name.clone(),
            max_ping_time_ms,
            devices: Arc::clone(&self.devices),
        })
    }
}

impl Handler<ClientRequest> for Server {
    type Result = ResponseFuture<Result<Reply, ButtplugError>>;

    fn handle(&mut self, message: ClientRequest, ctx: &mut Self::Context) -> Self::Result {
        let started = std::time::Instant::now();
        let session = message.session;
        let request = request_name(&message.request);
        let routed = self.route(message);
        let me = ctx.address();
        Box::pin(async move {
            let result = routed.await;
            me.do_send(RequestDone {
                session,
                request,
                elapsed: started.elapsed(),
                error: result
                    .as_ref()
                    .err()
                    .map(|error| (error.code() as u32, error.to_string())),
            });
            result
        })
    }
}

impl Server {
    /// Sends a request where it goes; the future is its reply.
    fn route(&mut self, message: ClientRequest) -> ResponseFuture<Result<Reply, ButtplugError>> {
        let session = message.session;
        if self
            .clients
            .get(&session)
            .is_none_or(|client| client.handshake.is_none())
        {
            return Box::pin(async { Err(HandshakeError::RequestServerInfoExpected.into()) });
        }
        match message.request {
            Request::Ping => {
                let result = if self.settings.max_ping_time.is_zero() {
                    Err(PingError::PingTimerNotRunning.into())
                } else {
                    if let Some(ping_manager) = &self.ping_manager {
                        ping_manager.do_send(Pinged { session });
                    }
                    Ok(Reply::Ok)
                };
                Box::pin(async move { result })
            }
            Request::StartScanning => {
                self.device_manager.do_send(StartScanningAll);
                Box::pin(async { Ok(Reply::Ok) })
            }
            Request::StopScanning => {
                self.device_manager.do_send(StopScanningAll);
                Box::pin(async { Ok(Reply::Ok) })
            }
            Request::RequestDeviceList => {
                // Answered from the list this actor last broadcast, so a reply never shows a
                // device whose DeviceAdded/DeviceList event the client has not been sent yet.
                let devices = self.devices.as_ref().clone();
                Box::pin(async move { Ok(Reply::DeviceList(devices)) })
            }
            // Device commands go straight to the Device (DeviceRoutes, from the DeviceManager),
            // all four the same way so that each Device sees a client's commands in order.
            Request::Stop(stop) => {
                let request = self.routes.stop(Some(session), stop);
                Box::pin(async move { request.await.map(|()| Reply::Ok) })
            }
            Request::Output(output) => {
                let request = self.routes.output(Some(session), output);
                Box::pin(async move { request.await.map(|()| Reply::Ok) })
            }
            Request::Input(input) => {
                let request = self.routes.input(session, input);
                Box::pin(async move {
                    request.await.map(|reading| match reading {
                        Some(reading) => Reply::Reading(reading),
                        None => Reply::Ok,
                    })
                })
            }
            Request::Raw(raw) => {
                let request = self.routes.raw(session, raw);
                Box::pin(async move {
                    request.await.map(|reading| match reading {
                        Some(reading) => Reply::RawReading(reading),
                        None => Reply::Ok,
                    })
                })
            }
        }
    }
}

impl Handler<Disconnect> for Server {
    type Result = ();

    fn handle(&mut self, message: Disconnect, ctx: &mut Self::Context) {
        if self.clients.remove(&message.session).is_some() {
            self.departed(ctx);
            tracing::debug!(session = %message.session, clients = self.clients.len(), "client disconnected");
            if let Some(ping_manager) = &self.ping_manager {
                ping_manager.do_send(ForgetPing {
                    session: message.session,
                });
            }
            self.device_manager.do_send(ClientGone {
                session: message.session,
            });
        }
    }
}

impl Handler<PingExpired> for Server {
    type Result = ();

    fn handle(&mut self, message: PingExpired, ctx: &mut Self::Context) {
        self.departed(ctx);
        tracing::warn!(session = %message.session, "client missed its ping; stopping its devices and disconnecting it");
        self.device_manager.do_send(ClientGone {
            session: message.session,
        });
        if let Some(client) = self.clients.remove(&message.session) {
            client.events.do_send(ServerEvent::PingedOut);
        }
    }
}

impl Handler<DeviceManagerEvent> for Server {
    type Result = ();

    fn handle(&mut self, event: DeviceManagerEvent, ctx: &mut Self::Context) {
        match event {
            DeviceManagerEvent::Routes(routes) => self.routes = routes,
            DeviceManagerEvent::DeviceListChanged(devices) => {
                let listed: HashSet<DeviceIndex> = devices.iter().map(|new| new.index).collect();
                let someone_left = self.devices.iter().any(|old| !listed.contains(&old.index));
                if someone_left {
                    self.departed(ctx);
                }
                // One copy for every session: the broadcast clones the Arc, not the list.
                self.devices = Arc::new(devices);
                self.broadcast(&ServerEvent::Event(Event::DeviceListChanged(
                    self.devices.clone(),
                )));
            }
            DeviceManagerEvent::ScanningFinished => {
                self.broadcast(&ServerEvent::Event(Event::ScanningFinished));
            }
            DeviceManagerEvent::Reading { session, reading } => {
                if let Some(client) = self.clients.get(&session) {
                    client
                        .events
                        .do_send(ServerEvent::Event(Event::Reading(reading)));
                }
            }
            DeviceManagerEvent::RawReading { session, reading } => {
                if let Some(client) = self.clients.get(&session) {
                    client
                        .events
                        .do_send(ServerEvent::Event(Event::RawReading(reading)));
                }
            }
        }
    }
}

impl Handler<ShutdownServer> for Server {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: ShutdownServer, _: &mut Self::Context) -> Self::Result {
        tracing::info!("shutting down: stopping every device");
        self.shut_down = true;
        let stop = self.device_manager.send(ShutdownDevices);
        let clients: Vec<Recipient<ServerEvent>> = self
            .clients
            .drain()
            .map(|(_, client)| client.events)
            .collect();
        Box::pin(async move {
            let _ = stop.await;
            for client in clients {
                client.do_send(ServerEvent::ShuttingDown);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugd_config::{DeviceConfigStore, DeviceDatabase};
    use plugd_device::device_config::DeviceConfig;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts memory releases (a `fn()` hook cannot capture, so a static per test).
    static RELEASES: AtomicUsize = AtomicUsize::new(0);

    fn count_release() {
        RELEASES.fetch_add(1, Ordering::SeqCst);
    }

    /// Takes the events a client is sent.
    struct Ignore;

    impl Actor for Ignore {
        type Context = Context<Self>;
    }

    impl Handler<ServerEvent> for Ignore {
        type Result = ();
        fn handle(&mut self, _: ServerEvent, _: &mut Self::Context) {}
    }

    #[actix_rt::test]
    async fn freed_memory_is_given_back_once_after_a_burst_of_departures() {
        tokio::time::pause();
        let config =
            DeviceConfig::new(DeviceConfigStore::new(DeviceDatabase::default(), None)).start();
        let device_manager = DeviceManager::new(config).start();
        let settings = ServerSettings {
            release_memory: Some(count_release),
            ..ServerSettings::default()
        };
        let server = Server::new(settings, device_manager).start();
        let events = Ignore.start().recipient();
        let mut sessions = Vec::new();
        for _ in 0..3 {
            let connect = Connect {
                events: events.clone(),
                address: None,
            };
            sessions.push(server.send(connect).await.unwrap().unwrap());
        }
        tokio::time::advance(MEMORY_RELEASE_DELAY * 2).await;
        assert_eq!(RELEASES.load(Ordering::SeqCst), 0, "nobody left yet");

        // Three clients leave in a burst: one release, after the delay.
        for session in sessions {
            server.send(Disconnect { session }).await.unwrap();
        }
        tokio::time::advance(MEMORY_RELEASE_DELAY / 2).await;
        assert_eq!(RELEASES.load(Ordering::SeqCst), 0, "not before the delay");
        tokio::time::advance(MEMORY_RELEASE_DELAY).await;
        server.send(ServerStatus).await.unwrap();
        assert_eq!(RELEASES.load(Ordering::SeqCst), 1);
        tokio::time::advance(MEMORY_RELEASE_DELAY * 2).await;
        server.send(ServerStatus).await.unwrap();
        assert_eq!(RELEASES.load(Ordering::SeqCst), 1, "one release per burst");

        // A device list that loses a device is a departure too; one that only grows is not.
        let device = |index: u32| DeviceInfo {
            index: DeviceIndex(index),
            name: "Toy".to_string(),
            display_name: None,
            message_timing_gap_ms: 0,
            features: Vec::new(),
            raw_endpoints: None,
        };
        let grown = DeviceManagerEvent::DeviceListChanged(vec![device(0), device(1)]);
        server.send(grown).await.unwrap();
        tokio::time::advance(MEMORY_RELEASE_DELAY * 2).await;
        server.send(ServerStatus).await.unwrap();
        assert_eq!(RELEASES.load(Ordering::SeqCst), 1, "devices only arrived");
        let shrunk = DeviceManagerEvent::DeviceListChanged(vec![device(1)]);
        server.send(shrunk).await.unwrap();
        tokio::time::advance(MEMORY_RELEASE_DELAY * 2).await;
        server.send(ServerStatus).await.unwrap();
        assert_eq!(RELEASES.load(Ordering::SeqCst), 2, "device 0 left");
    }
}

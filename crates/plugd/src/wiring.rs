//! Wiring: starts every actor, binds the sockets and connects them, and tears it all down in
//! the right order (devices stopped before anything closes).

use crate::settings::{HardwareSettings, Settings};
use actix::prelude::*;
use actix_service::ServiceFactory as _;
use actix_web::{dev::ServerHandle, web, App, HttpServer};
use plugd_dcm_serial::SerialDcm;
use plugd_dcm_sim::device_socket::{device_socket_route, DeviceSocketContext};
use plugd_dcm_sim::virtual_device::{VirtualDevice, VirtualDeviceSpec};
use plugd_dcm_sim::SimulatedDcm;
use plugd_device::{
    Availability, DeviceConfig, DeviceManager, RegisterDcm, StartScanning, StopScanning,
};
use plugd_server::{Server, ShutdownServer};
use plugd_transport_ws::client_socket_route;

/// The running server: what shutdown needs.
pub struct Running {
    server: Addr<Server>,
    device_config: Addr<DeviceConfig>,
    http_servers: Vec<ServerHandle>,
}

/// TCP_NODELAY on every accepted socket, plain or TLS: commands are tiny and latency is the
/// product.
fn set_nodelay(connection: &dyn std::any::Any, _: &mut actix_web::dev::Extensions) {
    use actix_tls::accept::rustls_0_23::TlsStream;
    use actix_web::rt::net::TcpStream;
    let stream = connection.downcast_ref::<TcpStream>().or_else(|| {
        connection
            .downcast_ref::<TlsStream<TcpStream>>()
            .map(|tls| tls.get_ref().0)
    });
    if let Some(stream) = stream {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::warn!(%error, "could not set TCP_NODELAY");
        }
    }
}

/// The HTTP/1 service of one listener around an actix-web `App` factory: what actix-web's
/// `HttpServer` builds per listener, built here so both listeners share one worker.
macro_rules! http_service {
    ($app:expr, $address:expr, $secure:expr) => {{
        let address: std::net::SocketAddr = $address;
        let secure: bool = $secure;
        let app = actix_service::ServiceFactoryExt::map_err(
            actix_service::IntoServiceFactory::into_factory($app()),
            |error: actix_web::Error| error.error_response(),
        );
        actix_http::HttpService::build()
            .local_addr(address)
            .client_disconnect_timeout(std::time::Duration::from_secs(1))
            .on_connect_ext(|io: &_, extensions: &mut _| {
                set_nodelay(io as &dyn std::any::Any, extensions)
            })
            .finish(actix_service::map_config(app, move |_| {
                // actix-web's own per-listener settings (its constructor is crate-private).
                actix_web::dev::AppConfig::__priv_test_new(secure, address.to_string(), address)
            }))
    }};
}

/// One connection's service, the same type for plain and TLS listeners.
type ConnectionService = actix_service::boxed::BoxService<actix_web::rt::net::TcpStream, (), ()>;

fn boxed_connection_service<S>(service: S) -> ConnectionService
where
    S: actix_service::Service<actix_web::rt::net::TcpStream, Response = ()> + 'static,
    S::Future: 'static,
{
    actix_service::boxed::service(actix_service::ServiceExt::map_err(service, |_| ()))
}

/// Everything the hot path needs, started on the listeners' worker thread (see [`start`]).
#[derive(Clone)]
struct Core {
    config: Addr<DeviceConfig>,
    device_manager: Addr<DeviceManager>,
    server: Addr<Server>,
    web_state: Option<plugd_web::WebState>,
}

/// What the worker needs to start the core; taken once.
struct CoreParts {
    settings: Settings,
}

/// A listener bound with a backlog fit for thousands of clients arriving at once.
fn listen(address: std::net::SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)?.into_std()
}

/// Pending connections the kernel holds per listener.
const LISTEN_BACKLOG: u32 = 4096;

/// Starts every actor and listener.
///
/// With `--worker-threads 1` (the default) the client WebSocket (with the dashboard and REST
/// routes), the device WebSocket, the Server, the DeviceManager and every Device run on **one**
/// thread: the single worker of the listeners' actix server, which builds them when it starts.
/// A command then goes from the client's frame to the device's bytes without crossing a
/// thread (each crossing is a thread wake-up, tens of microseconds on a VM;
/// docs/benchmarks.md). With N > 1 the core is started here, on the main thread, and the
/// sockets are spread over N workers. Blocking hardware libraries keep their own threads; the
/// web hub and the REST port have theirs.
///
/// # Errors
/// A port that cannot be bound; a failure while the worker starts the core.
pub async fn start(settings: Settings) -> anyhow::Result<Running> {
    let client_address = settings.client_address;
    let client_listener = listen(client_address).map_err(|error| {
        anyhow::anyhow!(
            "cannot listen for clients on {client_address}: {error} (is another Buttplug server running? try --websocket-port)"
        )
    })?;
    let client_address = client_listener.local_addr().unwrap_or(client_address);
    let device_listener = match settings.device_address {
        Some(address) => Some(listen(address).map_err(|error| {
            anyhow::anyhow!(
                "cannot listen for simulated devices on {address}: {error} (try --device-websocket-server-port)"
            )
        })?),
        None => None,
    };
    let device_address = device_listener
        .as_ref()
        .and_then(|listener| listener.local_addr().ok());
    let scheme = if settings.client_tls.is_some() {
        "wss"
    } else {
        "ws"
    };
    let client_tls = settings.client_tls.clone();
    let limits = settings.client_limits;
    let access = settings.client_access.clone();
    let rest_api_address = settings.rest_api_address;
    let workers = settings.worker_threads.max(1);

    let core_cell: std::sync::Arc<tokio::sync::OnceCell<Core>> = Default::default();
    // With several socket threads the core runs on this (the main) thread, started now; with
    // one, that thread starts it below.
    let (prebuilt, parts) = if workers > 1 {
        let core = start_core(CoreParts { settings }).await?;
        let _ = core_cell.set(core.clone());
        (Some(core), None)
    } else {
        (None, Some(CoreParts { settings }))
    };
    let parts = std::sync::Arc::new(std::sync::Mutex::new(parts));
    let (core_sender, core_receiver) = tokio::sync::oneshot::channel::<Core>();
    let core_sender = std::sync::Arc::new(std::sync::Mutex::new(Some(core_sender)));
    // Builds the core on the calling thread (the worker), once, whichever listener asks first.
    let core_on_worker = move || {
        let (parts, core_cell, core_sender) =
            (parts.clone(), core_cell.clone(), core_sender.clone());
        async move {
            core_cell
                .get_or_try_init(|| async move {
                    let parts = parts
                        .lock()
                        .ok()
                        .and_then(|mut parts| parts.take())
                        .ok_or_else(|| "the core was already started".to_string())?;
                    let core = start_core(parts).await.map_err(|error| error.to_string())?;
                    if let Some(sender) = core_sender.lock().ok().and_then(|mut s| s.take()) {
                        let _ = sender.send(core.clone());
                    }
                    Ok::<_, String>(core)
                })
                .await
                .cloned()
        }
    };

    let mut builder = actix_server::Server::build()
        .workers(workers)
        .backlog(LISTEN_BACKLOG)
        .disable_signals();
    {
        let core_on_worker = core_on_worker.clone();
        builder = builder.listen("plugd-clients", client_listener, move || {
            let core_on_worker = core_on_worker.clone();
            let tls = client_tls.clone();
            let access = access.clone();
            actix_service::fn_factory(move || {
                let core_on_worker = core_on_worker.clone();
                let tls = tls.clone();
                let access = access.clone();
                async move {
                    let core = core_on_worker().await.map_err(|error| {
                        tracing::error!(%error, "plugd could not start");
                    })?;
                    let app = move || {
                        let app = App::new()
                            .app_data(web::Data::new(core.server.clone()))
                            .app_data(web::Data::new(limits))
                            .app_data(web::Data::new(access.clone()));
                        // The dashboard, REST API and /metrics beside the client WebSocket:
                        // their routes first, the WebSocket as the default service (any path).
                        let app = match &core.web_state {
                            Some(state) => app.configure(plugd_web::configure(state.clone())),
                            None => app,
                        };
                        app.default_service(web::to(client_socket_route))
                    };
                    match tls {
                        Some(tls) => http_service!(app, client_address, true)
                            .rustls_0_23(tls)
                            .new_service(())
                            .await
                            .map(boxed_connection_service)
                            .map_err(|_| ()),
                        None => http_service!(app, client_address, false)
                            .tcp()
                            .new_service(())
                            .await
                            .map(boxed_connection_service)
                            .map_err(|_| ()),
                    }
                }
            })
        })?;
    }
    if let (Some(listener), Some(address)) = (device_listener, device_address) {
        let core_on_worker = core_on_worker.clone();
        builder = builder.listen("plugd-devices", listener, move || {
            let core_on_worker = core_on_worker.clone();
            actix_service::fn_factory(move || {
                let core_on_worker = core_on_worker.clone();
                async move {
                    let core = core_on_worker().await.map_err(|error| {
                        tracing::error!(%error, "plugd could not start");
                    })?;
                    let context = DeviceSocketContext {
                        config: core.config.clone(),
                        device_manager: core.device_manager.clone(),
                    };
                    let app = move || {
                        App::new()
                            .app_data(web::Data::new(context.clone()))
                            .default_service(web::to(device_socket_route))
                    };
                    http_service!(app, address, false)
                        .tcp()
                        .new_service(())
                        .await
                        .map(boxed_connection_service)
                        .map_err(|_| ())
                }
            })
        })?;
    }
    let listeners = builder.run();
    let mut http_servers = vec![listeners.handle()];
    actix_rt::spawn(listeners);
    let core = match prebuilt {
        Some(core) => core,
        None => core_receiver
            .await
            .map_err(|_| anyhow::anyhow!("plugd could not start (see the log above)"))?,
    };

    tracing::info!("clients: {scheme}://{client_address}/");
    println!("plugd listening: clients {scheme}://{client_address}/");
    let web_scheme = if scheme == "wss" { "https" } else { "http" };
    if core.web_state.is_some() {
        tracing::info!(
            "dashboard: {web_scheme}://{client_address}/ (REST API under /api/v1, /metrics)"
        );
        println!("plugd listening: dashboard {web_scheme}://{client_address}/");
    }
    if let (Some(state), Some(address)) = (&core.web_state, rest_api_address) {
        let state = state.clone();
        let rest_server =
            HttpServer::new(move || App::new().configure(plugd_web::configure(state.clone())))
                .workers(1)
                .disable_signals()
                .on_connect(set_nodelay)
                .bind(address)
                .map_err(|error| {
                    anyhow::anyhow!(
                        "cannot serve the REST API on {address}: {error} (try --rest-api-port)"
                    )
                })?;
        let bound = rest_server.addrs().first().copied().unwrap_or(address);
        let rest_server = rest_server.run();
        http_servers.push(rest_server.handle());
        actix_rt::spawn(rest_server);
        tracing::info!("REST API: http://{bound}/api/v1");
        println!("plugd listening: rest http://{bound}/api/v1");
    }
    if let Some(bound) = device_address {
        tracing::info!("simulated devices: ws://{bound}/");
        println!("plugd listening: devices ws://{bound}/");
    }
    Ok(Running {
        server: core.server,
        device_config: core.config,
        http_servers,
    })
}

/// Starts the actors of the hot path on the current thread (the listeners' worker), the
/// transports, the web state and the virtual devices, in the order start-up needs: transports
/// registered before anything is accepted.
async fn start_core(parts: CoreParts) -> anyhow::Result<Core> {
    let settings = parts.settings;
    let mut device_config = DeviceConfig::new(settings.device_config);
    if let Some(loader) = settings.reload.clone() {
        device_config = device_config.with_loader(loader);
    }
    let config = device_config.start();
    let device_manager = DeviceManager::new(config.clone())
        .with_raw_access(settings.allow_raw)
        .start();
    let server = Server::new(settings.server, device_manager.clone()).start();
    let simulated = SimulatedDcm::new(device_manager.clone()).start();
    device_manager
        .send(plugd_dcm_sim::registration(&simulated))
        .await
        .map_err(|_| anyhow::anyhow!("the device manager stopped during start-up"))?;
    if settings.use_serial {
        let serial = SerialDcm::new(config.clone(), device_manager.clone()).start();
        device_manager
            .send(plugd_dcm_serial::registration(&serial))
            .await
            .map_err(|_| anyhow::anyhow!("the device manager stopped during start-up"))?;
    }
    start_hardware(&settings.hardware, &config, &device_manager).await?;
    let web_state = if settings.web {
        Some(
            plugd_web::start(server.clone(), device_manager.clone())
                .await
                .map_err(|error| anyhow::anyhow!("web dashboard: {error}"))?
                .with_access(settings.client_access.clone())
                .with_user_config(settings.user_device_config_file.clone(), config.clone()),
        )
    } else {
        None
    };
    let mut virtual_devices = Vec::new();
    if settings.demo {
        virtual_devices.extend(demo_devices());
    }
    for entry in settings.user_simulated_devices {
        virtual_devices.push(VirtualDeviceSpec::simulated(
            &entry.identifier,
            &entry.address,
        ));
    }
    for spec in virtual_devices {
        VirtualDevice::connect(spec, config.clone(), device_manager.clone());
    }
    Ok(Core {
        config,
        device_manager,
        server,
        web_state,
    })
}

/// Stands in for a DCM whose subsystem is missing: registered as unavailable (the DeviceManager
/// logs the one line saying why), it is never asked to scan.
struct IdleDcm;

impl Actor for IdleDcm {
    type Context = Context<Self>;
}

impl Handler<StartScanning> for IdleDcm {
    type Result = ();
    fn handle(&mut self, _: StartScanning, _: &mut Self::Context) {}
}

impl Handler<StopScanning> for IdleDcm {
    type Result = ();
    fn handle(&mut self, _: StopScanning, _: &mut Self::Context) {}
}

fn unavailable(name: &'static str, why: String) -> RegisterDcm {
    let idle = IdleDcm.start();
    RegisterDcm {
        name,
        availability: Availability::Unavailable(why),
        start: idle.clone().recipient(),
        stop: idle.recipient(),
    }
}

/// Starts the hardware DCMs the command line asked for and registers each with the
/// DeviceManager — as unavailable, with the reason, when its subsystem is missing (plugd runs
/// on). Opening adapters and dongles happens here, before anything listens.
async fn start_hardware(
    hardware: &HardwareSettings,
    config: &Addr<DeviceConfig>,
    device_manager: &Addr<DeviceManager>,
) -> anyhow::Result<()> {
    let mut registrations = Vec::new();
    if hardware.bluetooth_le {
        registrations.push(
            match plugd_dcm_btle::btleplug_backend::open(hardware.bluetooth_adapter.clone()).await {
                Ok((adapter, description)) => {
                    tracing::info!(dcm = "btle", "Bluetooth LE adapter in use: {description}");
                    let peers = plugd_dcm_btle::DcmPeers::new(config, device_manager);
                    let dcm = plugd_dcm_btle::BtleDcm::new(adapter, peers).start();
                    plugd_dcm_btle::registration(&dcm)
                }
                Err(why) => unavailable("btle", why),
            },
        );
    }
    if hardware.hid {
        let probed = tokio::task::spawn_blocking(plugd_dcm_hid::HidapiBackend::probe)
            .await
            .unwrap_or_else(|error| Err(error.to_string()));
        registrations.push(match probed {
            Ok(backend) => {
                let peers = plugd_dcm_hid::DcmPeers::new(config, device_manager);
                let dcm = plugd_dcm_hid::HidDcm::new(std::sync::Arc::new(backend), peers).start();
                plugd_dcm_hid::registration(&dcm, Availability::Available)
            }
            Err(why) => unavailable(plugd_dcm_hid::manager::DCM_NAME, why),
        });
    }
    if hardware.usb {
        let probed = tokio::task::spawn_blocking(plugd_dcm_usb::RusbBackend::probe)
            .await
            .unwrap_or_else(|error| Err(error.to_string()));
        registrations.push(match probed {
            Ok(backend) => {
                let peers = plugd_dcm_usb::DcmPeers::new(config, device_manager);
                let dcm = plugd_dcm_usb::UsbDcm::new(std::sync::Arc::new(backend), peers).start();
                plugd_dcm_usb::registration(&dcm, Availability::Available)
            }
            Err(why) => unavailable(plugd_dcm_usb::manager::DCM_NAME, why),
        });
    }
    if let Some(hosts) = &hardware.lovense_connect {
        tracing::info!(
            dcm = plugd_dcm_lovense_connect::manager::DCM_NAME,
            apps = %hosts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            "asking these Lovense Connect apps for toys while scanning"
        );
        let peers = plugd_dcm_lovense_connect::DcmPeers::new(config, device_manager);
        let dcm = plugd_dcm_lovense_connect::LovenseConnectDcm::new(hosts.clone(), peers).start();
        registrations.push(plugd_dcm_lovense_connect::registration(&dcm));
    }
    let dongles = [
        hardware
            .lovense_dongle_serial
            .clone()
            .map(|port| plugd_dcm_lovense_dongle::DongleKind::Serial { port }),
        hardware
            .lovense_dongle_hid
            .then_some(plugd_dcm_lovense_dongle::DongleKind::Hid),
    ];
    for kind in dongles.into_iter().flatten() {
        let name = kind.dcm_name();
        registrations.push(match plugd_dcm_lovense_dongle::probe(kind).await {
            Ok(dongle) => {
                let peers = plugd_dcm_lovense_dongle::DcmPeers::new(config, device_manager);
                let dcm =
                    plugd_dcm_lovense_dongle::LovenseDongleDcm::new(name, dongle, peers).start();
                plugd_dcm_lovense_dongle::registration(&dcm, name)
            }
            Err(why) => unavailable(name, why),
        });
    }
    for registration in registrations {
        device_manager
            .send(registration)
            .await
            .map_err(|_| anyhow::anyhow!("the device manager stopped during start-up"))?;
    }
    Ok(())
}

/// `--demo`: two Lovense toys and the simulated devices of the database.
fn demo_devices() -> Vec<VirtualDeviceSpec> {
    vec![
        VirtualDeviceSpec::lovense("LVS-Edge37", "P", "demo-lovense-edge"),
        VirtualDeviceSpec::lovense("LVS-Nora12", "A", "demo-lovense-nora"),
        VirtualDeviceSpec::simulated("simulated-2vibe", "demo-simulated-2vibe"),
        VirtualDeviceSpec::simulated("simulated-rotator", "demo-simulated-rotator"),
        VirtualDeviceSpec::simulated("simulated-stroker", "demo-simulated-stroker"),
    ]
}

impl Running {
    /// The DeviceConfig actor: send it `plugd_device::ReloadDeviceConfig` to re-read the device
    /// database and the user config (what SIGHUP does; the REST API's reload calls the same).
    pub fn device_config(&self) -> Addr<DeviceConfig> {
        self.device_config.clone()
    }

    /// Stops every device (the stop bytes are handed to each transport first), closes every
    /// client, then stops the listeners.
    pub async fn shutdown(self) {
        if self.server.send(ShutdownServer).await.is_err() {
            tracing::warn!("server actor already gone at shutdown");
        }
        for handle in self.http_servers {
            handle.stop(true).await;
        }
        tracing::info!("plugd stopped");
    }
}

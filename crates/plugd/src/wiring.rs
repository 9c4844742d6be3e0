//! Wiring: starts every actor, binds the sockets and connects them, and tears it all down in
//! the right order (devices stopped before anything closes).

use crate::settings::{HardwareSettings, Settings};
use actix::prelude::*;
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

fn worker_count() -> usize {
    std::thread::available_parallelism()
        .map(|count| count.get())
        .unwrap_or(1)
        .clamp(1, 8)
}

/// Starts every actor and listener.
///
/// # Errors
/// A port that cannot be bound.
pub async fn start(settings: Settings) -> anyhow::Result<Running> {
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

    let mut http_servers = Vec::new();
    let limits = settings.client_limits;
    let access = settings.client_access.clone();
    let scheme = if settings.client_tls.is_some() {
        "wss"
    } else {
        "ws"
    };
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
    let client_server = {
        let server = server.clone();
        let web_state = web_state.clone();
        let http = HttpServer::new(move || {
            let app = App::new()
                .app_data(web::Data::new(server.clone()))
                .app_data(web::Data::new(limits))
                .app_data(web::Data::new(access.clone()));
            // The dashboard, REST API and /metrics beside the client WebSocket: their routes
            // first, the WebSocket as the default service (any path, as before).
            let app = match &web_state {
                Some(state) => app.configure(plugd_web::configure(state.clone())),
                None => app,
            };
            app.default_service(web::to(client_socket_route))
        })
        .workers(worker_count())
        .disable_signals()
        .on_connect(set_nodelay);
        match settings.client_tls {
            Some(tls) => http.bind_rustls_0_23(settings.client_address, tls),
            None => http.bind(settings.client_address),
        }
        .map_err(|error| {
            anyhow::anyhow!(
                "cannot listen for clients on {}: {error} (is another Buttplug server running? try --websocket-port)",
                settings.client_address
            )
        })?
    };
    let client_address = client_server
        .addrs()
        .first()
        .copied()
        .unwrap_or(settings.client_address);
    let client_server = client_server.run();
    http_servers.push(client_server.handle());
    actix_rt::spawn(client_server);
    tracing::info!("clients: {scheme}://{client_address}/");
    println!("plugd listening: clients {scheme}://{client_address}/");
    let web_scheme = if scheme == "wss" { "https" } else { "http" };
    if web_state.is_some() {
        tracing::info!(
            "dashboard: {web_scheme}://{client_address}/ (REST API under /api/v1, /metrics)"
        );
        println!("plugd listening: dashboard {web_scheme}://{client_address}/");
    }
    if let (Some(state), Some(address)) = (&web_state, settings.rest_api_address) {
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

    if let Some(address) = settings.device_address {
        let context = DeviceSocketContext {
            config: config.clone(),
            device_manager: device_manager.clone(),
        };
        let device_server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(context.clone()))
                .default_service(web::to(device_socket_route))
        })
        .workers(worker_count())
        .disable_signals()
        .on_connect(set_nodelay)
        .bind(address)
        .map_err(|error| {
            anyhow::anyhow!(
                "cannot listen for simulated devices on {address}: {error} (try --device-websocket-server-port)"
            )
        })?;
        let bound = device_server.addrs().first().copied().unwrap_or(address);
        let device_server = device_server.run();
        http_servers.push(device_server.handle());
        actix_rt::spawn(device_server);
        tracing::info!("simulated devices: ws://{bound}/");
        println!("plugd listening: devices ws://{bound}/");
    }

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

    Ok(Running {
        server,
        device_config: config,
        http_servers,
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

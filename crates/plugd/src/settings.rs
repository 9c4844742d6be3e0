//! Settings resolved from the command line: addresses to bind, the loaded device database and
//! user config, which transports run. Loading happens here so a bad file stops plugd before
//! anything listens.

use crate::cli::Cli;
use anyhow::Context;
use plugd_config::{DeviceConfigStore, DeviceDatabase, SimulatedDeviceEntry, UserConfig};
use plugd_server::ServerSettings;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Everything the wiring needs.
pub struct Settings {
    /// Where clients connect.
    pub client_address: SocketAddr,
    /// Where simulated devices connect, if enabled.
    pub device_address: Option<SocketAddr>,
    /// Server name and ping time.
    pub server: ServerSettings,
    /// Database and user config.
    pub device_config: DeviceConfigStore,
    /// Virtual devices from the user config (`simulated_devices`).
    pub user_simulated_devices: Vec<SimulatedDeviceEntry>,
    /// Start the demo devices.
    pub demo: bool,
    /// Run the serial DCM (`--use-serial`).
    pub use_serial: bool,
    /// Let raw messages through (`--allow-raw`).
    pub allow_raw: bool,
}

impl Settings {
    /// Resolves the command line.
    ///
    /// # Errors
    /// A device-config file that cannot be read or parsed.
    pub fn from_cli(cli: &Cli) -> anyhow::Result<Self> {
        let unavailable: Vec<&str> = [
            (cli.use_bluetooth_le, "--use-bluetooth-le"),
            (cli.use_hid, "--use-hid"),
            (cli.use_lovense_connect, "--use-lovense-connect"),
            (cli.use_lovense_dongle_serial, "--use-lovense-dongle-serial"),
            (cli.use_lovense_dongle_hid, "--use-lovense-dongle-hid"),
        ]
        .into_iter()
        .filter_map(|(set, flag)| set.then_some(flag))
        .collect();
        if !unavailable.is_empty() {
            // Intiface Central passes these by default; refusing to start would break drop-in
            // use, so the transport stays idle with one clear line instead.
            tracing::warn!(
                "{} requested, but this build has no such transport yet: only simulated devices \
                 (device WebSocket, --demo, user-config simulated_devices) are available",
                unavailable.join(", ")
            );
        }
        if cli.allow_raw {
            tracing::warn!(
                "--allow-raw: raw messages are enabled. Clients can write any bytes to any device \
                 endpoint, bypassing every range check; use this only for development"
            );
        }
        let host = if cli.websocket_use_all_interfaces {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        };
        let database = match &cli.device_config_file {
            Some(path) => DeviceDatabase::from_file(path)
                .with_context(|| format!("loading device config {}", path.display()))?,
            None => DeviceDatabase::builtin(),
        };
        let user = match &cli.user_device_config_file {
            Some(path) => Some(
                UserConfig::from_file(path)
                    .with_context(|| format!("loading user device config {}", path.display()))?,
            ),
            None => None,
        };
        let user_simulated_devices = user
            .as_ref()
            .map(|user| user.simulated_devices().to_vec())
            .unwrap_or_default();
        let (major, minor) = database.version();
        tracing::info!(
            version = format!("{major}.{minor}"),
            protocols = database.protocol_count(),
            configurations = database.configuration_count(),
            source = cli
                .device_config_file
                .as_ref()
                .map(|path| path.display().to_string())
                .unwrap_or_else(|| "built-in".to_string()),
            "device database loaded"
        );
        Ok(Settings {
            client_address: SocketAddr::new(host, cli.websocket_port),
            device_address: cli.use_device_websocket_server.then(|| {
                SocketAddr::new(
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                    cli.device_websocket_server_port,
                )
            }),
            server: ServerSettings {
                server_name: cli.server_name.clone(),
                max_ping_time: Duration::from_millis(u64::from(cli.max_ping_time)),
            },
            device_config: DeviceConfigStore::new(database, user),
            user_simulated_devices,
            demo: cli.demo,
            use_serial: cli.use_serial,
            allow_raw: cli.allow_raw,
        })
    }
}

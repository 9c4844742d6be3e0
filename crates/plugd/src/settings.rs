//! Settings resolved from the command line: addresses to bind, the loaded device database and
//! user config, which transports run. Loading happens here so a bad file stops plugd before
//! anything listens; [`load_device_config`] is also what a reload runs. The data folder
//! ([`data_dir`]) holds the database `plugd device-config update` installs.

use crate::cli::Cli;
use anyhow::Context;
use plugd_config::{DeviceConfigStore, DeviceDatabase, SimulatedDeviceEntry, UserConfig};
use plugd_server::session::MessageLimits;
use plugd_server::ServerSettings;
use plugd_transport_ws::{AccessPolicy, SessionLimits};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Everything the wiring needs.
pub struct Settings {
    /// Where clients connect.
    pub client_address: SocketAddr,
    /// Where simulated devices connect, if enabled.
    pub device_address: Option<SocketAddr>,
    /// Threads for the sockets (`--worker-threads`); 1: everything on one thread.
    pub worker_threads: usize,
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
    /// Which hardware DCMs run (BLE, HID, USB, Lovense Connect, Lovense dongles).
    pub hardware: HardwareSettings,
    /// Client connection limits (`--max-frame-bytes`, `--max-messages-per-*`, timeouts).
    pub client_limits: SessionLimits,
    /// Who may connect (`--auth-token`, `--allowed-origin`).
    pub client_access: AccessPolicy,
    /// TLS for the client listener (`--tls-cert`, `--tls-key`), loaded and checked.
    pub client_tls: Option<rustls::ServerConfig>,
    /// Serve the dashboard, REST API and /metrics beside the client WebSocket (not `--no-web`).
    pub web: bool,
    /// A port of their own as well (`--rest-api-port`).
    pub rest_api_address: Option<SocketAddr>,
    /// `--user-device-config-file`: where the dashboard writes allow/deny.
    pub user_device_config_file: Option<PathBuf>,
    /// How the DeviceConfig actor re-reads its files on a reload (SIGHUP, REST); set by main.
    pub reload: Option<plugd_device::StoreLoader>,
}

/// The client limits from the command line.
fn client_limits(cli: &Cli) -> SessionLimits {
    let hardening = &cli.hardening;
    SessionLimits {
        max_frame_bytes: hardening.max_frame_bytes,
        heartbeat_interval: Duration::from_secs(hardening.heartbeat_interval),
        heartbeat_timeout: Duration::from_secs(hardening.heartbeat_timeout),
        handshake_timeout: Duration::from_secs(hardening.handshake_timeout),
        messages: MessageLimits {
            max_messages_per_frame: hardening.max_messages_per_frame,
            max_messages_per_second: hardening.max_messages_per_second,
            max_subscriptions: hardening.max_subscriptions_per_client,
        },
    }
}

/// Reads a PEM certificate chain and private key into a rustls server configuration.
///
/// # Errors
/// A file that cannot be read, holds no certificate or key, or a key that does not fit.
pub fn load_tls(cert: &Path, key: &Path) -> anyhow::Result<rustls::ServerConfig> {
    use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading --tls-cert {}", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("--tls-cert {}: no PEM certificate in it", cert.display());
    }
    let private_key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("reading --tls-key {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .with_context(|| {
            format!(
                "--tls-cert {} and --tls-key {} do not make a usable pair",
                cert.display(),
                key.display()
            )
        })
}

/// The hardware DCMs the command line turns on, with their options. All off by default, as
/// with Intiface Engine: each transport is asked for by its switch (docs/hardware.md).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HardwareSettings {
    /// `--use-bluetooth-le`.
    pub bluetooth_le: bool,
    /// `--bluetooth-adapter`: part of the adapter's name.
    pub bluetooth_adapter: Option<String>,
    /// `--use-hid`.
    pub hid: bool,
    /// `--use-usb`.
    pub usb: bool,
    /// `--use-lovense-connect`: the apps' addresses (the default one when none was given).
    pub lovense_connect: Option<Vec<plugd_dcm_lovense_connect::BaseUrl>>,
    /// `--use-lovense-dongle-serial`, with `--lovense-dongle-port` when given.
    pub lovense_dongle_serial: Option<Option<String>>,
    /// `--use-lovense-dongle-hid`.
    pub lovense_dongle_hid: bool,
}

impl HardwareSettings {
    /// Reads the hardware switches.
    ///
    /// # Errors
    /// A `--lovense-connect-address` that is not `http://host:port`.
    pub fn from_cli(cli: &Cli) -> anyhow::Result<Self> {
        let lovense_connect = if cli.use_lovense_connect {
            let given: Vec<&str> = if cli.lovense_connect_address.is_empty() {
                vec![plugd_dcm_lovense_connect::DEFAULT_ADDRESS]
            } else {
                cli.lovense_connect_address
                    .iter()
                    .map(String::as_str)
                    .collect()
            };
            let parsed = given
                .into_iter()
                .map(|address| {
                    plugd_dcm_lovense_connect::BaseUrl::parse(address)
                        .with_context(|| "--lovense-connect-address".to_string())
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Some(parsed)
        } else {
            None
        };
        Ok(HardwareSettings {
            bluetooth_le: cli.use_bluetooth_le,
            bluetooth_adapter: cli.bluetooth_adapter.clone(),
            hid: cli.use_hid,
            usb: cli.use_usb,
            lovense_connect,
            lovense_dongle_serial: cli
                .use_lovense_dongle_serial
                .then(|| cli.lovense_dongle_port.clone()),
            lovense_dongle_hid: cli.use_lovense_dongle_hid,
        })
    }
}

impl Settings {
    /// Resolves the command line.
    ///
    /// # Errors
    /// A device-config file that cannot be read or parsed.
    pub fn from_cli(cli: &Cli) -> anyhow::Result<Self> {
        let hardware = HardwareSettings::from_cli(cli)?;
        if cli.allow_raw {
            tracing::warn!(
                "--allow-raw: raw messages are enabled. Clients can write any bytes to any device \
                 endpoint, bypassing every range check; use this only for development"
            );
        }
        let hardening = &cli.hardening;
        if cli.websocket_use_all_interfaces && hardening.auth_token.is_none() {
            tracing::warn!(
                "--websocket-use-all-interfaces without --auth-token: anyone who can reach port {} \
                 can drive your devices",
                cli.websocket_port
            );
        } else if cli.websocket_use_all_interfaces && hardening.tls_cert.is_none() {
            tracing::warn!(
                "--websocket-use-all-interfaces without --tls-cert: the token and every command \
                 cross the network unencrypted"
            );
        }
        let client_tls = match (&hardening.tls_cert, &hardening.tls_key) {
            (Some(cert), Some(key)) => Some(load_tls(cert, key)?),
            (None, None) => None,
            _ => anyhow::bail!("--tls-cert and --tls-key go together"),
        };
        let client_access =
            AccessPolicy::new(hardening.auth_token.clone(), &hardening.allowed_origin);
        let host = if cli.websocket_use_all_interfaces {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        };
        let loaded = load_device_config(cli)?;
        tracing::info!(summary = %loaded.summary, "device config loaded");
        Ok(Settings {
            client_address: SocketAddr::new(host, cli.websocket_port),
            worker_threads: usize::from(cli.worker_threads),
            device_address: cli.use_device_websocket_server.then(|| {
                SocketAddr::new(
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                    cli.device_websocket_server_port,
                )
            }),
            server: ServerSettings {
                server_name: cli.server_name.clone(),
                max_ping_time: Duration::from_millis(u64::from(cli.max_ping_time)),
                max_clients: (cli.max_clients > 0).then_some(cli.max_clients),
                // EX_SOFTWARE: an internal failure; systemd's Restart=on-failure starts it again.
                exit_code_on_failure: Some(70),
                release_memory: Some(release_freed_memory),
            },
            device_config: loaded.store,
            user_simulated_devices: loaded.simulated_devices,
            demo: cli.demo,
            use_serial: cli.use_serial,
            allow_raw: cli.allow_raw,
            hardware,
            client_limits: client_limits(cli),
            client_access,
            client_tls,
            web: !cli.no_web,
            user_device_config_file: cli.user_device_config_file.clone(),
            rest_api_address: cli
                .rest_api_port
                .filter(|_| !cli.no_web)
                .map(|port| SocketAddr::new(host, port)),
            reload: None,
        })
    }
}

/// The installed device database's file name inside the data folder.
pub const INSTALLED_DATABASE: &str = "device-config.json";

/// plugd's data folder: `flag` (`--data-dir`), else `$XDG_DATA_HOME/plugd`, else
/// `$HOME/.local/share/plugd`; `None` when none of them is set.
pub fn data_dir(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(flag) = flag {
        return Some(flag.to_path_buf());
    }
    let xdg = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute());
    if let Some(xdg) = xdg {
        return Some(xdg.join("plugd"));
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .map(|home| home.join(".local/share/plugd"))
}

/// Which device database plugd uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseSource {
    /// `--device-config-file`.
    Given(PathBuf),
    /// The one `plugd device-config update` installed in the data folder.
    Installed(PathBuf),
    /// The one compiled in.
    BuiltIn,
}

impl DatabaseSource {
    /// `--device-config-file`, else the installed database if there is one, else the built-in.
    pub fn choose(given: Option<&Path>, data_dir: Option<&Path>) -> DatabaseSource {
        if let Some(given) = given {
            return DatabaseSource::Given(given.to_path_buf());
        }
        match data_dir.map(|folder| folder.join(INSTALLED_DATABASE)) {
            Some(installed) if installed.exists() => DatabaseSource::Installed(installed),
            _ => DatabaseSource::BuiltIn,
        }
    }

    /// Loads it.
    ///
    /// # Errors
    /// A file that cannot be read or does not load; the message names the file, the line and
    /// the path inside it.
    pub fn load(&self) -> anyhow::Result<DeviceDatabase> {
        match self {
            DatabaseSource::Given(path) => DeviceDatabase::from_file(path)
                .with_context(|| format!("loading device config {}", path.display())),
            DatabaseSource::Installed(path) => DeviceDatabase::from_file(path).with_context(|| {
                format!(
                    "loading the installed device database {} (install a good one with `plugd device-config update --from FILE`, or remove it to use the built-in one)",
                    path.display()
                )
            }),
            DatabaseSource::BuiltIn => Ok(DeviceDatabase::builtin()),
        }
    }
}

impl std::fmt::Display for DatabaseSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseSource::Given(path) => write!(formatter, "{}", path.display()),
            DatabaseSource::Installed(path) => write!(formatter, "installed {}", path.display()),
            DatabaseSource::BuiltIn => formatter.write_str("built-in"),
        }
    }
}

/// The device database and user config the command line names, loaded and layered.
pub struct LoadedDeviceConfig {
    /// Both, layered.
    pub store: DeviceConfigStore,
    /// The user config's `simulated_devices`.
    pub simulated_devices: Vec<SimulatedDeviceEntry>,
    /// One line: what was loaded from where.
    pub summary: String,
}

/// Loads the device database (`--device-config-file`, else the installed one, else the
/// built-in) and the user config (`--user-device-config-file`). At start and on every reload.
///
/// # Errors
/// A file that cannot be read or does not load, named with its line and path.
pub fn load_device_config(cli: &Cli) -> anyhow::Result<LoadedDeviceConfig> {
    let source = DatabaseSource::choose(
        cli.device_config_file.as_deref(),
        data_dir(cli.data_dir.as_deref()).as_deref(),
    );
    let database = source.load()?;
    let user = match &cli.user_device_config_file {
        Some(path) => Some(
            UserConfig::from_file(path)
                .with_context(|| format!("loading user device config {}", path.display()))?,
        ),
        None => None,
    };
    let (major, minor) = database.version();
    let mut summary = format!(
        "device database {source}: version {major}.{minor}, {} protocols, {} configurations",
        database.protocol_count(),
        database.configuration_count()
    );
    if let (Some(path), Some(user)) = (&cli.user_device_config_file, &user) {
        summary.push_str(&format!(
            "; user config {}: {} device entries",
            path.display(),
            user.device_entry_count()
        ));
    }
    let simulated_devices = user
        .as_ref()
        .map(|user| user.simulated_devices().to_vec())
        .unwrap_or_default();
    let store = DeviceConfigStore::new(database, user);
    Ok(LoadedDeviceConfig {
        store,
        simulated_devices,
        summary,
    })
}

/// Gives the memory freed by departed clients and devices back to the OS: glibc's `malloc`
/// keeps freed pages inside its heap (only the top is returned by `free`), so without this a
/// churn of toys and clients leaves RSS at its high-water mark (docs/benchmarks.md, "Device
/// churn"). `malloc_trim(0)` also releases free pages in the middle of the heap.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own heap under its locks; no pointer is passed.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod data_folder_tests {
    use super::*;

    #[test]
    fn the_flag_wins_and_an_installed_database_is_preferred_to_the_built_in_one() {
        let folder = std::env::temp_dir().join(format!("plugd-data-dir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        assert_eq!(data_dir(Some(&folder)), Some(folder.clone()));
        assert_eq!(
            DatabaseSource::choose(None, Some(&folder)),
            DatabaseSource::BuiltIn
        );
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(INSTALLED_DATABASE), "{}").unwrap();
        assert_eq!(
            DatabaseSource::choose(None, Some(&folder)),
            DatabaseSource::Installed(folder.join(INSTALLED_DATABASE))
        );
        let given = Path::new("/elsewhere.json");
        assert_eq!(
            DatabaseSource::choose(Some(given), Some(&folder)),
            DatabaseSource::Given(given.to_path_buf())
        );
        let error = DatabaseSource::choose(None, Some(&folder))
            .load()
            .unwrap_err();
        assert!(
            format!("{error:#}").contains(INSTALLED_DATABASE),
            "{error:#}"
        );
        let _ = std::fs::remove_dir_all(&folder);
    }
}

//! The command line, as typed: Intiface Engine's flags where plugd has the feature (same names,
//! same meaning), plus plugd's own. Resolved into `Settings` by `settings.rs`. Intiface Engine
//! flags plugd does not implement are accepted by the parser and refused by [`Cli::refused`]
//! with one line saying why. `plugd device-config ...` are the database tools
//! (`device_config_tool.rs`); `--config FILE` reads every option from a TOML file
//! (`config_file.rs`).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// plugd: a Buttplug server. Clients connect over WebSocket (spec v0–v4); devices are found by
/// the enabled transports and identified from the device database.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "plugd",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    args_override_self = true
)]
pub struct Cli {
    /// A tool instead of the server; without one, plugd runs the server.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Read options from this TOML file (keys are the long flag names: `websocket-port = 12345`,
    /// `use-bluetooth-le = true`); flags on the command line win. Example:
    /// config/plugd.example.toml. Reloaded on SIGHUP.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// plugd's data folder: where `plugd device-config update` installs a device database,
    /// used instead of the built-in one. Default: $XDG_DATA_HOME/plugd, else
    /// ~/.local/share/plugd.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Print the version and exit (Intiface Engine's spelling of --version).
    #[arg(long)]
    pub server_version: bool,

    /// Intiface Engine flags plugd refuses, each with its reason.
    #[command(flatten)]
    pub intiface_only: IntifaceOnly,
    /// Port of the client WebSocket (Buttplug JSON).
    #[arg(long, default_value_t = 12345, value_name = "PORT")]
    pub websocket_port: u16,

    /// Listen on every interface instead of 127.0.0.1. Anyone who can reach the port can drive
    /// your devices: use --auth-token (and --tls-cert/--tls-key) with it; plugd warns without.
    #[arg(long)]
    pub websocket_use_all_interfaces: bool,

    /// Limits and access rules for client connections (docs/security.md).
    #[command(flatten)]
    pub hardening: HardeningArgs,

    /// ServerName sent in ServerInfo.
    #[arg(long, default_value = "Buttplug Server", value_name = "NAME")]
    pub server_name: String,

    /// Milliseconds a client may go without sending Ping before its devices are stopped and it
    /// is disconnected. 0 turns the check off.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub max_ping_time: u32,

    /// Most clients connected at once; one more gets an Error and is closed. 0: no limit.
    /// 1 behaves like Intiface Engine, which serves one client at a time.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub max_clients: usize,

    /// Threads serving the client and device sockets. 1 (the default): sockets, routing and
    /// every device share one thread, so a command never waits for another thread to wake up
    /// (lowest latency; one core's worth of work, plenty for a home and for 1,000 clients at
    /// 20 commands/s). N > 1: the sockets are spread over N threads and routing and devices
    /// run on the main thread — more throughput with thousands of busy clients, at the cost of
    /// two thread hand-offs per command (docs/benchmarks.md).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub worker_threads: u16,

    /// Device database to use instead of the built-in one (published v4 or v5 format).
    #[arg(long, value_name = "FILE")]
    pub device_config_file: Option<PathBuf>,

    /// User device config: extra specifiers, allow/deny, reserved indices, display names,
    /// ranges, disabled features, simulated devices.
    #[arg(long, value_name = "FILE")]
    pub user_device_config_file: Option<PathBuf>,

    /// Accept simulated devices on the device WebSocket (docs/simulated-devices.md).
    #[arg(long)]
    pub use_device_websocket_server: bool,

    /// Port of the device WebSocket.
    #[arg(long, default_value_t = 54817, value_name = "PORT")]
    pub device_websocket_server_port: u16,

    /// Start with in-process demo devices (two Lovense toys and the simulated devices of the
    /// database) that log every command they receive.
    #[arg(long)]
    pub demo: bool,

    /// Allow raw messages (v2/v3 RawWriteCmd, RawReadCmd, RawSubscribeCmd, RawUnsubscribeCmd):
    /// clients may then write any bytes to any endpoint of any device. DANGEROUS: raw messages
    /// bypass every range check and can put a device in any state; only for development.
    /// Devices are then listed with their endpoints and the name suffix "(Raw Messages Allowed)".
    #[arg(long)]
    pub allow_raw: bool,

    /// Also serve the REST API (`/api/v1`, the reference server's routes), `/metrics` and the
    /// dashboard on this port (127.0.0.1, or every interface with
    /// --websocket-use-all-interfaces). They are always served on the client WebSocket's port.
    #[arg(long, value_name = "PORT")]
    pub rest_api_port: Option<u16>,

    /// Do not serve the dashboard, REST API and /metrics on the client WebSocket's port (nor
    /// on --rest-api-port).
    #[arg(long)]
    pub no_web: bool,

    /// Log level: error, warn, info, debug or trace (RUST_LOG overrides it).
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    pub log: String,

    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Find Bluetooth LE devices (BlueZ over D-Bus on Linux). A device that drops is
    /// reconnected as soon as it advertises again, with its old index.
    #[arg(long)]
    pub use_bluetooth_le: bool,

    /// With several Bluetooth adapters, use the one whose name contains NAME (`hci1`); the log
    /// says which adapter is in use. Default: the first.
    #[arg(long, value_name = "NAME")]
    pub bluetooth_adapter: Option<String>,

    /// Look for devices on the serial ports that serial specifiers name (the user config gives
    /// a protocol a `serial` specifier with the port, as with Intiface).
    #[arg(long)]
    pub use_serial: bool,

    /// Find USB HID devices whose VID/PID a `hid` specifier names (hidraw on Linux).
    #[arg(long)]
    pub use_hid: bool,

    /// Find raw USB devices whose VID/PID a `usb` specifier names (libusb). plugd's own switch.
    #[arg(long)]
    pub use_usb: bool,

    /// Drive the toys the Lovense Connect app holds, through its local HTTP API.
    #[arg(long)]
    pub use_lovense_connect: bool,

    /// Where a Lovense Connect app listens (`http://192.168.1.20:20010`, the address the app
    /// shows); repeat for several. Default: Lovense Connect for PC on this machine,
    /// http://127.0.0.1:20010. plugd never asks Lovense's servers where the app is.
    #[arg(long, value_name = "URL")]
    pub lovense_connect_address: Vec<String>,

    /// Use the Lovense USB dongle, serial variant (found by its USB ids 1a86:7523).
    #[arg(long)]
    pub use_lovense_dongle_serial: bool,

    /// The serial Lovense dongle's port, when it cannot be found by its USB ids.
    #[arg(long, value_name = "PATH")]
    pub lovense_dongle_port: Option<String>,

    /// Use the Lovense USB dongle, HID variant (USB ids 1915:520a).
    #[arg(long)]
    pub use_lovense_dongle_hid: bool,
}

/// Intiface Engine flags plugd does not implement. They parse, so a launcher that passes them
/// gets a clear reason instead of "unexpected argument"; [`Cli::refused`] turns each into that
/// one-line reason and plugd does not start.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Intiface Engine flags plugd refuses (plugd stops, saying why)")]
pub struct IntifaceOnly {
    /// Not supported: XInput is a Windows API; plugd has no XInput transport.
    #[arg(long)]
    pub use_xinput: bool,
    /// Not supported: plugd listens for clients, it does not connect out to one.
    #[arg(long, value_name = "ADDRESS")]
    pub websocket_client_address: Option<String>,
    /// Not supported: plugd has no Intiface Central frontend channel.
    #[arg(long, value_name = "PORT")]
    pub frontend_websocket_port: Option<u16>,
    /// Not supported: plugd does not advertise itself over mDNS.
    #[arg(long)]
    pub broadcast_server_mdns: bool,
    /// Not supported: plugd does not advertise itself over mDNS.
    #[arg(long, value_name = "SUFFIX")]
    pub mdns_suffix: Option<String>,
    /// Not supported: plugd has no repeater mode.
    #[arg(long)]
    pub repeater: bool,
    /// Not supported: plugd has no repeater mode.
    #[arg(long, value_name = "PORT")]
    pub repeater_port: Option<u16>,
    /// Not supported: a crash switch of Intiface Engine's debug builds.
    #[arg(long)]
    pub crash_main_thread: bool,
    /// Not supported: a crash switch of Intiface Engine's debug builds.
    #[arg(long)]
    pub crash_task_thread: bool,
}

impl Cli {
    /// The first Intiface Engine flag given that plugd refuses, as the one line that says why.
    pub fn refused(&self) -> Option<String> {
        let given = &self.intiface_only;
        let reasons: [(bool, &str, &str); 9] = [
            (
                given.use_xinput,
                "--use-xinput",
                "XInput is a Windows API and plugd has no XInput transport",
            ),
            (
                given.websocket_client_address.is_some(),
                "--websocket-client-address",
                "plugd only listens for clients (--websocket-port); it does not connect out to a WebSocket server",
            ),
            (
                given.frontend_websocket_port.is_some(),
                "--frontend-websocket-port",
                "plugd has no Intiface Central frontend channel; read its log (--log-format json) instead",
            ),
            (
                given.broadcast_server_mdns,
                "--broadcast-server-mdns",
                "plugd does not advertise itself over mDNS; give clients its address",
            ),
            (
                given.mdns_suffix.is_some(),
                "--mdns-suffix",
                "plugd does not advertise itself over mDNS; give clients its address",
            ),
            (
                given.repeater,
                "--repeater",
                "plugd has no repeater mode; clients connect to it directly (docs/operations.md shows a reverse proxy)",
            ),
            (
                given.repeater_port.is_some(),
                "--repeater-port",
                "plugd has no repeater mode; clients connect to it directly (docs/operations.md shows a reverse proxy)",
            ),
            (
                given.crash_main_thread,
                "--crash-main-thread",
                "a crash switch of Intiface Engine's debug builds; plugd has none",
            ),
            (
                given.crash_task_thread,
                "--crash-task-thread",
                "a crash switch of Intiface Engine's debug builds; plugd has none",
            ),
        ];
        reasons
            .iter()
            .find(|(set, _, _)| *set)
            .map(|(_, flag, why)| format!("{flag} is not supported: {why}"))
    }
}

/// plugd's tools.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Check, compare and install device databases and user device configs.
    #[command(subcommand)]
    DeviceConfig(DeviceConfigCommand),
}

/// `plugd device-config ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum DeviceConfigCommand {
    /// Check a device database or user device config (published v4/v5 format) against the
    /// format and plugd's rules; errors name the line and the path inside the file. A user
    /// config is also checked against a database (the installed or built-in one, or
    /// --device-config-file).
    Check {
        /// The file to check.
        file: PathBuf,
        /// The database a user config is checked against.
        #[arg(long, value_name = "FILE")]
        device_config_file: Option<PathBuf>,
        /// The data folder whose installed database a user config is checked against.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Show what changes from OLD to NEW: protocols and devices added, removed, changed.
    Diff {
        /// The file before.
        old: PathBuf,
        /// The file after.
        new: PathBuf,
    },
    /// Check a device database, show what changes from the one in use (installed, else
    /// built-in), and install it atomically in the data folder; plugd then uses it instead of
    /// the built-in one (a running plugd on SIGHUP).
    Update {
        /// The new device database.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The data folder to install into (default as for the server: $XDG_DATA_HOME/plugd,
        /// else ~/.local/share/plugd).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Check and show the changes, install nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Limits and access rules for client connections; docs/security.md says why each default.
#[derive(Debug, Clone, clap::Args)]
pub struct HardeningArgs {
    /// Largest WebSocket frame a client may send; a bigger one gets an Error and a close.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_frame_bytes: usize,

    /// Most Buttplug messages in one frame; a longer frame is refused whole with an Error.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max_messages_per_frame: usize,

    /// Most messages one client may send per second (0: no limit). Messages over it get an
    /// Error; a client over it 3 seconds in a row is closed. Stop messages always pass.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub max_messages_per_second: u32,

    /// Most input (and raw) subscriptions one client may hold at once.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub max_subscriptions_per_client: usize,

    /// Seconds a new connection has to send RequestServerInfo before it is closed.
    #[arg(long, default_value_t = 10, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub handshake_timeout: u64,

    /// Seconds between WebSocket pings to each client.
    #[arg(long, default_value_t = 5, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat_interval: u64,

    /// Seconds a client may stay silent (no frame, no pong) before it is dropped and its
    /// devices stopped; noticed within this plus --heartbeat-interval.
    #[arg(long, default_value_t = 15, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat_timeout: u64,

    /// Require this shared secret from every client: ws://host:port/?token=TOKEN or
    /// ws://host:port/TOKEN. Without it clients get HTTP 401.
    #[arg(long, value_name = "TOKEN")]
    pub auth_token: Option<String>,

    /// Let web pages from this origin connect (`https://app.example`; repeatable; `*` for any).
    /// Clients without an Origin header (native apps) and pages from localhost are always let
    /// in; other pages get HTTP 403, so a site you happen to open cannot drive your devices.
    #[arg(long, value_name = "ORIGIN")]
    pub allowed_origin: Vec<String>,

    /// Serve clients over TLS (wss://) with this PEM certificate chain; needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn hardware_switches_are_off_by_default_and_take_their_options() {
        let cli = Cli::parse_from(["plugd"]);
        assert!(!cli.use_bluetooth_le && !cli.use_hid && !cli.use_usb && !cli.use_lovense_connect);
        assert!(!cli.use_lovense_dongle_serial && !cli.use_lovense_dongle_hid);
        let cli = Cli::parse_from([
            "plugd",
            "--use-bluetooth-le",
            "--bluetooth-adapter",
            "hci1",
            "--use-lovense-connect",
            "--lovense-connect-address",
            "http://10.0.0.5:20010",
            "--lovense-connect-address",
            "http://10.0.0.6:20010",
            "--use-lovense-dongle-serial",
            "--lovense-dongle-port",
            "/dev/ttyUSB0",
        ]);
        assert_eq!(cli.bluetooth_adapter.as_deref(), Some("hci1"));
        assert_eq!(cli.lovense_connect_address.len(), 2);
        assert_eq!(cli.lovense_dongle_port.as_deref(), Some("/dev/ttyUSB0"));
    }

    #[test]
    fn defaults_match_intiface_engine() {
        let cli = Cli::parse_from(["plugd"]);
        assert_eq!(cli.websocket_port, 12345);
        assert_eq!(cli.device_websocket_server_port, 54817);
        assert_eq!(cli.max_ping_time, 0);
        assert_eq!(cli.server_name, "Buttplug Server");
        assert!(!cli.websocket_use_all_interfaces);
        assert!(!cli.allow_raw);
    }

    #[test]
    fn every_intiface_engine_flag_parses() {
        let cli = Cli::try_parse_from([
            "plugd",
            "--websocket-use-all-interfaces",
            "--websocket-port",
            "1",
            "--websocket-client-address",
            "ws://x",
            "--frontend-websocket-port",
            "2",
            "--server-name",
            "n",
            "--device-config-file",
            "d",
            "--user-device-config-file",
            "u",
            "--max-ping-time",
            "3",
            "--log",
            "debug",
            "--use-bluetooth-le",
            "--use-serial",
            "--use-hid",
            "--use-lovense-dongle-serial",
            "--use-lovense-dongle-hid",
            "--use-xinput",
            "--use-lovense-connect",
            "--use-device-websocket-server",
            "--device-websocket-server-port",
            "4",
            "--broadcast-server-mdns",
            "--mdns-suffix",
            "s",
            "--repeater",
            "--repeater-port",
            "5",
            "--crash-main-thread",
            "--crash-task-thread",
            "--server-version",
            "--allow-raw",
        ]);
        assert!(cli.is_ok(), "{cli:?}");
    }

    #[test]
    fn each_unimplemented_intiface_flag_is_refused_with_one_line_naming_it() {
        let cases: [&[&str]; 9] = [
            &["--use-xinput"],
            &["--websocket-client-address", "ws://127.0.0.1:1"],
            &["--frontend-websocket-port", "1"],
            &["--broadcast-server-mdns"],
            &["--mdns-suffix", "x"],
            &["--repeater"],
            &["--repeater-port", "1"],
            &["--crash-main-thread"],
            &["--crash-task-thread"],
        ];
        for case in cases {
            let cli = Cli::parse_from(std::iter::once("plugd").chain(case.iter().copied()));
            let reason = cli.refused().unwrap_or_default();
            assert!(reason.starts_with(case[0]), "{case:?}: {reason}");
            assert!(reason.contains("not supported: "), "{reason}");
            assert!(!reason.contains('\n'), "{reason}");
        }
        assert_eq!(Cli::parse_from(["plugd"]).refused(), None);
    }

    #[test]
    fn device_config_tools_are_subcommands_and_do_not_mix_with_server_flags() {
        let cli = Cli::parse_from(["plugd", "device-config", "check", "a.json"]);
        assert!(matches!(
            cli.command,
            Some(Command::DeviceConfig(DeviceConfigCommand::Check { .. }))
        ));
        let cli = Cli::parse_from(["plugd", "device-config", "update", "--from", "n.json"]);
        assert!(matches!(
            cli.command,
            Some(Command::DeviceConfig(DeviceConfigCommand::Update { .. }))
        ));
        assert!(Cli::try_parse_from(["plugd", "--demo", "device-config", "check", "a"]).is_err());
        assert!(Cli::parse_from(["plugd", "--demo"]).command.is_none());
    }

    #[test]
    fn a_flag_given_twice_keeps_the_last_value() {
        let cli = Cli::parse_from([
            "plugd",
            "--websocket-port",
            "1",
            "--websocket-port",
            "2",
            "--demo",
            "--demo",
        ]);
        assert_eq!(cli.websocket_port, 2);
        assert!(cli.demo);
    }

    #[test]
    fn allow_raw_is_intiface_engines_switch_and_its_help_warns() {
        assert!(Cli::parse_from(["plugd", "--allow-raw"]).allow_raw);
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("--allow-raw"), "{help}");
        assert!(help.contains("DANGEROUS"), "{help}");
    }
}

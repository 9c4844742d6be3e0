//! The command line, as typed: Intiface Engine's flags where plugd has the feature (same names,
//! same meaning), plus plugd's own. Resolved into `Settings` by `settings.rs`.

use clap::{Parser, ValueEnum};
use std::path::PathBuf;

/// plugd: a Buttplug server. Clients connect over WebSocket (spec v0–v4); devices are found by
/// the enabled transports and identified from the device database.
#[derive(Debug, Parser)]
#[command(name = "plugd", version, about, long_about = None)]
pub struct Cli {
    /// Port of the client WebSocket (Buttplug JSON).
    #[arg(long, default_value_t = 12345, value_name = "PORT")]
    pub websocket_port: u16,

    /// Listen on every interface instead of 127.0.0.1. Anyone who can reach the port can drive
    /// your devices: there is no authentication yet.
    #[arg(long)]
    pub websocket_use_all_interfaces: bool,

    /// ServerName sent in ServerInfo.
    #[arg(long, default_value = "Buttplug Server", value_name = "NAME")]
    pub server_name: String,

    /// Milliseconds a client may go without sending Ping before its devices are stopped and it
    /// is disconnected. 0 turns the check off.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub max_ping_time: u32,

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

    /// Log level: error, warn, info, debug or trace (RUST_LOG overrides it).
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    pub log: String,

    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Intiface Engine's Bluetooth LE switch. Not available in this build yet: logged and ignored.
    #[arg(long)]
    pub use_bluetooth_le: bool,

    /// Look for devices on the serial ports that serial specifiers name (the user config gives
    /// a protocol a `serial` specifier with the port, as with Intiface).
    #[arg(long)]
    pub use_serial: bool,

    /// Intiface Engine's HID switch. Not available in this build yet: logged and ignored.
    #[arg(long)]
    pub use_hid: bool,

    /// Intiface Engine's Lovense Connect switch. Not available in this build yet: logged and ignored.
    #[arg(long)]
    pub use_lovense_connect: bool,

    /// Intiface Engine's Lovense serial dongle switch. Not available in this build yet: logged and ignored.
    #[arg(long)]
    pub use_lovense_dongle_serial: bool,

    /// Intiface Engine's Lovense HID dongle switch. Not available in this build yet: logged and ignored.
    #[arg(long)]
    pub use_lovense_dongle_hid: bool,
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
    fn allow_raw_is_intiface_engines_switch_and_its_help_warns() {
        assert!(Cli::parse_from(["plugd", "--allow-raw"]).allow_raw);
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("--allow-raw"), "{help}");
        assert!(help.contains("DANGEROUS"), "{help}");
    }
}

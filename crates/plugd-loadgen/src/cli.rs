//! The command line: what to drive (plugd, the minimal relay, intiface-engine, or a running
//! server), the scenario (clients, devices, rate, duration, idle, churn), the hard caps, and the
//! report outputs. `Options` is also the library's configuration (tests build it with
//! `Options::parse_from`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Parser, ValueEnum};

use crate::wire::Greeting;

/// The device WebSocket's default port (plugd's and Intiface's `--device-websocket-server-port`).
pub const DEFAULT_DEVICE_PORT: u16 = 54817;

/// plugd-loadgen: drives a Buttplug server with N client WebSockets and M simulated Lovense
/// devices, and measures, for every command, the time from the client's send to the bytes
/// arriving at the simulated device (it is both ends, so one clock).
///
/// Device rule: with N ≥ M clients, client i drives device i mod M (several clients may share a
/// device); with N < M, client i drives devices i, i+N, i+2N, … in turn. Each client cycles
/// through its own values on a device (all 20 steps of the Lush when it is alone; disjoint sets
/// of two or more when clients share it, up to 10 per device), so consecutive commands differ,
/// no server's deduplication hides one, and each arrival is matched to its send by value.
///
/// Rate: every client has its own timer (tokio interval, MissedTickBehavior::Burst: a late tick
/// is made up at once, so the offered load over the run is exactly clients × rate × duration;
/// tokio timers have 1 ms resolution, so above 1,000 cmd/s a client sends in bursts of
/// rate/1000). `--rate 0` is the peak mode: each client keeps `--window` commands unanswered.
///
/// Loopback only: every address must be 127.0.0.0/8, ::1 or localhost. Runs are bounded by
/// `--max-commands` and `--max-duration`.
#[derive(Debug, Clone, Parser)]
#[command(name = "plugd-loadgen", version, about, long_about)]
pub struct Options {
    /// Which server to start: `plugd` (target/release/plugd, or --plugd-bin), `relay` (the
    /// minimal relay in this crate: one client, one raw-pipe device, ScalarCmd only) or
    /// `intiface` (intiface-engine from scripts/install-intiface-engine's cache, or
    /// --intiface-bin; one client). Ignored with --target.
    #[arg(long, value_enum, default_value_t = ServerKind::Plugd)]
    pub server: ServerKind,

    /// Drive a server that is already running instead: its client WebSocket URL
    /// (ws://127.0.0.1:12345/). Loopback only.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,

    /// With --target: the server's device WebSocket URL [default: the target's host, port 54817].
    #[arg(long, value_name = "URL", requires = "target")]
    pub device_url: Option<String>,

    /// With --target: the server's process id, to report its RSS and CPU from /proc.
    #[arg(long, value_name = "PID", requires = "target")]
    pub server_pid: Option<u32>,

    /// The plugd binary for --server plugd [default: plugd beside this binary, else
    /// target/release/plugd in the workspace].
    #[arg(long, value_name = "PATH")]
    pub plugd_bin: Option<PathBuf>,

    /// An extra argument for the plugd it starts (repeat for several:
    /// `--plugd-arg=--max-clients --plugd-arg=100`). When plugd has a per-client message-rate
    /// limit (`--max-messages-per-second`), the loadgen turns it off unless this sets it.
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    pub plugd_arg: Vec<String>,

    /// The intiface-engine binary for --server intiface [default:
    /// $PLUGD_BENCH_CACHE/intiface/bin/intiface-engine, PLUGD_BENCH_CACHE defaulting to
    /// ~/.cache/plugd-bench, where scripts/install-intiface-engine puts it].
    #[arg(long, value_name = "PATH")]
    pub intiface_bin: Option<PathBuf>,

    /// Log level given to the server it starts (plugd's and intiface-engine's --log).
    #[arg(long, value_name = "LEVEL", default_value = "warn")]
    pub server_log: String,

    /// Number of client WebSockets.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub clients: usize,

    /// Number of simulated devices (Lovense Lush, one vibrator, 20 steps). 0 only with --idle.
    #[arg(long, value_name = "M", default_value_t = 1)]
    pub devices: usize,

    /// Commands per second per client. 0: as fast as the server answers (peak mode, see
    /// --window).
    #[arg(long, value_name = "CMD/S", default_value_t = 10.0)]
    pub rate: f64,

    /// Most commands a client may have unanswered. Peak mode (--rate 0) default 32; with a
    /// rate, unlimited unless given (a tick that finds the window full sends nothing and is
    /// counted as skipped).
    #[arg(long, value_name = "W")]
    pub window: Option<u32>,

    /// How long the clients send (or, with --idle, stay connected), in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub duration: f64,

    /// Buttplug spec version the clients speak: 4 (OutputCmd) or 3 (ScalarCmd)
    /// [default: 3 for --server relay, else 4].
    #[arg(long, value_name = "VERSION")]
    pub spec_version: Option<u8>,

    /// How the simulated devices greet: `simulate` (JSON frames) or `raw` (the upstream
    /// raw byte pipe; the loadgen gives the server it starts a user device config with a
    /// Lovense websocket specifier) [default: raw for relay and intiface, else simulate].
    #[arg(long, value_enum, value_name = "GREETING")]
    pub greeting: Option<Greeting>,

    /// Idle-clients scenario: clients connect and complete the handshake, then send nothing
    /// for --duration (they keep answering WebSocket pings). Reports the server's RSS.
    #[arg(long)]
    pub idle: bool,

    /// Device-churn scenario: this many extra devices connect, identify and leave while the
    /// clients send (spread over --duration, --churn-concurrency at a time). Reports RSS
    /// before and after and the devices still listed at the end.
    #[arg(long, value_name = "DEVICES", default_value_t = 0)]
    pub churn: usize,

    /// Churn devices connected at the same time.
    #[arg(long, value_name = "K", default_value_t = 20)]
    pub churn_concurrency: usize,

    /// How long each churn device stays after identification, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    pub churn_hold_ms: u64,

    /// Churn devices use this many addresses in turn (0: a new address for each). A server
    /// that remembers every address it has seen grows with new ones; reusing a few (more than
    /// --churn-concurrency) tells that apart from a leak.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub churn_addresses: usize,

    /// Client churn (the soak scenario, with --churn): this many extra clients connect,
    /// complete the handshake, ask for the device list and leave — every other one with a
    /// WebSocket close, the rest by dropping the TCP connection — spread over --duration,
    /// --churn-concurrency at a time, while the steady clients send. Failures count as errors.
    /// A one-hour soak: `--clients 20 --devices 10 --rate 20 --churn 36000 --churn-addresses 100
    /// --client-churn 36000 --duration 3600 --max-duration 3600` (docs/security.md, "Soak").
    #[arg(long, value_name = "CLIENTS", default_value_t = 0)]
    pub client_churn: usize,

    /// Connections being set up at the same time (clients after the first).
    #[arg(long, value_name = "K", default_value_t = 256)]
    pub connect_concurrency: usize,

    /// After the last send, how long to wait for outstanding replies and deliveries, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub drain: f64,

    /// Hard cap on the commands of one run: a rate scenario that would offer more is refused;
    /// the peak mode stops there.
    #[arg(long, value_name = "N", default_value_t = 20_000_000)]
    pub max_commands: u64,

    /// Hard cap on --duration, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600.0)]
    pub max_duration: f64,

    /// Runtime worker threads of the loadgen [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// No progress bar (it is drawn on stderr only when stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,

    /// Run only the minimal relay, in the foreground (what --server relay starts as a child
    /// process). Prints `relay listening: clients ws://…/` and `relay listening: devices
    /// ws://…/`.
    #[arg(long)]
    pub relay_only: bool,

    /// With --relay-only: the client port (0 picks a free one).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub relay_client_port: u16,

    /// With --relay-only: the device port (0 picks a free one).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub relay_device_port: u16,
}

/// The server the loadgen starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerKind {
    Plugd,
    Relay,
    Intiface,
}

impl Options {
    /// The spec version in effect.
    pub fn version(&self) -> u8 {
        self.spec_version.unwrap_or(match self.kind() {
            Some(ServerKind::Relay) => 3,
            _ => 4,
        })
    }

    /// The server to start, `None` with --target.
    pub fn kind(&self) -> Option<ServerKind> {
        if self.target.is_some() {
            None
        } else {
            Some(self.server)
        }
    }

    /// The greeting in effect.
    pub fn greeting(&self) -> Greeting {
        self.greeting.unwrap_or(match self.kind() {
            Some(ServerKind::Relay | ServerKind::Intiface) => Greeting::Raw,
            _ => Greeting::Simulate,
        })
    }

    /// --duration as a Duration.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.duration.max(0.0))
    }

    /// The peak mode: no rate, a window.
    pub fn peak(&self) -> bool {
        !self.idle && self.rate <= 0.0
    }

    /// The window in effect (`None`: unlimited).
    pub fn window(&self) -> Option<u32> {
        match self.window {
            Some(0) => None,
            Some(window) => Some(window),
            None if self.peak() => Some(32),
            None => None,
        }
    }

    /// The commands a rate scenario offers.
    pub fn offered_commands(&self) -> f64 {
        if self.idle || self.peak() {
            0.0
        } else {
            self.clients as f64 * self.rate * self.duration
        }
    }

    /// Checks the combination before anything starts.
    pub fn validate(&self) -> Result<()> {
        if !self.duration.is_finite() || self.duration <= 0.0 {
            bail!("--duration must be a positive number of seconds");
        }
        if self.duration > self.max_duration {
            bail!(
                "--duration {} s is over the cap --max-duration {} s",
                self.duration,
                self.max_duration
            );
        }
        if !self.rate.is_finite() || self.rate < 0.0 {
            bail!("--rate must be 0 (peak) or a positive number of commands per second");
        }
        if !self.drain.is_finite() || self.drain < 0.0 {
            bail!("--drain must be a number of seconds");
        }
        if self.clients == 0 {
            bail!("--clients must be at least 1");
        }
        if self.devices == 0 && !self.idle {
            bail!("--devices 0 is only meaningful with --idle");
        }
        if !matches!(self.version(), 3 | 4) {
            bail!("--spec-version must be 3 (ScalarCmd) or 4 (OutputCmd)");
        }
        let offered = self.offered_commands();
        if offered > self.max_commands as f64 {
            bail!(
                "{} clients × {} cmd/s × {} s = {offered:.0} commands, over the cap --max-commands {}",
                self.clients,
                self.rate,
                self.duration,
                self.max_commands
            );
        }
        if self.churn_addresses > 0 && self.churn_addresses <= self.churn_concurrency {
            bail!("--churn-addresses must be more than --churn-concurrency (two devices with one address at once)");
        }
        if self.connect_concurrency == 0 || self.churn_concurrency == 0 {
            bail!("--connect-concurrency and --churn-concurrency must be at least 1");
        }
        match self.kind() {
            Some(ServerKind::Relay) => {
                if self.clients != 1 || self.devices != 1 {
                    bail!("the minimal relay serves one client and one device");
                }
                if self.version() != 3 || self.greeting() != Greeting::Raw {
                    bail!("the minimal relay speaks ScalarCmd (spec 3) and the raw-pipe greeting");
                }
                if self.churn > 0 || self.client_churn > 0 {
                    bail!("--churn and --client-churn need plugd or --target");
                }
            }
            Some(ServerKind::Intiface) => {
                if self.clients != 1 {
                    bail!("intiface-engine serves one client at a time: --clients 1");
                }
                if self.greeting() != Greeting::Raw {
                    bail!("intiface-engine's device WebSocket speaks only the raw-pipe greeting");
                }
                if self.churn > 0 {
                    bail!("--churn needs plugd or --target");
                }
            }
            Some(ServerKind::Plugd) | None => {}
        }
        if let Some(target) = &self.target {
            require_loopback(target)?;
        }
        if let Some(device_url) = &self.device_url {
            require_loopback(device_url)?;
        }
        Ok(())
    }

    /// The device URL for --target.
    pub fn target_device_url(&self) -> Result<String> {
        if let Some(url) = &self.device_url {
            return Ok(url.clone());
        }
        let target = self.target.as_deref().unwrap_or_default();
        let host = url_host(target)?;
        Ok(format!("ws://{host}:{DEFAULT_DEVICE_PORT}/"))
    }
}

/// The host of a `ws://host:port/path` URL (IPv6 in brackets kept).
pub fn url_host(url: &str) -> Result<String> {
    let Some(rest) = url.strip_prefix("ws://") else {
        bail!("{url}: only ws:// URLs (loopback) are supported");
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        match bracketed.split_once(']') {
            Some((inside, _)) => format!("[{inside}]"),
            None => bail!("{url}: unclosed IPv6 address"),
        }
    } else {
        authority.split(':').next().unwrap_or_default().to_string()
    };
    if host.is_empty() {
        bail!("{url}: no host");
    }
    Ok(host)
}

/// Refuses any address outside the loopback range.
pub fn require_loopback(url: &str) -> Result<()> {
    let host = url_host(url)?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .map(|address| address.is_loopback())
            .unwrap_or(false);
    if !loopback {
        bail!("{url}: plugd-loadgen only targets loopback addresses (127.0.0.0/8, ::1, localhost)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn options(args: &[&str]) -> Options {
        let mut all = vec!["plugd-loadgen"];
        all.extend_from_slice(args);
        Options::try_parse_from(all).expect("parse")
    }

    #[test]
    fn the_command_line_is_consistent() {
        Options::command().debug_assert();
    }

    #[test]
    fn only_loopback_targets() {
        assert!(require_loopback("ws://127.0.0.1:12345/").is_ok());
        assert!(require_loopback("ws://127.8.9.10:1/").is_ok());
        assert!(require_loopback("ws://localhost:1").is_ok());
        assert!(require_loopback("ws://[::1]:1/").is_ok());
        assert!(require_loopback("ws://192.168.1.2:12345/").is_err());
        assert!(require_loopback("ws://10.0.0.1:12345/").is_err());
        assert!(require_loopback("ws://example.com:12345/").is_err());
        assert!(require_loopback("wss://127.0.0.1:1/").is_err());
        assert!(options(&["--target", "ws://10.1.2.3:12345/"])
            .validate()
            .is_err());
    }

    #[test]
    fn caps_and_server_limits() {
        assert!(options(&[]).validate().is_ok());
        assert!(
            options(&["--clients", "1000", "--rate", "1000", "--duration", "60"])
                .validate()
                .is_err()
        );
        assert!(options(&["--duration", "601"]).validate().is_err());
        assert!(options(&["--server", "relay", "--clients", "2"])
            .validate()
            .is_err());
        let relay = options(&["--server", "relay"]);
        assert!(relay.validate().is_ok());
        assert_eq!(relay.version(), 3);
        assert_eq!(relay.greeting(), Greeting::Raw);
        assert!(options(&["--server", "intiface", "--clients", "2"])
            .validate()
            .is_err());
        assert!(options(&["--devices", "0"]).validate().is_err());
        assert!(options(&["--devices", "0", "--idle"]).validate().is_ok());
        assert_eq!(options(&["--rate", "0"]).window(), Some(32));
        assert_eq!(options(&[]).window(), None);
    }

    #[test]
    fn target_device_url_defaults_to_54817() {
        let target = options(&["--target", "ws://127.0.0.1:12345/"]);
        assert_eq!(
            target.target_device_url().expect("url"),
            "ws://127.0.0.1:54817/"
        );
    }
}

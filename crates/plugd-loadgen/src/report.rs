//! The report of one run: what was offered, sent, delivered and refused, throughput, latency
//! percentiles (HDR histogram, microseconds), set-up times, and the server's RSS and CPU from
//! /proc; rendered as a table or serialized as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::cli::ServerKind;
use crate::wire::Greeting;

/// Percentiles of a latency histogram, microseconds.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl Percentiles {
    pub fn of(histogram: &Histogram<u64>) -> Percentiles {
        if histogram.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: histogram.len(),
            mean: (histogram.mean() * 10.0).round() / 10.0,
            p50: histogram.value_at_quantile(0.50),
            p90: histogram.value_at_quantile(0.90),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        }
    }
}

/// What was asked for.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// "plugd", "relay", "intiface" or "target".
    pub server: String,
    /// The server's own description (binary path, version).
    pub server_label: String,
    pub client_url: String,
    pub device_url: String,
    pub clients: usize,
    pub devices: usize,
    /// Commands per second per client (0: peak mode).
    pub rate: f64,
    pub window: Option<u32>,
    pub duration_s: f64,
    pub spec_version: u8,
    pub greeting: Greeting,
    pub idle: bool,
    pub churn: usize,
    /// The command line.
    pub command: String,
}

/// Counts over the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Commands the rate scenario offers (clients × rate × duration; 0 in peak and idle mode).
    pub offered: u64,
    pub sent: u64,
    /// Commands whose bytes reached their device.
    pub delivered: u64,
    /// Commands neither delivered nor refused by the end of the drain.
    pub undelivered: u64,
    pub replies_ok: u64,
    /// Error replies, by ErrorCode.
    pub errors_by_code: BTreeMap<i64, u64>,
    /// Error replies + sockets the server closed early + failed churn cycles + bad frames.
    pub errors: u64,
    /// Ticks that found the client's window full (nothing sent).
    pub skipped_ticks: u64,
    /// Stop writes (`Vibrate:0;`) seen at the devices: clients leaving, shutdown.
    pub stop_writes: u64,
    /// `Vibrate:N;` with no pending command of that value.
    pub unmatched_writes: u64,
    pub other_writes: u64,
    pub clients_closed_early: u64,
    pub devices_closed_early: u64,
    pub bad_frames: u64,
}

/// Rates over the sending window.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Throughput {
    /// Seconds from the first send to the end of sending.
    pub send_window_s: f64,
    /// clients × rate (0 in peak mode).
    pub offered_per_s: f64,
    pub sent_per_s: f64,
    pub delivered_per_s: f64,
}

/// Connection set-up.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Setup {
    /// All devices connected and listed, milliseconds.
    pub devices_ms: f64,
    /// Per device: connect → listed by the server, microseconds.
    pub device: Percentiles,
    /// All clients connected and handshaken, milliseconds.
    pub clients_ms: f64,
    /// Per client: TCP connect → ServerInfo, microseconds.
    pub client: Percentiles,
}

/// /proc figures of a process.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProcessFigures {
    pub pid: Option<u32>,
    /// Right after start (before any connection), KiB.
    pub rss_start_kib: u64,
    /// When every client and device was set up, KiB.
    pub rss_after_setup_kib: u64,
    /// At the end (after the drain; with churn, after the churn devices left), KiB.
    pub rss_end_kib: u64,
    /// VmHWM at the end, KiB.
    pub rss_peak_kib: u64,
    /// (end − after setup) / after setup, percent.
    pub rss_change_percent: f64,
    /// The anonymous part of the RSS (heap, stacks; RssAnon) when everything was set up, KiB.
    pub anon_after_setup_kib: u64,
    /// The anonymous part at the end, KiB.
    pub anon_end_kib: u64,
    /// (anonymous end − after setup) / after setup, percent: growth that is not the
    /// executable's code being paged in for the first time.
    pub anon_change_percent: f64,
    /// CPU seconds (user + system) over the sending window.
    pub cpu_s: f64,
    /// The same as a percentage of one core.
    pub cpu_percent: f64,
    /// CPU seconds over the sending window by thread name, busiest first.
    pub threads: Vec<ThreadCpu>,
}

/// The CPU time of the threads that share a name.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ThreadCpu {
    pub name: String,
    pub threads: usize,
    pub cpu_s: f64,
}

/// The churn scenario's outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Churn {
    /// Devices that connected, were identified and left.
    pub cycles: u64,
    pub failures: u64,
    /// The first failure's message.
    pub first_failure: Option<String>,
    /// Devices the server listed after the churn (should be --devices, plus any that were
    /// there before the run).
    pub devices_listed_at_end: Option<usize>,
    /// How long after the run the list took to come back to that (or the 20 s limit), ms.
    pub settle_ms: f64,
}

/// The client-churn (soak) outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClientChurn {
    /// Clients that connected, completed the handshake, got the device list and left.
    pub cycles: u64,
    /// Of those, how many left by dropping the TCP connection (the rest closed properly).
    pub dropped: u64,
    pub failures: u64,
    /// The first failure's message.
    pub first_failure: Option<String>,
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: Scenario,
    /// /proc/loadavg at the start and at the end of the run.
    pub load_average_start: String,
    pub load_average_end: String,
    /// Open-files limit after raising it, and a note if it could not be raised enough.
    pub open_files_limit: u64,
    pub notes: Vec<String>,
    pub counts: Counts,
    pub throughput: Throughput,
    /// Client send → bytes at the device, microseconds.
    pub latency_us: Percentiles,
    /// Client send → Ok reply, microseconds.
    pub reply_latency_us: Percentiles,
    pub setup: Setup,
    pub server: ProcessFigures,
    /// The loadgen itself (to see whether it was the bottleneck).
    pub loadgen: ProcessFigures,
    pub churn: Option<Churn>,
    pub client_churn: Option<ClientChurn>,
}

impl Report {
    /// True when nothing failed and every command sent was delivered.
    pub fn clean(&self) -> bool {
        self.counts.errors == 0 && self.counts.undelivered == 0
    }

    /// The readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let s = &self.scenario;
        let c = &self.counts;
        let mode = if s.idle {
            "idle".to_string()
        } else if s.rate <= 0.0 {
            format!("peak (window {})", s.window.unwrap_or(0))
        } else {
            format!("{} cmd/s per client", s.rate)
        };
        let _ = writeln!(out, "plugd-loadgen: {}", s.command);
        let _ = writeln!(out, "server          {} [{}]", s.server, s.server_label);
        let _ = writeln!(
            out,
            "scenario        {} clients, {} devices, {mode}, {} s, spec v{}, {:?} greeting{}",
            s.clients,
            s.devices,
            s.duration_s,
            s.spec_version,
            s.greeting,
            if s.churn > 0 {
                format!(", churn {}", s.churn)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            out,
            "load average    {} (start)  {} (end)",
            self.load_average_start, self.load_average_end
        );
        for note in &self.notes {
            let _ = writeln!(out, "note            {note}");
        }
        if !s.idle {
            let _ = writeln!(
                out,
                "commands        offered {}  sent {}  delivered {}  undelivered {}  ok {}",
                c.offered, c.sent, c.delivered, c.undelivered, c.replies_ok
            );
        }
        let by_code: Vec<String> = c
            .errors_by_code
            .iter()
            .map(|(code, count)| format!("code {code}: {count}"))
            .collect();
        let _ = writeln!(
            out,
            "errors          {}{}{}",
            c.errors,
            if by_code.is_empty() {
                String::new()
            } else {
                format!(" ({})", by_code.join(", "))
            },
            if c.clients_closed_early + c.devices_closed_early > 0 {
                format!(
                    "  closed early: {} clients, {} devices",
                    c.clients_closed_early, c.devices_closed_early
                )
            } else {
                String::new()
            }
        );
        if !s.idle {
            let t = &self.throughput;
            let _ = writeln!(
                out,
                "throughput      sent {:.0}/s  delivered {:.0}/s  (offered {:.0}/s over {:.2} s)",
                t.sent_per_s, t.delivered_per_s, t.offered_per_s, t.send_window_s
            );
            let _ = writeln!(out, "{}", latency_line("latency (µs)", &self.latency_us));
            let _ = writeln!(
                out,
                "{}",
                latency_line("reply (µs)", &self.reply_latency_us)
            );
            if c.skipped_ticks + c.unmatched_writes + c.other_writes > 0 {
                let _ = writeln!(
                    out,
                    "also            skipped ticks {}  unmatched writes {}  other writes {}",
                    c.skipped_ticks, c.unmatched_writes, c.other_writes
                );
            }
        }
        let _ = writeln!(
            out,
            "set-up          devices {:.1} ms (each p50 {} µs, max {} µs)  clients {:.1} ms (each p50 {} µs, p99 {} µs, max {} µs)",
            self.setup.devices_ms,
            self.setup.device.p50,
            self.setup.device.max,
            self.setup.clients_ms,
            self.setup.client.p50,
            self.setup.client.p99,
            self.setup.client.max
        );
        for (name, figures) in [("server", &self.server), ("loadgen", &self.loadgen)] {
            if name == "server" && figures.pid.is_none() {
                let _ = writeln!(
                    out,
                    "server          RSS/CPU unknown (no pid: pass --server-pid)"
                );
                continue;
            }
            let _ = writeln!(
                out,
                "{name:<16}RSS start {:.1} MB  after set-up {:.1} MB  end {:.1} MB ({:+.1} %)  peak {:.1} MB  CPU {:.2} s ({:.0} % of a core)",
                mb(figures.rss_start_kib),
                mb(figures.rss_after_setup_kib),
                mb(figures.rss_end_kib),
                figures.rss_change_percent,
                mb(figures.rss_peak_kib),
                figures.cpu_s,
                figures.cpu_percent
            );
            let _ = writeln!(
                out,
                "{:<16}of which anonymous (heap, stacks) after set-up {:.1} MB  end {:.1} MB ({:+.1} %); the rest is file-backed (code)",
                "",
                mb(figures.anon_after_setup_kib),
                mb(figures.anon_end_kib),
                figures.anon_change_percent,
            );
        }
        for (name, figures) in [("server", &self.server), ("loadgen", &self.loadgen)] {
            if figures.threads.is_empty() || s.idle {
                continue;
            }
            let busiest: Vec<String> = figures
                .threads
                .iter()
                .take(4)
                .map(|thread| {
                    let count = if thread.threads > 1 {
                        format!(" ×{}", thread.threads)
                    } else {
                        String::new()
                    };
                    format!("{}{count} {:.2} s", thread.name, thread.cpu_s)
                })
                .collect();
            let _ = writeln!(
                out,
                "{:<16}{}",
                format!("{name} threads"),
                busiest.join(", ")
            );
        }
        if let Some(churn) = &self.churn {
            let _ = writeln!(
                out,
                "churn           {} devices came and left, {} failures{}{}",
                churn.cycles,
                churn.failures,
                churn
                    .devices_listed_at_end
                    .map(|listed| format!(
                        ", {listed} devices listed {:.1} s after the run",
                        churn.settle_ms / 1000.0
                    ))
                    .unwrap_or_default(),
                churn
                    .first_failure
                    .as_ref()
                    .map(|failure| format!(" (first: {failure})"))
                    .unwrap_or_default()
            );
        }
        if let Some(churn) = &self.client_churn {
            let _ = writeln!(
                out,
                "client churn    {} clients came and left ({} by dropping the connection), {} failures{}",
                churn.cycles,
                churn.dropped,
                churn.failures,
                churn
                    .first_failure
                    .as_ref()
                    .map(|failure| format!(" (first: {failure})"))
                    .unwrap_or_default()
            );
        }
        out
    }
}

fn latency_line(label: &str, p: &Percentiles) -> String {
    format!(
        "{label:<16}p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (mean {:.1}, n {})",
        p.p50, p.p90, p.p99, p.p999, p.max, p.mean, p.count
    )
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The server kind's name in the report.
pub fn server_name(kind: Option<ServerKind>) -> String {
    match kind {
        Some(ServerKind::Plugd) => "plugd",
        Some(ServerKind::Relay) => "relay",
        Some(ServerKind::Intiface) => "intiface",
        None => "target",
    }
    .to_string()
}

//! One run, start to end: raise the open-files limit, start the server (or take the target),
//! connect the first client and the devices one by one (each is matched to the index the server
//! gives it through that client's device list), connect the other clients, then send for
//! `--duration`, drain, close, and gather the figures into a `Report`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use crate::cli::{Options, ServerKind};
use crate::client::{Client, ClientStats, Plan, Target};
use crate::device::{histogram, Device, DeviceStats, Ledger, Shards};
use crate::proc_stats::{self, ProcSample};
use crate::report::{
    self, Churn, ClientChurn, Counts, Percentiles, ProcessFigures, Report, Scenario, Setup,
    ThreadCpu, Throughput,
};
use crate::server::{self, ServerHandle};
use crate::wire::Greeting;

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connections are being set up.
    Setup,
    /// Clients send.
    Run,
    /// Clients stop sending; replies and deliveries still count.
    Drain,
    /// Everyone closes.
    Close,
}

/// Live counters shared by every task (the progress bar and the drain read them).
#[derive(Debug, Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub delivered: AtomicU64,
    /// Replies (Ok or Error) to commands.
    pub replied: AtomicU64,
    /// Error replies (any Id).
    pub errors: AtomicU64,
    /// Sends that failed.
    pub failures: AtomicU64,
    /// Commands left under --max-commands.
    pub budget: AtomicU64,
    /// Clients that have sent their last command.
    pub senders_done: AtomicU64,
}

/// Latency histograms per kind (clients and devices pick one by number).
const LATENCY_SHARDS: usize = 16;
/// How long a device may take to be listed after connecting.
const DEVICE_LISTED_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the first client may take to connect (servers still starting).
const FIRST_CONNECT_PATIENCE: Duration = Duration::from_secs(30);
/// How long the churn devices may take to leave the server's list after the run.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the tasks get to finish after the Close phase.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs the scenario of `options` and returns its report.
pub fn run(options: &Options) -> Result<Report> {
    options.validate()?;
    let mut notes = Vec::new();
    let sockets = options.clients + options.devices + options.churn_concurrency + 2;
    let open_files = raise_open_files(sockets as u64, &mut notes);
    let mut server = start_server(options)?;
    let threads = options
        .threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2)
        })
        .max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let result = runtime.block_on(drive(options, &mut server, notes, open_files));
    drop(runtime);
    let stopped = server.stop();
    let mut report = result.map_err(|error| {
        let log = server.recent_log();
        if log.is_empty() {
            error
        } else {
            error.context(format!("the server's last log lines:\n{log}"))
        }
    })?;
    if !stopped {
        report
            .notes
            .push("the server did not exit within 10 s of SIGTERM (killed)".into());
    }
    Ok(report)
}

/// The minimal relay in the foreground (`--relay-only`).
pub fn relay_main(options: &Options) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(crate::relay::serve(
        options.relay_client_port,
        options.relay_device_port,
    ))
}

/// Raises the soft open-files limit to the hard one; notes when it stays below `needed`.
fn raise_open_files(needed: u64, notes: &mut Vec<String>) -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            if limit < needed + 64 {
                notes.push(format!(
                    "open-files limit {limit} (soft raised to hard) is below the {needed} sockets of this run: expect connection failures"
                ));
            }
            limit
        }
        Err(error) => {
            let limit = rlimit::getrlimit(rlimit::Resource::NOFILE)
                .map(|(soft, _)| soft)
                .unwrap_or(0);
            notes.push(format!(
                "could not raise the open-files limit ({error}); it is {limit}"
            ));
            limit
        }
    }
}

fn start_server(options: &Options) -> Result<ServerHandle> {
    let raw = options.greeting() == Greeting::Raw;
    match options.kind() {
        Some(ServerKind::Plugd) => {
            let bin = options
                .plugd_bin
                .clone()
                .unwrap_or_else(server::default_plugd_bin);
            server::start_plugd(&bin, &options.server_log, raw, &options.plugd_arg)
        }
        Some(ServerKind::Relay) => server::start_relay(),
        Some(ServerKind::Intiface) => {
            let bin = options
                .intiface_bin
                .clone()
                .unwrap_or_else(server::default_intiface_bin);
            server::start_intiface(&bin, &options.server_log)
        }
        None => {
            let target = options.target.clone().unwrap_or_default();
            Ok(ServerHandle::external(
                target,
                options.target_device_url()?,
                options.server_pid,
            ))
        }
    }
}

fn progress(options: &Options, len: u64) -> ProgressBar {
    if options.no_progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

async fn drive(
    options: &Options,
    server: &mut ServerHandle,
    mut notes: Vec<String>,
    open_files: u64,
) -> Result<Report> {
    let version = options.version();
    let greeting = options.greeting();
    notes.extend(server.notes.iter().cloned());
    let load_average_start = proc_stats::load_average();
    let server_start = server.pid.and_then(proc_stats::sample);
    let self_start = proc_stats::sample_self();
    let counters = Arc::new(Counters::default());
    counters
        .budget
        .store(options.max_commands, Ordering::Relaxed);
    let (phase_sender, phase) = watch::channel(Phase::Setup);
    // Send → device and send → reply times, in a few locked shards.
    let latencies = Arc::new(Shards::new(LATENCY_SHARDS));
    let replies = Arc::new(Shards::new(LATENCY_SHARDS));

    // The first client watches the device list while the devices come up.
    let mut client_setup = histogram();
    let started = Instant::now();
    let patience = if server.retry_first_connect {
        FIRST_CONNECT_PATIENCE
    } else {
        Duration::from_secs(5)
    };
    let mut monitor = Client::connect_with_retry(&server.client_url, version, patience)
        .await
        .with_context(|| format!("first client to {}", server.client_url))?;
    client_setup.saturating_record(micros(started.elapsed()));
    monitor.start_scanning().await.context("StartScanning")?;
    let mut known: BTreeSet<u32> = monitor
        .device_list()
        .await
        .context("RequestDeviceList")?
        .iter()
        .map(|entry| entry.index)
        .collect();

    // Devices, one at a time, so that each index the server announces is that device's.
    let devices_started = Instant::now();
    let mut device_setup = histogram();
    let mut device_tasks = Vec::with_capacity(options.devices);
    let mut targets = Vec::with_capacity(options.devices);
    let bar = progress(options, options.devices as u64);
    bar.set_message("devices");
    for number in 0..options.devices {
        let started = Instant::now();
        let device = Device::connect(&server.device_url, greeting, number as u64)
            .await
            .with_context(|| format!("device {number} on {}", server.device_url))?;
        let ledger = Arc::new(Ledger::default());
        device_tasks.push(tokio::spawn(device.run(
            ledger.clone(),
            latencies.clone(),
            counters.clone(),
            phase.clone(),
        )));
        let entry = monitor
            .next_new_device(&known, DEVICE_LISTED_TIMEOUT)
            .await
            .with_context(|| format!("waiting for device {number} to be listed"))?;
        known.insert(entry.index);
        let vibrator = entry.vibrator.ok_or_else(|| {
            anyhow!(
                "device {number} ({}) was listed without a vibrator",
                entry.name
            )
        })?;
        if vibrator.steps < 2 {
            bail!(
                "device {number} ({}) has {} vibrator steps; the loadgen needs 2 or more",
                entry.name,
                vibrator.steps
            );
        }
        targets.push(Target {
            index: entry.index,
            vibrator,
            ledger,
            values: value_set(vibrator.steps, 1, 0),
        });
        device_setup.saturating_record(micros(started.elapsed()));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let devices_ms = devices_started.elapsed().as_secs_f64() * 1000.0;

    // The other clients, --connect-concurrency at a time.
    let clients_started = Instant::now();
    let bar = progress(options, options.clients as u64);
    bar.set_message("clients");
    bar.inc(1);
    let url = server.client_url.clone();
    let mut connects = futures_util::stream::iter(1..options.clients)
        .map(|_| {
            let url = url.clone();
            async move {
                let started = Instant::now();
                let client = Client::connect(&url, version).await;
                (client, started.elapsed())
            }
        })
        .buffer_unordered(options.connect_concurrency);
    let mut clients = vec![monitor];
    let mut connect_failures = 0u64;
    while let Some((client, took)) = connects.next().await {
        match client {
            Ok(client) => {
                client_setup.saturating_record(micros(took));
                clients.push(client);
            }
            Err(error) => {
                if connect_failures == 0 {
                    notes.push(format!("first failed client connection: {error:#}"));
                }
                connect_failures += 1;
            }
        }
        bar.inc(1);
    }
    drop(connects);
    bar.finish_and_clear();
    let clients_ms = clients_started.elapsed().as_secs_f64() * 1000.0;
    if connect_failures > 0 {
        notes.push(format!(
            "{connect_failures} of {} clients could not connect",
            options.clients
        ));
    }

    // The plans: client i drives device i mod M (N ≥ M) or devices i, i+N, … (N < M).
    let count = clients.len();
    let rate = if options.idle { 0.0 } else { options.rate };
    let period = if rate > 0.0 {
        Duration::from_secs_f64(1.0 / rate)
    } else {
        Duration::ZERO
    };
    let start = Instant::now() + Duration::from_millis(50);
    let duration = options.duration();
    let end = start + duration;
    let plans: Vec<Plan> = (0..count)
        .map(|i| {
            let mine: Vec<Target> = if options.idle || targets.is_empty() {
                Vec::new()
            } else if count >= targets.len() {
                // Client i is the (i / M)-th of the clients that share device i mod M.
                let devices = targets.len();
                let device = i % devices;
                let sharers = count / devices + usize::from(device < count % devices);
                let mut target = targets[device].clone();
                target.values = value_set(target.vibrator.steps, sharers, i / devices);
                vec![target]
            } else {
                targets.iter().skip(i).step_by(count).cloned().collect()
            };
            Plan {
                targets: mine,
                rate,
                window: options.window(),
                replies: replies.clone(),
                shard: i,
                start: start + period.mul_f64(i as f64 / count as f64),
                // Ticks at (i/N + k) periods that fall before the end: ⌈rate × duration − i/N⌉.
                ticks: (rate * options.duration - i as f64 / count as f64 - 1e-9)
                    .ceil()
                    .max(0.0) as u64,
            }
        })
        .collect();

    if let Some(first) = targets.first() {
        let sharers = count.div_ceil(targets.len());
        if !options.idle && sharers > 1 && first.vibrator.steps / (sharers as u32) < 2 {
            notes.push(format!(
                "{sharers} clients share a device of {} steps: their values overlap, so a command overtaken by another of the same value can be deduplicated by the server and count as undelivered",
                first.vibrator.steps
            ));
        }
    }
    let load_average_setup = proc_stats::load_average();
    let server_setup = server.pid.and_then(proc_stats::sample);
    let self_setup = proc_stats::sample_self();
    let server_threads_setup = server.pid.map(proc_stats::threads).unwrap_or_default();
    let self_threads_setup = proc_stats::threads(std::process::id());
    phase_sender.send_replace(Phase::Run);
    let client_tasks: Vec<_> = clients
        .into_iter()
        .zip(plans)
        .map(|(client, plan)| tokio::spawn(client.run(plan, counters.clone(), phase.clone())))
        .collect();
    let client_churn_task = (options.client_churn > 0).then(|| {
        tokio::spawn(client_churn(
            options.client_churn,
            options.churn_concurrency,
            server.client_url.clone(),
            version,
            start,
            duration,
        ))
    });
    let churn_task = (options.churn > 0).then(|| {
        tokio::spawn(churn(
            options.churn,
            options.churn_concurrency,
            Duration::from_millis(options.churn_hold_ms),
            server.device_url.clone(),
            greeting,
            options.devices as u64,
            options.churn_addresses as u64,
            start,
            duration,
        ))
    });

    // Send for --duration (the peak mode may spend --max-commands first).
    let bar = progress(options, duration.as_millis() as u64);
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if !options.idle && counters.budget.load(Ordering::Relaxed) == 0 {
            notes.push(format!(
                "--max-commands {} reached before --duration",
                options.max_commands
            ));
            break;
        }
        if server.exited() {
            bail!("the server exited during the run");
        }
        bar.set_position(now.saturating_duration_since(start).as_millis() as u64);
        bar.set_message(format!(
            "sent {} delivered {} errors {}",
            counters.sent.load(Ordering::Relaxed),
            counters.delivered.load(Ordering::Relaxed),
            counters.errors.load(Ordering::Relaxed)
        ));
        tokio::time::sleep(Duration::from_millis(100).min(end - now)).await;
    }
    let send_end = Instant::now();
    let server_send_end = server.pid.and_then(proc_stats::sample);
    let self_send_end = proc_stats::sample_self();
    let server_threads = thread_cpu(
        &server_threads_setup,
        &server.pid.map(proc_stats::threads).unwrap_or_default(),
    );
    let self_threads = thread_cpu(
        &self_threads_setup,
        &proc_stats::threads(std::process::id()),
    );
    phase_sender.send_replace(Phase::Drain);
    bar.finish_and_clear();

    // Drain: every command answered and delivered (or refused), or --drain has passed.
    let drain_deadline = Instant::now() + Duration::from_secs_f64(options.drain);
    while Instant::now() < drain_deadline {
        if counters.senders_done.load(Ordering::Relaxed) < count as u64 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        }
        let sent = counters.sent.load(Ordering::Relaxed);
        let replied = counters.replied.load(Ordering::Relaxed);
        let delivered = counters.delivered.load(Ordering::Relaxed);
        let outstanding: usize = targets
            .iter()
            .map(|target| target.ledger.outstanding())
            .sum();
        if replied >= sent && (outstanding == 0 || delivered >= sent) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let client_churn_report = match client_churn_task {
        Some(task) => {
            let churned = task.await.unwrap_or_else(|error| ClientChurn {
                failures: 1,
                first_failure: Some(format!("client churn task: {error}")),
                ..ClientChurn::default()
            });
            let attempted = churned.cycles + churned.failures;
            if attempted < options.client_churn as u64 {
                notes.push(format!(
                    "only {attempted} of {} churn clients fitted in --duration",
                    options.client_churn
                ));
            }
            Some(churned)
        }
        None => None,
    };
    let mut churn_report = None;
    if let Some(task) = churn_task {
        let mut churned = task.await.unwrap_or_else(|error| Churn {
            failures: 1,
            first_failure: Some(format!("churn task: {error}")),
            ..Churn::default()
        });
        // Let the server finish removing the churn devices: ask a fresh client for the list
        // until it is back to the devices that stay (or SETTLE_TIMEOUT has passed).
        let settle_started = Instant::now();
        let expected = known.len();
        loop {
            let listed = match Client::connect(&server.client_url, version).await {
                Ok(mut check) => check.device_list().await.ok().map(|list| list.len()),
                Err(_) => None,
            };
            churned.devices_listed_at_end = listed;
            if listed == Some(expected) || settle_started.elapsed() >= SETTLE_TIMEOUT {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        churned.settle_ms = settle_started.elapsed().as_secs_f64() * 1000.0;
        // Then a moment for the allocator and the server's queues before the last RSS reading:
        // plugd gives freed memory back to the OS 1 s after the last client or device left
        // (plugd_server::MEMORY_RELEASE_DELAY; the check client above is the last to leave).
        tokio::time::sleep(Duration::from_secs(2)).await;
        let attempted = churned.cycles + churned.failures;
        if attempted < options.churn as u64 {
            notes.push(format!(
                "only {attempted} of {} churn devices fitted in --duration",
                options.churn
            ));
        }
        churn_report = Some(churned);
    }
    let server_end = server.pid.and_then(proc_stats::sample);
    let self_end = proc_stats::sample_self();
    let load_average_end = proc_stats::load_average();

    // Close and gather.
    phase_sender.send_replace(Phase::Close);
    let mut client_stats = Vec::with_capacity(client_tasks.len());
    for task in client_tasks {
        if let Ok(Ok(stats)) = tokio::time::timeout(CLOSE_TIMEOUT, task).await {
            client_stats.push(stats);
        }
    }
    let mut device_stats = Vec::with_capacity(device_tasks.len());
    for task in device_tasks {
        if let Ok(Ok(stats)) = tokio::time::timeout(CLOSE_TIMEOUT, task).await {
            device_stats.push(stats);
        }
    }

    let send_window = send_end.saturating_duration_since(start);
    let scenario = Scenario {
        server: report::server_name(options.kind()),
        server_label: server.label.clone(),
        client_url: server.client_url.clone(),
        device_url: server.device_url.clone(),
        clients: options.clients,
        devices: options.devices,
        rate,
        window: options.window(),
        duration_s: options.duration,
        spec_version: version,
        greeting,
        idle: options.idle,
        churn: options.churn,
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let counts = tally(
        options,
        &client_stats,
        &device_stats,
        connect_failures,
        churn_report.as_ref(),
        client_churn_report.as_ref(),
    );
    let seconds = send_window.as_secs_f64().max(f64::EPSILON);
    let throughput = Throughput {
        send_window_s: send_window.as_secs_f64(),
        offered_per_s: if options.idle {
            0.0
        } else {
            count as f64 * rate
        },
        sent_per_s: counts.sent as f64 / seconds,
        delivered_per_s: counts.delivered as f64 / seconds,
    };
    if load_average_setup != load_average_start {
        notes.push(format!(
            "load average when sending began: {load_average_setup}"
        ));
    }
    Ok(Report {
        scenario,
        load_average_start,
        load_average_end,
        open_files_limit: open_files,
        notes,
        counts,
        throughput,
        latency_us: Percentiles::of(&latencies.merged()),
        reply_latency_us: Percentiles::of(&replies.merged()),
        setup: Setup {
            devices_ms,
            device: Percentiles::of(&device_setup),
            clients_ms,
            client: Percentiles::of(&client_setup),
        },
        server: ProcessFigures {
            threads: server_threads,
            ..figures(
                server.pid,
                server_start,
                server_setup,
                server_send_end,
                server_end,
                send_window,
            )
        },
        loadgen: ProcessFigures {
            threads: self_threads,
            ..figures(
                Some(std::process::id()),
                self_start,
                self_setup,
                self_send_end,
                self_end,
                send_window,
            )
        },
        churn: churn_report,
        client_churn: client_churn_report,
    })
}

/// The values the `rank`-th of `sharers` clients of a device with `steps` steps sends: every
/// `sharers`-th step from `rank + 1`, so that the sets are disjoint and each has two values or
/// more; when the steps are too few for that, every step (the sets then overlap).
pub fn value_set(steps: u32, sharers: usize, rank: usize) -> Arc<[u32]> {
    let sharers = sharers.max(1) as u32;
    let rank = rank as u32 % sharers;
    if steps / sharers >= 2 {
        (1..=steps)
            .filter(|value| (value - 1) % sharers == rank)
            .collect()
    } else {
        (1..=steps).collect()
    }
}

/// CPU seconds per thread name between two readings, busiest first.
fn thread_cpu(
    before: &BTreeMap<String, (usize, u64)>,
    after: &BTreeMap<String, (usize, u64)>,
) -> Vec<ThreadCpu> {
    let per_second = proc_stats::clock_ticks_per_second() as f64;
    let mut threads: Vec<ThreadCpu> = after
        .iter()
        .map(|(name, (count, ticks))| {
            let earlier = before.get(name).map(|(_, ticks)| *ticks).unwrap_or(0);
            ThreadCpu {
                name: name.clone(),
                threads: *count,
                cpu_s: (ticks.saturating_sub(earlier) as f64 / per_second * 100.0).round() / 100.0,
            }
        })
        .collect();
    threads.sort_by(|a, b| b.cpu_s.total_cmp(&a.cpu_s));
    threads
}

/// Adds up the clients' and devices' figures.
fn tally(
    options: &Options,
    clients: &[ClientStats],
    devices: &[DeviceStats],
    connect_failures: u64,
    churn: Option<&Churn>,
    client_churn: Option<&ClientChurn>,
) -> Counts {
    let mut counts = Counts::default();
    let mut errors_by_code: BTreeMap<i64, u64> = BTreeMap::new();
    for client in clients {
        counts.sent += client.sent;
        counts.replies_ok += client.ok;
        counts.skipped_ticks += client.skipped;
        counts.bad_frames += client.bad_frames;
        counts.clients_closed_early += u64::from(client.closed_early);
        for (code, count) in &client.errors_by_code {
            *errors_by_code.entry(*code).or_default() += count;
        }
    }
    for device in devices {
        counts.delivered += device.delivered;
        counts.stop_writes += device.stops;
        counts.unmatched_writes += device.unmatched;
        counts.other_writes += device.other_writes;
        counts.devices_closed_early += u64::from(device.closed_early);
    }
    let refused: u64 = errors_by_code.values().sum();
    counts.offered = options.offered_commands().round() as u64;
    counts.undelivered = counts.sent.saturating_sub(counts.delivered + refused);
    counts.errors = refused
        + counts.clients_closed_early
        + counts.devices_closed_early
        + counts.bad_frames
        + connect_failures
        + churn.map(|churn| churn.failures).unwrap_or(0)
        + client_churn.map(|churn| churn.failures).unwrap_or(0);
    counts.errors_by_code = errors_by_code;
    counts
}

fn figures(
    pid: Option<u32>,
    start: Option<ProcSample>,
    setup: Option<ProcSample>,
    send_end: Option<ProcSample>,
    end: Option<ProcSample>,
    send_window: Duration,
) -> ProcessFigures {
    let (Some(start), Some(setup), Some(send_end), Some(end)) = (start, setup, send_end, end)
    else {
        return ProcessFigures {
            pid: None,
            ..ProcessFigures::default()
        };
    };
    let percent = |before: u64, after: u64| {
        if before > 0 {
            let change = 100.0 * (after as f64 - before as f64) / before as f64;
            (change * 10.0).round() / 10.0
        } else {
            0.0
        }
    };
    ProcessFigures {
        pid,
        rss_start_kib: start.rss_kib,
        rss_after_setup_kib: setup.rss_kib,
        rss_end_kib: end.rss_kib,
        rss_peak_kib: end.hwm_kib,
        rss_change_percent: percent(setup.rss_kib, end.rss_kib),
        anon_after_setup_kib: setup.anon_kib,
        anon_end_kib: end.anon_kib,
        anon_change_percent: percent(setup.anon_kib, end.anon_kib),
        cpu_s: (proc_stats::cpu_seconds(&setup, &send_end) * 100.0).round() / 100.0,
        cpu_percent: proc_stats::cpu_percent(&setup, &send_end, send_window).round(),
        threads: Vec::new(),
    }
}

/// What a run of paced cycles came to.
#[derive(Debug, Default)]
struct Cycles {
    done: u64,
    /// Cycles that succeeded and said so (a client that left by dropping its connection).
    flagged: u64,
    failures: u64,
    first_failure: Option<String>,
}

/// Runs cycles 0, 1, … of `total`, `concurrency` at a time; cycle n starts no earlier than
/// `start + n × duration / total`, and none starts after `start + duration`. A cycle answers
/// Ok(flag) or its failure.
async fn paced_cycles<F, Fut>(
    total: usize,
    concurrency: usize,
    start: Instant,
    duration: Duration,
    cycle: F,
) -> Cycles
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<bool>> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let cycle = Arc::new(cycle);
    let spacing = duration.div_f64(total.max(1) as f64);
    let end = start + duration;
    let workers: Vec<_> = (0..concurrency.min(total))
        .map(|_| {
            let (next, cycle) = (next.clone(), cycle.clone());
            tokio::spawn(async move {
                let mut outcome = Cycles::default();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let begin = start + spacing.mul_f64(n as f64);
                    if n as usize >= total || begin >= end {
                        break;
                    }
                    tokio::time::sleep_until(begin.into()).await;
                    match cycle(n).await {
                        Ok(flag) => {
                            outcome.done += 1;
                            outcome.flagged += u64::from(flag);
                        }
                        Err(error) => {
                            outcome.failures += 1;
                            outcome
                                .first_failure
                                .get_or_insert_with(|| format!("{error:#}"));
                        }
                    }
                }
                outcome
            })
        })
        .collect();
    let mut all = Cycles::default();
    for worker in workers {
        match worker.await {
            Ok(outcome) => {
                all.done += outcome.done;
                all.flagged += outcome.flagged;
                all.failures += outcome.failures;
                if all.first_failure.is_none() {
                    all.first_failure = outcome.first_failure;
                }
            }
            Err(error) => {
                all.failures += 1;
                all.first_failure
                    .get_or_insert_with(|| format!("churn worker: {error}"));
            }
        }
    }
    all
}

/// Churn devices: `total` connect, are identified and leave, paced over `duration`
/// ([`paced_cycles`]). Cycle n uses address `first_number + n`, or `first_number + n mod
/// addresses` when `addresses` is not 0.
#[allow(clippy::too_many_arguments)]
async fn churn(
    total: usize,
    concurrency: usize,
    hold: Duration,
    url: String,
    greeting: Greeting,
    first_number: u64,
    addresses: u64,
    start: Instant,
    duration: Duration,
) -> Churn {
    let cycles = paced_cycles(total, concurrency, start, duration, move |n| {
        let url = url.clone();
        async move {
            let number = first_number + if addresses > 0 { n % addresses } else { n };
            let device = Device::connect(&url, greeting, number).await?;
            device.identify_and_leave(hold).await?;
            Ok(false)
        }
    })
    .await;
    Churn {
        cycles: cycles.done,
        failures: cycles.failures,
        first_failure: cycles.first_failure,
        ..Churn::default()
    }
}

/// Churn clients: `total` connect, complete the handshake, ask for the device list and leave
/// (odd cycles by dropping the connection), paced over `duration` ([`paced_cycles`]).
async fn client_churn(
    total: usize,
    concurrency: usize,
    url: String,
    version: u8,
    start: Instant,
    duration: Duration,
) -> ClientChurn {
    let cycles = paced_cycles(total, concurrency, start, duration, move |n| {
        let url = url.clone();
        async move {
            let politely = n % 2 == 0;
            let mut client = Client::connect(&url, version).await?;
            client.device_list().await?;
            client.leave(politely).await?;
            Ok(!politely)
        }
    })
    .await;
    ClientChurn {
        cycles: cycles.done,
        dropped: cycles.flagged,
        failures: cycles.failures,
        first_failure: cycles.first_failure,
    }
}

#[cfg(test)]
mod tests {
    use super::value_set;

    #[test]
    fn sharers_get_disjoint_value_sets_of_two_or_more() {
        assert_eq!(&*value_set(20, 1, 0), &(1..=20).collect::<Vec<_>>()[..]);
        let sets: Vec<Vec<u32>> = (0..10)
            .map(|rank| value_set(20, 10, rank).to_vec())
            .collect();
        assert_eq!(sets[0], vec![1, 11]);
        assert_eq!(sets[9], vec![10, 20]);
        let mut all: Vec<u32> = sets.concat();
        all.sort_unstable();
        assert_eq!(all, (1..=20).collect::<Vec<_>>());
        assert_eq!(value_set(20, 3, 2).to_vec(), vec![3, 6, 9, 12, 15, 18]);
        // Too many sharers: every step, overlapping.
        assert_eq!(value_set(20, 11, 4).len(), 20);
    }
}

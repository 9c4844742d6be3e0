//! A Buttplug client: connect and handshake (timed), watch the device list while the devices
//! come up (the first client), then send commands at its rate (or keep a window full in the peak
//! mode) and count the replies, Ok or Error by ErrorCode.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;

use crate::device::{connect_socket, Ledger, Shards, Socket};
use crate::run::{Counters, Phase};
use crate::wire::{self, DeviceEntry, ServerMsg, Vibrator};

/// How long a request (handshake, device list) may take during set-up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A handshaken client connection.
pub struct Client {
    socket: Socket,
    version: u8,
    next_id: u32,
}

/// A device a client drives.
#[derive(Clone)]
pub struct Target {
    pub index: u32,
    pub vibrator: Vibrator,
    pub ledger: Arc<Ledger>,
    /// The values this client cycles through on this device (at least 2, so that consecutive
    /// commands differ). Clients sharing a device get disjoint sets when the steps allow it, so
    /// that no server's deduplication can swallow a command and arrivals match exactly.
    pub values: Arc<[u32]>,
}

/// What a client does during the run.
pub struct Plan {
    pub targets: Vec<Target>,
    /// Commands per second (0: peak mode).
    pub rate: f64,
    /// Most unanswered commands (`None`: unlimited).
    pub window: Option<u32>,
    /// When the first tick fires (clients are staggered over one period).
    pub start: Instant,
    /// Where send → reply times go, and this client's shard.
    pub replies: Arc<Shards>,
    pub shard: usize,
    /// Rate mode: how many ticks this client has (those of its schedule that fall inside the
    /// run), so the offered load is exact however late its task runs.
    pub ticks: u64,
}

/// What one client saw.
#[derive(Debug)]
pub struct ClientStats {
    pub sent: u64,
    pub ok: u64,
    pub errors_by_code: BTreeMap<i64, u64>,
    /// Ticks that found the window full.
    pub skipped: u64,
    /// Frames that were not Buttplug JSON.
    pub bad_frames: u64,
    /// The server closed the socket before the run ended, or a send failed.
    pub closed_early: bool,
}

impl Client {
    /// Connects and completes the handshake.
    pub async fn connect(url: &str, version: u8) -> Result<Client> {
        let socket = connect_socket(url).await?;
        let mut client = Client {
            socket,
            version,
            next_id: 1,
        };
        let id = client.take_id();
        client.send(wire::handshake(version, id)).await?;
        client
            .wait_for(
                |message| matches!(message, ServerMsg::ServerInfo { id: reply } if *reply == id),
                REQUEST_TIMEOUT,
            )
            .await
            .map_err(|error| anyhow!("handshake: {error}"))?;
        Ok(client)
    }

    /// Connects, retrying refused connections until `patience` has passed (a server that is
    /// still starting, or serves one client and is between clients).
    pub async fn connect_with_retry(url: &str, version: u8, patience: Duration) -> Result<Client> {
        let deadline = Instant::now() + patience;
        loop {
            match Client::connect(url, version).await {
                Ok(client) => return Ok(client),
                Err(error) if Instant::now() >= deadline => return Err(error),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    fn take_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        id
    }

    async fn send(&mut self, text: String) -> Result<()> {
        self.socket.send(Message::Text(text)).await?;
        Ok(())
    }

    /// Reads frames until a message satisfies `wanted`; returns it.
    async fn wait_for(
        &mut self,
        mut wanted: impl FnMut(&ServerMsg) -> bool,
        timeout: Duration,
    ) -> Result<ServerMsg> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .map_err(|_| anyhow!("no answer within {timeout:?}"))?;
            let text = match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | None => bail!("the server closed the connection"),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error.into()),
            };
            for message in wire::parse_server_frame(&text).map_err(|error| anyhow!(error))? {
                if let ServerMsg::Error { id: 0, code } = message {
                    bail!("the server sent Error {code} (Id 0)");
                }
                if wanted(&message) {
                    return Ok(message);
                }
            }
        }
    }

    /// Leaves: with a WebSocket close when `politely`, else by dropping the TCP connection
    /// (as a killed app or a pulled cable would).
    pub async fn leave(mut self, politely: bool) -> Result<()> {
        if politely {
            self.socket.close(None).await?;
        }
        Ok(())
    }

    /// `StartScanning` (the reference connects websocket devices without it; harmless).
    pub async fn start_scanning(&mut self) -> Result<()> {
        let id = self.take_id();
        self.send(wire::simple("StartScanning", id)).await?;
        self.wait_for(|message| matches!(message, ServerMsg::Ok { id: reply } | ServerMsg::Error { id: reply, .. } if *reply == id), REQUEST_TIMEOUT)
            .await?;
        Ok(())
    }

    /// The current device list.
    pub async fn device_list(&mut self) -> Result<Vec<DeviceEntry>> {
        let id = self.take_id();
        self.send(wire::simple("RequestDeviceList", id)).await?;
        match self
            .wait_for(|message| matches!(message, ServerMsg::DeviceList { id: reply, .. } if *reply == id), REQUEST_TIMEOUT)
            .await?
        {
            ServerMsg::DeviceList { devices, .. } => Ok(devices),
            other => bail!("expected a DeviceList, got {other:?}"),
        }
    }

    /// Waits for a device whose index is not in `known` to be announced (v4 DeviceList event, v3
    /// DeviceAdded).
    pub async fn next_new_device(
        &mut self,
        known: &BTreeSet<u32>,
        timeout: Duration,
    ) -> Result<DeviceEntry> {
        let mut found = None;
        self.wait_for(
            |message| {
                let candidates: Vec<&DeviceEntry> = match message {
                    ServerMsg::DeviceList { devices, .. } => devices.iter().collect(),
                    ServerMsg::DeviceAdded(entry) => vec![entry],
                    _ => Vec::new(),
                };
                found = candidates
                    .into_iter()
                    .find(|entry| !known.contains(&entry.index))
                    .cloned();
                found.is_some()
            },
            timeout,
        )
        .await?;
        found.ok_or_else(|| anyhow!("no new device"))
    }

    /// Sends until the Drain phase, reads until the Close phase.
    pub async fn run(
        mut self,
        plan: Plan,
        counters: Arc<Counters>,
        mut phase: watch::Receiver<Phase>,
    ) -> ClientStats {
        let mut stats = ClientStats {
            sent: 0,
            ok: 0,
            errors_by_code: BTreeMap::new(),
            skipped: 0,
            bad_frames: 0,
            closed_early: false,
        };
        let rate_mode = plan.rate > 0.0 && !plan.targets.is_empty();
        let peak_mode = plan.rate <= 0.0 && !plan.targets.is_empty();
        let period = if rate_mode {
            Duration::from_secs_f64(1.0 / plan.rate)
        } else {
            Duration::from_secs(3600)
        };
        let mut ticker = tokio::time::interval_at(plan.start.into(), period);
        // Burst: ticks missed while the task was late fire at once, so the number of commands
        // offered over the run is exact; the latency of each is still measured from its own send.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut sending = *phase.borrow() == Phase::Run
            && !plan.targets.is_empty()
            && (!rate_mode || plan.ticks > 0);
        let mut done = false;
        if !sending {
            done = true;
            counters.senders_done.fetch_add(1, Ordering::Relaxed);
        }
        // Id → (target, value, send time).
        let mut unanswered: HashMap<u32, (usize, u32, Instant)> = HashMap::new();
        let mut turn = 0usize;
        let mut ticks_done = 0u64;
        let window = plan
            .window
            .map(|window| window as usize)
            .unwrap_or(usize::MAX);

        if peak_mode && sending {
            tokio::time::sleep_until(plan.start.into()).await;
            while sending && unanswered.len() < window {
                if !self
                    .send_command(&plan, &mut turn, &mut unanswered, &counters, &mut stats)
                    .await
                {
                    sending = false;
                }
            }
        }
        loop {
            tokio::select! {
                biased;
                changed = phase.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let now_in = *phase.borrow_and_update();
                    match now_in {
                        // Rate mode stops at its last tick before `end`; the peak mode here.
                        Phase::Drain if peak_mode => sending = false,
                        Phase::Drain | Phase::Run => {}
                        Phase::Close => {
                            let _ = self.socket.close(None).await;
                            break;
                        }
                        Phase::Setup => {}
                    }
                }
                frame = self.socket.next() => {
                    let text = match frame {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                            stats.closed_early = *phase.borrow() != Phase::Close;
                            break;
                        }
                        Some(Ok(_)) => continue,
                    };
                    let now = Instant::now();
                    match wire::parse_server_frame(&text) {
                        Ok(messages) => {
                            for message in messages {
                                self.on_message(message, now, &plan, &mut unanswered, &counters, &mut stats);
                            }
                        }
                        Err(_) => stats.bad_frames += 1,
                    }
                    while peak_mode && sending && unanswered.len() < window {
                        if !self.send_command(&plan, &mut turn, &mut unanswered, &counters, &mut stats).await {
                            sending = false;
                        }
                    }
                }
                _ = ticker.tick(), if rate_mode && sending => {
                    if ticks_done >= plan.ticks {
                        sending = false;
                    } else {
                        ticks_done += 1;
                        if unanswered.len() >= window {
                            stats.skipped += 1;
                        } else if !self.send_command(&plan, &mut turn, &mut unanswered, &counters, &mut stats).await {
                            sending = false;
                        }
                        if ticks_done >= plan.ticks {
                            sending = false;
                        }
                    }
                }
            }
            if !sending && !done {
                done = true;
                counters.senders_done.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !done {
            counters.senders_done.fetch_add(1, Ordering::Relaxed);
        }
        stats
    }

    /// Sends the next command; false when the budget is spent or the socket failed.
    async fn send_command(
        &mut self,
        plan: &Plan,
        turn: &mut usize,
        unanswered: &mut HashMap<u32, (usize, u32, Instant)>,
        counters: &Counters,
        stats: &mut ClientStats,
    ) -> bool {
        if counters
            .budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(1)
            })
            .is_err()
        {
            return false;
        }
        let slot = *turn % plan.targets.len();
        let target = &plan.targets[slot];
        // The k-th command to this target takes the k-th value of its set, cyclically.
        let value = target.values[(*turn / plan.targets.len()) % target.values.len()];
        *turn = turn.wrapping_add(1);
        let id = self.take_id();
        let sent = target.ledger.take(value);
        let frame = wire::command(self.version, id, target.index, target.vibrator, value);
        unanswered.insert(id, (slot, value, sent));
        if self.socket.send(Message::Text(frame)).await.is_err() {
            target.ledger.cancel(value, sent);
            unanswered.remove(&id);
            stats.closed_early = true;
            counters.failures.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        stats.sent += 1;
        counters.sent.fetch_add(1, Ordering::Relaxed);
        true
    }

    fn on_message(
        &mut self,
        message: ServerMsg,
        now: Instant,
        plan: &Plan,
        unanswered: &mut HashMap<u32, (usize, u32, Instant)>,
        counters: &Counters,
        stats: &mut ClientStats,
    ) {
        match message {
            ServerMsg::Ok { id } => {
                if let Some((_, _, sent)) = unanswered.remove(&id) {
                    plan.replies
                        .record(plan.shard, now.saturating_duration_since(sent));
                    stats.ok += 1;
                    counters.replied.fetch_add(1, Ordering::Relaxed);
                }
            }
            ServerMsg::Error { id, code } => {
                *stats.errors_by_code.entry(code).or_default() += 1;
                counters.errors.fetch_add(1, Ordering::Relaxed);
                if let Some((slot, value, sent)) = unanswered.remove(&id) {
                    plan.targets[slot].ledger.cancel(value, sent);
                    counters.replied.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {}
        }
    }
}

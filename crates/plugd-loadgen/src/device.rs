//! The simulated devices: a Lovense Lush on the device WebSocket (either greeting) that answers
//! `DeviceType;` and records, for every `Vibrate:N;` it receives, the time since the matching
//! command left its client. The `Ledger` is the meeting point of both ends: a client takes the
//! device's next value (different from the previous one) and the send time; the device matches
//! arrivals by value, oldest first.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::run::{Counters, Phase};
use crate::wire::{self, DeviceFrame, Greeting, LovenseWrite};

/// A device's socket.
pub type Socket = WebSocketStream<TcpStream>;

/// How long a device waits for the server's answer to its greeting and for `DeviceType;`.
const GREETING_TIMEOUT: Duration = Duration::from_secs(10);

/// Commands sent to one device and not yet seen there: (value, send time), oldest first.
#[derive(Debug, Default)]
pub struct Ledger {
    pending: Mutex<VecDeque<(u32, Instant)>>,
}

impl Ledger {
    /// A command setting `value` leaves now: returns the send time, recorded as pending.
    pub fn take(&self, value: u32) -> Instant {
        let mut pending = self.lock();
        let now = Instant::now();
        pending.push_back((value, now));
        now
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(u32, Instant)>> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A value arrived: the send time of the oldest pending command with that value.
    pub fn arrived(&self, value: u32) -> Option<Instant> {
        let mut pending = self.lock();
        let position = pending.iter().position(|(pending, _)| *pending == value)?;
        pending.remove(position).map(|(_, sent)| sent)
    }

    /// A command was refused: it will never arrive.
    pub fn cancel(&self, value: u32, sent: Instant) {
        let mut pending = self.lock();
        if let Some(position) = pending.iter().position(|entry| *entry == (value, sent)) {
            pending.remove(position);
        }
    }

    /// Commands still on their way.
    pub fn outstanding(&self) -> usize {
        self.lock().len()
    }
}

/// What one device saw.
#[derive(Debug)]
pub struct DeviceStats {
    pub delivered: u64,
    /// `Vibrate:0;` (stops: a client leaving, the server shutting down).
    pub stops: u64,
    /// A `Vibrate:N;` with no pending command of that value.
    pub unmatched: u64,
    /// Other bytes.
    pub other_writes: u64,
    /// The server closed the socket before the run ended.
    pub closed_early: bool,
}

/// A new latency histogram: 1 µs to 100 s, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000, 3).unwrap_or_else(|_| {
        Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
    })
}

/// Latency histograms shared by many tasks: a few shards, each behind its own lock, so that
/// thousands of clients do not each hold a histogram of their own (about 150 KB each).
#[derive(Debug)]
pub struct Shards {
    shards: Vec<Mutex<Histogram<u64>>>,
}

impl Shards {
    /// `count` shards (at least 1).
    pub fn new(count: usize) -> Shards {
        Shards {
            shards: (0..count.max(1)).map(|_| Mutex::new(histogram())).collect(),
        }
    }

    /// Records a duration (as microseconds, at least 1) in the shard picked by `hint`.
    pub fn record(&self, hint: usize, duration: Duration) {
        let micros = u64::try_from(duration.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let shard = &self.shards[hint % self.shards.len()];
        shard
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .saturating_record(micros);
    }

    /// All shards added up.
    pub fn merged(&self) -> Histogram<u64> {
        let mut all = histogram();
        for shard in &self.shards {
            let shard = shard
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = all.add(&*shard);
        }
        all
    }
}

/// A TCP connection with TCP_NODELAY and the WebSocket handshake.
pub async fn connect_socket(url: &str) -> Result<Socket> {
    let host_port = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| anyhow!("{url}: not a ws:// URL"))?;
    let stream = TcpStream::connect(host_port)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    stream.set_nodelay(true)?;
    let (socket, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .with_context(|| format!("WebSocket handshake with {url}"))?;
    Ok(socket)
}

/// A connected, greeted device.
pub struct Device {
    socket: Socket,
    greeting: Greeting,
    number: u64,
}

impl Device {
    /// Connects device `number` and greets. With the simulate greeting, waits for `Accepted`.
    pub async fn connect(url: &str, greeting: Greeting, number: u64) -> Result<Device> {
        let mut socket = connect_socket(url).await?;
        socket
            .send(Message::Text(wire::device_greeting(greeting, number)))
            .await?;
        if greeting == Greeting::Simulate {
            let answer = tokio::time::timeout(GREETING_TIMEOUT, next_text(&mut socket))
                .await
                .map_err(|_| {
                    anyhow!(
                        "device {number}: no answer to the greeting within {GREETING_TIMEOUT:?}"
                    )
                })??;
            match wire::parse_device_frame(&answer) {
                DeviceFrame::Accepted => {}
                DeviceFrame::Rejected(reason) => bail!("device {number} rejected: {reason}"),
                _ => bail!("device {number}: unexpected answer to the greeting: {answer}"),
            }
        }
        Ok(Device {
            socket,
            greeting,
            number,
        })
    }

    /// Sends bytes on `rx` (a notification).
    async fn notify(&mut self, data: &[u8]) -> Result<()> {
        let frame = match self.greeting {
            Greeting::Simulate => Message::Text(wire::notification(data)),
            Greeting::Raw => Message::Binary(data.to_vec()),
        };
        self.socket.send(frame).await?;
        Ok(())
    }

    /// The next bytes written to the device (`None`: the socket closed). Reads are answered
    /// with no data on the way.
    async fn next_write(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            let Some(frame) = self.socket.next().await else {
                return Ok(None);
            };
            match frame? {
                Message::Text(text) if self.greeting == Greeting::Simulate => {
                    match wire::parse_device_frame(&text) {
                        DeviceFrame::Write(data) => return Ok(Some(data)),
                        DeviceFrame::Read { id } => {
                            let reply = serde_json::json!({"ReadReply": {"id": id, "data": []}});
                            self.socket.send(Message::Text(reply.to_string())).await?;
                        }
                        _ => {}
                    }
                }
                Message::Binary(data) if self.greeting == Greeting::Raw => return Ok(Some(data)),
                Message::Close(_) => return Ok(None),
                _ => {}
            }
        }
    }

    /// Answers a write if it is a query; returns what it was.
    async fn answer(&mut self, data: &[u8]) -> Result<LovenseWrite> {
        let write = wire::lovense_write(data);
        match write {
            LovenseWrite::DeviceType => self.notify(&wire::device_type_answer(self.number)).await?,
            LovenseWrite::Battery => self.notify(b"85;").await?,
            _ => {}
        }
        Ok(write)
    }

    /// Churn: waits for identification (`DeviceType;`), stays `hold`, leaves.
    pub async fn identify_and_leave(mut self, hold: Duration) -> Result<()> {
        let identified = tokio::time::timeout(GREETING_TIMEOUT, async {
            loop {
                match self.next_write().await? {
                    Some(data) => {
                        if self.answer(&data).await? == LovenseWrite::DeviceType {
                            return Ok::<(), anyhow::Error>(());
                        }
                    }
                    None => bail!("device {}: closed by the server", self.number),
                }
            }
        })
        .await;
        match identified {
            Ok(result) => result?,
            Err(_) => bail!(
                "device {}: no DeviceType; within {GREETING_TIMEOUT:?}",
                self.number
            ),
        }
        // Stay (answering whatever comes), then leave with a close frame.
        let _ = tokio::time::timeout(hold, async {
            while let Ok(Some(data)) = self.next_write().await {
                let _ = self.answer(&data).await;
            }
        })
        .await;
        let _ = self.socket.close(None).await;
        Ok(())
    }

    /// Runs until the Close phase: answers queries, matches every `Vibrate:N;` in `ledger`.
    pub async fn run(
        mut self,
        ledger: Arc<Ledger>,
        latencies: Arc<Shards>,
        counters: Arc<Counters>,
        mut phase: watch::Receiver<Phase>,
    ) -> DeviceStats {
        let mut stats = DeviceStats {
            delivered: 0,
            stops: 0,
            unmatched: 0,
            other_writes: 0,
            closed_early: false,
        };
        loop {
            tokio::select! {
                changed = phase.changed() => {
                    let closing = changed.is_err() || *phase.borrow_and_update() == Phase::Close;
                    if closing {
                        let _ = self.socket.close(None).await;
                        break;
                    }
                }
                write = self.next_write() => {
                    let data = match write {
                        Ok(Some(data)) => data,
                        Ok(None) | Err(_) => {
                            stats.closed_early = *phase.borrow() != Phase::Close;
                            break;
                        }
                    };
                    let arrived = Instant::now();
                    match self.answer(&data).await {
                        Ok(LovenseWrite::Vibrate(0)) => stats.stops += 1,
                        Ok(LovenseWrite::Vibrate(value)) => match ledger.arrived(value) {
                            Some(sent) => {
                                latencies.record(self.number as usize, arrived.saturating_duration_since(sent));
                                stats.delivered += 1;
                                counters.delivered.fetch_add(1, Ordering::Relaxed);
                            }
                            None => stats.unmatched += 1,
                        },
                        Ok(LovenseWrite::Other) => stats.other_writes += 1,
                        Ok(_) => {}
                        Err(_) => {
                            stats.closed_early = *phase.borrow() != Phase::Close;
                            break;
                        }
                    }
                }
            }
        }
        stats
    }
}

/// The next text frame (the simulate greeting's answer).
async fn next_text(socket: &mut Socket) -> Result<String> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text),
            Some(Ok(Message::Close(_))) | None => bail!("closed by the server"),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_match_the_oldest_pending_command_of_that_value() {
        let ledger = Ledger::default();
        let first = ledger.take(1);
        ledger.take(2);
        let second = ledger.take(1);
        assert_eq!(ledger.arrived(1), Some(first));
        assert_eq!(ledger.arrived(1), Some(second));
        assert_eq!(ledger.outstanding(), 1);
        assert_eq!(ledger.arrived(9), None);
    }

    #[test]
    fn cancelled_commands_are_not_matched() {
        let ledger = Ledger::default();
        let value = 7;
        let sent = ledger.take(value);
        ledger.cancel(value, sent);
        assert_eq!(ledger.arrived(value), None);
        assert_eq!(ledger.outstanding(), 0);
    }
}

//! The web side's client of the Server: the `Hub` actor registers as an observer client
//! (`ConnectObserver` + `Handshake`, spec v4), receives the Server's events, and fans them and
//! live snapshots (clients, devices with their output levels, counters) out to server-sent
//! event listeners. Snapshots are taken every [`SNAPSHOT_PERIOD`] while someone listens, and
//! sent only when they changed.

use crate::snapshot::{observe, Snapshot, ToJson};
use actix::prelude::*;
use actix_web::web::Bytes;
use plugd_device::DeviceManager;
use plugd_messages::Event;
use plugd_server::{Server, ServerEvent};
use std::time::Duration;
use tokio::sync::mpsc;

/// How often listeners get a fresh snapshot (when something changed).
pub const SNAPSHOT_PERIOD: Duration = Duration::from_millis(100);

/// A comment line every so often keeps proxies and browsers from closing an idle stream.
const KEEPALIVE_PERIOD: Duration = Duration::from_secs(15);

/// Frames a listener may have queued before new ones are skipped (the next snapshot carries
/// the latest state anyway).
const LISTENER_QUEUE: usize = 64;

/// Start listening: `device: None` for the server stream, `Some(index)` for one device's.
/// Replies with the stream of SSE frames; the current snapshot comes first.
#[derive(Message)]
#[rtype(result = "mpsc::Receiver<Bytes>")]
pub struct Listen {
    /// The device, or the whole server.
    pub device: Option<u32>,
}

struct Listener {
    device: Option<u32>,
    sender: mpsc::Sender<Bytes>,
}

/// Formats one server-sent event.
pub fn sse_frame(event: &str, data: &str) -> Bytes {
    let mut frame = String::with_capacity(event.len() + data.len() + 16);
    frame.push_str("event: ");
    frame.push_str(event);
    frame.push('\n');
    for line in data.lines() {
        frame.push_str("data: ");
        frame.push_str(line);
        frame.push('\n');
    }
    frame.push('\n');
    Bytes::from(frame)
}

/// The actor. See the module doc.
pub struct Hub {
    server: Addr<Server>,
    device_manager: Addr<DeviceManager>,
    listeners: Vec<Listener>,
    /// The last snapshot sent, to send only changes.
    last: Option<Snapshot>,
    /// A snapshot is being taken.
    observing: bool,
}

impl Hub {
    /// A hub observing `server` and `device_manager`.
    pub fn new(server: Addr<Server>, device_manager: Addr<DeviceManager>) -> Self {
        Hub {
            server,
            device_manager,
            listeners: Vec::new(),
            last: None,
            observing: false,
        }
    }

    /// Sends `frame` to the listeners `wanted` selects; forgets closed ones.
    fn send_where(&mut self, wanted: impl Fn(Option<u32>) -> Option<Bytes>) {
        self.listeners
            .retain(|listener| match wanted(listener.device) {
                Some(frame) => !matches!(
                    listener.sender.try_send(frame),
                    Err(mpsc::error::TrySendError::Closed(_))
                ),
                None => !listener.sender.is_closed(),
            });
    }

    fn publish(&mut self, snapshot: Snapshot) {
        let previous = self.last.take();
        let server_changed = previous.as_ref() != Some(&snapshot);
        let server_frame = sse_frame("status", &snapshot.to_json().to_string());
        let device_frames: Vec<(u32, Option<Bytes>)> = snapshot
            .devices
            .iter()
            .map(|device| {
                let before = previous
                    .as_ref()
                    .and_then(|previous| previous.device(device.info.index.0));
                let frame = (before != Some(device))
                    .then(|| sse_frame("device", &device.to_json().to_string()));
                (device.info.index.0, frame)
            })
            .collect();
        let removed: Vec<u32> = previous
            .as_ref()
            .map(|previous| {
                previous
                    .devices
                    .iter()
                    .filter(|device| snapshot.device(device.info.index.0).is_none())
                    .map(|device| device.info.index.0)
                    .collect()
            })
            .unwrap_or_default();
        self.send_where(|device| match device {
            None => server_changed.then(|| server_frame.clone()),
            Some(index) => {
                if removed.contains(&index) {
                    return Some(sse_frame("removed", &format!("{{\"index\":{index}}}")));
                }
                device_frames
                    .iter()
                    .find(|(candidate, _)| *candidate == index)
                    .and_then(|(_, frame)| frame.clone())
            }
        });
        self.last = Some(snapshot);
    }

    fn take_snapshot(&mut self, ctx: &mut Context<Self>) {
        if self.observing || self.listeners.is_empty() {
            return;
        }
        self.observing = true;
        let server = self.server.clone();
        let device_manager = self.device_manager.clone();
        ctx.spawn(
            async move { observe(&server, &device_manager).await }
                .into_actor(self)
                .map(|snapshot, hub, _| {
                    hub.observing = false;
                    if let Some(snapshot) = snapshot {
                        hub.publish(snapshot);
                    }
                }),
        );
    }
}

impl Actor for Hub {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(SNAPSHOT_PERIOD, |hub, ctx| hub.take_snapshot(ctx));
        ctx.run_interval(KEEPALIVE_PERIOD, |hub, _| {
            let keepalive = Bytes::from_static(b": keepalive\n\n");
            hub.send_where(|_| Some(keepalive.clone()));
        });
    }
}

impl Handler<Listen> for Hub {
    type Result = MessageResult<Listen>;

    fn handle(&mut self, message: Listen, ctx: &mut Self::Context) -> Self::Result {
        let (sender, receiver) = mpsc::channel(LISTENER_QUEUE);
        if let Some(last) = &self.last {
            let first = match message.device {
                None => Some(sse_frame("status", &last.to_json().to_string())),
                Some(index) => last
                    .device(index)
                    .map(|device| sse_frame("device", &device.to_json().to_string())),
            };
            if let Some(first) = first {
                let _ = sender.try_send(first);
            }
        }
        let first_listener = self.listeners.is_empty();
        self.listeners.push(Listener {
            device: message.device,
            sender,
        });
        if first_listener {
            // Nobody listened: the last snapshot may be old. Take one now; it reaches the new
            // listener if anything changed since.
            self.take_snapshot(ctx);
        }
        MessageResult(receiver)
    }
}

impl Handler<ServerEvent> for Hub {
    type Result = ();

    fn handle(&mut self, event: ServerEvent, ctx: &mut Self::Context) {
        match event {
            ServerEvent::Event(Event::ScanningFinished) => {
                let frame = sse_frame("scanning-finished", "{}");
                self.send_where(|device| device.is_none().then(|| frame.clone()));
            }
            ServerEvent::Event(Event::DeviceListChanged(_)) => self.take_snapshot(ctx),
            ServerEvent::Event(Event::Reading(reading)) => {
                let data = serde_json::json!({
                    "index": reading.device.0,
                    "feature": reading.feature.0,
                    "type": reading.kind.wire_name(),
                    "value": reading.value,
                })
                .to_string();
                let frame = sse_frame("reading", &data);
                let index = reading.device.0;
                self.send_where(|device| {
                    (device.is_none() || device == Some(index)).then(|| frame.clone())
                });
            }
            ServerEvent::Event(Event::RawReading(_)) => {}
            ServerEvent::PingedOut | ServerEvent::ShuttingDown => {
                // Dropping the senders ends every stream.
                self.listeners.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sse_frame_names_its_event_and_prefixes_every_data_line() {
        let frame = sse_frame("status", "{\"a\":1}\n{\"b\":2}");
        assert_eq!(
            &frame[..],
            b"event: status\ndata: {\"a\":1}\ndata: {\"b\":2}\n\n"
        );
    }
}

//! Test support shared by the end-to-end tests: start the real plugd binary on free ports, talk
//! to it as a Buttplug client and as a simulated device over real WebSockets. Every wait is
//! bounded and fails with a message saying what was awaited.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// How long any single expected frame may take.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(5);

/// The repository's `../shared` folder, if present. Absent: `None`, except under `CI=true`,
/// where tests that need it must fail (the caller panics with the reason).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "../shared is missing ({}) and CI=true: the shared device tests and databases are required",
            dir.display()
        );
    }
    eprintln!("skipped: ../shared is not present at {}", dir.display());
    None
}

/// A running plugd process. Killed (SIGTERM, then SIGKILL) when dropped.
pub struct Plugd {
    child: Child,
    /// `ws://127.0.0.1:PORT/` for clients.
    pub client_url: String,
    /// `ws://127.0.0.1:PORT/` for simulated devices.
    pub device_url: String,
    /// stderr lines (logs), collected in the background.
    logs: mpsc::Receiver<String>,
}

impl Plugd {
    /// Starts plugd with the device WebSocket on, both on free ports, plus `extra` arguments.
    pub fn start(extra: &[&str]) -> Plugd {
        let mut child = Command::new(env!("CARGO_BIN_EXE_plugd"))
            .args([
                "--websocket-port",
                "0",
                "--use-device-websocket-server",
                "--device-websocket-server-port",
                "0",
                "--log",
                "debug",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start plugd");
        let stdout = child.stdout.take().expect("plugd stdout");
        let stderr = child.stderr.take().expect("plugd stderr");
        let (log_sender, logs) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if log_sender.send(line).is_err() {
                    break;
                }
            }
        });
        let (url_sender, urls) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("plugd listening: ") {
                    let _ = url_sender.send(rest.to_string());
                }
            }
        });
        let mut client_url = None;
        let mut device_url = None;
        let deadline = Instant::now() + Duration::from_secs(20);
        while client_url.is_none() || device_url.is_none() {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let line = match urls.recv_timeout(remaining) {
                Ok(line) => line,
                Err(_) => {
                    let _ = child.kill();
                    let logs: Vec<String> = logs.try_iter().collect();
                    panic!(
                        "plugd did not report its ports in time; logs:\n{}",
                        logs.join("\n")
                    );
                }
            };
            if let Some(url) = line.strip_prefix("clients ") {
                client_url = Some(url.to_string());
            } else if let Some(url) = line.strip_prefix("devices ") {
                device_url = Some(url.to_string());
            }
        }
        Plugd {
            child,
            client_url: client_url.unwrap_or_default(),
            device_url: device_url.unwrap_or_default(),
            logs,
        }
    }

    /// Sends SIGTERM and waits for the process to exit; returns whether it exited successfully.
    pub fn terminate(&mut self) -> bool {
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        false
    }

    /// The process id (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every log line so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.try_iter().collect()
    }
}

impl Drop for Plugd {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A WebSocket peer with bounded reads.
pub struct Peer {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
}

impl Peer {
    /// Connects to `url`.
    pub fn connect(url: &str) -> Peer {
        let (socket, _) =
            tungstenite::connect(url).unwrap_or_else(|error| panic!("connect {url}: {error}"));
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream.set_nodelay(true).expect("nodelay");
        }
        Peer { socket }
    }

    /// This end's address (what plugd sees as the client's address).
    pub fn local_address(&self) -> Option<std::net::SocketAddr> {
        match self.socket.get_ref() {
            MaybeTlsStream::Plain(stream) => stream.local_addr().ok(),
            _ => None,
        }
    }

    /// Sends a text frame.
    pub fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text.to_string()))
            .expect("send text frame");
    }

    /// Sends a JSON value as a text frame.
    pub fn send_json(&mut self, value: &Value) {
        self.send_text(&value.to_string());
    }

    /// Sends a binary frame.
    pub fn send_binary(&mut self, data: &[u8]) {
        self.socket
            .send(Message::binary(data.to_vec()))
            .expect("send binary frame");
    }

    fn set_timeout(&mut self, timeout: Option<Duration>) {
        if let MaybeTlsStream::Plain(stream) = self.socket.get_ref() {
            stream.set_read_timeout(timeout).expect("read timeout");
        }
    }

    /// The next text frame, or `None` when the connection closed or nothing came in `timeout`.
    pub fn next_text_within(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return None;
            }
            self.set_timeout(Some(remaining));
            match self.socket.read() {
                Ok(Message::Text(text)) => return Some(text.to_string()),
                Ok(Message::Close(_)) => return None,
                Ok(_) => continue,
                Err(tungstenite::Error::Io(error))
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return None
                }
                Err(_) => return None,
            }
        }
    }

    /// The next binary frame within `timeout` (upstream raw-pipe devices).
    pub fn next_binary_within(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return None;
            }
            self.set_timeout(Some(remaining));
            match self.socket.read() {
                Ok(Message::Binary(data)) => return Some(data.to_vec()),
                Ok(Message::Close(_)) => return None,
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// The next text frame as JSON; panics naming `what` if none comes in time.
    pub fn expect_json(&mut self, what: &str) -> Value {
        let text = self.next_text_within(FRAME_TIMEOUT).unwrap_or_else(|| {
            panic!("no frame within {FRAME_TIMEOUT:?} while waiting for {what}")
        });
        serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{what}: not JSON ({error}): {text}"))
    }

    /// True when the peer closed the connection (or it dropped) within `timeout`.
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return false;
            }
            self.set_timeout(Some(remaining));
            match self.socket.read() {
                Ok(Message::Close(_)) => return true,
                Ok(_) => continue,
                Err(tungstenite::Error::Io(error))
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return false
                }
                Err(_) => return true,
            }
        }
    }

    /// Closes the connection cleanly.
    pub fn close(mut self) {
        let _ = self.socket.close(None);
        let _ = self.socket.flush();
    }
}

/// A Buttplug client speaking raw JSON.
pub struct Client {
    pub peer: Peer,
    next_id: u32,
    /// Events (Id 0) that arrived while waiting for replies.
    pub events: Vec<Value>,
}

impl Client {
    /// Connects without a handshake.
    pub fn connect(plugd: &Plugd) -> Client {
        Client {
            peer: Peer::connect(&plugd.client_url),
            next_id: 1,
            events: Vec::new(),
        }
    }

    /// Connects and handshakes at `version` (0–4); returns the client and the ServerInfo.
    pub fn handshake(plugd: &Plugd, version: u32) -> (Client, Value) {
        let mut client = Client::connect(plugd);
        let fields = if version >= 4 {
            json!({"ClientName": "plugd-test", "ProtocolVersionMajor": version, "ProtocolVersionMinor": 0})
        } else if version == 0 {
            json!({"ClientName": "plugd-test"})
        } else {
            json!({"ClientName": "plugd-test", "MessageVersion": version})
        };
        let reply = client.request("RequestServerInfo", fields);
        (client, reply)
    }

    /// A fresh message Id.
    pub fn next_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Sends `[{name: fields + Id}]` and returns the reply with that Id (events that arrive
    /// first are kept in `events`).
    pub fn request(&mut self, name: &str, mut fields: Value) -> Value {
        let id = self.next_id();
        fields["Id"] = json!(id);
        self.peer.send_json(&json!([{ name: fields }]));
        self.reply_to(id)
    }

    /// Waits for the reply with this Id.
    pub fn reply_to(&mut self, id: u32) -> Value {
        loop {
            let frame = self.peer.expect_json(&format!("the reply to Id {id}"));
            let message = frame[0].clone();
            let (_, body) = message
                .as_object()
                .and_then(|object| object.iter().next())
                .unwrap_or_else(|| panic!("not a Buttplug message: {frame}"));
            if body["Id"] == json!(id) {
                return message;
            }
            self.events.push(message);
        }
    }

    /// Waits for an event (Id 0) whose message name is `name`, looking at kept events first.
    pub fn event(&mut self, name: &str) -> Value {
        if let Some(position) = self
            .events
            .iter()
            .position(|event| event.get(name).is_some())
        {
            return self.events.remove(position);
        }
        loop {
            let frame = self.peer.expect_json(&format!("a {name} event"));
            let message = frame[0].clone();
            if message.get(name).is_some() {
                return message;
            }
            self.events.push(message);
        }
    }
}

/// The name of a Buttplug message (`{"Ok": {...}}` → `"Ok"`).
pub fn message_name(message: &Value) -> &str {
    message
        .as_object()
        .and_then(|object| object.keys().next())
        .map(String::as_str)
        .unwrap_or("")
}

/// A simulated device on the device WebSocket (`simulate` greeting).
pub struct SimDevice {
    pub peer: Peer,
    /// Answers for the device's next reads, oldest first.
    pub reads: std::collections::VecDeque<Vec<u8>>,
}

impl SimDevice {
    /// Connects and greets as a BLE device; returns it with plugd's Accepted/Rejected answer.
    pub fn btle(plugd: &Plugd, name: &str, address: &str) -> (SimDevice, Value) {
        Self::greet(
            plugd,
            json!({"simulate": {"transport": "btle", "name": name, "address": address}}),
        )
    }

    /// Connects and sends `greeting`.
    pub fn greet(plugd: &Plugd, greeting: Value) -> (SimDevice, Value) {
        let mut peer = Peer::connect(&plugd.device_url);
        peer.send_json(&greeting);
        let answer = peer.expect_json("Accepted or Rejected");
        (
            SimDevice {
                peer,
                reads: Default::default(),
            },
            answer,
        )
    }

    /// The next Write/Subscribe/Unsubscribe frame; Read frames are answered from `reads` on the
    /// way. `None` if nothing came within `timeout`.
    pub fn next_command_within(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let text = self.peer.next_text_within(remaining)?;
            let frame: Value = serde_json::from_str(&text).expect("device frame is JSON");
            if let Some(read) = frame.get("Read") {
                let id = read["id"].clone();
                let data = self.reads.pop_front().unwrap_or_default();
                self.peer
                    .send_json(&json!({"ReadReply": {"id": id, "data": data}}));
                continue;
            }
            return Some(frame);
        }
    }

    /// The next command, panicking naming `what` if none comes.
    pub fn expect_command(&mut self, what: &str) -> Value {
        self.next_command_within(FRAME_TIMEOUT).unwrap_or_else(|| {
            panic!("the device received nothing within {FRAME_TIMEOUT:?} while waiting for {what}")
        })
    }

    /// Waits for a Write and returns its bytes as text.
    pub fn expect_write_text(&mut self, what: &str) -> String {
        let frame = self.expect_command(what);
        let data = frame["Write"]["data"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: expected a Write, got {frame}"))
            .iter()
            .map(|byte| byte.as_u64().unwrap_or(0) as u8)
            .collect::<Vec<u8>>();
        String::from_utf8_lossy(&data).into_owned()
    }

    /// Sends a notification.
    pub fn notify(&mut self, endpoint: &str, data: &[u8]) {
        self.peer
            .send_json(&json!({"Notification": {"endpoint": endpoint, "data": data}}));
    }
}

/// Connects a simulated Lovense toy and runs its identification (answers `DeviceType;` with
/// `model`). Returns the device with its init traffic consumed.
pub fn lovense(plugd: &Plugd, model: &str, address: &str) -> SimDevice {
    let (mut device, answer) = SimDevice::btle(plugd, &format!("LVS-{model}01"), address);
    assert_eq!(message_name(&answer), "Accepted", "{answer}");
    let subscribe = device.expect_command("Subscribe rx");
    assert_eq!(subscribe, json!({"Subscribe": {"endpoint": "rx"}}));
    assert_eq!(device.expect_write_text("DeviceType;"), "DeviceType;");
    device.notify("rx", format!("{model}:37:{address};").as_bytes());
    device
}

//! Starting and stopping the server under test: plugd (ports 0, URLs read from its
//! `plugd listening:` lines), the minimal relay (this binary with `--relay-only`), or
//! intiface-engine (free ports chosen here, a user device config giving Lovense a websocket
//! specifier). Every child is stopped with SIGTERM (then SIGKILL) when its handle is dropped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::wire::RAW_PIPE_IDENTIFIER;

/// How long a server may take to report its ports.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Log lines kept for error messages.
const KEPT_LINES: usize = 40;

/// The last lines a child wrote.
type Log = Arc<Mutex<VecDeque<String>>>;

/// A running server: ours (a child) or someone else's (--target).
pub struct ServerHandle {
    child: Option<Child>,
    /// The process to read /proc of, when known.
    pub pid: Option<u32>,
    /// ws://… for clients.
    pub client_url: String,
    /// ws://… for devices.
    pub device_url: String,
    /// What it is, for the report ("plugd", "relay", "intiface-engine 4.0.2", "target").
    pub label: String,
    /// The server serves one client and only after its socket is listening: retry the first
    /// connection instead of expecting it to succeed at once.
    pub retry_first_connect: bool,
    /// What the loadgen chose for the server that the report should say.
    pub notes: Vec<String>,
    log: Log,
    temp_files: Vec<PathBuf>,
}

impl ServerHandle {
    /// A server started by someone else.
    pub fn external(client_url: String, device_url: String, pid: Option<u32>) -> ServerHandle {
        ServerHandle {
            child: None,
            pid,
            client_url,
            device_url,
            label: "target".into(),
            retry_first_connect: false,
            notes: Vec::new(),
            log: Default::default(),
            temp_files: Vec::new(),
        }
    }

    /// The last lines the child wrote (stdout and stderr), for error messages.
    pub fn recent_log(&self) -> String {
        self.log
            .lock()
            .map(|lines| lines.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    /// Whether our child has exited.
    pub fn exited(&mut self) -> bool {
        match &mut self.child {
            Some(child) => !matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// SIGTERM, then SIGKILL after 10 s. Returns whether the child exited by itself in time.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: kill(2) on our own child's pid; no memory is involved.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
        for file in &self.temp_files {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// The workspace root this crate was built in.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// plugd beside this binary, else `target/release/plugd` of the workspace.
pub fn default_plugd_bin() -> PathBuf {
    if let Ok(me) = std::env::current_exe() {
        if let Some(dir) = me.parent() {
            let sibling = dir.join("plugd");
            if sibling.is_file() {
                return sibling;
            }
        }
    }
    workspace_root().join("target/release/plugd")
}

/// Where scripts/install-intiface-engine installs intiface-engine.
pub fn default_intiface_bin() -> PathBuf {
    let cache = std::env::var_os("PLUGD_BENCH_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|dir| PathBuf::from(dir).join("plugd-bench"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/plugd-bench"))
        })
        .unwrap_or_else(|| PathBuf::from(".cache/plugd-bench"));
    cache.join("intiface/bin/intiface-engine")
}

/// A user device config (v4 format, read by plugd and intiface-engine 4.x) that gives the Lovense
/// protocol a websocket specifier, so raw-pipe devices greeting as `LVSDevice` are Lovense toys.
pub fn raw_pipe_user_config() -> String {
    format!(
        r#"{{"version":{{"major":4,"minor":0}},"user_configs":{{"protocols":{{"lovense":{{"communication":[{{"websocket":{{"name":"{RAW_PIPE_IDENTIFIER}"}}}}]}}}}}}}}"#
    )
}

fn write_temp(name: &str, contents: &str) -> Result<PathBuf> {
    let path = std::env::temp_dir().join(format!("plugd-loadgen-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Spawns `command`, keeps its last log lines, and hands every stdout line to `lines`.
fn spawn(mut command: Command, label: &str) -> Result<(Child, Log, mpsc::Receiver<String>)> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {label} ({command:?})"))?;
    let log: Log = Default::default();
    let (sender, lines) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        drain(stdout, log.clone(), Some(sender));
    }
    if let Some(stderr) = child.stderr.take() {
        drain(stderr, log.clone(), None);
    }
    Ok((child, log, lines))
}

/// Reads a pipe to its end on a thread (so the child never blocks on a full pipe).
fn drain(pipe: impl Read + Send + 'static, log: Log, lines: Option<mpsc::Sender<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if let Some(sender) = &lines {
                let _ = sender.send(line.clone());
            }
            if let Ok(mut kept) = log.lock() {
                if kept.len() == KEPT_LINES {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        }
    });
}

/// Waits for the `<prefix>clients URL` and `<prefix>devices URL` lines.
fn read_urls(
    child: &mut Child,
    lines: &mpsc::Receiver<String>,
    prefix: &str,
    log: &Log,
    label: &str,
) -> Result<(String, String)> {
    let deadline = Instant::now() + START_TIMEOUT;
    let (mut clients, mut devices) = (None, None);
    while clients.is_none() || devices.is_none() {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(remaining.min(Duration::from_millis(200))) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix(prefix) {
                    if let Some(url) = rest.strip_prefix("clients ") {
                        clients = Some(url.trim().to_string());
                    } else if let Some(url) = rest.strip_prefix("devices ") {
                        devices = Some(url.trim().to_string());
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.try_wait() {
                    bail!(
                        "{label} exited ({status}) before listening; its log:\n{}",
                        joined(log)
                    );
                }
                if remaining.is_zero() {
                    let _ = child.kill();
                    bail!(
                        "{label} did not report its ports within {START_TIMEOUT:?}; its log:\n{}",
                        joined(log)
                    );
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = child.kill();
                bail!(
                    "{label} closed its stdout before listening; its log:\n{}",
                    joined(log)
                );
            }
        }
    }
    Ok((clients.unwrap_or_default(), devices.unwrap_or_default()))
}

fn joined(log: &Log) -> String {
    log.lock()
        .map(|lines| lines.iter().cloned().collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}

/// Starts plugd on free ports with the device WebSocket on; `raw_pipe` adds the user config
/// for raw-pipe devices.
/// The per-client message-rate limit plugd has had since its access-policy commit; the loadgen
/// turns it off (its default, 1,000 messages per second per client, would refuse the load being
/// measured) unless `--plugd-arg` sets it.
const RATE_LIMIT_FLAG: &str = "--max-messages-per-second";

/// Starts plugd on free ports with the device WebSocket on; `raw_pipe` adds the user config
/// for raw-pipe devices; `extra` goes last on its command line.
pub fn start_plugd(
    bin: &Path,
    log_level: &str,
    raw_pipe: bool,
    extra: &[String],
) -> Result<ServerHandle> {
    if !bin.is_file() {
        bail!(
            "plugd binary {} not found: build it with `cargo build --release -p plugd`, or pass --plugd-bin",
            bin.display()
        );
    }
    let mut temp_files = Vec::new();
    let mut command = Command::new(bin);
    command.args([
        "--websocket-port",
        "0",
        "--use-device-websocket-server",
        "--device-websocket-server-port",
        "0",
        "--log",
        log_level,
    ]);
    if raw_pipe {
        let config = write_temp("user-config.json", &raw_pipe_user_config())?;
        command.arg("--user-device-config-file").arg(&config);
        temp_files.push(config);
    }
    let mut notes = Vec::new();
    let has_rate_limit = Command::new(bin)
        .arg("--help")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).contains(RATE_LIMIT_FLAG))
        .unwrap_or(false);
    if has_rate_limit && !extra.iter().any(|arg| arg.starts_with(RATE_LIMIT_FLAG)) {
        command.args([RATE_LIMIT_FLAG, "0"]);
        notes.push(format!(
            "plugd started with {RATE_LIMIT_FLAG} 0 (no per-client rate limit; --plugd-arg sets another)"
        ));
    }
    command.args(extra);
    if !extra.is_empty() {
        notes.push(format!("plugd's extra arguments: {}", extra.join(" ")));
    }
    let (mut child, log, lines) = spawn(command, "plugd")?;
    let (client_url, device_url) =
        read_urls(&mut child, &lines, "plugd listening: ", &log, "plugd")?;
    Ok(ServerHandle {
        pid: Some(child.id()),
        child: Some(child),
        client_url,
        device_url,
        label: format!("plugd ({})", bin.display()),
        retry_first_connect: false,
        notes,
        log,
        temp_files,
    })
}

/// Starts the minimal relay: this binary with `--relay-only`.
pub fn start_relay() -> Result<ServerHandle> {
    let me = std::env::current_exe().context("locating plugd-loadgen's own binary")?;
    let mut command = Command::new(&me);
    command.arg("--relay-only");
    let (mut child, log, lines) = spawn(command, "the minimal relay")?;
    let (client_url, device_url) = read_urls(
        &mut child,
        &lines,
        "relay listening: ",
        &log,
        "the minimal relay",
    )?;
    Ok(ServerHandle {
        pid: Some(child.id()),
        child: Some(child),
        client_url,
        device_url,
        label: "minimal relay".into(),
        retry_first_connect: false,
        notes: Vec::new(),
        log,
        temp_files: Vec::new(),
    })
}

/// A free loopback port (bound, read, released).
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Starts intiface-engine with its device WebSocket and a raw-pipe user config.
pub fn start_intiface(bin: &Path, log_level: &str) -> Result<ServerHandle> {
    if !bin.is_file() {
        bail!(
            "intiface-engine not found at {}: run scripts/install-intiface-engine, or pass --intiface-bin",
            bin.display()
        );
    }
    let version = Command::new(bin)
        .arg("--version")
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).to_string())
        .and_then(|text| {
            // "Intiface CLI (Rust Edition) Version 4.0.2, Commit …"
            let after = text.split("Version ").nth(1)?;
            Some(after.split(',').next()?.trim().to_string())
        })
        .unwrap_or_default();
    let client_port = free_port()?;
    let device_port = free_port()?;
    let config = write_temp("intiface-user-config.json", &raw_pipe_user_config())?;
    let mut command = Command::new(bin);
    command
        .args(["--websocket-port", &client_port.to_string()])
        .arg("--use-device-websocket-server")
        .args(["--device-websocket-server-port", &device_port.to_string()])
        .arg("--user-device-config-file")
        .arg(&config)
        .args(["--log", log_level]);
    let (child, log, _lines) = spawn(command, "intiface-engine")?;
    Ok(ServerHandle {
        pid: Some(child.id()),
        child: Some(child),
        client_url: format!("ws://127.0.0.1:{client_port}/"),
        device_url: format!("ws://127.0.0.1:{device_port}/"),
        label: format!("intiface-engine {version}").trim().to_string(),
        retry_first_connect: true,
        notes: Vec::new(),
        log,
        temp_files: vec![config],
    })
}

//! plugd's runner for the reference project's YAML device test cases.
//!
//! The cases live in `../shared/device-tests/` (see `SOURCE.md` there; they are never copied
//! into this repository) and are described in `docs/device-config.md` §4 of the shared docs.
//! Each case names one or more fake BLE devices, what must happen while they connect
//! (`device_init`) and a list of steps (`device_commands`): client calls (`!Messages`), the
//! hardware commands the device must receive next (`!Commands`) and things the device does
//! (`!Events`: notifications, answers for reads, disconnect).
//!
//! How this maps to the reference runner (`crates/buttplug_tests/tests/util/device_test/` and
//! `tests/test_device_protocols.rs` upstream):
//!
//! * **Server.** Upstream builds an in-process server with a test device manager; here every
//!   (case, spec version) pair starts the real plugd binary (`support::Plugd`), with
//!   `--user-device-config-file` / `--device-config-file` when the case names one (resolved
//!   under `device-tests/config/`).
//! * **Fake device.** Upstream's test device becomes a simulated device on plugd's device
//!   WebSocket (`simulated-devices.md`, `simulate` greeting, transport `btle`, the case's name
//!   and address or a generated one). A background thread per device owns that socket: it
//!   forwards `Write`/`Subscribe`/`Unsubscribe` frames to the runner, answers `Read` frames from
//!   the queued `!Reads` (FIFO, endpoint checked, waiting up to 50 ms for an answer to be queued
//!   like upstream's 5 × 10 ms poll) and sends `!Notifications` as `Notification` frames.
//! * **Order of a run.** Devices connect and must be `Accepted`; `device_init` runs (expected
//!   commands in order, events pushed); then a client connects at the version under test,
//!   handshakes, sends `StartScanning` and `RequestDeviceList` (waiting for `DeviceAdded` / the
//!   v4 `DeviceList` event if the device is not listed yet), checks `expected_name` and, where
//!   the version can express it (v3, v4), `expected_display_name`; then `device_commands` run
//!   in order. `!VersionGated` groups are kept when the version ≥ `min_spec_version` (nestable),
//!   in `device_init` too. Like upstream, nothing checks for extra writes at the end, and the
//!   first failing step ends the run.
//! * **Client calls per version** (device-config.md §4.3 and the upstream `client_v*` runners):
//!   v0: `!Vibrate` → `SingleMotorVibrateCmd` with the first speed, `!Stop` → `StopDeviceCmd`,
//!   everything else a no-op. v1/v2: `VibrateCmd`, `RotateCmd`, `LinearCmd` (whose `Index` is
//!   the position in the list, as upstream's `LinearVec`), `!Scalar` a no-op, v2 `!Battery` →
//!   `BatteryLevelCmd` (v1 has no battery call: upstream panics, here it is a failure). v3: as
//!   the upstream v3 client does, `!Vibrate` → `ScalarCmd` with `ActuatorType` `Vibrate` on the
//!   k-th Vibrate entry of the advertised `ScalarCmd` list, `!Scalar` → `ScalarCmd` as written,
//!   `RotateCmd`, `LinearCmd`, `!Battery` → `SensorReadCmd` (Battery). v4: the runner computes
//!   `OutputCmd`s from the v4 `DeviceList` like upstream's v4 runner: `!Vibrate` Index k → the
//!   k-th feature with a Vibrate output, value ceil(speed × steps); `!Rotate` → k-th feature
//!   with a Rotate output, signed by `Clockwise`; `!Linear` → `HwPositionWithDuration` on the
//!   feature whose index is `Index`, ceil(position × steps); `!Scalar` → the k-th feature with
//!   vibrate, oscillate, constrict or unsigned rotate, the `ActuatorType` as output;
//!   `!Battery` → `InputCmd` Read; `!Stop` → `StopCmd`. Every reply must be `Ok`, battery
//!   readings / 100 must equal `expected_power`. `run_async` battery reads are sent, the run
//!   goes on, and their replies are checked at the end.
//! * **Which versions.** Upstream does not run every case at every version: its per-version
//!   lists run 34 of these cases on v0–v4, 8 on v1–v4, the rest on v3–v4 only, and 5 never
//!   (device-config.md §4.5, mirrored in [`first_upstream_version`]). This runner follows those
//!   lists and reports the other pairs as "not applied", counted apart from skips. `PLUGD_DEVICE_TESTS_ALL_VERSIONS=1` runs
//!   every case at every version instead (informative: no-op calls then leave their expected
//!   writes unmatched).
//! * **What can run.** A case runs only if every device matches a protocol in the database
//!   (plugd's built-in one, plus the case's user config) and plugd has an encoder for one of
//!   them (`plugd_protocols::find`); otherwise it is skipped with the reason.
//!
//! Output: one `FAILED` line per failure with the case, the version and expected vs got, one
//! line per skipped case with the reason, a summary per version
//! (`device tests v3: 79 passed, 0 failed, 0 skipped (5 cases not applied at v3, as upstream)`), then the overall line
//! `device tests: N passed, M failed, K skipped` that CI reads. The exit code is 1 when
//! anything failed. Runs go on two threads (`PLUGD_DEVICE_TESTS_THREADS`); output is sorted.
//! Arguments that do not start with `-` filter cases by substring;
//! `PLUGD_DEVICE_TESTS_LOGS=1` appends plugd's log to each failure;
//! `PLUGD_DEVICE_TESTS_DIR` runs the cases of another folder (its `config/` beside them).

#[path = "support/mod.rs"]
mod support;

use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::net::TcpStream;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::{message_name, Client, Plugd};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// How long the device may take to send each expected command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// How long plugd may take to answer a client request.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the devices may take to show up in the client's device list after init.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a `Read` frame may wait for a `!Reads` answer to be queued (upstream: 5 × 10 ms).
const READ_ANSWER_WAIT: Duration = Duration::from_millis(50);
/// How long the device thread blocks on its socket before looking for frames to send.
const DEVICE_POLL: Duration = Duration::from_millis(2);
/// The spec versions a case can run at.
const VERSIONS: std::ops::RangeInclusive<u32> = 0..=4;

// ---------------------------------------------------------------------------------------------
// The case format (device-config.md §4.2). Variants are YAML tags; subcommand fields PascalCase.
// Unknown keys are ignored, as upstream's serde structs do (three cases carry a `feature_id` on
// `!Write`, which upstream ignores too).
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct DeviceTestCase {
    devices: Vec<TestDevice>,
    #[serde(default)]
    device_config_file: Option<String>,
    #[serde(default)]
    user_device_config_file: Option<String>,
    #[serde(default)]
    device_init: Option<Vec<Step>>,
    device_commands: Vec<Step>,
}

#[derive(Debug, Deserialize)]
struct TestDevice {
    identifier: TestDeviceIdentifier,
    #[serde(default)]
    expected_name: Option<String>,
    #[serde(default)]
    expected_display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TestDeviceIdentifier {
    name: String,
    #[serde(default)]
    address: Option<String>,
}

#[derive(Debug, Deserialize)]
enum Step {
    Messages {
        device_index: usize,
        messages: Vec<ClientCall>,
    },
    Commands {
        device_index: usize,
        commands: Vec<HardwareCommand>,
    },
    Events {
        device_index: usize,
        events: Vec<HardwareEvent>,
    },
    VersionGated {
        min_spec_version: u32,
        commands: Vec<Step>,
    },
}

#[derive(Debug, Deserialize)]
enum ClientCall {
    Vibrate(Vec<VibrateSubcommand>),
    Rotate(Vec<RotateSubcommand>),
    Linear(Vec<LinearSubcommand>),
    Scalar(Vec<ScalarSubcommand>),
    Battery {
        expected_power: f64,
        run_async: bool,
    },
    Stop,
    #[serde(rename = "RSSI")]
    Rssi,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VibrateSubcommand {
    index: u32,
    speed: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RotateSubcommand {
    index: u32,
    speed: f64,
    clockwise: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LinearSubcommand {
    index: u32,
    duration: u32,
    position: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ScalarSubcommand {
    index: u32,
    scalar: f64,
    actuator_type: String,
}

/// A hardware command as the case writes it and as plugd sends it on the device WebSocket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
enum HardwareCommand {
    Write {
        endpoint: String,
        data: Vec<u8>,
        write_with_response: bool,
    },
    Subscribe {
        endpoint: String,
    },
    Unsubscribe {
        endpoint: String,
    },
}

#[derive(Debug, Deserialize)]
enum HardwareEvent {
    Notifications(Vec<EndpointData>),
    Reads(Vec<EndpointData>),
    Disconnect,
}

#[derive(Debug, Clone, Deserialize)]
struct EndpointData {
    endpoint: String,
    data: Vec<u8>,
}

impl fmt::Display for HardwareCommand {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HardwareCommand::Write {
                endpoint,
                data,
                write_with_response,
            } => write!(
                formatter,
                "Write {endpoint} {} (write_with_response {write_with_response})",
                describe_bytes(data)
            ),
            HardwareCommand::Subscribe { endpoint } => write!(formatter, "Subscribe {endpoint}"),
            HardwareCommand::Unsubscribe { endpoint } => {
                write!(formatter, "Unsubscribe {endpoint}")
            }
        }
    }
}

/// Bytes as text when they are printable ASCII (most protocols here speak ASCII), else as hex.
fn describe_bytes(data: &[u8]) -> String {
    if !data.is_empty() && data.iter().all(|byte| (0x20..0x7f).contains(byte)) {
        format!("{:?}", String::from_utf8_lossy(data))
    } else {
        let bytes: Vec<String> = data.iter().map(|byte| format!("0x{byte:02x}")).collect();
        format!("[{}]", bytes.join(", "))
    }
}

/// Keeps the steps that apply at `version`, expanding `!VersionGated` groups (upstream's
/// `filter_commands`).
fn filter_steps(steps: &[Step], version: u32) -> Vec<&Step> {
    let mut kept = Vec::new();
    for step in steps {
        match step {
            Step::VersionGated {
                min_spec_version,
                commands,
            } => {
                if version >= *min_spec_version {
                    kept.extend(filter_steps(commands, version));
                }
            }
            other => kept.push(other),
        }
    }
    kept
}

// ---------------------------------------------------------------------------------------------
// Which cases upstream runs at which versions (tests/test_device_protocols.rs at the commit named
// in SOURCE.md; device-config.md §4.5 and the test marks of §5.1).
// ---------------------------------------------------------------------------------------------

/// Cases upstream runs at every version, v0–v4.
const UPSTREAM_FROM_V0: &[&str] = &[
    "test_adrienlastic_protocol",
    "test_amorelie_joy_protocol",
    "test_ankni_protocol",
    "test_feelingso",
    "test_fluffer_protocol",
    "test_fox_protocol",
    "test_galaku_nebula",
    "test_hismith_auxfun_box",
    "test_hismith_thrusting_cup",
    "test_hismith_wildolo",
    "test_itoys_protocol",
    "test_lelo_idawave",
    "test_leten_protocol",
    "test_lovense_battery",
    "test_lovense_battery_non_default",
    "test_lovense_flexer_fw2",
    "test_magic_motion_1_magic_cell",
    "test_magic_motion_2_equinox",
    "test_magic_motion_3_krush",
    "test_mizzzee_protocol",
    "test_mizzzee_v2_protocol",
    "test_nobra_protocol",
    "test_omobo_protocol",
    "test_pink_punch_protocol",
    "test_sakuraneko_protocol",
    "test_sensee_protocol",
    "test_svakom_alex",
    "test_svakom_alex_v2",
    "test_wetoy_protocol",
    "test_wevibe_moxie",
    "test_wevibe_pivot",
    "test_xibao_protocol",
    "test_xiuxiuda_protocol",
    "test_xuanhuan_protocol",
];

/// Cases upstream runs at v1–v4.
const UPSTREAM_FROM_V1: &[&str] = &[
    "test_aneros_protocol",
    "test_fleshy_thrust_protocol",
    "test_loob_protocol",
    "test_meese_protocol",
    "test_serveu_protocol",
    "test_tcode_linear_and_vibrate",
    "test_wevibe_4plus",
    "test_wevibe_chorus",
];

/// Cases upstream never runs (commented out or never listed; device-config.md §4.5).
const UPSTREAM_NEVER: &[&str] = &[
    "test_cowgirl_cone_protocol",
    "test_fredorch_protocol",
    "test_honeyplaybox_protocol",
    "test_jejoue_protocol",
    "test_magic_motion_2_eidolon",
];

/// The lowest version upstream runs the case at (it then runs it at every higher version), or
/// `None` when it never runs it. Cases in no list run at v3–v4, like every other upstream case.
fn first_upstream_version(case_name: &str) -> Option<u32> {
    if UPSTREAM_NEVER.contains(&case_name) {
        None
    } else if UPSTREAM_FROM_V0.contains(&case_name) {
        Some(0)
    } else if UPSTREAM_FROM_V1.contains(&case_name) {
        Some(1)
    } else {
        Some(3)
    }
}

// ---------------------------------------------------------------------------------------------
// Planning: parse every case and decide what can run.
// ---------------------------------------------------------------------------------------------

/// One case file, parsed and judged.
struct CasePlan {
    /// The file name without `.yaml`, e.g. `test_lovense_edge`.
    name: String,
    status: CaseStatus,
    /// Extra plugd arguments (user config / device config file).
    plugd_arguments: Vec<String>,
}

enum CaseStatus {
    /// Runs at these versions; the others are skipped for `version_skip_reason`.
    Runnable {
        case: DeviceTestCase,
        versions: Vec<u32>,
        version_skip_reason: Option<String>,
    },
    /// Skipped at every version.
    Skipped(String),
    /// Failed at every version without running (parse or config error).
    Broken(String),
}

fn plan_case(
    path: &Path,
    config_dir: &Path,
    builtin: &plugd_config::DeviceDatabase,
    all_versions: bool,
) -> CasePlan {
    let name = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut plugd_arguments = Vec::new();
    let status = match judge_case(path, config_dir, builtin, &mut plugd_arguments) {
        Err(broken) => CaseStatus::Broken(broken),
        Ok(Err(skip)) => CaseStatus::Skipped(skip),
        Ok(Ok(case)) => {
            if all_versions {
                CaseStatus::Runnable {
                    case,
                    versions: VERSIONS.collect(),
                    version_skip_reason: None,
                }
            } else {
                match first_upstream_version(&name) {
                    None => CaseStatus::Runnable {
                        case,
                        versions: Vec::new(),
                        version_skip_reason: Some(
                            "at every version: upstream never runs this case (device-config.md \
                             §4.5); PLUGD_DEVICE_TESTS_ALL_VERSIONS=1 runs it"
                                .to_string(),
                        ),
                    },
                    Some(first) => CaseStatus::Runnable {
                        case,
                        versions: (first..=*VERSIONS.end()).collect(),
                        version_skip_reason: (first > 0).then(|| {
                            format!(
                                "at v0–v{}: upstream runs this case on v{first}–v4 only",
                                first - 1
                            )
                        }),
                    },
                }
            }
        }
    };
    CasePlan {
        name,
        status,
        plugd_arguments,
    }
}

/// `Err` = broken, `Ok(Err)` = skipped with the reason, `Ok(Ok)` = runnable.
fn judge_case(
    path: &Path,
    config_dir: &Path,
    builtin: &plugd_config::DeviceDatabase,
    plugd_arguments: &mut Vec<String>,
) -> Result<Result<DeviceTestCase, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let case: DeviceTestCase =
        serde_yaml::from_str(&text).map_err(|error| format!("cannot parse: {error}"))?;
    if case.devices.is_empty() {
        return Err("the case lists no devices".to_string());
    }
    let database = match &case.device_config_file {
        Some(file) => {
            let file_path = config_dir.join(file);
            let database =
                plugd_config::DeviceDatabase::from_file(&file_path).map_err(|error| {
                    format!(
                        "cannot load device_config_file {}: {error}",
                        file_path.display()
                    )
                })?;
            plugd_arguments.push("--device-config-file".to_string());
            plugd_arguments.push(file_path.to_string_lossy().into_owned());
            database
        }
        None => builtin.clone(),
    };
    let user_config = match &case.user_device_config_file {
        Some(file) => {
            let file_path = config_dir.join(file);
            let user_config = plugd_config::UserConfig::from_file(&file_path).map_err(|error| {
                format!(
                    "cannot load user_device_config_file {}: {error}",
                    file_path.display()
                )
            })?;
            plugd_arguments.push("--user-device-config-file".to_string());
            plugd_arguments.push(file_path.to_string_lossy().into_owned());
            Some(user_config)
        }
        None => None,
    };
    let database_label = match &case.device_config_file {
        Some(file) => file.clone(),
        None => "built-in database".to_string(),
    };
    let store = plugd_config::DeviceConfigStore::new(database, user_config);
    for (position, device) in case.devices.iter().enumerate() {
        let identity = plugd_config::DeviceIdentity::named(
            plugd_config::Transport::Btle,
            device.identifier.name.clone(),
            device_address(device, position),
        );
        let matches = store.find_protocols(&identity);
        if matches.is_empty() {
            return Ok(Err(format!(
                "no {database_label} entry matches {:?}",
                device.identifier.name
            )));
        }
        if !matches
            .iter()
            .any(|found| plugd_protocols::find(&found.protocol).is_some())
        {
            let names: Vec<&str> = matches
                .iter()
                .map(|found| found.protocol.as_str())
                .collect();
            return Ok(Err(if names.len() == 1 {
                format!("protocol {} has no encoder yet", names[0])
            } else {
                format!("protocols {} have no encoder yet", names.join(", "))
            }));
        }
    }
    Ok(Ok(case))
}

/// The case's address, or a stable made-up one (upstream makes up a pseudo-random number).
fn device_address(device: &TestDevice, position: usize) -> String {
    match &device.identifier.address {
        Some(address) => address.clone(),
        None => {
            // FNV-1a of the name: stable across runs, distinct per name and position.
            let hash = device
                .identifier
                .name
                .bytes()
                .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                    (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
                });
            format!("{}", hash % 1_000_000_000_000 + position as u64)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The fake device: a simulated device on plugd's device WebSocket, served by its own thread.
// ---------------------------------------------------------------------------------------------

/// What the runner asks the device thread to do.
enum DeviceAction {
    Notify(EndpointData),
    QueueRead(EndpointData),
    Disconnect,
}

/// What the device thread reports.
enum DeviceReport {
    Command(HardwareCommand),
    /// Something the reference's fake device would fail on (a read it cannot answer, a frame it
    /// does not understand).
    Problem(String),
    Closed(String),
}

struct FakeDevice {
    actions: Option<mpsc::Sender<DeviceAction>>,
    reports: mpsc::Receiver<DeviceReport>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl FakeDevice {
    /// Connects, greets with `simulate` (btle) and returns the device with plugd's answer.
    fn connect(url: &str, name: &str, address: &str) -> Result<(FakeDevice, Value), String> {
        let (mut socket, _) = tungstenite::connect(url)
            .map_err(|error| format!("cannot connect to the device WebSocket {url}: {error}"))?;
        let greeting = json!({"simulate": {"transport": "btle", "name": name, "address": address}});
        set_read_timeout(&socket, Some(REPLY_TIMEOUT));
        socket
            .send(Message::text(greeting.to_string()))
            .map_err(|error| format!("cannot send the simulate greeting: {error}"))?;
        let answer = loop {
            match socket.read() {
                Ok(Message::Text(text)) => {
                    break serde_json::from_str::<Value>(text.as_str()).map_err(|error| {
                        format!("plugd's answer to the greeting is not JSON ({error}): {text}")
                    })?
                }
                Ok(Message::Close(_)) => {
                    return Err(
                        "plugd closed the device socket without answering the greeting".to_string(),
                    )
                }
                Ok(_) => continue,
                Err(error) => {
                    return Err(format!(
                        "no answer to the simulate greeting within {REPLY_TIMEOUT:?}: {error}"
                    ))
                }
            }
        };
        set_read_timeout(&socket, Some(DEVICE_POLL));
        let (action_sender, action_receiver) = mpsc::channel();
        let (report_sender, report_receiver) = mpsc::channel();
        let worker =
            std::thread::spawn(move || serve_device(socket, action_receiver, report_sender));
        Ok((
            FakeDevice {
                actions: Some(action_sender),
                reports: report_receiver,
                worker: Some(worker),
            },
            answer,
        ))
    }

    fn act(&self, action: DeviceAction) {
        if let Some(actions) = &self.actions {
            // A finished thread has reported why; the next expected command will say so.
            let _ = actions.send(action);
        }
    }

    /// The next hardware command within `timeout`.
    fn next_command(&self, timeout: Duration) -> Result<HardwareCommand, String> {
        match self.reports.recv_timeout(timeout) {
            Ok(DeviceReport::Command(command)) => Ok(command),
            Ok(DeviceReport::Problem(problem)) => Err(problem),
            Ok(DeviceReport::Closed(why)) => Err(why),
            Err(RecvTimeoutError::Timeout) => Err(format!("nothing within {timeout:?}")),
            Err(RecvTimeoutError::Disconnected) => Err("the device connection ended".to_string()),
        }
    }

    /// Problems reported so far (commands not yet looked at are ignored, like upstream).
    fn problems(&self) -> Vec<String> {
        self.reports
            .try_iter()
            .filter_map(|report| match report {
                DeviceReport::Problem(problem) => Some(problem),
                _ => None,
            })
            .collect()
    }
}

impl Drop for FakeDevice {
    fn drop(&mut self) {
        // Dropping the sender tells the thread to close the socket and end.
        self.actions.take();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn set_read_timeout(socket: &WebSocket<MaybeTlsStream<TcpStream>>, timeout: Option<Duration>) {
    if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
        let _ = stream.set_read_timeout(timeout);
        let _ = stream.set_nodelay(true);
    }
}

/// The device thread: sends what the runner asks, reports commands, answers reads.
fn serve_device(
    mut socket: WebSocket<MaybeTlsStream<TcpStream>>,
    actions: mpsc::Receiver<DeviceAction>,
    reports: mpsc::Sender<DeviceReport>,
) {
    let mut reads: VecDeque<EndpointData> = VecDeque::new();
    loop {
        loop {
            match actions.try_recv() {
                Ok(action) => {
                    if let Err(why) = perform(&mut socket, &mut reads, action) {
                        let _ = reports.send(DeviceReport::Closed(why));
                        return;
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    let _ = socket.close(None);
                    let _ = socket.flush();
                    return;
                }
            }
        }
        match socket.read() {
            Ok(Message::Text(text)) => {
                let report = handle_device_frame(&mut socket, &mut reads, &actions, text.as_str());
                if let Some(report) = report {
                    let closed = matches!(report, DeviceReport::Closed(_));
                    let _ = reports.send(report);
                    if closed {
                        return;
                    }
                }
            }
            Ok(Message::Close(_)) => {
                let _ = reports.send(DeviceReport::Closed(
                    "plugd closed the device connection".to_string(),
                ));
                return;
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(error))
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(error) => {
                let _ = reports.send(DeviceReport::Closed(format!(
                    "the device connection failed: {error}"
                )));
                return;
            }
        }
    }
}

fn perform(
    socket: &mut WebSocket<MaybeTlsStream<TcpStream>>,
    reads: &mut VecDeque<EndpointData>,
    action: DeviceAction,
) -> Result<(), String> {
    let frame = match action {
        DeviceAction::QueueRead(answer) => {
            reads.push_back(answer);
            return Ok(());
        }
        DeviceAction::Notify(notification) => json!({"Notification": {
            "endpoint": notification.endpoint, "data": notification.data}}),
        DeviceAction::Disconnect => json!({"Disconnect": {}}),
    };
    socket
        .send(Message::text(frame.to_string()))
        .map_err(|error| format!("cannot send {frame} to plugd: {error}"))
}

/// Handles one frame from plugd; returns what to report, if anything.
fn handle_device_frame(
    socket: &mut WebSocket<MaybeTlsStream<TcpStream>>,
    reads: &mut VecDeque<EndpointData>,
    actions: &mpsc::Receiver<DeviceAction>,
    text: &str,
) -> Option<DeviceReport> {
    let frame: Value = match serde_json::from_str(text) {
        Ok(frame) => frame,
        Err(error) => {
            return Some(DeviceReport::Problem(format!(
                "plugd sent the device a frame that is not JSON ({error}): {text}"
            )))
        }
    };
    if let Some(read) = frame.get("Read") {
        let endpoint = read["endpoint"].as_str().unwrap_or_default().to_string();
        // An answer may still be on its way from the runner: wait briefly, as upstream polls.
        let deadline = Instant::now() + READ_ANSWER_WAIT;
        while reads.is_empty() {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match actions.recv_timeout(remaining) {
                Ok(action) => {
                    if let Err(why) = perform(socket, reads, action) {
                        return Some(DeviceReport::Closed(why));
                    }
                }
                Err(_) => break,
            }
        }
        let next_endpoint = reads.front().map(|answer| answer.endpoint.clone());
        return match next_endpoint {
            None => Some(DeviceReport::Problem(format!(
                "plugd read endpoint {endpoint} with no !Reads answer queued (frame {text})"
            ))),
            Some(other) if other != endpoint => Some(DeviceReport::Problem(format!(
                "plugd read endpoint {endpoint}, but the next !Reads answer is for {other}: the \
                 reference's fake device fails that read (frame {text})"
            ))),
            Some(_) => {
                let data = reads
                    .pop_front()
                    .map(|answer| answer.data)
                    .unwrap_or_default();
                let reply = json!({"ReadReply": {"id": read["id"], "data": data}});
                match socket.send(Message::text(reply.to_string())) {
                    Ok(()) => None,
                    Err(error) => Some(DeviceReport::Closed(format!(
                        "cannot send {reply} to plugd: {error}"
                    ))),
                }
            }
        };
    }
    match serde_json::from_value::<HardwareCommand>(frame.clone()) {
        Ok(command) => Some(DeviceReport::Command(command)),
        Err(_) => Some(DeviceReport::Problem(format!(
            "plugd sent the device an unexpected frame: {text}"
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// The client: raw JSON at one spec version, replies matched by Id.
// ---------------------------------------------------------------------------------------------

struct Session {
    client: Client,
    version: u32,
    /// Replies that arrived, by Id.
    replies: BTreeMap<u64, Value>,
    /// Events (Id 0) not looked at yet.
    events: VecDeque<Value>,
}

impl Session {
    fn connect(plugd: &Plugd, version: u32) -> Result<Session, String> {
        let mut session = Session {
            client: Client::connect(plugd),
            version,
            replies: BTreeMap::new(),
            events: VecDeque::new(),
        };
        let fields = match version {
            0 => json!({"ClientName": "plugd device tests"}),
            1..=3 => json!({"ClientName": "plugd device tests", "MessageVersion": version}),
            _ => json!({"ClientName": "plugd device tests", "ProtocolVersionMajor": version,
                        "ProtocolVersionMinor": 0}),
        };
        let id = session.send("RequestServerInfo", fields);
        let reply = session.reply(id)?;
        if message_name(&reply) != "ServerInfo" {
            return Err(format!(
                "handshake at v{version}: expected ServerInfo, got {reply}"
            ));
        }
        Ok(session)
    }

    /// Sends one message; returns its Id.
    fn send(&mut self, name: &str, mut fields: Value) -> u32 {
        let id = self.client.next_id();
        fields["Id"] = json!(id);
        self.client.peer.send_json(&json!([{ name: fields }]));
        id
    }

    /// Sends several messages in one frame; returns each with its Id.
    fn send_batch(&mut self, requests: Vec<Request>) -> Vec<(u32, Request)> {
        if requests.is_empty() {
            return Vec::new();
        }
        let mut messages = Vec::with_capacity(requests.len());
        let mut sent = Vec::with_capacity(requests.len());
        for request in requests {
            let id = self.client.next_id();
            let mut fields = request.fields.clone();
            fields["Id"] = json!(id);
            messages.push(json!({ request.name: fields }));
            sent.push((id, request));
        }
        self.client.peer.send_json(&Value::Array(messages));
        sent
    }

    /// Reads one frame within `timeout` and files its messages; false when none came.
    fn pump(&mut self, timeout: Duration) -> Result<bool, String> {
        let Some(text) = self.client.peer.next_text_within(timeout) else {
            return Ok(false);
        };
        let frame: Value = serde_json::from_str(&text).map_err(|error| {
            format!("plugd sent a client frame that is not JSON ({error}): {text}")
        })?;
        let messages = frame
            .as_array()
            .ok_or_else(|| format!("plugd sent a client frame that is not an array: {text}"))?;
        for message in messages {
            let body = message
                .as_object()
                .filter(|object| object.len() == 1)
                .and_then(|object| object.values().next())
                .ok_or_else(|| format!("not a Buttplug message: {message} (frame {text})"))?;
            match body["Id"].as_u64() {
                Some(0) => self.events.push_back(message.clone()),
                Some(id) => {
                    self.replies.insert(id, message.clone());
                }
                None => return Err(format!("message without an Id: {message}")),
            }
        }
        Ok(true)
    }

    /// The reply to `id`, within [`REPLY_TIMEOUT`].
    fn reply(&mut self, id: u32) -> Result<Value, String> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            if let Some(reply) = self.replies.remove(&u64::from(id)) {
                return Ok(reply);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() || !self.pump(remaining)? {
                return Err(format!(
                    "no reply to Id {id} within {REPLY_TIMEOUT:?} (or the connection closed)"
                ));
            }
        }
    }

    /// The next event before `deadline`.
    fn next_event(&mut self, deadline: Instant) -> Result<Option<Value>, String> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Some(event));
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() || !self.pump(remaining)? {
                return Ok(None);
            }
        }
    }
}

/// A device as the client sees it.
#[derive(Debug, Clone)]
struct ListedDevice {
    index: u32,
    name: String,
    display_name: Option<String>,
    /// The whole entry (v3 `DeviceMessages`, v4 `DeviceFeatures`, …).
    entry: Value,
}

impl ListedDevice {
    fn from_entry(entry: &Value) -> Result<ListedDevice, String> {
        Ok(ListedDevice {
            index: entry["DeviceIndex"]
                .as_u64()
                .and_then(|index| u32::try_from(index).ok())
                .ok_or_else(|| format!("device entry without a valid DeviceIndex: {entry}"))?,
            name: entry["DeviceName"]
                .as_str()
                .ok_or_else(|| format!("device entry without DeviceName: {entry}"))?
                .to_string(),
            display_name: entry
                .get("DeviceDisplayName")
                .and_then(Value::as_str)
                .map(str::to_string),
            entry: entry.clone(),
        })
    }
}

/// The devices of a `DeviceList` body, by index; the shape is checked per version.
fn devices_of_list(version: u32, body: &Value) -> Result<BTreeMap<u32, ListedDevice>, String> {
    let entries: Vec<&Value> = match (&body["Devices"], version) {
        (Value::Object(devices), 4) => devices.values().collect(),
        (Value::Array(devices), 0..=3) => devices.iter().collect(),
        (other, _) => {
            return Err(format!(
                "v{version} DeviceList.Devices has the wrong shape (v4: object keyed by index, \
                 v0–v3: array): {other}"
            ))
        }
    };
    let mut devices = BTreeMap::new();
    for entry in entries {
        let device = ListedDevice::from_entry(entry)?;
        devices.insert(device.index, device);
    }
    Ok(devices)
}

/// Waits until the client knows `count` devices; returns them in index order.
fn discover_devices(session: &mut Session, count: usize) -> Result<Vec<ListedDevice>, String> {
    let id = session.send("StartScanning", json!({}));
    expect_ok(session, id, "StartScanning")?;
    let id = session.send("RequestDeviceList", json!({}));
    let reply = session.reply(id)?;
    let body = reply
        .get("DeviceList")
        .ok_or_else(|| format!("RequestDeviceList: expected DeviceList, got {reply}"))?;
    let mut known = devices_of_list(session.version, body)?;
    let deadline = Instant::now() + DISCOVERY_TIMEOUT;
    while known.len() < count {
        let Some(event) = session.next_event(deadline)? else {
            let names: Vec<String> = known
                .values()
                .map(|device| format!("{} {:?}", device.index, device.name))
                .collect();
            return Err(format!(
                "expected {count} device(s) within {DISCOVERY_TIMEOUT:?} after init, the client \
                 knows {} [{}]",
                known.len(),
                names.join(", ")
            ));
        };
        match message_name(&event) {
            "DeviceAdded" if session.version < 4 => {
                let device = ListedDevice::from_entry(&event["DeviceAdded"])?;
                known.insert(device.index, device);
            }
            "DeviceRemoved" if session.version < 4 => {
                if let Some(index) = event["DeviceRemoved"]["DeviceIndex"].as_u64() {
                    known.retain(|known_index, _| u64::from(*known_index) != index);
                }
            }
            "DeviceList" if session.version == 4 => {
                known = devices_of_list(4, &event["DeviceList"])?;
            }
            _ => {}
        }
    }
    Ok(known.into_values().collect())
}

fn expect_ok(session: &mut Session, id: u32, what: &str) -> Result<(), String> {
    let reply = session.reply(id)?;
    if message_name(&reply) == "Ok" {
        Ok(())
    } else {
        Err(format!("{what}: expected Ok, got {reply}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Client calls per version.
// ---------------------------------------------------------------------------------------------

/// One request the runner sends for a case message, and what its reply must be.
struct Request {
    name: &'static str,
    fields: Value,
    check: ReplyCheck,
}

#[derive(Clone, Copy)]
enum ReplyCheck {
    Ok,
    BatteryPower(f64),
}

impl Request {
    fn ok(name: &'static str, fields: Value) -> Request {
        Request {
            name,
            fields,
            check: ReplyCheck::Ok,
        }
    }
}

/// The requests a version-`version` client sends for `call` (empty: a no-op at that version).
fn requests_for(
    version: u32,
    device: &ListedDevice,
    call: &ClientCall,
) -> Result<Vec<Request>, String> {
    let device_index = device.index;
    let battery = |expected_power: f64, name: &'static str, fields: Value| {
        vec![Request {
            name,
            fields,
            check: ReplyCheck::BatteryPower(expected_power),
        }]
    };
    Ok(match (version, call) {
        (_, ClientCall::Rssi) => {
            return Err("!RSSI is not supported (every reference runner panics on it)".to_string())
        }
        (0..=3, ClientCall::Stop) => vec![Request::ok(
            "StopDeviceCmd",
            json!({"DeviceIndex": device_index}),
        )],
        (0, ClientCall::Vibrate(speeds)) => vec![Request::ok(
            "SingleMotorVibrateCmd",
            json!({"DeviceIndex": device_index,
                   "Speed": speeds.first().map_or(0.0, |first| first.speed)}),
        )],
        (0, _) => Vec::new(),
        (1 | 2, ClientCall::Scalar(_)) => Vec::new(),
        (1, ClientCall::Battery { .. }) => {
            return Err(
                "!Battery at v1: the v1 client has no battery call (the reference runner panics)"
                    .to_string(),
            )
        }
        (1 | 2, ClientCall::Vibrate(speeds)) => vec![Request::ok(
            "VibrateCmd",
            json!({"DeviceIndex": device_index, "Speeds": speeds.iter()
                .map(|speed| json!({"Index": speed.index, "Speed": speed.speed}))
                .collect::<Vec<_>>()}),
        )],
        (1..=3, ClientCall::Rotate(rotations)) => vec![Request::ok(
            "RotateCmd",
            json!({"DeviceIndex": device_index, "Rotations": rotations.iter()
                .map(|rotation| json!({"Index": rotation.index, "Speed": rotation.speed,
                                       "Clockwise": rotation.clockwise}))
                .collect::<Vec<_>>()}),
        )],
        // Upstream's legacy clients send a LinearVec: the Index is the position in the list.
        (1..=3, ClientCall::Linear(vectors)) => vec![Request::ok(
            "LinearCmd",
            json!({"DeviceIndex": device_index, "Vectors": vectors.iter().enumerate()
                .map(|(position, vector)| json!({"Index": position, "Duration": vector.duration,
                                                 "Position": vector.position}))
                .collect::<Vec<_>>()}),
        )],
        (2, ClientCall::Battery { expected_power, .. }) => battery(
            *expected_power,
            "BatteryLevelCmd",
            json!({"DeviceIndex": device_index}),
        ),
        (3, ClientCall::Vibrate(speeds)) => {
            let scalar_entries = v3_attributes(device, "ScalarCmd")?;
            let vibrate_positions: Vec<usize> = scalar_entries
                .iter()
                .enumerate()
                .filter(|(_, entry)| entry["ActuatorType"] == "Vibrate")
                .map(|(position, _)| position)
                .collect();
            let mut scalars = Vec::new();
            for speed in speeds {
                let position = vibrate_positions.get(speed.index as usize).ok_or_else(|| {
                    format!(
                        "!Vibrate Index {}: the v3 ScalarCmd list has {} Vibrate entries: {}",
                        speed.index,
                        vibrate_positions.len(),
                        Value::Array(scalar_entries.clone())
                    )
                })?;
                scalars.push(
                    json!({"Index": position, "Scalar": speed.speed, "ActuatorType": "Vibrate"}),
                );
            }
            vec![Request::ok(
                "ScalarCmd",
                json!({"DeviceIndex": device_index, "Scalars": scalars}),
            )]
        }
        (3, ClientCall::Scalar(scalars)) => vec![Request::ok(
            "ScalarCmd",
            json!({"DeviceIndex": device_index, "Scalars": scalars.iter()
                .map(|scalar| json!({"Index": scalar.index, "Scalar": scalar.scalar,
                                     "ActuatorType": scalar.actuator_type}))
                .collect::<Vec<_>>()}),
        )],
        (3, ClientCall::Battery { expected_power, .. }) => {
            let sensors = v3_attributes(device, "SensorReadCmd")?;
            let batteries: Vec<usize> = sensors
                .iter()
                .enumerate()
                .filter(|(_, sensor)| sensor["SensorType"] == "Battery")
                .map(|(position, _)| position)
                .collect();
            if batteries.len() != 1 {
                return Err(format!(
                    "!Battery at v3: expected one Battery entry in SensorReadCmd, got {}",
                    Value::Array(sensors)
                ));
            }
            battery(
                *expected_power,
                "SensorReadCmd",
                json!({"DeviceIndex": device_index, "SensorIndex": batteries[0],
                       "SensorType": "Battery"}),
            )
        }
        (_, call) => v4_requests(device, call)?,
    })
}

/// The entries of a v3 `DeviceMessages` attribute list.
fn v3_attributes(device: &ListedDevice, message: &str) -> Result<Vec<Value>, String> {
    device.entry["DeviceMessages"][message]
        .as_array()
        .cloned()
        .ok_or_else(|| {
            format!(
                "the v3 device entry has no {message} list: {}",
                device.entry["DeviceMessages"]
            )
        })
}

/// A v4 feature: its index and its entry.
fn v4_features(device: &ListedDevice) -> Result<Vec<(u32, Value)>, String> {
    let features = device.entry["DeviceFeatures"].as_object().ok_or_else(|| {
        format!(
            "the v4 device entry has no DeviceFeatures object: {}",
            device.entry
        )
    })?;
    let mut list = Vec::new();
    for feature in features.values() {
        let index = feature["FeatureIndex"]
            .as_u64()
            .and_then(|index| u32::try_from(index).ok())
            .ok_or_else(|| format!("feature without a valid FeatureIndex: {feature}"))?;
        list.push((index, feature.clone()));
    }
    list.sort_by_key(|(index, _)| *index);
    Ok(list)
}

/// The `[min, max]` of an output of a v4 feature.
fn output_range(feature: &Value, output: &str) -> Option<(i64, i64)> {
    let range = feature["Output"][output]["Value"].as_array()?;
    Some((range.first()?.as_i64()?, range.get(1)?.as_i64()?))
}

/// Upstream's v4 client conversion of a fraction to steps: ceil above 1e-6, floor otherwise.
fn fraction_to_steps(fraction: f64, steps: i64) -> i64 {
    let value = fraction * steps as f64;
    if value > 0.000001 {
        value.ceil() as i64
    } else {
        value.floor() as i64
    }
}

fn v4_requests(device: &ListedDevice, call: &ClientCall) -> Result<Vec<Request>, String> {
    let device_index = device.index;
    let features = v4_features(device)?;
    let with_output = |output: &str| -> Vec<&(u32, Value)> {
        features
            .iter()
            .filter(|(_, feature)| output_range(feature, output).is_some())
            .collect()
    };
    let output_command = |feature_index: u32, command: Value| {
        Request::ok(
            "OutputCmd",
            json!({"DeviceIndex": device_index, "FeatureIndex": feature_index, "Command": command}),
        )
    };
    let nth = |list: &[&(u32, Value)], index: u32, what: &str| -> Result<(u32, Value), String> {
        list.get(index as usize)
            .map(|(feature_index, feature)| (*feature_index, feature.clone()))
            .ok_or_else(|| {
                format!(
                    "{what} Index {index}: the v4 device has {} such feature(s): {}",
                    list.len(),
                    device.entry["DeviceFeatures"]
                )
            })
    };
    let mut requests = Vec::new();
    match call {
        ClientCall::Vibrate(speeds) => {
            let vibrators = with_output("Vibrate");
            for speed in speeds {
                let (feature_index, feature) = nth(&vibrators, speed.index, "!Vibrate")?;
                let (_, steps) = output_range(&feature, "Vibrate").unwrap_or_default();
                let value = fraction_to_steps(speed.speed, steps);
                requests.push(output_command(
                    feature_index,
                    json!({"Vibrate": {"Value": value}}),
                ));
            }
        }
        ClientCall::Rotate(rotations) => {
            let rotators = with_output("Rotate");
            for rotation in rotations {
                let (feature_index, feature) = nth(&rotators, rotation.index, "!Rotate")?;
                let (_, steps) = output_range(&feature, "Rotate").unwrap_or_default();
                let sign = if rotation.clockwise { 1.0 } else { -1.0 };
                let value = fraction_to_steps(rotation.speed * sign, steps);
                requests.push(output_command(
                    feature_index,
                    json!({"Rotate": {"Value": value}}),
                ));
            }
        }
        ClientCall::Linear(vectors) => {
            for vector in vectors {
                let feature = features
                    .iter()
                    .find(|(index, _)| *index == vector.index)
                    .map(|(_, feature)| feature)
                    .ok_or_else(|| {
                        format!(
                            "!Linear Index {}: no v4 feature has that index: {}",
                            vector.index, device.entry["DeviceFeatures"]
                        )
                    })?;
                let (_, steps) = output_range(feature, "HwPositionWithDuration").ok_or_else(|| {
                    format!(
                        "!Linear Index {}: the feature has no HwPositionWithDuration output: {feature}",
                        vector.index
                    )
                })?;
                let value = (vector.position * steps as f64).ceil() as i64;
                requests.push(output_command(
                    vector.index,
                    json!({"HwPositionWithDuration": {"Value": value, "Duration": vector.duration}}),
                ));
            }
        }
        ClientCall::Scalar(scalars) => {
            let scalar_features: Vec<&(u32, Value)> = features
                .iter()
                .filter(|(_, feature)| {
                    ["Vibrate", "Oscillate", "Constrict"]
                        .iter()
                        .any(|output| output_range(feature, output).is_some())
                        || output_range(feature, "Rotate").is_some_and(|(low, _)| low >= 0)
                })
                .collect();
            for scalar in scalars {
                let (feature_index, feature) = nth(&scalar_features, scalar.index, "!Scalar")?;
                let output = scalar.actuator_type.as_str();
                let (_, steps) = output_range(&feature, output).ok_or_else(|| {
                    format!(
                        "!Scalar Index {} ({output}): feature {feature_index} has no {output} \
                         output: {feature}",
                        scalar.index
                    )
                })?;
                let value = fraction_to_steps(scalar.scalar, steps);
                requests.push(output_command(
                    feature_index,
                    json!({ output: {"Value": value} }),
                ));
            }
        }
        ClientCall::Battery { expected_power, .. } => {
            let (feature_index, _) = features
                .iter()
                .find(|(_, feature)| feature["Input"].get("Battery").is_some())
                .ok_or_else(|| {
                    format!(
                        "!Battery: no v4 feature has a Battery input: {}",
                        device.entry["DeviceFeatures"]
                    )
                })?;
            requests.push(Request {
                name: "InputCmd",
                fields: json!({"DeviceIndex": device_index, "FeatureIndex": feature_index,
                               "Type": "Battery", "Command": "Read"}),
                check: ReplyCheck::BatteryPower(*expected_power),
            });
        }
        ClientCall::Stop => {
            requests.push(Request::ok("StopCmd", json!({"DeviceIndex": device_index})))
        }
        ClientCall::Rssi => {
            return Err("!RSSI is not supported (every reference runner panics on it)".to_string())
        }
    }
    Ok(requests)
}

/// Checks a reply against what its request expects.
fn check_reply(version: u32, request: &Request, id: u32, reply: &Value) -> Result<(), String> {
    let sent = {
        let mut fields = request.fields.clone();
        fields["Id"] = json!(id);
        json!({ request.name: fields })
    };
    let name = message_name(reply);
    match request.check {
        ReplyCheck::Ok if name == "Ok" => Ok(()),
        ReplyCheck::Ok => Err(format!("sent {sent}: expected Ok, got {reply}")),
        ReplyCheck::BatteryPower(expected) => {
            let reading = match (version, name) {
                (2, "BatteryLevelReading") => reply[name]["BatteryLevel"].as_f64(),
                (3, "SensorReading") => reply[name]["Data"][0].as_f64().map(|data| data / 100.0),
                (4, "InputReading") => reply[name]["Reading"]["Battery"]["Value"]
                    .as_f64()
                    .map(|value| value / 100.0),
                _ => None,
            };
            match reading {
                Some(power) if (power - expected).abs() < 1e-9 => Ok(()),
                Some(power) => Err(format!(
                    "sent {sent}: expected battery power {expected}, got {power} ({reply})"
                )),
                None => Err(format!(
                    "sent {sent}: expected a battery reading of {expected}, got {reply}"
                )),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running one (case, version).
// ---------------------------------------------------------------------------------------------

/// A `run_async` request whose reply is checked at the end.
struct PendingReply {
    id: u32,
    request: Request,
    step: String,
}

struct CaseRun<'a> {
    case: &'a DeviceTestCase,
    version: u32,
    devices: Vec<FakeDevice>,
    session: Option<Session>,
    listed: Vec<ListedDevice>,
    pending: Vec<PendingReply>,
}

fn run_case(
    plan: &CasePlan,
    case: &DeviceTestCase,
    version: u32,
    with_logs: bool,
) -> Result<(), String> {
    let arguments: Vec<&str> = plan.plugd_arguments.iter().map(String::as_str).collect();
    let plugd = Plugd::start(&arguments);
    let result = drive_case(&plugd, case, version);
    match result {
        Err(mut failure) if with_logs => {
            failure.push_str("\n    plugd log:");
            for line in plugd.logs() {
                failure.push_str("\n      ");
                failure.push_str(&line);
            }
            Err(failure)
        }
        other => other,
    }
}

fn drive_case(plugd: &Plugd, case: &DeviceTestCase, version: u32) -> Result<(), String> {
    let mut run = CaseRun {
        case,
        version,
        devices: Vec::new(),
        session: None,
        listed: Vec::new(),
        pending: Vec::new(),
    };
    for (position, device) in case.devices.iter().enumerate() {
        let name = &device.identifier.name;
        let address = device_address(device, position);
        let (fake, answer) = FakeDevice::connect(&plugd.device_url, name, &address)
            .map_err(|error| format!("device {position} ({name:?}): {error}"))?;
        if message_name(&answer) != "Accepted" {
            return Err(format!(
                "device {position} ({name:?}, address {address:?}): expected Accepted for the \
                 simulate greeting, got {answer}"
            ));
        }
        run.devices.push(fake);
    }
    if let Some(init) = &case.device_init {
        for (ordinal, step) in filter_steps(init, version).into_iter().enumerate() {
            run.step(step, &format!("device_init step {}", ordinal + 1))?;
        }
    }
    let mut session = Session::connect(plugd, version)?;
    run.listed = discover_devices(&mut session, case.devices.len())?;
    run.session = Some(session);
    for (position, (device, listed)) in case.devices.iter().zip(&run.listed).enumerate() {
        if let Some(expected) = &device.expected_name {
            if *expected != listed.name {
                return Err(format!(
                    "device {position}: expected name {expected:?}, got {:?}",
                    listed.name
                ));
            }
        }
        if let Some(expected) = &device.expected_display_name {
            // Only v3 and v4 device descriptions carry a display name.
            if version >= 3 && listed.display_name.as_deref() != Some(expected.as_str()) {
                return Err(format!(
                    "device {position}: expected display name {expected:?}, got {:?} ({})",
                    listed.display_name, listed.entry
                ));
            }
        }
    }
    for (ordinal, step) in filter_steps(&case.device_commands, version)
        .into_iter()
        .enumerate()
    {
        run.step(step, &format!("device_commands step {}", ordinal + 1))?;
    }
    run.finish()
}

impl CaseRun<'_> {
    fn device(&self, device_index: usize, label: &str) -> Result<&FakeDevice, String> {
        self.devices.get(device_index).ok_or_else(|| {
            format!(
                "{label}: device_index {device_index}, but the case has {} device(s)",
                self.case.devices.len()
            )
        })
    }

    fn step(&mut self, step: &Step, label: &str) -> Result<(), String> {
        match step {
            Step::Messages {
                device_index,
                messages,
            } => {
                let label = format!("{label} (!Messages)");
                let Some(session) = self.session.as_mut() else {
                    return Err(format!("{label}: messages are not allowed in device_init"));
                };
                let listed = self.listed.get(*device_index).ok_or_else(|| {
                    format!("{label}: no listed device for device_index {device_index}")
                })?;
                for (message_ordinal, call) in messages.iter().enumerate() {
                    let message_label = format!("{label} message {}", message_ordinal + 1);
                    let requests = requests_for(self.version, listed, call)
                        .map_err(|error| format!("{message_label}: {error}"))?;
                    // Like upstream's clients, every request of one message goes out before any
                    // reply is awaited — in one frame, which plugd applies to a device as one
                    // batch (upstream gets the same single packet from its 1 ms test-device gap).
                    let sent: Vec<(u32, Request)> = session.send_batch(requests);
                    let run_async = matches!(
                        call,
                        ClientCall::Battery {
                            run_async: true,
                            ..
                        }
                    );
                    for (id, request) in sent {
                        if run_async {
                            self.pending.push(PendingReply {
                                id,
                                request,
                                step: message_label.clone(),
                            });
                            continue;
                        }
                        let reply = session
                            .reply(id)
                            .map_err(|error| format!("{message_label}: {error}"))?;
                        check_reply(self.version, &request, id, &reply)
                            .map_err(|error| format!("{message_label}: {error}"))?;
                    }
                }
                Ok(())
            }
            Step::Commands {
                device_index,
                commands,
            } => {
                let label = format!("{label} (!Commands)");
                let device = self.device(*device_index, &label)?;
                for (ordinal, expected) in commands.iter().enumerate() {
                    let position = format!("{label} command {}/{}", ordinal + 1, commands.len());
                    match device.next_command(COMMAND_TIMEOUT) {
                        Ok(got) if got == *expected => {}
                        Ok(got) => {
                            return Err(format!("{position}: expected {expected}, got {got}"))
                        }
                        Err(why) => {
                            return Err(format!("{position}: expected {expected}, got {why}"))
                        }
                    }
                }
                Ok(())
            }
            Step::Events {
                device_index,
                events,
            } => {
                let device = self.device(*device_index, &format!("{label} (!Events)"))?;
                for event in events {
                    match event {
                        HardwareEvent::Notifications(notifications) => {
                            for notification in notifications {
                                device.act(DeviceAction::Notify(notification.clone()));
                            }
                        }
                        HardwareEvent::Reads(answers) => {
                            for answer in answers {
                                device.act(DeviceAction::QueueRead(answer.clone()));
                            }
                        }
                        HardwareEvent::Disconnect => device.act(DeviceAction::Disconnect),
                    }
                }
                Ok(())
            }
            Step::VersionGated { .. } => {
                unreachable!("filter_steps expands every VersionGated group")
            }
        }
    }

    /// Checks the `run_async` replies and what the devices reported on the way.
    fn finish(mut self) -> Result<(), String> {
        let pending = std::mem::take(&mut self.pending);
        if let Some(session) = self.session.as_mut() {
            for waiting in pending {
                let reply = session
                    .reply(waiting.id)
                    .map_err(|error| format!("{} (run_async): {error}", waiting.step))?;
                check_reply(self.version, &waiting.request, waiting.id, &reply)
                    .map_err(|error| format!("{} (run_async): {error}", waiting.step))?;
            }
        }
        for (position, device) in self.devices.iter().enumerate() {
            if let Some(problem) = device.problems().into_iter().next() {
                return Err(format!("device {position}: {problem}"));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Main: plan, run on worker threads, report.
// ---------------------------------------------------------------------------------------------

enum Outcome {
    Passed,
    Failed(String),
    Skipped,
}

thread_local! {
    /// The last panic message on this thread (the hook keeps it instead of printing it).
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs one (case, version); a panic in the runner or the support code is a failure.
fn run_job(plan: &CasePlan, version: u32, with_logs: bool) -> Outcome {
    let CaseStatus::Runnable { case, .. } = &plan.status else {
        return Outcome::Skipped;
    };
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        run_case(plan, case, version, with_logs)
    }))
    .unwrap_or_else(|_| {
        let message = LAST_PANIC
            .with(|last| last.borrow_mut().take())
            .unwrap_or_else(|| "the runner panicked".to_string());
        Err(format!("runner panic: {message}"))
    });
    match result {
        Ok(()) => Outcome::Passed,
        Err(failure) => Outcome::Failed(failure),
    }
}

fn environment_flag(name: &str) -> bool {
    matches!(std::env::var(name).as_deref(), Ok("1" | "true" | "yes"))
}

/// serde_yaml must read `0x..` as integers in byte lists (the cases mix decimal and hex).
fn check_hex_bytes_parse() {
    let parsed: Vec<u8> = serde_yaml::from_str("[0x4f, 0xA2, 10]")
        .expect("serde_yaml must parse 0x.. hex integers in byte lists");
    assert_eq!(
        parsed,
        [0x4f, 0xa2, 10],
        "serde_yaml read hex bytes wrongly"
    );
}

fn main() {
    let started = Instant::now();
    let Some(shared) = support::shared_dir() else {
        println!("device tests: skipped, ../shared is not present");
        return;
    };
    check_hex_bytes_parse();
    let cases_dir = std::env::var_os("PLUGD_DEVICE_TESTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared.join("device-tests"));
    let config_dir = cases_dir.join("config");
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|argument| !argument.starts_with('-'))
        .collect();
    let all_versions = environment_flag("PLUGD_DEVICE_TESTS_ALL_VERSIONS");
    let with_logs = environment_flag("PLUGD_DEVICE_TESTS_LOGS");
    let threads: usize = std::env::var("PLUGD_DEVICE_TESTS_THREADS")
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|count| *count > 0)
        .unwrap_or(2);

    let mut paths: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", cases_dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            let file_name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned());
            file_name.is_some_and(|name| name.starts_with("test_") && name.ends_with(".yaml"))
        })
        .filter(|path| {
            filters.is_empty()
                || filters
                    .iter()
                    .any(|filter| path.to_string_lossy().contains(filter.as_str()))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        panic!(
            "no test_*.yaml case in {} matches {filters:?}",
            cases_dir.display()
        );
    }

    let builtin = plugd_config::DeviceDatabase::builtin();
    let plans: Vec<CasePlan> = paths
        .iter()
        .map(|path| plan_case(path, &config_dir, &builtin, all_versions))
        .collect();

    // Every (case, version) that runs.
    let jobs: Vec<(usize, u32)> = plans
        .iter()
        .enumerate()
        .flat_map(|(plan_index, plan)| match &plan.status {
            CaseStatus::Runnable { versions, .. } => versions
                .iter()
                .map(|version| (plan_index, *version))
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();

    std::panic::set_hook(Box::new(|info| {
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(info.to_string()));
    }));
    let next_job = AtomicUsize::new(0);
    let results: Mutex<BTreeMap<(usize, u32), Outcome>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(jobs.len().max(1)) {
            scope.spawn(|| {
                while let Some(&(plan_index, version)) =
                    jobs.get(next_job.fetch_add(1, Ordering::SeqCst))
                {
                    let outcome = run_job(&plans[plan_index], version, with_logs);
                    results
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .insert((plan_index, version), outcome);
                }
            });
        }
    });
    let _ = std::panic::take_hook();
    let mut results = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());

    // Every (case, version) gets an outcome; print skip reasons once per case.
    // [passed, failed, skipped (no encoder or database entry), not applied at this version]
    let mut counts: BTreeMap<u32, [usize; 4]> = VERSIONS.map(|version| (version, [0; 4])).collect();
    let mut skip_lines = Vec::new();
    let mut failure_lines = Vec::new();
    for (plan_index, plan) in plans.iter().enumerate() {
        match &plan.status {
            CaseStatus::Skipped(reason) => {
                skip_lines.push(format!("skipped {}: {reason}", plan.name));
            }
            CaseStatus::Broken(reason) => {
                failure_lines.push(format!("FAILED {} (every version): {reason}", plan.name));
            }
            CaseStatus::Runnable {
                version_skip_reason: Some(reason),
                ..
            } => skip_lines.push(format!("not applied: {} {reason}", plan.name)),
            CaseStatus::Runnable { .. } => {}
        }
        for version in VERSIONS {
            let outcome = match &plan.status {
                CaseStatus::Skipped(_) => Outcome::Skipped,
                CaseStatus::Broken(reason) => Outcome::Failed(reason.clone()),
                CaseStatus::Runnable { versions, .. } if !versions.contains(&version) => {
                    counts.entry(version).or_default()[3] += 1;
                    continue;
                }
                CaseStatus::Runnable { .. } => match results.remove(&(plan_index, version)) {
                    Some(outcome) => outcome,
                    None => Outcome::Failed("the run produced no result".to_string()),
                },
            };
            let slot = counts.entry(version).or_default();
            match outcome {
                Outcome::Passed => slot[0] += 1,
                Outcome::Failed(failure) => {
                    slot[1] += 1;
                    if !matches!(plan.status, CaseStatus::Broken(_)) {
                        failure_lines.push(format!("FAILED {} v{version}: {failure}", plan.name));
                    }
                }
                Outcome::Skipped => slot[2] += 1,
            }
        }
    }
    for line in &skip_lines {
        println!("{line}");
    }
    for line in &failure_lines {
        println!("{line}");
    }
    let mut total = [0usize; 4];
    for (version, [passed, failed, skipped, not_applied]) in &counts {
        println!(
            "device tests v{version}: {passed} passed, {failed} failed, {skipped} skipped \
             ({not_applied} cases not applied at v{version}, as upstream)"
        );
        total[0] += passed;
        total[1] += failed;
        total[2] += skipped;
        total[3] += not_applied;
    }
    println!(
        "device tests: {} passed, {} failed, {} skipped",
        total[0], total[1], total[2]
    );
    println!(
        "device tests: {} (case, version) pairs not applied, as in the reference runner",
        total[3]
    );
    println!(
        "device tests took {:.1} s ({} plugd runs on {} thread(s){})",
        started.elapsed().as_secs_f64(),
        jobs.len(),
        threads,
        if all_versions {
            ", every case at every version"
        } else {
            ""
        }
    );
    if total[1] > 0 {
        std::process::exit(1);
    }
}

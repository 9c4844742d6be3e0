//! The one internal model everything behind the Session speaks: v4-shaped requests, replies,
//! events and the client-visible device description. Spec versions exist only at the edges
//! (`parse`, `render`, `convert`).

use plugd_core::{DeviceIndex, Endpoint, FeatureIndex, InputCommand, InputKind, OutputKind};

/// A Buttplug message spec version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecVersion {
    /// Spec v0 (2017).
    V0 = 0,
    /// Spec v1.
    V1 = 1,
    /// Spec v2.
    V2 = 2,
    /// Spec v3.
    V3 = 3,
    /// Spec v4 (current; the feature model).
    V4 = 4,
}

impl SpecVersion {
    /// The newest version plugd speaks.
    pub const LATEST: SpecVersion = SpecVersion::V4;

    /// The version with this number, if plugd speaks it.
    pub fn from_number(number: u64) -> Option<Self> {
        match number {
            0 => Some(SpecVersion::V0),
            1 => Some(SpecVersion::V1),
            2 => Some(SpecVersion::V2),
            3 => Some(SpecVersion::V3),
            4 => Some(SpecVersion::V4),
            _ => None,
        }
    }

    /// The version's number.
    pub fn number(self) -> u32 {
        self as u32
    }
}

/// A client request in the internal model, after parsing and conversion.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Buttplug `Ping`: feeds the ping timer.
    Ping,
    /// Start scanning on every DCM.
    StartScanning,
    /// Stop scanning.
    StopScanning,
    /// The device list, as a reply.
    RequestDeviceList,
    /// Stop outputs and/or drop subscriptions: one feature, one device, or all devices.
    Stop(StopRequest),
    /// Set outputs of one device. All commands are validated before any is sent.
    Output(OutputRequest),
    /// Read, subscribe or unsubscribe one input.
    Input(InputRequest),
    /// Talk to one endpoint of a device directly (v2–v3 `Raw*Cmd`). Only with raw access
    /// enabled (`--allow-raw`); it bypasses every check the Device applies to outputs.
    Raw(RawRequest),
}

/// What to stop. `device: None` stops every device (StopAllDevices, StopCmd without index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopRequest {
    /// The device, or every device.
    pub device: Option<DeviceIndex>,
    /// One feature of that device (v4 `StopCmd.FeatureIndex`), or all of them.
    pub feature: Option<FeatureIndex>,
    /// Zero the outputs.
    pub outputs: bool,
    /// Drop the input subscriptions.
    pub inputs: bool,
}

impl StopRequest {
    /// Stop everything on every device.
    pub const ALL: StopRequest = StopRequest {
        device: None,
        feature: None,
        outputs: true,
        inputs: true,
    };

    /// Stop everything on one device.
    pub fn device(device: DeviceIndex) -> Self {
        StopRequest {
            device: Some(device),
            ..StopRequest::ALL
        }
    }
}

/// Output commands for one device, sorted by feature index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRequest {
    /// The device.
    pub device: DeviceIndex,
    /// One or more outputs to set.
    pub commands: Vec<OutputCommand>,
}

/// Set one output of one feature to a client step value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutputCommand {
    /// The feature.
    pub feature: FeatureIndex,
    /// The output on it.
    pub kind: OutputKind,
    /// The step, in the client-visible range (signed for directional outputs).
    pub value: i32,
    /// `HwPositionWithDuration` only: the move's duration in ms.
    pub duration: Option<u32>,
}

/// One input operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputRequest {
    /// The device.
    pub device: DeviceIndex,
    /// The feature holding the input.
    pub feature: FeatureIndex,
    /// Which input.
    pub kind: InputKind,
    /// Read once, subscribe or unsubscribe.
    pub command: InputCommand,
}

/// One raw endpoint operation (v2–v3 `RawWriteCmd`, `RawReadCmd`, `RawSubscribeCmd`,
/// `RawUnsubscribeCmd`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    /// The device.
    pub device: DeviceIndex,
    /// The endpoint, by role.
    pub endpoint: Endpoint,
    /// What to do there.
    pub command: RawCommand,
}

/// What a raw request does at its endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawCommand {
    /// Write these bytes (`RawWriteCmd`).
    Write {
        /// The bytes, at least one.
        data: Vec<u8>,
        /// BLE write-with-response.
        write_with_response: bool,
    },
    /// Read once (`RawReadCmd`); answered with a [`RawReading`].
    Read {
        /// Bytes expected (0: whatever comes).
        length: u32,
        /// How long to wait in ms: the 9.x `Timeout`; `None` (the schema's `WaitForData`
        /// form) takes the server's default.
        timeout_ms: Option<u32>,
    },
    /// Send this client the endpoint's notifications as `RawReading` events
    /// (`RawSubscribeCmd`).
    Subscribe,
    /// Stop sending them (`RawUnsubscribeCmd`).
    Unsubscribe,
}

impl RawCommand {
    /// The spec message this command came from (`"RawWriteCmd"`), for logs and error texts.
    pub fn message_name(&self) -> &'static str {
        match self {
            RawCommand::Write { .. } => "RawWriteCmd",
            RawCommand::Read { .. } => "RawReadCmd",
            RawCommand::Subscribe => "RawSubscribeCmd",
            RawCommand::Unsubscribe => "RawUnsubscribeCmd",
        }
    }
}

/// Bytes from a device endpoint: the answer to a raw read, or a notification for a raw
/// subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReading {
    /// The device.
    pub device: DeviceIndex,
    /// Where the bytes came from.
    pub endpoint: Endpoint,
    /// The bytes.
    pub data: Vec<u8>,
}

/// What the server answers a [`Request`] with, before rendering.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `Ok`.
    Ok,
    /// The device list.
    DeviceList(Vec<DeviceInfo>),
    /// One input reading (the answer to a Read).
    Reading(InputReading),
    /// The answer to a raw read.
    RawReading(RawReading),
}

/// A reading from a device input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputReading {
    /// The device.
    pub device: DeviceIndex,
    /// The feature.
    pub feature: FeatureIndex,
    /// Which input.
    pub kind: InputKind,
    /// The value (battery: percent 0–100).
    pub value: i32,
}

/// Something the server tells a client without being asked (Id 0).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The set of devices changed. Carries the full new list, one copy shared by every
    /// session; v0–v3 rendering diffs it against the list the session last saw (DeviceAdded /
    /// DeviceRemoved), v4 sends it whole.
    DeviceListChanged(std::sync::Arc<Vec<DeviceInfo>>),
    /// Every scanning DCM has finished.
    ScanningFinished,
    /// A reading from a subscription of this client.
    Reading(InputReading),
    /// A notification from an endpoint this client subscribed to with `RawSubscribeCmd`.
    RawReading(RawReading),
}

/// A device as clients see it: no disabled outputs, no placeholder features, ranges in client
/// steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Index clients address it by.
    pub index: DeviceIndex,
    /// Product name.
    pub name: String,
    /// The user's name for it, if any.
    pub display_name: Option<String>,
    /// Advertised `DeviceMessageTimingGap` in ms.
    pub message_timing_gap_ms: u32,
    /// Visible features, by index.
    pub features: Vec<FeatureInfo>,
    /// The endpoints raw messages may address, sorted by name, when raw access is enabled
    /// (`--allow-raw`); `None` otherwise. v2–v3 descriptions then list the raw messages.
    pub raw_endpoints: Option<Vec<Endpoint>>,
}

/// A visible feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureInfo {
    /// Its index.
    pub index: FeatureIndex,
    /// Its description (may be empty).
    pub description: String,
    /// Enabled outputs, in [`OutputKind`] order.
    pub outputs: Vec<OutputInfo>,
    /// Inputs, in [`InputKind`] order.
    pub inputs: Vec<InputInfo>,
}

/// A visible output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputInfo {
    /// Which output.
    pub kind: OutputKind,
    /// Client range: `[0, n]` or `[-n, n]`.
    pub range: (i32, i32),
    /// `HwPositionWithDuration` only: duration range in ms.
    pub duration: Option<(i32, i32)>,
}

impl OutputInfo {
    /// The step count `n`.
    pub fn step_count(&self) -> u32 {
        self.range.1.unsigned_abs()
    }

    /// True when the output has a direction (range starts below zero).
    pub fn is_signed(&self) -> bool {
        self.range.0 < 0
    }
}

/// A visible input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputInfo {
    /// Which input.
    pub kind: InputKind,
    /// Value ranges.
    pub ranges: Vec<(i32, i32)>,
    /// Supported commands (Read, Subscribe).
    pub commands: Vec<InputCommand>,
}

impl DeviceInfo {
    /// The feature with this index.
    pub fn feature(&self, index: FeatureIndex) -> Option<&FeatureInfo> {
        self.features.iter().find(|feature| feature.index == index)
    }
}

impl FeatureInfo {
    /// The output of this kind, if visible.
    pub fn output(&self, kind: OutputKind) -> Option<&OutputInfo> {
        self.outputs.iter().find(|output| output.kind == kind)
    }
}

//! The one internal model everything behind the Session speaks: v4-shaped requests, replies,
//! events and the client-visible device description. Spec versions exist only at the edges
//! (`parse`, `render`, `convert`).

use plugd_core::{DeviceIndex, FeatureIndex, InputCommand, InputKind, OutputKind};

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

/// What the server answers a [`Request`] with, before rendering.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `Ok`.
    Ok,
    /// The device list.
    DeviceList(Vec<DeviceInfo>),
    /// One input reading (the answer to a Read).
    Reading(InputReading),
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
    /// The set of devices changed. Carries the full new list; v0–v3 rendering diffs it against
    /// the list the session last saw (DeviceAdded / DeviceRemoved), v4 sends it whole.
    DeviceListChanged(Vec<DeviceInfo>),
    /// Every scanning DCM has finished.
    ScanningFinished,
    /// A reading from a subscription of this client.
    Reading(InputReading),
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

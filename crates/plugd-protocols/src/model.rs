//! The data protocols receive and return: output values, the per-device protocol session, init
//! steps, input read plans, input subscription plans and the readings found in notifications.

use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, InputKind, OutputKind};
use std::collections::BTreeMap;
use std::time::Duration;

/// The device-side value of one output (after user ranges were applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutputValue {
    /// The value in the database range (signed for directional outputs).
    pub value: i32,
    /// `HwPositionWithDuration` only: the move's duration in ms.
    pub duration: Option<u32>,
}

/// Every output's current device value, keyed by (feature, kind). An output never set is absent:
/// protocols treat absent as 0.
pub type OutputState = BTreeMap<(FeatureIndex, OutputKind), OutputValue>;

/// What the Device keeps for its protocol between calls: what identification and init learned,
/// and counters the protocol asks it to advance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtocolSession {
    /// The identifier that selected the configuration (Lovense model letters, ...).
    pub identifier: Option<String>,
    /// Replies gathered during identification and init, in order.
    pub init_replies: Vec<InitReply>,
    /// A counter for protocols that number their packets; after every encode call the Device
    /// adds the number of commands it returned.
    pub counter: u32,
    /// Random bytes drawn once per connection by the Device, for protocols whose handshakes
    /// need a nonce (the protocol itself has no randomness).
    pub entropy: [u8; 32],
    /// The endpoints the connected hardware really has (a BLE toy may lack a characteristic
    /// the database lists); protocols that pick an endpoint or a variant by them read this.
    pub endpoints: Vec<Endpoint>,
    /// The BLE advertisement's manufacturer data (fluffer keys its handshake on it).
    pub manufacturer_data: Vec<plugd_config::ManufacturerData>,
}

/// What an init round may look at.
#[derive(Debug, Clone, Copy)]
pub struct InitContext<'a> {
    /// The device.
    pub definition: &'a DeviceDefinition,
    /// What identification learned (identifier, its replies in `init_replies`, entropy).
    pub session: &'a ProtocolSession,
    /// Replies gathered by the earlier init rounds, in order.
    pub replies: &'a [InitReply],
    /// 0 for the first round.
    pub round: u32,
}

/// What one init round asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitRound {
    /// Run these steps, then call again.
    Steps(Vec<InitStep>),
    /// Init is complete.
    Done,
}

/// Everything an encoder may look at.
#[derive(Debug, Clone, Copy)]
pub struct EncodeContext<'a> {
    /// The device.
    pub definition: &'a DeviceDefinition,
    /// Every output's value *after* this command (changed ones already updated).
    pub current: &'a OutputState,
    /// Every output's value as of the previous encode call (for protocols that compute from
    /// the last position or speed). Absent: never written.
    pub previous: &'a OutputState,
    /// Which outputs this command changed, in feature order. Never empty.
    pub changed: &'a [(FeatureIndex, OutputKind)],
    /// What the Device keeps for this protocol.
    pub session: &'a ProtocolSession,
}

impl EncodeContext<'_> {
    /// The current device value of an output, 0 when never set.
    pub fn value(&self, feature: FeatureIndex, kind: OutputKind) -> i32 {
        self.current
            .get(&(feature, kind))
            .map(|output| output.value)
            .unwrap_or(0)
    }

    /// The value an output had at the previous encode call, if it was ever written.
    pub fn previous_value(&self, feature: FeatureIndex, kind: OutputKind) -> Option<i32> {
        self.previous
            .get(&(feature, kind))
            .map(|output| output.value)
    }
}

/// A reply captured during identification or init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReply {
    /// Where it came from.
    pub endpoint: Endpoint,
    /// The bytes.
    pub data: Vec<u8>,
}

/// One step of an identification or init exchange, run in order by the Device actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitStep {
    /// Send a command and go on.
    Send(HardwareCommand),
    /// Read an endpoint; the reply is appended to [`ProtocolSession::init_replies`]. A failed
    /// read fails the connection.
    Read {
        /// Which endpoint.
        endpoint: Endpoint,
        /// Bytes expected (0: whatever comes).
        length: u32,
        /// How long to wait.
        timeout: Duration,
    },
    /// Send `command`, then wait up to `timeout` for a notification (from `endpoint`, or any
    /// endpoint when `None`); repeat up to `attempts` times. The first notification is appended
    /// to the replies; if none comes, nothing is appended and init goes on.
    SendAwaitNotification {
        /// What to send each attempt.
        command: HardwareCommand,
        /// Where the answer comes from, `None` for any endpoint.
        endpoint: Option<Endpoint>,
        /// How long each attempt waits.
        timeout: Duration,
        /// How many times to send.
        attempts: u32,
    },
    /// Wait for a notification (as above) without sending anything.
    AwaitNotification {
        /// Where the answer comes from, `None` for any endpoint.
        endpoint: Option<Endpoint>,
        /// How long to wait.
        timeout: Duration,
    },
    /// Pause (some devices need time between init writes).
    Wait(Duration),
}

/// How to read one input: commands to send, where the answer comes from, how to parse it.
#[derive(Debug, Clone)]
pub struct InputReadPlan {
    /// Sent first, in order.
    pub send: Vec<HardwareCommand>,
    /// Where the answer comes from.
    pub source: ReadSource,
    /// Turns the answer's bytes into the reading's value.
    pub parse: fn(&[u8]) -> Result<i32, ProtocolError>,
}

/// Where a reading's bytes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadSource {
    /// A read of this endpoint.
    Read {
        /// Which endpoint.
        endpoint: Endpoint,
        /// Bytes expected (0: whatever comes).
        length: u32,
    },
    /// The next notification on this endpoint.
    Notification {
        /// Which endpoint.
        endpoint: Endpoint,
    },
}

/// How to turn one input's notifications on and off (see `Protocol::subscribe_input`). The
/// Device sends `subscribe` when the first client subscribes to the input and `unsubscribe`
/// when the last one is gone. It shares endpoints between inputs: a `Subscribe` for an endpoint
/// already subscribed (by another input, a raw subscription or init) is not sent again, and an
/// `Unsubscribe` for an endpoint still in use is held back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscribePlan {
    /// Sent, in order, when the input gets its first subscriber.
    pub subscribe: Vec<HardwareCommand>,
    /// Sent, in order, when the input loses its last subscriber.
    pub unsubscribe: Vec<HardwareCommand>,
}

/// One input value found in a notification (see `Protocol::parse_notification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifiedReading {
    /// The feature holding the input.
    pub feature: FeatureIndex,
    /// Which input.
    pub kind: InputKind,
    /// The value, in the input's range.
    pub value: i32,
}

/// Why a protocol could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The protocol has no encoding for this output kind.
    #[error("protocol {protocol} cannot encode {kind} outputs")]
    UnsupportedOutput {
        /// The protocol.
        protocol: &'static str,
        /// The kind asked for.
        kind: OutputKind,
    },
    /// The protocol cannot read this input.
    #[error("protocol {protocol} cannot read {what}")]
    UnsupportedInput {
        /// The protocol.
        protocol: &'static str,
        /// What was asked.
        what: String,
    },
    /// Bytes from the device did not parse.
    #[error("unexpected reply from the device: {0}")]
    BadReply(String),
    /// The definition lacks what the protocol needs (an endpoint, a feature).
    #[error("device definition does not fit the protocol: {0}")]
    Definition(String),
}

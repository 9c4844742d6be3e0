//! Messages every device communication manager (DCM) exchanges with the DeviceManager: scanning
//! on and off, "found and connected this hardware", "finished scanning".

use crate::hardware::HardwareCall;
use actix::prelude::*;
use plugd_config::{DeviceIdentity, ProtocolMatch};
use plugd_core::Endpoint;
use std::time::Duration;

/// Whether a DCM's subsystem can be used at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// Ready to scan.
    Available,
    /// Missing (no adapter, no permission): says what and how to fix it.
    Unavailable(String),
}

/// Start looking for devices. Sent by the DeviceManager to every DCM.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct StartScanning;

/// Stop looking for devices. Sent by the DeviceManager to every DCM.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct StopScanning;

/// A DCM registers with the DeviceManager (sent by the binary's wiring).
#[derive(Message)]
#[rtype(result = "()")]
pub struct RegisterDcm {
    /// A name for logs (`"simulated"`, `"btle"`).
    pub name: &'static str,
    /// Whether it can scan.
    pub availability: Availability,
    /// Where StartScanning goes.
    pub start: Recipient<StartScanning>,
    /// Where StopScanning goes.
    pub stop: Recipient<StopScanning>,
}

/// A DCM finished a scan (by itself, not because it was told to stop).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct DcmScanningFinished {
    /// Which DCM.
    pub name: &'static str,
}

/// Hardware was found, matched to a protocol and opened. Sent by a DCM to the DeviceManager,
/// which starts a Device actor for it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct HardwareConnected {
    /// What the DCM saw.
    pub identity: DeviceIdentity,
    /// The protocol the DeviceConfig actor matched (with an encoder).
    pub protocol: ProtocolMatch,
    /// The endpoints the hardware actually has.
    pub endpoints: Vec<Endpoint>,
    /// Where hardware calls go.
    pub hardware: Recipient<HardwareCall>,
    /// The transport's default gap between writes (BLE 75 ms; none for simulated devices).
    pub default_message_gap: Option<Duration>,
}

//! plugd-dcm-sim: devices without hardware. [`device_socket`] is the device WebSocket of
//! `docs/simulated-devices.md` (both greetings): a program connects and pretends to be a device,
//! and plugd drives it exactly like real hardware. [`virtual_device`] holds in-process devices
//! that log what they receive (`plugd --demo`, the user config's `simulated_devices`).
//! [`SimulatedDcm`] registers this transport with the DeviceManager.
//!
//! **API Boundary:** the device WebSocket wire format (`wire.rs`) is public and versioned.

pub mod device_socket;
pub mod virtual_device;
mod wire;

pub use wire::parse_device_text;

use actix::prelude::*;
use plugd_device::{
    Availability, DcmScanningFinished, DeviceManager, RegisterDcm, StartScanning, StopScanning,
};

/// The name this DCM registers under.
pub const DCM_NAME: &str = "simulated";

/// The DCM actor for simulated devices. Simulated devices connect whenever they like, so a scan
/// has nothing to wait for: it finishes at once.
pub struct SimulatedDcm {
    device_manager: Addr<DeviceManager>,
}

impl SimulatedDcm {
    /// A DCM reporting to `device_manager`.
    pub fn new(device_manager: Addr<DeviceManager>) -> Self {
        SimulatedDcm { device_manager }
    }
}

impl Actor for SimulatedDcm {
    type Context = Context<Self>;
}

/// The registration the wiring sends to the DeviceManager for this DCM (before any scan).
pub fn registration(dcm: &Addr<SimulatedDcm>) -> RegisterDcm {
    RegisterDcm {
        name: DCM_NAME,
        availability: Availability::Available,
        start: dcm.clone().recipient(),
        stop: dcm.clone().recipient(),
    }
}

impl Handler<StartScanning> for SimulatedDcm {
    type Result = ();

    fn handle(&mut self, _: StartScanning, _: &mut Self::Context) {
        self.device_manager
            .do_send(DcmScanningFinished { name: DCM_NAME });
    }
}

impl Handler<StopScanning> for SimulatedDcm {
    type Result = ();

    fn handle(&mut self, _: StopScanning, _: &mut Self::Context) {}
}

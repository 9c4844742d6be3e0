//! plugd-device: the device side of plugd. One [`Device`] actor per connected device, the
//! [`DeviceManager`] that owns them and the DCM registrations, the [`DeviceConfig`] actor that
//! answers lookups from the device database, and the messages every transport implements
//! ([`HardwareCall`], [`HardwareEvent`], [`HardwareConnected`]).
//!
//! **Architecture Invariant:** a Device is the only owner of its device's state (output values,
//! owners, timers); nothing here shares mutable state across actors. Transports are reached
//! only through `Recipient<HardwareCall>`.
//!
//! **API Boundary:** the Hardware and DCM messages (`hardware.rs`, `dcm.rs`).

pub mod dcm;
pub mod describe;
pub mod device;
pub mod device_config;
pub mod device_manager;
pub mod hardware;
pub mod routes;

pub use dcm::{
    Availability, DcmScanningFinished, HardwareConnected, RegisterDcm, StartScanning, StopScanning,
};
pub use device::Device;
pub use device_config::{
    DeviceConfig, FindProtocol, ReloadDeviceConfig, ReplaceDeviceConfig, SimulatedDevices,
    StoreLoader, TransportSpecifiers,
};
pub use device_manager::{DeviceManager, DeviceManagerEvent};
pub use hardware::{HardwareCall, HardwareError, HardwareEvent, HardwareReply};
pub use routes::DeviceRoutes;

//! plugd-dcm-hid: USB HID devices (`--use-hid`) through hidapi. [`HidDcm`] lists HID devices on
//! each scan and matches their VID/PID against `hid` specifiers (Vorze Cyclone X, RealTouch,
//! Joy-Con in the database); each match becomes a [`HidHardware`]: `tx` writes are output
//! reports, `rx` reads and subscriptions are input reports. Every blocking hidapi call runs on
//! a thread of its own.
//!
//! The stack is behind [`backend::HidBackend`] so the DCM's logic is tested with fakes;
//! [`backend::HidapiBackend::probe`] says what is missing when HID cannot be used here.

pub mod backend;
pub mod hardware;
pub mod manager;

pub use backend::{HidBackend, HidConnection, HidDeviceInfo, HidapiBackend};
pub use hardware::HidHardware;
pub use manager::{registration, DcmPeers, HidDcm};

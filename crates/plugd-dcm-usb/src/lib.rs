//! plugd-dcm-usb: raw USB devices (`--use-usb`) through rusb (libusb). [`UsbDcm`] lists USB
//! devices on each scan and matches their VID/PID against `usb` specifiers (the Rez
//! TranceVibrator in the database); each match becomes a [`UsbHardware`] doing the transfers
//! the protocol asks for: a vendor control request on `txvendorcontrol`, interrupt transfers on
//! `tx` and `rx`. Every blocking libusb call runs on a thread of its own.
//!
//! The stack is behind [`backend::UsbBackend`] so the DCM's logic is tested with fakes;
//! [`backend::RusbBackend::probe`] says what is missing when USB cannot be used here.

pub mod backend;
pub mod hardware;
pub mod manager;

pub use backend::{RusbBackend, UsbBackend, UsbConnection, UsbDeviceInfo};
pub use hardware::UsbHardware;
pub use manager::{registration, DcmPeers, UsbDcm};

//! plugd-dcm-btle: Bluetooth LE devices (`--use-bluetooth-le`). [`BtleDcm`] scans while a
//! client scans, matches advertisements through DeviceConfig, connects, maps GATT
//! characteristics to endpoints ([`endpoints`]) and hands each device to the DeviceManager as a
//! [`BtleHardware`] (writes with or without response, reads, subscriptions, in order). It
//! notices drops and reconnects a known device as soon as it advertises again; the
//! DeviceManager gives it its old index.
//!
//! The Bluetooth stack is behind a small interface ([`backend`]): [`btleplug_backend`] is the
//! real one (btleplug: BlueZ over D-Bus on Linux), tests use fakes. Without D-Bus, BlueZ or an
//! adapter, [`btleplug_backend::open`] says what is missing and the DCM registers unavailable.
//!
//! Addresses are Bluetooth addresses in upper-case hex pairs (`DC:0D:30:05:16:D5`), the form the
//! Lovense dongle DCM uses for the same toy, so a toy reachable both ways is one device.

pub mod backend;
pub mod btleplug_backend;
pub mod endpoints;
pub mod hardware;
pub mod manager;

pub use backend::{AdapterEvent, Advertisement, BleAdapter, BleLink, GattCharacteristic};
pub use hardware::BtleHardware;
pub use manager::{registration, BtleDcm, DcmPeers, BLE_MESSAGE_GAP};

//! The small interface the BLE DCM needs from a Bluetooth stack: an adapter that scans, reports
//! advertisements and disconnections, and connects; a connected device's GATT characteristics,
//! reads, writes and notifications. `btleplug_backend` implements it on btleplug; tests
//! implement it with fakes, so matching, endpoint mapping, disconnect handling and reconnection
//! run without a radio.

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use plugd_config::ManufacturerData;
use std::sync::Arc;

/// What every backend call returns: a future of the value, or a sentence for the log.
pub type BleFuture<T> = BoxFuture<'static, Result<T, String>>;

/// One advertisement, reduced to what matching needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertisement {
    /// The device's Bluetooth address, upper-case hex pairs joined by `:`.
    pub address: String,
    /// The advertised name (empty when none).
    pub name: String,
    /// Manufacturer data, by company.
    pub manufacturer_data: Vec<ManufacturerData>,
    /// Advertised service UUIDs, lower case.
    pub services: Vec<String>,
}

/// Something the adapter saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterEvent {
    /// A device advertised (first time or again).
    Advertised(Advertisement),
    /// A connected device dropped.
    Disconnected {
        /// Its address.
        address: String,
    },
}

/// What a characteristic supports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CharacteristicProperties {
    /// Readable.
    pub read: bool,
    /// Write with response.
    pub write: bool,
    /// Write without response.
    pub write_without_response: bool,
    /// Notifies.
    pub notify: bool,
    /// Indicates.
    pub indicate: bool,
}

/// One GATT characteristic of a connected device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GattCharacteristic {
    /// Its service's UUID, lower case.
    pub service: String,
    /// Its UUID, lower case.
    pub uuid: String,
    /// What it supports.
    pub properties: CharacteristicProperties,
}

/// A Bluetooth adapter.
pub trait BleAdapter: Send + Sync + 'static {
    /// Advertisements and disconnections, for as long as the adapter lives.
    fn events(&self) -> BleFuture<BoxStream<'static, AdapterEvent>>;
    /// Starts scanning.
    fn start_scan(&self) -> BleFuture<()>;
    /// Stops scanning.
    fn stop_scan(&self) -> BleFuture<()>;
    /// Connects to the device at `address` and discovers its services.
    fn connect(&self, address: &str) -> BleFuture<Arc<dyn BleLink>>;
}

/// A connected device.
pub trait BleLink: Send + Sync + 'static {
    /// Every characteristic service discovery found.
    fn characteristics(&self) -> Vec<GattCharacteristic>;
    /// Writes `data`, acknowledged when `with_response`.
    fn write(
        &self,
        characteristic: &GattCharacteristic,
        data: Vec<u8>,
        with_response: bool,
    ) -> BleFuture<()>;
    /// Reads the characteristic's value.
    fn read(&self, characteristic: &GattCharacteristic) -> BleFuture<Vec<u8>>;
    /// Turns notifications on.
    fn subscribe(&self, characteristic: &GattCharacteristic) -> BleFuture<()>;
    /// Turns notifications off.
    fn unsubscribe(&self, characteristic: &GattCharacteristic) -> BleFuture<()>;
    /// Notifications: (characteristic UUID in lower case, bytes).
    fn notifications(&self) -> BleFuture<BoxStream<'static, (String, Vec<u8>)>>;
    /// Lets go of the device.
    fn disconnect(&self) -> BleFuture<()>;
}

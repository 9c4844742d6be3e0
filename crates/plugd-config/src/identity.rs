//! What a DCM saw of a piece of hardware, before anyone knows what it is. Matching compares it
//! with the database's communication specifiers (device-config.md §2.2).

/// The transport a device was found on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Bluetooth LE.
    Btle,
    /// A serial port.
    Serial,
    /// USB HID.
    Hid,
    /// Raw USB.
    Usb,
    /// The Lovense Connect app's local API.
    LovenseConnect,
    /// The upstream-compatible device WebSocket greeting (`{"identifier": ...}`).
    Websocket,
    /// The reference server's in-process virtual devices (`simulated` specifiers, v5).
    Simulated,
    /// A gamepad (xinput / sdl-gamepad).
    Gamepad,
}

impl Transport {
    /// The name used in logs and the `simulate` greeting.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Btle => "btle",
            Transport::Serial => "serial",
            Transport::Hid => "hid",
            Transport::Usb => "usb",
            Transport::LovenseConnect => "lovense_connect",
            Transport::Websocket => "websocket",
            Transport::Simulated => "simulated",
            Transport::Gamepad => "gamepad",
        }
    }
}

/// Manufacturer data from a BLE advertisement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ManufacturerData {
    /// Bluetooth SIG company identifier.
    pub company: u16,
    /// The payload bytes.
    pub data: Vec<u8>,
}

/// Everything a DCM knows about found hardware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceIdentity {
    /// Which transport found it.
    pub transport: Transport,
    /// BLE advertised name, serial port name, HID product string, websocket identifier,
    /// Lovense Connect toy type or simulated device name.
    pub name: String,
    /// A stable address: BLE address, port path, websocket greeting address.
    pub address: String,
    /// BLE manufacturer data.
    pub manufacturer_data: Vec<ManufacturerData>,
    /// BLE advertised service UUIDs (lower case).
    pub advertised_services: Vec<String>,
    /// USB/HID vendor and product id.
    pub vendor_product: Option<(u16, u16)>,
}

impl DeviceIdentity {
    /// An identity that has only a transport, a name and an address.
    pub fn named(
        transport: Transport,
        name: impl Into<String>,
        address: impl Into<String>,
    ) -> Self {
        DeviceIdentity {
            transport,
            name: name.into(),
            address: address.into(),
            manufacturer_data: Vec::new(),
            advertised_services: Vec::new(),
            vendor_product: None,
        }
    }
}

//! The small interface the USB DCM needs: list USB devices, open one, and the transfers the
//! protocols use — a vendor control request (`txvendorcontrol`, the Rez TranceVibrator's) and
//! interrupt transfers (`tx` out, `rx` in). [`RusbBackend`] implements it on rusb (libusb);
//! tests implement it with fakes. Calls block: they run on blocking threads.

use plugd_core::Endpoint;
use std::time::Duration;

/// One USB device present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbDeviceInfo {
    /// Where it is: `bus 1, address 7` (upstream's form).
    pub address: String,
    /// Vendor id.
    pub vendor_id: u16,
    /// Product id.
    pub product_id: u16,
    /// Manufacturer and product strings when readable, else the VID/PID.
    pub name: String,
}

/// An open USB device.
pub trait UsbConnection: Send {
    /// The endpoints it can serve: `txvendorcontrol` always, `tx`/`rx` when it has interrupt
    /// endpoints.
    fn endpoints(&self) -> Vec<Endpoint>;
    /// A vendor control request to the interface: request 1, `value`, index 0, no data —
    /// upstream's Rez TranceVibrator transfer.
    ///
    /// # Errors
    /// The device is gone or stalled.
    fn vendor_control(&mut self, value: u16, timeout: Duration) -> Result<(), String>;
    /// An interrupt OUT transfer.
    ///
    /// # Errors
    /// No interrupt OUT endpoint, or the device is gone.
    fn interrupt_out(&mut self, data: &[u8], timeout: Duration) -> Result<(), String>;
    /// An interrupt IN transfer; 0 bytes when nothing came in time.
    ///
    /// # Errors
    /// No interrupt IN endpoint, or the device is gone.
    fn interrupt_in(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, String>;
}

/// A USB stack.
pub trait UsbBackend: Send + Sync + 'static {
    /// The USB devices present now.
    ///
    /// # Errors
    /// The stack cannot enumerate.
    fn list(&self) -> Result<Vec<UsbDeviceInfo>, String>;
    /// Opens the device at `address`.
    ///
    /// # Errors
    /// Gone, or no permission (udev rules: docs/hardware.md).
    fn open(&self, address: &str) -> Result<Box<dyn UsbConnection>, String>;
}

/// rusb (libusb).
pub struct RusbBackend {
    context: rusb::Context,
}

impl RusbBackend {
    /// Starts libusb.
    ///
    /// # Errors
    /// What is missing (no USB device nodes, libusb cannot start) and how to fix it.
    pub fn probe() -> Result<Self, String> {
        #[cfg(target_os = "linux")]
        if !std::path::Path::new("/dev/bus/usb").exists() {
            return Err(
                "no USB device nodes (/dev/bus/usb is missing: usbfs not available, or \
                        /dev not shared into this container); run plugd where the USB devices \
                        are visible"
                    .to_string(),
            );
        }
        let context = rusb::Context::new()
            .map_err(|error| format!("libusb cannot start ({error}); is libusb-1.0 installed?"))?;
        Ok(RusbBackend { context })
    }
}

fn address_of<T: rusb::UsbContext>(device: &rusb::Device<T>) -> String {
    format!("bus {}, address {}", device.bus_number(), device.address())
}

impl UsbBackend for RusbBackend {
    fn list(&self) -> Result<Vec<UsbDeviceInfo>, String> {
        use rusb::UsbContext as _;
        let devices = self.context.devices().map_err(|error| error.to_string())?;
        Ok(devices
            .iter()
            .filter_map(|device| {
                let descriptor = device.device_descriptor().ok()?;
                let (vendor_id, product_id) = (descriptor.vendor_id(), descriptor.product_id());
                let name = device
                    .open()
                    .ok()
                    .and_then(|handle| {
                        let manufacturer = handle.read_manufacturer_string_ascii(&descriptor).ok();
                        let product = handle.read_product_string_ascii(&descriptor).ok();
                        match (manufacturer, product) {
                            (None, None) => None,
                            (manufacturer, product) => Some(
                                format!(
                                    "{} {}",
                                    manufacturer.unwrap_or_default().trim(),
                                    product.unwrap_or_default().trim()
                                )
                                .trim()
                                .to_string(),
                            ),
                        }
                    })
                    .unwrap_or_else(|| format!("{vendor_id:04x}:{product_id:04x}"));
                Some(UsbDeviceInfo {
                    address: address_of(&device),
                    vendor_id,
                    product_id,
                    name,
                })
            })
            .collect())
    }

    fn open(&self, address: &str) -> Result<Box<dyn UsbConnection>, String> {
        use rusb::UsbContext as _;
        let devices = self.context.devices().map_err(|error| error.to_string())?;
        let device = devices
            .iter()
            .find(|device| address_of(device) == address)
            .ok_or_else(|| format!("{address} is gone"))?;
        let handle = device.open().map_err(|error| {
            format!("cannot open {address}: {error} (install the udev rule of docs/hardware.md so your user may use the device)")
        })?;
        let mut interrupt_out = None;
        let mut interrupt_in = None;
        let mut interface = None;
        if let Ok(config) = device.active_config_descriptor() {
            for candidate in config.interfaces() {
                for setting in candidate.descriptors() {
                    for endpoint in setting.endpoint_descriptors() {
                        if endpoint.transfer_type() != rusb::TransferType::Interrupt {
                            continue;
                        }
                        let slot = match endpoint.direction() {
                            rusb::Direction::Out => &mut interrupt_out,
                            rusb::Direction::In => &mut interrupt_in,
                        };
                        if slot.is_none() {
                            *slot = Some(endpoint.address());
                            interface.get_or_insert(setting.interface_number());
                        }
                    }
                }
            }
        }
        if let Some(number) = interface {
            let _ = handle.set_auto_detach_kernel_driver(true);
            if let Err(error) = handle.claim_interface(number) {
                tracing::debug!(%address, %error, "cannot claim the interrupt interface; interrupt transfers may fail");
            }
        }
        Ok(Box::new(RusbConnection {
            handle,
            interrupt_out,
            interrupt_in,
        }))
    }
}

struct RusbConnection {
    handle: rusb::DeviceHandle<rusb::Context>,
    interrupt_out: Option<u8>,
    interrupt_in: Option<u8>,
}

impl UsbConnection for RusbConnection {
    fn endpoints(&self) -> Vec<Endpoint> {
        let mut endpoints = vec![Endpoint::TxVendorControl];
        if self.interrupt_out.is_some() {
            endpoints.push(Endpoint::Tx);
        }
        if self.interrupt_in.is_some() {
            endpoints.push(Endpoint::Rx);
        }
        endpoints
    }

    fn vendor_control(&mut self, value: u16, timeout: Duration) -> Result<(), String> {
        let request_type = rusb::request_type(
            rusb::Direction::Out,
            rusb::RequestType::Vendor,
            rusb::Recipient::Interface,
        );
        self.handle
            .write_control(request_type, 1, value, 0, &[], timeout)
            .map(|_| ())
            .map_err(|error| error.to_string())
    }

    fn interrupt_out(&mut self, data: &[u8], timeout: Duration) -> Result<(), String> {
        let endpoint = self
            .interrupt_out
            .ok_or("the device has no interrupt OUT endpoint")?;
        self.handle
            .write_interrupt(endpoint, data, timeout)
            .map(|_| ())
            .map_err(|error| error.to_string())
    }

    fn interrupt_in(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, String> {
        let endpoint = self
            .interrupt_in
            .ok_or("the device has no interrupt IN endpoint")?;
        match self.handle.read_interrupt(endpoint, buffer, timeout) {
            Ok(count) => Ok(count),
            Err(rusb::Error::Timeout) => Ok(0),
            Err(error) => Err(error.to_string()),
        }
    }
}

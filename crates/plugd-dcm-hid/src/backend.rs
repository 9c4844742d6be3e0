//! The small interface the HID DCM needs: list HID devices, open one, write output reports and
//! read input reports. [`HidapiBackend`] implements it on hidapi (the hidraw backend on Linux);
//! tests implement it with fakes. Calls block: the DCM makes them on blocking threads and each
//! open device has a thread of its own.

use std::time::Duration;

/// One HID device present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HidDeviceInfo {
    /// hidapi's path (`/dev/hidraw3` on Linux).
    pub path: String,
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// The product string (the name devices are identified by).
    pub product: String,
    /// The serial number, when the device has one.
    pub serial: Option<String>,
}

impl HidDeviceInfo {
    /// The stable address plugd reports: the serial number as upstream does, else the path.
    pub fn address(&self) -> String {
        match &self.serial {
            Some(serial) if !serial.is_empty() => serial.clone(),
            _ => self.path.clone(),
        }
    }
}

/// An open HID device.
pub trait HidConnection: Send {
    /// Writes one output report (first byte: report id, 0 when the device uses none).
    ///
    /// # Errors
    /// The device is gone or refused the report.
    fn write(&mut self, report: &[u8]) -> Result<(), String>;
    /// Reads one input report into `buffer`, waiting at most `timeout`; 0 bytes when none came.
    ///
    /// # Errors
    /// The device is gone.
    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, String>;
}

/// A HID stack.
pub trait HidBackend: Send + Sync + 'static {
    /// The HID devices present now.
    ///
    /// # Errors
    /// The stack cannot enumerate.
    fn list(&self) -> Result<Vec<HidDeviceInfo>, String>;
    /// Opens the device at `path`.
    ///
    /// # Errors
    /// Missing, or no permission (udev rules: docs/hardware.md).
    fn open(&self, path: &str) -> Result<Box<dyn HidConnection>, String>;
}

/// hidapi.
pub struct HidapiBackend;

impl HidapiBackend {
    /// Checks the HID stack can be used here.
    ///
    /// # Errors
    /// What is missing (no hidraw device nodes, hidapi cannot start) and how to fix it.
    pub fn probe() -> Result<Self, String> {
        #[cfg(target_os = "linux")]
        {
            let has_nodes = std::fs::read_dir("/dev")
                .map(|entries| {
                    entries
                        .flatten()
                        .any(|entry| entry.file_name().to_string_lossy().starts_with("hidraw"))
                })
                .unwrap_or(false);
            if !has_nodes {
                return Err(
                    "no /dev/hidraw* device nodes (no HID device plugged in, the hidraw \
                            driver missing, or /dev not shared into this container); plug the \
                            device in and restart plugd"
                        .to_string(),
                );
            }
        }
        hidapi::HidApi::new().map_err(|error| {
            format!("hidapi cannot start ({error}); see docs/hardware.md for the udev rule")
        })?;
        Ok(HidapiBackend)
    }
}

impl HidBackend for HidapiBackend {
    fn list(&self) -> Result<Vec<HidDeviceInfo>, String> {
        let api = hidapi::HidApi::new().map_err(|error| error.to_string())?;
        Ok(api
            .device_list()
            .map(|info| HidDeviceInfo {
                path: info.path().to_string_lossy().into_owned(),
                vendor_id: info.vendor_id(),
                product_id: info.product_id(),
                product: info.product_string().unwrap_or_default().to_string(),
                serial: info.serial_number().map(str::to_string),
            })
            .collect())
    }

    fn open(&self, path: &str) -> Result<Box<dyn HidConnection>, String> {
        let api = hidapi::HidApi::new().map_err(|error| error.to_string())?;
        let c_path = std::ffi::CString::new(path).map_err(|error| error.to_string())?;
        let device = api.open_path(&c_path).map_err(|error| {
            format!("cannot open {path}: {error} (install the udev rule of docs/hardware.md so your user may use /dev/hidraw*)")
        })?;
        Ok(Box::new(HidapiConnection(device)))
    }
}

struct HidapiConnection(hidapi::HidDevice);

impl HidConnection for HidapiConnection {
    fn write(&mut self, report: &[u8]) -> Result<(), String> {
        self.0
            .write(report)
            .map(|_| ())
            .map_err(|error| error.to_string())
    }

    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, String> {
        let milliseconds = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        self.0
            .read_timeout(buffer, milliseconds)
            .map_err(|error| error.to_string())
    }
}

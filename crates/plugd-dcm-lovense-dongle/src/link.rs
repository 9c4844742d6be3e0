//! The byte pipe to the dongle: its serial variant (a CH340 USB serial port, 115200 8-N-1) or its
//! HID variant (64-byte reports). Opening happens once, on a blocking thread, before the DCM
//! registers; reading and writing run on threads of their own and talk to the DCM actor through
//! messages, so no actor thread ever blocks.

use actix::prelude::*;
use std::io::{ErrorKind, Read, Write};
use std::sync::mpsc;
use std::time::Duration;

/// USB ids of the serial dongle (a WCH CH340 bridge, as upstream looks for it).
pub const SERIAL_DONGLE_VID_PID: (u16, u16) = (0x1a86, 0x7523);
/// USB ids of the HID dongle.
pub const HID_DONGLE_VID_PID: (u16, u16) = (0x1915, 0x520a);
/// How long one blocking read waits before the reader checks whether it should stop.
const READ_POLL: Duration = Duration::from_millis(100);

/// What the reader thread hands the DCM.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub enum DongleInput {
    /// One complete line from the dongle.
    Line(String),
    /// The dongle is gone (unplugged, I/O error).
    Lost(String),
}

/// Which dongle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DongleKind {
    /// The serial dongle; `port` names it, else it is looked up by its USB ids.
    Serial {
        /// A port path from the command line.
        port: Option<String>,
    },
    /// The HID dongle, looked up by its USB ids.
    Hid,
}

impl DongleKind {
    /// The DCM name this kind registers under.
    pub fn dcm_name(&self) -> &'static str {
        match self {
            DongleKind::Serial { .. } => "lovense-dongle-serial",
            DongleKind::Hid => "lovense-dongle-hid",
        }
    }
}

/// An opened dongle whose threads have not started yet.
pub struct OpenedDongle {
    /// Port path or HID path, for logs.
    pub description: String,
    start: Box<dyn FnOnce(Recipient<DongleInput>) -> mpsc::Sender<String> + Send>,
}

impl std::fmt::Debug for OpenedDongle {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("OpenedDongle")
            .field("description", &self.description)
            .finish()
    }
}

impl OpenedDongle {
    /// Starts the I/O threads: lines go to `input`; the returned sender takes messages to
    /// write (without line ending). Dropping the sender ends the threads.
    pub fn start(self, input: Recipient<DongleInput>) -> mpsc::Sender<String> {
        (self.start)(input)
    }

    /// A dongle on an already open serial port (the test's pseudo-terminal, or a found port).
    pub fn from_serial(description: String, port: Box<dyn serialport::SerialPort>) -> Self {
        OpenedDongle {
            description,
            start: Box::new(move |input| start_serial(port, input)),
        }
    }
}

/// Finds and opens the dongle. Blocking: call it on a blocking thread.
///
/// # Errors
/// A sentence for the log saying what is missing and how to fix it.
pub fn open(kind: &DongleKind) -> Result<OpenedDongle, String> {
    match kind {
        DongleKind::Serial { port } => open_serial(port.as_deref()),
        DongleKind::Hid => open_hid(),
    }
}

fn open_serial(port: Option<&str>) -> Result<OpenedDongle, String> {
    let path = match port {
        Some(port) => port.to_string(),
        None => find_serial_dongle()?,
    };
    let opened = serialport::new(&path, 115_200)
        .timeout(READ_POLL)
        .open()
        .map_err(|error| {
            let hint = if error.to_string().contains("ermission") {
                " (add your user to the dialout group: sudo usermod -aG dialout $USER, then log in again)"
            } else {
                ""
            };
            format!("cannot open the Lovense serial dongle at {path}: {error}{hint}")
        })?;
    Ok(OpenedDongle::from_serial(path, opened))
}

fn find_serial_dongle() -> Result<String, String> {
    let ports = serialport::available_ports()
        .map_err(|error| format!("cannot list serial ports: {error}"))?;
    ports
        .into_iter()
        .find(|port| {
            matches!(&port.port_type, serialport::SerialPortType::UsbPort(usb)
                if (usb.vid, usb.pid) == SERIAL_DONGLE_VID_PID)
        })
        .map(|port| port.port_name)
        .ok_or_else(|| {
            "no Lovense serial dongle found (USB serial 1a86:7523): plug it in and restart plugd, \
             or name its port with --lovense-dongle-port"
                .to_string()
        })
}

fn start_serial(
    port: Box<dyn serialport::SerialPort>,
    input: Recipient<DongleInput>,
) -> mpsc::Sender<String> {
    let (writes, pending) = mpsc::channel::<String>();
    match port.try_clone() {
        Ok(mut writer) => {
            let lost = input.clone();
            spawn("lovense-dongle-write", move || {
                for message in pending {
                    let line = format!("{message}\r\n");
                    if let Err(error) = writer
                        .write_all(line.as_bytes())
                        .and_then(|()| writer.flush())
                    {
                        lost.do_send(DongleInput::Lost(format!("write failed: {error}")));
                        return;
                    }
                }
            });
        }
        Err(error) => input.do_send(DongleInput::Lost(format!(
            "cannot share the dongle's port between reader and writer: {error}"
        ))),
    }
    spawn("lovense-dongle-read", move || serial_read_loop(port, input));
    writes
}

fn serial_read_loop(mut port: Box<dyn serialport::SerialPort>, input: Recipient<DongleInput>) {
    let mut buffer = [0_u8; 1024];
    let mut text = String::new();
    while input.connected() {
        match port.read(&mut buffer) {
            Ok(0) => continue,
            Ok(count) => {
                text.push_str(&String::from_utf8_lossy(&buffer[..count]));
                for line in crate::messages::take_lines(&mut text) {
                    input.do_send(DongleInput::Line(line));
                }
            }
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::TimedOut | ErrorKind::Interrupted | ErrorKind::WouldBlock
                ) => {}
            Err(error) => {
                input.do_send(DongleInput::Lost(format!("read failed: {error}")));
                return;
            }
        }
    }
}

fn open_hid() -> Result<OpenedDongle, String> {
    let api = hidapi::HidApi::new().map_err(|error| {
        format!("hidapi cannot start ({error}): is /dev/hidraw* there and readable? see docs/hardware.md")
    })?;
    let (vendor_id, product_id) = HID_DONGLE_VID_PID;
    let info = api
        .device_list()
        .find(|info| info.vendor_id() == vendor_id && info.product_id() == product_id)
        .ok_or_else(|| {
            "no Lovense HID dongle found (USB HID 1915:520a): plug it in and restart plugd"
                .to_string()
        })?;
    let path = info.path().to_owned();
    let device = api.open_path(&path).map_err(|error| {
        format!(
            "cannot open the Lovense HID dongle {}: {error} (install the udev rule of \
             docs/hardware.md so your user may read /dev/hidraw*)",
            path.to_string_lossy()
        )
    })?;
    Ok(OpenedDongle {
        description: path.to_string_lossy().into_owned(),
        start: Box::new(move |input| {
            let (writes, pending) = mpsc::channel::<String>();
            spawn("lovense-dongle-hid", move || {
                hid_loop(device, pending, input)
            });
            writes
        }),
    })
}

/// One thread does both directions: hidapi handles are not shared between threads.
fn hid_loop(
    device: hidapi::HidDevice,
    pending: mpsc::Receiver<String>,
    input: Recipient<DongleInput>,
) {
    let mut buffer = [0_u8; 65];
    let mut text = String::new();
    while input.connected() {
        loop {
            match pending.try_recv() {
                Ok(message) => {
                    for report in hid_reports(&message) {
                        if let Err(error) = device.write(&report) {
                            input.do_send(DongleInput::Lost(format!("HID write failed: {error}")));
                            return;
                        }
                    }
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => return,
            }
        }
        match device.read_timeout(&mut buffer, 20) {
            Ok(0) => {}
            Ok(count) => {
                text.push_str(&String::from_utf8_lossy(&buffer[..count]));
                for line in crate::messages::take_lines(&mut text) {
                    input.do_send(DongleInput::Line(line));
                }
            }
            Err(error) => {
                input.do_send(DongleInput::Lost(format!("HID read failed: {error}")));
                return;
            }
        }
    }
}

/// A message as the HID dongle takes it: `\r\n` appended, cut into 63-byte pieces, each in a
/// 65-byte report (report id 0 first, the last byte left 0), as upstream writes them.
pub fn hid_reports(message: &str) -> Vec<[u8; 65]> {
    let line = format!("{message}\r\n");
    line.as_bytes()
        .chunks(63)
        .map(|chunk| {
            let mut report = [0_u8; 65];
            report[1..=chunk.len()].copy_from_slice(chunk);
            report
        })
        .collect()
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) {
    if let Err(error) = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(body)
    {
        tracing::warn!(%error, "cannot start a Lovense dongle thread");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hid_reports_carry_63_bytes_after_a_zero_report_id() {
        let long = "x".repeat(70);
        let reports = hid_reports(&long);
        assert_eq!(reports.len(), 2);
        assert_eq!(reports[0][0], 0);
        assert_eq!(&reports[0][1..64], "x".repeat(63).as_bytes());
        assert_eq!(reports[0][64], 0);
        assert_eq!(&reports[1][1..10], b"xxxxxxx\r\n");
        assert!(reports[1][10..].iter().all(|byte| *byte == 0));
    }
}

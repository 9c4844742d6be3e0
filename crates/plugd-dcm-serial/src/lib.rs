//! plugd-dcm-serial: devices on serial ports. [`SerialDcm`] looks at the ports that serial
//! specifiers name (the published database only says `"default"`, so in practice the user config
//! names a real port, as with Intiface), opens each with its specifier's settings, and hands the
//! DeviceManager a [`SerialHardware`]: writes to `tx` go to the port, bytes read from the port
//! arrive as `rx` notifications.
//!
//! Blocking I/O never runs on an actor thread: each open port has a reader thread and a writer
//! thread, talking to its actor through messages.

mod hardware;
mod manager;

pub use hardware::{SerialHardware, SerialSettings};
pub use manager::{registration, SerialDcm};

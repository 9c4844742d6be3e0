//! Hardware commands: what a protocol asks the transport to do. The Device actor sends them to
//! the transport in order; the simulated-device wire shows them one frame each.

use crate::Endpoint;

/// One operation on a device's hardware, produced by a protocol encoder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HardwareCommand {
    /// Write bytes to an endpoint.
    Write {
        /// Where to write.
        endpoint: Endpoint,
        /// The bytes.
        data: Vec<u8>,
        /// BLE write-with-response (acknowledged write); ignored by byte-pipe transports.
        write_with_response: bool,
    },
    /// Turn notifications on for an endpoint.
    Subscribe {
        /// Which endpoint.
        endpoint: Endpoint,
    },
    /// Turn notifications off for an endpoint.
    Unsubscribe {
        /// Which endpoint.
        endpoint: Endpoint,
    },
}

impl HardwareCommand {
    /// A write without response: the common case.
    pub fn write(endpoint: Endpoint, data: impl Into<Vec<u8>>) -> Self {
        HardwareCommand::Write {
            endpoint,
            data: data.into(),
            write_with_response: false,
        }
    }

    /// A write with response.
    pub fn write_with_response(endpoint: Endpoint, data: impl Into<Vec<u8>>) -> Self {
        HardwareCommand::Write {
            endpoint,
            data: data.into(),
            write_with_response: true,
        }
    }
}

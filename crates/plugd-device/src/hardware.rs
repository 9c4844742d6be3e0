//! The Hardware boundary: the messages a transport (a DCM's connection to one device) answers,
//! and the events it sends back to its Device actor. Every DCM implements this; the Device
//! actor knows nothing else about transports.

use actix::prelude::*;
use plugd_core::{Endpoint, HardwareCommand};
use std::time::Duration;

/// A call on one device's hardware. Sent by the Device actor to the transport.
#[derive(Debug, Message)]
#[rtype(result = "Result<HardwareReply, HardwareError>")]
pub enum HardwareCall {
    /// Tell the transport where its events go. Sent once, first.
    Attach {
        /// The Device actor's event handler.
        events: Recipient<HardwareEvent>,
    },
    /// Write / subscribe / unsubscribe. Answer once the transport has taken it (BLE: the GATT
    /// operation completed); an error (other than `InvalidEndpoint`) tells the Device the
    /// hardware cannot be driven: the client's command gets ERROR_DEVICE and the device is let
    /// go. A Device keeps at most 8 calls unanswered at its transport, so a transport must keep
    /// at least actix's default mailbox capacity (16) for calls to arrive in order.
    Command(HardwareCommand),
    /// Read an endpoint.
    Read {
        /// Which endpoint.
        endpoint: Endpoint,
        /// Bytes expected (0: whatever comes).
        length: u32,
        /// How long the transport may wait.
        timeout: Duration,
    },
    /// Let go of the hardware: the Device is finished with it.
    Disconnect,
}

/// What a [`HardwareCall`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HardwareReply {
    /// Done (attach, command, disconnect).
    Done,
    /// The bytes a read returned.
    Data(Vec<u8>),
}

/// Something the hardware did. Sent by the transport to the Device actor.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub enum HardwareEvent {
    /// Bytes arrived on a subscribed endpoint.
    Notification {
        /// Which endpoint.
        endpoint: Endpoint,
        /// The bytes.
        data: Vec<u8>,
    },
    /// The hardware is gone (unplugged, out of range, socket closed, write failed).
    Disconnected {
        /// Why, for the log.
        reason: String,
    },
}

/// Why a hardware call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HardwareError {
    /// The device has no such endpoint.
    #[error("the device has no {0} endpoint")]
    InvalidEndpoint(Endpoint),
    /// No answer in time.
    #[error("the device did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection is gone.
    #[error("the device is disconnected")]
    Disconnected,
    /// Anything the transport reports.
    #[error("transport error: {0}")]
    Transport(String),
}

impl From<MailboxError> for HardwareError {
    fn from(_: MailboxError) -> Self {
        HardwareError::Disconnected
    }
}

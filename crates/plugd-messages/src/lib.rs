//! plugd-messages: the Buttplug wire protocol, spec v0 to v4. Parses client frames with the
//! negotiated version's message set, converts every version's commands onto one internal
//! v4-shaped model ([`Request`]), and renders replies and events back in the client's version.
//!
//! Principal types: [`SpecVersion`], [`ClientMessage`] (a parsed message, still in its
//! version's shape), [`Request`] / [`Reply`] / [`Event`] (the internal model), [`DeviceInfo`]
//! (a device as clients see it), [`ButtplugError`] (every error a client can be sent).
//!
//! **Architecture Invariant:** this is the only crate that knows JSON framing and spec
//! versions. Past the Session, everything is the internal model.

#![deny(missing_docs)]

mod error;
mod model;

pub use error::{
    ButtplugError, DeviceError, ErrorCode, HandshakeError, MessageError, PingError, UnknownError,
};
pub use model::{
    DeviceInfo, Event, FeatureInfo, InputInfo, InputReading, InputRequest, OutputCommand,
    OutputInfo, OutputRequest, Reply, Request, SpecVersion, StopRequest,
};

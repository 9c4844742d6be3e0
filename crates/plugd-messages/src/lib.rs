//! plugd-messages: the Buttplug wire protocol, spec v0 to v4. Parses client frames with the
//! negotiated version's message set, converts every version's commands onto one internal
//! v4-shaped model ([`Request`]), and renders replies and events back in the client's version.
//!
//! Principal types: [`SpecVersion`], [`ClientMessage`] (a parsed message, still in its
//! version's shape), [`Request`] / [`Reply`] / [`Event`] (the internal model), [`DeviceInfo`]
//! (a device as clients see it), [`ButtplugError`] (every error a client can be sent),
//! [`Converter`] (one per session: legacy indices and per-device state).
//!
//! A session's flow: [`parse_handshake`] on the first frame, [`render::server_info`]; then for
//! every frame [`parse_frame`] → [`Converter::to_request`] → (the server) →
//! [`render::reply`], or [`render::error`] with the message's Id; events through
//! [`render::event`] and [`render::device_list_changed`].
//!
//! Code map: `parse` (framing, the [`ClientMessage`] dispatch), `convert`, `render`,
//! `advertised` (the per-version capability lists both render and convert use), `fields`
//! (the field cursor), and `messages/`, one file per message family.
//!
//! **Architecture Invariant:** this is the only crate that knows JSON framing and spec
//! versions. Past the Session, everything is the internal model. Nothing here panics on input.

#![deny(missing_docs)]

mod advertised;
pub mod convert;
mod error;
mod fast;
mod fields;
#[cfg(test)]
mod fixtures;
mod messages;
mod model;
pub mod parse;
pub mod render;

pub use convert::{Converted, Converter, ReplyShape};
pub use error::{
    raw_access_disabled, ButtplugError, DeviceError, ErrorCode, HandshakeError, MessageError,
    PingError, UnknownError,
};
pub use model::{
    DeviceInfo, Event, FeatureInfo, InputInfo, InputReading, InputRequest, OutputCommand,
    OutputInfo, OutputRequest, RawCommand, RawReading, RawRequest, Reply, Request, SpecVersion,
    StopRequest,
};
pub use parse::{parse_frame, parse_handshake, ClientMessage, Handshake, Rejected};

//! plugd-core: the small vocabulary every other plugd crate speaks — device and feature indices,
//! output and input kinds, endpoint names and the hardware commands a protocol produces.
//!
//! Principal types: [`OutputKind`], [`InputKind`], [`InputCommand`], [`Endpoint`],
//! [`HardwareCommand`], [`DeviceIndex`], [`FeatureIndex`].
//!
//! **Architecture Invariant:** no actix, no tokio, no JSON framing here. These types are data.

#![deny(missing_docs)]

mod endpoint;
mod hardware;
mod ids;
mod kinds;

pub use endpoint::{Endpoint, UnknownEndpoint};
pub use hardware::HardwareCommand;
pub use ids::{DeviceIndex, FeatureIndex, SessionId};
pub use kinds::{InputCommand, InputKind, OutputKind, UnknownKind};

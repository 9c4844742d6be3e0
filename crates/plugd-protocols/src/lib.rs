//! plugd-protocols: every device protocol as plain functions. A protocol turns "set these
//! outputs to these values" into the bytes its hardware expects, says how a device is
//! identified and initialised, and how its inputs are read — and keeps no state: whatever it
//! would remember (the other motor's speed, what init learned, a packet counter) is passed in
//! by the Device actor, which owns all state and all time.
//!
//! Principal types: [`Protocol`] (one registry entry), [`PROTOCOLS`] (the sorted registry),
//! [`EncodeContext`], [`InitStep`], [`InputReadPlan`], [`SubscribePlan`], [`ProtocolError`].
//!
//! **Architecture Invariant:** no actix, no tokio, no clock, no atomics, cells, locks or mutable
//! statics. Data in, bytes out.

#![deny(missing_docs)]

mod model;
pub mod protocols;
mod registry;
#[cfg(test)]
pub(crate) mod testing;

pub use model::{
    EncodeContext, InitContext, InitReply, InitRound, InitStep, InputReadPlan, NotifiedReading,
    OutputState, OutputValue, ProtocolError, ProtocolSession, ReadSource, SubscribePlan,
};
pub use registry::{
    find, EncodeFn, InitializeFn, ParseNotificationFn, Protocol, SubscribeInputFn,
    SwitchProtocolFn, PROTOCOLS,
};

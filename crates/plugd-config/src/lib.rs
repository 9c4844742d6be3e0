//! plugd-config: the device database and the user device config, in the published format
//! (major versions 4 and 5), and the rules that match found hardware to a protocol and a
//! device definition.
//!
//! Principal types: [`DeviceDatabase`] (a loaded database), [`UserConfig`] (a loaded user
//! device config), [`DeviceConfigStore`] (both layered; answers "what is this hardware?"),
//! [`DeviceDefinition`] (one resolved device), [`DeviceIdentity`] (what a DCM saw).
//!
//! **Architecture Invariant:** no actix and no I/O beyond reading a file the caller names and
//! writing one atomically ([`write_atomic`]); the
//! DeviceConfig actor (plugd-device) owns a [`DeviceConfigStore`] and answers lookups with it.

#![deny(missing_docs)]

mod atomic;
mod builtin;
mod check;
mod database;
mod definition;
mod error;
mod format;
mod identity;
mod matching;
mod store;
mod user_config;

pub use atomic::write_atomic;
pub use builtin::builtin_database_json;
pub use check::{check_file, check_text, CheckedFile};
pub use database::{
    CommunicationSpecifier, DeviceDatabase, ManufacturerDataSpecifier, ProtocolEntry,
    VendorProductPair,
};
pub use definition::{
    DeviceDefinition, FeatureDefinition, InputDefinition, OutputDefinition, StepError,
    UserDeviceSettings,
};
pub use error::{ConfigError, UserEntryError};
pub use identity::{DeviceIdentity, ManufacturerData, Transport};
pub use store::{DeviceConfigStore, DroppedUserEntry, ProtocolMatch};
pub use user_config::{SimulatedDeviceEntry, UserConfig};

//! plugd-dcm-lovense-connect: toys held by the Lovense Connect app (`--use-lovense-connect`),
//! driven through the app's local HTTP API. [`LovenseConnectDcm`] polls each app's `GetToys`
//! while scanning; every connected toy becomes a [`LovenseConnectToy`] whose `tx` writes are
//! command paths requested from the app (the `lovense-connect-service` protocol writes them)
//! and whose `rx` read answers the battery.
//!
//! Apps are found at the addresses the user gives (`--lovense-connect-address`), else at
//! Lovense Connect for PC's local port. Unlike Intiface, plugd never asks Lovense's servers
//! where the app is: see docs/hardware.md.

pub mod api;
pub mod hardware;
pub mod http;
pub mod manager;

pub use hardware::LovenseConnectToy;
pub use http::BaseUrl;
pub use manager::{registration, DcmPeers, LovenseConnectDcm, DEFAULT_ADDRESS};

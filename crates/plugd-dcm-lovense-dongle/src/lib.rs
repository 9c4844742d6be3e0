//! plugd-dcm-lovense-dongle: Lovense toys through Lovense's USB dongle, in its serial variant
//! (`--use-lovense-dongle-serial`) and its HID variant (`--use-lovense-dongle-hid`).
//! [`LovenseDongleDcm`] speaks the dongle's line-based JSON protocol ([`messages`]) over a
//! [`link`] (serial port or HID reports, each on threads of its own) and hands the toy it finds
//! to the DeviceManager as a [`DongleToy`]: a Lovense BLE toy at its Bluetooth address, so the
//! same toy seen by the BLE DCM is the same device and only one DCM gets it.
//!
//! [`probe`] opens the dongle before the DCM registers; without one the DCM registers as
//! unavailable with one line saying what is missing.

pub mod hardware;
pub mod link;
pub mod manager;
pub mod messages;

pub use hardware::DongleToy;
pub use link::{DongleKind, OpenedDongle};
pub use manager::{registration, DcmPeers, LovenseDongleDcm};

/// Finds and opens the dongle of `kind` on a blocking thread.
///
/// # Errors
/// What is missing and how to fix it, for the DCM's "unavailable" line.
pub async fn probe(kind: DongleKind) -> Result<OpenedDongle, String> {
    tokio::task::spawn_blocking(move || link::open(&kind))
        .await
        .map_err(|error| format!("looking for the dongle failed: {error}"))?
}

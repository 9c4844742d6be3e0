//! Libo Karen: a kegel exerciser advertised as "SuoYinQiu". It has no motor: the database gives
//! it no features at all, so there is nothing to encode and no byte is ever written. Registering
//! the protocol lets the device connect and be listed (with no outputs and no inputs), as the
//! pre-v4 implementations did; a Stop has nothing to zero and writes nothing.
//!
//! **Sources.** Upstream today has no handler for this key (matching logs and skips it,
//! device-config.md §1.8). Earlier implementations connected it and answered only StopDeviceCmd,
//! with no bytes: buttplug-rs's `libo_kegel.rs` (buttplugio/buttplug commit `cbd97c1d`, 2020,
//! when the key was briefly renamed `libo-kegel`), and the C# and JS `LiBoProtocol` (the
//! "SuoYinQiu" entry with `VibeCount = 0`; "We can't actually stop the Karen"; kegel pressure and
//! battery left as TODO). A public write-up of the Libo BLE protocol adds that the Karen reports
//! pressure on `6051` (service `6050`, the database's `rxpressure`) as four bytes whose meaning
//! is unknown, and its battery on `6071` (service `6070`, not in the database). With the
//! pressure format unknown and no input declared in the database, plugd reads neither.
//!
//! ref: buttplugio/buttplug `buttplug/src/device/protocol/libo_kegel.rs` at `cbd97c1d`;
//! buttplugio/buttplug-csharp `LiBoProtocol.cs`.

use crate::{EncodeContext, ProtocolError};
use plugd_core::HardwareCommand;

/// Database key.
pub const NAME: &str = "libo-karen";

/// The Karen has no outputs: every output is refused.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for the first changed output (there is never one the
/// database declares).
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    match context.changed.first() {
        Some(&(_, kind)) => Err(ProtocolError::UnsupportedOutput {
            protocol: NAME,
            kind,
        }),
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Harness;
    use plugd_core::OutputKind;

    fn karen() -> Harness {
        Harness::builtin(NAME, Some("SuoYinQiu"))
    }

    #[test]
    fn the_karen_connects_with_no_features() {
        let device = karen();
        assert_eq!(device.definition.name, "Libo Karen");
        assert!(device.definition.features.is_empty());
    }

    #[test]
    fn a_stop_has_nothing_to_write() {
        assert_eq!(karen().stop(), Vec::new());
    }

    #[test]
    fn every_output_is_refused() {
        let mut device = karen();
        for kind in [OutputKind::Vibrate, OutputKind::Constrict] {
            assert_eq!(
                device.try_set(&[(0, kind, 1)]),
                Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind
                })
            );
        }
    }
}

//! HTK BM: the HTK Breast Massager, advertised as "HTK-BLE-BM001". Two vibrators, left (feature
//! 0) and right (feature 1), each only on or off (range 0–1).
//!
//! **Wire format.** One single-byte write to `tx` (characteristic `2a06` of service `1802`),
//! without response, naming which motors run:
//!
//! | left | right | byte |
//! |---|---|---|
//! | on | on | `0b` (11) |
//! | on | off | `0c` (12) |
//! | off | on | `0d` (13) |
//! | off | off | `0f` (15) |
//!
//! Whichever motor changes, the byte is built from both motors' current values (a motor never
//! set is off), so one command — both motors, or a Stop — is one write. Upstream keeps the two
//! values in atomics; plugd reads them from the current output values. No init, no keepalive.
//!
//! The database also maps the standard battery characteristic (`rxblebattery`) but declares no
//! battery input, so nothing reads it.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/htk_bm.rs` of buttplugio/buttplug (no
//! device case upstream); same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "htk_bm";

/// The left motor's feature.
const LEFT: FeatureIndex = FeatureIndex(0);
/// The right motor's feature.
const RIGHT: FeatureIndex = FeatureIndex(1);

/// Both motors running.
const BOTH: u8 = 11;
/// Only the left motor running.
const LEFT_ONLY: u8 = 12;
/// Only the right motor running.
const RIGHT_ONLY: u8 = 13;
/// Both motors off.
const OFF: u8 = 15;

/// One single-byte write naming the running motors.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a vibrator other than the left and right ones, or one the definition lacks.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Vibrate {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        let declared = context
            .definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !declared || (feature != LEFT && feature != RIGHT) {
            return Err(ProtocolError::Definition(format!(
                "no left or right vibrator at feature {feature}"
            )));
        }
    }
    let left = context.value(LEFT, OutputKind::Vibrate) != 0;
    let right = context.value(RIGHT, OutputKind::Vibrate) != 0;
    let code = match (left, right) {
        (true, true) => BOTH,
        (true, false) => LEFT_ONLY,
        (false, true) => RIGHT_ONLY,
        (false, false) => OFF,
    };
    Ok(vec![HardwareCommand::write(Endpoint::Tx, vec![code])])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn massager() -> Harness {
        Harness::builtin(NAME, Some("HTK-BLE-BM001"))
    }

    fn tx(code: u8) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, &[code])]
    }

    #[test]
    fn each_combination_of_motors_has_its_own_code() {
        let mut device = massager();
        assert_eq!(device.definition.name, "HTK Breast Massager");
        assert_eq!(device.set(&[(0, Vibrate, 1)]), tx(12));
        assert_eq!(device.set(&[(1, Vibrate, 1)]), tx(11));
        assert_eq!(device.set(&[(0, Vibrate, 0)]), tx(13));
        assert_eq!(device.set(&[(1, Vibrate, 0)]), tx(15));
    }

    #[test]
    fn both_motors_in_one_command_and_stop_are_one_write_each() {
        let mut device = massager();
        assert_eq!(device.set(&[(0, Vibrate, 1), (1, Vibrate, 1)]), tx(11));
        assert_eq!(device.stop(), tx(15));
    }

    #[test]
    fn other_outputs_and_missing_features_are_errors() {
        let mut device = massager();
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Libo Shark: advertised as "ShaYu"; two vibrators (features 0 and 1), speeds 0–3.
//!
//! **Wire format.** One single-byte write to `tx` (`6001` of service `6000`), without response,
//! carrying both motors: feature 0's speed in the high nibble, feature 1's in the low one —
//! `31` runs the first motor at 3 and the second at 1, `00` stops both. Whichever motor
//! changes, the byte repeats the other's current speed (0 if never set), so one command — both
//! motors, or a Stop — is one write. Upstream keeps the two values in atomics; plugd reads them
//! from the current output values. The `txmode` endpoint the other Libo toys use is unused
//! here. No init, no keepalive.
//!
//! Each speed must fit a nibble (the database range ends at 3).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/libo_shark.rs` of buttplugio/buttplug
//! (no device case upstream); same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "libo-shark";

/// The motor in the high nibble.
const HIGH: FeatureIndex = FeatureIndex(0);
/// The motor in the low nibble.
const LOW: FeatureIndex = FeatureIndex(1);
/// The highest speed a nibble holds.
const MAX_SPEED: u8 = 0x0F;

/// One `<feature 0><feature 1>` nibble-pair write.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a vibrator other than features 0 and 1, one the definition lacks, or a speed outside
/// 0–15.
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
        if !declared || (feature != HIGH && feature != LOW) {
            return Err(ProtocolError::Definition(format!(
                "no nibble for a vibrator at feature {feature}"
            )));
        }
    }
    let high = nibble(context, HIGH)?;
    let low = nibble(context, LOW)?;
    Ok(vec![HardwareCommand::write(
        Endpoint::Tx,
        vec![(high << 4) | low],
    )])
}

/// A motor's current speed, checked to fit a nibble.
fn nibble(context: &EncodeContext<'_>, feature: FeatureIndex) -> Result<u8, ProtocolError> {
    let speed = context.value(feature, OutputKind::Vibrate);
    u8::try_from(speed)
        .ok()
        .filter(|speed| *speed <= MAX_SPEED)
        .ok_or_else(|| {
            ProtocolError::Definition(format!(
                "feature {feature} speed {speed} does not fit in a nibble"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn shark() -> Harness {
        Harness::builtin(NAME, Some("ShaYu"))
    }

    fn tx(byte: u8) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, &[byte])]
    }

    #[test]
    fn the_first_motor_is_the_high_nibble_and_the_second_the_low_one() {
        let mut device = shark();
        assert_eq!(device.definition.name, "Libo Shark");
        assert_eq!(device.set(&[(0, Vibrate, 2)]), tx(0x20));
        assert_eq!(device.set(&[(1, Vibrate, 1)]), tx(0x21));
        assert_eq!(device.set(&[(0, Vibrate, 3)]), tx(0x31));
        assert_eq!(device.set(&[(0, Vibrate, 0)]), tx(0x01));
    }

    #[test]
    fn both_motors_in_one_command_and_stop_are_one_write_each() {
        let mut device = shark();
        assert_eq!(device.set(&[(0, Vibrate, 3), (1, Vibrate, 3)]), tx(0x33));
        assert_eq!(device.stop(), tx(0x00));
    }

    #[test]
    fn other_outputs_missing_features_and_speeds_beyond_a_nibble_are_errors() {
        let mut device = shark();
        assert!(matches!(
            device.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 16)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

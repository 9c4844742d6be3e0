//! svakom-v3: Svakom Phoenix Neo 2 and Hannes Neo (one vibrator), Svakom Alberta (vibrator +
//! an on/off second motor) and the Fantasy Cup Theodore (vibrator + an on/off rotator).
//!
//! Wire: one frame per changed output on `tx`, without response:
//!
//! | output | frame |
//! |---|---|
//! | vibrate, feature 0 | `55 03 03 00 <running> <speed>` |
//! | vibrate, any other feature (Alberta's second motor) | `55 09 00 00 <running> <speed>` |
//! | rotate (Theodore) | `55 08 00 00 <speed> ff` |
//!
//! running = 1 unless the speed is 0. Rotation has no direction (database range `[0, 1]`).
//! Identified by advertised name; no init, no inputs.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_v3.rs`.

use crate::protocols::svakom::{byte, check_changed, running, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-v3";

/// The feature whose vibrator takes the `55 03 03 00` frame; other vibrators take `55 09`.
const MAIN_VIBRATOR: FeatureIndex = FeatureIndex(0);

/// One frame per changed output, in feature order (see the module table).
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or its value
/// does not fit a byte (negative rotation included); [`ProtocolError::UnsupportedOutput`] for
/// anything but vibrate and rotate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate, OutputKind::Rotate])?;
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = byte(context, feature, kind)?;
            let frame = match kind {
                OutputKind::Rotate => [HEADER, 0x08, 0x00, 0x00, speed, 0xff],
                _ if feature == MAIN_VIBRATOR => [HEADER, 0x03, 0x03, 0x00, running(speed), speed],
                _ => [HEADER, 0x09, 0x00, 0x00, running(speed), speed],
            };
            Ok(HardwareCommand::write(Endpoint::Tx, frame))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::NAME;
    use crate::protocols::svakom::assert_encoder_only;
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind::Oscillate, OutputKind::Rotate, OutputKind::Vibrate};

    #[test]
    fn theodore_case_vibrates_then_rotates_then_stops() {
        // test_svakom_theodore.yaml: vibrate 0.5 → 5, then 0.75 → 8 with rotate 1.0 → 1.
        let mut theodore = Harness::builtin(NAME, Some("FK008A"));
        assert_eq!(theodore.definition.name, "Fantasy Cup Theodore");
        assert_eq!(
            theodore.set(&[(0, Vibrate, 5)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x01, 0x05])]
        );
        assert_eq!(
            theodore.set(&[(0, Vibrate, 8), (1, Rotate, 1)]),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x01, 0x08]),
                write(Endpoint::Tx, &[0x55, 0x08, 0x00, 0x00, 0x01, 0xff]),
            ]
        );
        // The case lists only the first write of the stop; the rotator's stop follows.
        assert_eq!(
            theodore.stop(),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x00, 0x00]),
                write(Endpoint::Tx, &[0x55, 0x08, 0x00, 0x00, 0x00, 0xff]),
            ]
        );
    }

    #[test]
    fn vibrate_at_zero_middle_and_full_speed() {
        let mut device = Harness::builtin(NAME, Some("Phoenix Neo 2"));
        assert_eq!(device.definition.name, "Svakom Phoenix Neo 2");
        for (speed, expected) in [
            (0, [0x55, 0x03, 0x03, 0x00, 0x00, 0x00]),
            (5, [0x55, 0x03, 0x03, 0x00, 0x01, 0x05]),
            (10, [0x55, 0x03, 0x03, 0x00, 0x01, 0x0a]),
        ] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, &expected)]
            );
        }
    }

    #[test]
    fn alberta_second_motor_takes_the_09_frame() {
        let mut alberta = Harness::builtin(NAME, Some("QH-SX007E"));
        assert_eq!(alberta.definition.name, "Svakom Alberta");
        assert_eq!(
            alberta.set(&[(0, Vibrate, 10), (1, Vibrate, 1)]),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x01, 0x0a]),
                write(Endpoint::Tx, &[0x55, 0x09, 0x00, 0x00, 0x01, 0x01]),
            ]
        );
        assert_eq!(
            alberta.set(&[(1, Vibrate, 0)]),
            vec![write(Endpoint::Tx, &[0x55, 0x09, 0x00, 0x00, 0x00, 0x00])]
        );
        // The test Harness does not deduplicate: its stop zeroes both motors.
        assert_eq!(
            alberta.stop(),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x00, 0x00]),
                write(Endpoint::Tx, &[0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn undeclared_outputs_and_negative_rotation_write_nothing() {
        let mut theodore = Harness::builtin(NAME, Some("FK008A"));
        assert!(matches!(
            theodore.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            theodore.try_set(&[(1, Rotate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut oscillator = theodore.definition.features[1].outputs[0].clone();
        oscillator.kind = Oscillate;
        theodore.definition.features[1].outputs.push(oscillator);
        assert_eq!(
            theodore.try_set(&[(0, Vibrate, 2), (1, Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        assert_eq!(
            Harness::builtin(NAME, None).definition.name,
            "Svakom Device v3"
        );
        assert_encoder_only(NAME);
    }
}

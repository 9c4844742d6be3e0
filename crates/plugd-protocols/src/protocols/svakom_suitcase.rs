//! svakom-suitcase: Svakom Magic Suitcase (`VX357A`) and Coleur Dor VX236A — a vibrator with
//! 30 steps and a second output switched on or off.
//!
//! Wire: one frame per changed output on `tx`, without response:
//!
//! | output | frame |
//! |---|---|
//! | vibrate at feature 0 | `55 03 00 00 <intensity> <speed>` |
//! | vibrate at another feature | `55 09 00 00 <value> 00` |
//!
//! The toy has three intensities of ten speeds each; the 30 steps of feature 0 walk through
//! them: step `s` → speed `s mod 10`, intensity `s / 10 + 1` (integer division), except that a
//! speed of 0 borrows from the intensity (step 10 → intensity 1, speed 10; step 30 → 3, 10).
//! Step 0 is intensity 0, speed 0 (stopped). Identified by advertised name; no init, no
//! inputs.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_suitcase.rs`.

use crate::protocols::svakom::{byte, check_changed, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-suitcase";

/// Speeds per intensity.
const SPEEDS: u8 = 10;

/// One frame per changed vibrator, in feature order.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or its value
/// does not fit a byte; [`ProtocolError::UnsupportedOutput`] for anything but vibrate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate])?;
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let value = byte(context, feature, kind)?;
            let frame = if feature == FeatureIndex(0) {
                let (intensity, speed) = intensity_and_speed(value);
                [HEADER, 0x03, 0x00, 0x00, intensity, speed]
            } else {
                [HEADER, 0x09, 0x00, 0x00, value, 0x00]
            };
            Ok(HardwareCommand::write(Endpoint::Tx, frame))
        })
        .collect()
}

/// The (intensity, speed) pair of a step of feature 0 (see the module doc).
fn intensity_and_speed(step: u8) -> (u8, u8) {
    if step == 0 {
        return (0, 0);
    }
    let intensity = step / SPEEDS + 1;
    match step % SPEEDS {
        0 => (intensity - 1, SPEEDS),
        speed => (intensity, speed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::svakom::assert_encoder_only;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn steps_walk_through_three_intensities_of_ten_speeds() {
        let mut suitcase = Harness::builtin(NAME, None);
        assert_eq!(suitcase.definition.name, "Svakom Magic Suitcase");
        for (step, intensity, speed) in [
            (1, 1, 1),
            (9, 1, 9),
            (10, 1, 10),
            (11, 2, 1),
            (15, 2, 5),
            (20, 2, 10),
            (21, 3, 1),
            (30, 3, 10),
            (0, 0, 0),
        ] {
            assert_eq!(
                suitcase.set(&[(0, Vibrate, step)]),
                vec![tx(&[0x55, 0x03, 0x00, 0x00, intensity, speed])],
                "step {step}"
            );
        }
    }

    #[test]
    fn the_second_output_switches_with_the_09_frame() {
        let mut suitcase = Harness::builtin(NAME, Some("VX236A-BLE-V1.0"));
        assert_eq!(suitcase.definition.name, "Coleur Dor VX236A");
        assert_eq!(
            suitcase.set(&[(1, Vibrate, 1)]),
            vec![tx(&[0x55, 0x09, 0x00, 0x00, 0x01, 0x00])]
        );
        assert_eq!(
            suitcase.set(&[(1, Vibrate, 0)]),
            vec![tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn both_outputs_at_once_then_stop_write_one_frame_each_in_feature_order() {
        let mut suitcase = Harness::builtin(NAME, None);
        assert_eq!(
            suitcase.set(&[(1, Vibrate, 1), (0, Vibrate, 25)]),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x03, 0x05]),
                tx(&[0x55, 0x09, 0x00, 0x00, 0x01, 0x00]),
            ]
        );
        assert_eq!(
            suitcase.stop(),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn every_byte_value_has_an_intensity_and_speed_without_overflow() {
        for step in 0..=u8::MAX {
            let (intensity, speed) = intensity_and_speed(step);
            assert!(speed <= SPEEDS, "step {step}");
            assert_eq!(
                u32::from(intensity.saturating_sub(1)) * 10 + u32::from(speed),
                u32::from(step),
                "step {step}"
            );
        }
    }

    #[test]
    fn undeclared_outputs_unsupported_kinds_and_oversized_values_write_nothing() {
        let mut suitcase = Harness::builtin(NAME, None);
        assert!(matches!(
            suitcase.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            suitcase.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut oscillator = suitcase.definition.features[0].outputs[0].clone();
        oscillator.kind = Oscillate;
        suitcase.definition.features[0].outputs.push(oscillator);
        assert_eq!(
            suitcase.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        assert_encoder_only(NAME);
    }
}

//! svakom-sam2: Svakom Sam Neo 2 and Sam Neo 2 Pro — a vibrator (10 speeds) and a suction
//! motor (5 levels).
//!
//! Wire: one frame per changed output on `tx`, **with** response:
//!
//! | output | frame |
//! |---|---|
//! | vibrate | `55 03 00 00 <05 while running, else 00> <speed> 00` |
//! | constrict (suction) | `55 09 00 00 <running> <level> 00` |
//!
//! running = 1 unless the value is 0. Identified by advertised name; no init, no inputs
//! (unlike the first Sam Neo, `svakom-sam`, which subscribes during init).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_sam2.rs`.

use crate::protocols::svakom::{byte, check_changed, running, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-sam2";

/// The vibrate frame's mode byte while the vibrator runs.
const VIBRATE_RUNNING: u8 = 0x05;

/// One frame per changed output, in feature order, each written with response.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or its value
/// does not fit a byte; [`ProtocolError::UnsupportedOutput`] for anything but vibrate and
/// constrict.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate, OutputKind::Constrict])?;
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let value = byte(context, feature, kind)?;
            let frame = if kind == OutputKind::Constrict {
                [HEADER, 0x09, 0x00, 0x00, running(value), value, 0x00]
            } else {
                let mode = if value == 0 { 0x00 } else { VIBRATE_RUNNING };
                [HEADER, 0x03, 0x00, 0x00, mode, value, 0x00]
            };
            Ok(HardwareCommand::write_with_response(Endpoint::Tx, frame))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::NAME;
    use crate::protocols::svakom::assert_encoder_only;
    use crate::testing::{write_with_response, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind::Constrict, OutputKind::Oscillate, OutputKind::Vibrate};

    #[test]
    fn sam2_case_vibrates_then_adds_suction_then_stops_both() {
        // test_svakom_sam2.yaml: vibrate 0.5 → 5, then 0.75 → 8 with constrict 0.5 of [0, 5] → 3.
        let mut sam = Harness::builtin(NAME, Some("Sam Neo 2 Pro"));
        assert_eq!(sam.definition.name, "Svakom Sam Neo 2 Pro");
        assert_eq!(
            sam.set(&[(0, Vibrate, 5)]),
            vec![write_with_response(
                Endpoint::Tx,
                &[0x55, 0x03, 0x00, 0x00, 0x05, 0x05, 0x00]
            )]
        );
        assert_eq!(
            sam.set(&[(0, Vibrate, 8), (1, Constrict, 3)]),
            vec![
                write_with_response(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x05, 0x08, 0x00]),
                write_with_response(Endpoint::Tx, &[0x55, 0x09, 0x00, 0x00, 0x01, 0x03, 0x00]),
            ]
        );
        assert_eq!(
            sam.stop(),
            vec![
                write_with_response(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]),
                write_with_response(Endpoint::Tx, &[0x55, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn each_output_at_zero_middle_and_full() {
        let mut sam = Harness::builtin(NAME, Some("Sam Neo 2"));
        assert_eq!(sam.definition.name, "Svakom Sam Neo 2");
        for (speed, expected) in [
            (0, [0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]),
            (5, [0x55, 0x03, 0x00, 0x00, 0x05, 0x05, 0x00]),
            (10, [0x55, 0x03, 0x00, 0x00, 0x05, 0x0a, 0x00]),
        ] {
            assert_eq!(
                sam.set(&[(0, Vibrate, speed)]),
                vec![write_with_response(Endpoint::Tx, &expected)]
            );
        }
        for (level, expected) in [
            (0, [0x55, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00]),
            (2, [0x55, 0x09, 0x00, 0x00, 0x01, 0x02, 0x00]),
            (5, [0x55, 0x09, 0x00, 0x00, 0x01, 0x05, 0x00]),
        ] {
            assert_eq!(
                sam.set(&[(1, Constrict, level)]),
                vec![write_with_response(Endpoint::Tx, &expected)]
            );
        }
    }

    #[test]
    fn undeclared_outputs_and_oversized_values_write_nothing() {
        let mut sam = Harness::builtin(NAME, None);
        assert!(matches!(
            sam.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            sam.try_set(&[(1, Constrict, 400)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut oscillator = sam.definition.features[0].outputs[0].clone();
        oscillator.kind = Oscillate;
        sam.definition.features[0].outputs.push(oscillator);
        assert_eq!(
            sam.try_set(&[(0, Oscillate, 1)]),
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
            "Svakom Sam Neo 2"
        );
        assert_encoder_only(NAME);
    }
}

//! svakom-barnard: the Fantasy Cup Barnard (`DG239A`) — a vibrator and a thrusting motor, 3
//! speeds each.
//!
//! Wire: one frame per changed output on `tx`, without response; the speed comes **before**
//! the flag here:
//!
//! | output | frame |
//! |---|---|
//! | vibrate | `55 03 00 00 <speed> <01 while running, else 00>` |
//! | oscillate (thrusting) | `55 08 00 00 <speed> <ff while running, else 00>` |
//!
//! Identified by advertised name; no init, no inputs.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_barnard.rs`.

use crate::protocols::svakom::{byte, check_changed, running, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-barnard";

/// The thrusting frame's flag while the motor runs.
const THRUST_RUNNING: u8 = 0xff;

/// One frame per changed output, in feature order (see the module table).
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or its value
/// does not fit a byte; [`ProtocolError::UnsupportedOutput`] for anything but vibrate and
/// oscillate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate, OutputKind::Oscillate])?;
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = byte(context, feature, kind)?;
            let frame = if kind == OutputKind::Oscillate {
                let flag = if speed == 0 { 0x00 } else { THRUST_RUNNING };
                [HEADER, 0x08, 0x00, 0x00, speed, flag]
            } else {
                [HEADER, 0x03, 0x00, 0x00, speed, running(speed)]
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
    fn barnard_case_vibrates_then_thrusts_then_stops_what_still_runs() {
        // test_svakom_barnard.yaml: 0.5 → 2, then 0.75 → 3 with thrusting 0.5 → 2 (ranges
        // [0, 3]), then vibrate 0, then a stop that only the thruster still needs.
        let mut barnard = Harness::builtin(NAME, Some("DG239A"));
        assert_eq!(barnard.definition.name, "Fantasy Cup Barnard");
        assert_eq!(
            barnard.set(&[(0, Vibrate, 2)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x02, 0x01])]
        );
        assert_eq!(
            barnard.set(&[(0, Vibrate, 3), (1, Oscillate, 2)]),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x03, 0x01]),
                write(Endpoint::Tx, &[0x55, 0x08, 0x00, 0x00, 0x02, 0xff]),
            ]
        );
        assert_eq!(
            barnard.set(&[(0, Vibrate, 0)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x00, 0x00])]
        );
        // The Device deduplicates the vibrator's stop (already 0): only the thruster changes.
        assert_eq!(
            barnard.set(&[(1, Oscillate, 0)]),
            vec![write(Endpoint::Tx, &[0x55, 0x08, 0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn each_output_at_zero_middle_and_full_speed() {
        let mut barnard = Harness::builtin(NAME, None);
        for (speed, vibrate, thrust) in [
            (
                0,
                [0x55, 0x03, 0x00, 0x00, 0x00, 0x00],
                [0x55, 0x08, 0x00, 0x00, 0x00, 0x00],
            ),
            (
                1,
                [0x55, 0x03, 0x00, 0x00, 0x01, 0x01],
                [0x55, 0x08, 0x00, 0x00, 0x01, 0xff],
            ),
            (
                3,
                [0x55, 0x03, 0x00, 0x00, 0x03, 0x01],
                [0x55, 0x08, 0x00, 0x00, 0x03, 0xff],
            ),
        ] {
            assert_eq!(
                barnard.set(&[(0, Vibrate, speed), (1, Oscillate, speed)]),
                vec![write(Endpoint::Tx, &vibrate), write(Endpoint::Tx, &thrust)]
            );
        }
    }

    #[test]
    fn stop_zeroes_both_motors() {
        let mut barnard = Harness::builtin(NAME, None);
        barnard.set(&[(0, Vibrate, 1), (1, Oscillate, 3)]);
        assert_eq!(
            barnard.stop(),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
                write(Endpoint::Tx, &[0x55, 0x08, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn undeclared_outputs_and_oversized_values_write_nothing() {
        let mut barnard = Harness::builtin(NAME, None);
        assert!(matches!(
            barnard.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            barnard.try_set(&[(1, Oscillate, 999)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut rotor = barnard.definition.features[1].outputs[0].clone();
        rotor.kind = Rotate;
        barnard.definition.features[1].outputs.push(rotor);
        assert_eq!(
            barnard.try_set(&[(1, Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        assert_encoder_only(NAME);
    }
}

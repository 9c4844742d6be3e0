//! svakom-iker: the Svakom Iker (BLE name `Iker`, also matched by its manufacturer data) — a
//! vibrator (10 speeds, feature 0) and a second motor (5 speeds, feature 1). Not the Iker Neo,
//! which is `svakom-v6`.
//!
//! Wire, on `tx`, without response. Every command writes from **both** motors' current values:
//!
//! | motors | writes |
//! |---|---|
//! | both stopped | `55 07 00 00 00 00` |
//! | otherwise | `55 03 03 00 01 <vibrator>`, then, if the second motor runs, `55 07 00 00 <second> 00` |
//!
//! The vibrator frame's flag stays 1 while the second motor runs, even at vibrator speed 0
//! (`55 03 03 00 01 00`). Identified by advertised name; no init, no inputs.
//!
//! **Packing.** Upstream remembers both speeds in the handler (atomics) and writes per changed
//! motor, tagging each write with that motor's feature id; plugd reads the other motor's
//! current value and writes once per command from the final values. For one changed motor the
//! bytes are the same; for a command that changes both, upstream's first handler call would
//! see the second motor's old speed, while plugd writes only the final state (which is what
//! `test_svakom_iker.yaml` expects). A vibrator at another feature index is an error here
//! (upstream would index past its two-speed array).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_iker.rs`.

use crate::protocols::svakom::{check_changed, no_slot, vibrator_pair, HEADER, SECOND_VIBRATOR};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-iker";

/// The frame that stops both motors.
const STOP_BOTH: [u8; 6] = [HEADER, 0x07, 0x00, 0x00, 0x00, 0x00];

/// One or two frames holding both motors' current speeds (see the module table).
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition, a vibrator
/// sits beyond feature 1, or a value does not fit a byte; [`ProtocolError::UnsupportedOutput`]
/// for anything but vibrate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate])?;
    if let Some(&(feature, _)) = context
        .changed
        .iter()
        .find(|(feature, _)| *feature > SECOND_VIBRATOR)
    {
        return Err(no_slot(NAME, feature));
    }
    let (vibrator, second) = vibrator_pair(context)?;
    if vibrator == 0 && second == 0 {
        return Ok(vec![HardwareCommand::write(Endpoint::Tx, STOP_BOTH)]);
    }
    let mut commands = vec![HardwareCommand::write(
        Endpoint::Tx,
        [HEADER, 0x03, 0x03, 0x00, 0x01, vibrator],
    )];
    if second > 0 {
        commands.push(HardwareCommand::write(
            Endpoint::Tx,
            [HEADER, 0x07, 0x00, 0x00, second, 0x00],
        ));
    }
    Ok(commands)
}

#[cfg(test)]
mod tests {
    use super::NAME;
    use crate::protocols::svakom::assert_encoder_only;
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, FeatureIndex, OutputKind::Oscillate, OutputKind::Vibrate};

    #[test]
    fn iker_case_writes_both_motors_from_their_current_speeds() {
        // test_svakom_iker.yaml: vibrator 0.5 → 5; then 0.75 → 8 with the second motor
        // 0.5 of [0, 5] → 3; then the vibrator alone to 0; then a stop that only the second
        // motor still needs (the Device deduplicates the vibrator's).
        let mut iker = Harness::builtin(NAME, Some("Iker"));
        assert_eq!(iker.definition.name, "Svakom Iker");
        assert_eq!(
            iker.set(&[(0, Vibrate, 5)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x01, 0x05])]
        );
        assert_eq!(
            iker.set(&[(0, Vibrate, 8), (1, Vibrate, 3)]),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x01, 0x08]),
                write(Endpoint::Tx, &[0x55, 0x07, 0x00, 0x00, 0x03, 0x00]),
            ]
        );
        assert_eq!(
            iker.set(&[(0, Vibrate, 0)]),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x01, 0x00]),
                write(Endpoint::Tx, &[0x55, 0x07, 0x00, 0x00, 0x03, 0x00]),
            ]
        );
        assert_eq!(
            iker.set(&[(1, Vibrate, 0)]),
            vec![write(Endpoint::Tx, &[0x55, 0x07, 0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn each_motor_at_zero_middle_and_full_speed() {
        let mut iker = Harness::builtin(NAME, None);
        for (speed, expected) in [
            (0, vec![[0x55, 0x07, 0x00, 0x00, 0x00, 0x00]]),
            (5, vec![[0x55, 0x03, 0x03, 0x00, 0x01, 0x05]]),
            (10, vec![[0x55, 0x03, 0x03, 0x00, 0x01, 0x0a]]),
        ] {
            let expected: Vec<_> = expected
                .iter()
                .map(|frame| write(Endpoint::Tx, frame))
                .collect();
            assert_eq!(iker.set(&[(0, Vibrate, speed)]), expected);
        }
        iker.set(&[(0, Vibrate, 0)]);
        for (speed, expected) in [
            (0, vec![[0x55, 0x07, 0x00, 0x00, 0x00, 0x00]]),
            (
                2,
                vec![
                    [0x55, 0x03, 0x03, 0x00, 0x01, 0x00],
                    [0x55, 0x07, 0x00, 0x00, 0x02, 0x00],
                ],
            ),
            (
                5,
                vec![
                    [0x55, 0x03, 0x03, 0x00, 0x01, 0x00],
                    [0x55, 0x07, 0x00, 0x00, 0x05, 0x00],
                ],
            ),
        ] {
            let expected: Vec<_> = expected
                .iter()
                .map(|frame| write(Endpoint::Tx, frame))
                .collect();
            assert_eq!(iker.set(&[(1, Vibrate, speed)]), expected);
        }
    }

    #[test]
    fn stop_of_both_motors_is_one_frame() {
        let mut iker = Harness::builtin(NAME, None);
        iker.set(&[(0, Vibrate, 7), (1, Vibrate, 4)]);
        assert_eq!(
            iker.stop(),
            vec![write(Endpoint::Tx, &[0x55, 0x07, 0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn motors_beyond_feature_1_and_undeclared_outputs_write_nothing() {
        let mut iker = Harness::builtin(NAME, None);
        assert!(matches!(
            iker.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut third = iker.definition.features[1].clone();
        third.index = FeatureIndex(2);
        iker.definition.features.push(third);
        assert!(matches!(
            iker.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            iker.try_set(&[(1, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        assert_encoder_only(NAME);
    }
}

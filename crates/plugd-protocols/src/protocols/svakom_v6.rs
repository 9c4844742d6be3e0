//! svakom-v6: Svakom Coco Pro and Echo 2 and the BeYourLover Naughty Clock pair (one vibrator),
//! Vick Neo 2 (two) and Iker Neo (two vibrators and a five-speed third motor).
//!
//! Wire, on `tx`, without response:
//!
//! | output | frame |
//! |---|---|
//! | vibrate, features 0 and 1 | one shared frame `55 03 <mode> 00 <running> <max(first, second)> 00` |
//! | vibrate, feature 2 | `55 07 00 00 <running> <speed> 00` |
//!
//! The mode picks the first two vibrators: `00` both (also when both speeds are equal, and
//! always on a one-vibrator device), `01` the first only, `02` the second only; running is 0
//! only when both are stopped (for the third motor: when it is). The shared frame has a single
//! speed: two different non-zero speeds both run at the larger one. Identified by advertised
//! name; no init, no inputs.
//!
//! **Packing.** The shared frame needs both speeds, so [`encode`] reads the other vibrator's
//! current value and writes one shared frame per command, whatever changed, then the third
//! motor's frame if it changed (feature order). Upstream remembers the last speeds in the
//! handler and writes one shared frame per changed vibrator under a fixed command id, so its
//! message gap keeps only the last, which holds the same two speeds. A vibrator beyond
//! feature 2 is an error here (upstream would index past its three-speed array).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_v6.rs`.

use crate::protocols::svakom::{
    byte, check_changed, dual_vibrator_frame, no_slot, running, single_vibrator, vibrator_pair,
    HEADER, SECOND_VIBRATOR,
};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-v6";

/// The motor with a frame of its own (Iker Neo's third motor).
const THIRD_VIBRATOR: FeatureIndex = FeatureIndex(2);

/// One shared frame if vibrator 0 or 1 changed, then vibrator 2's frame if it changed.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition, a vibrator
/// sits beyond feature 2, or a value does not fit a byte; [`ProtocolError::UnsupportedOutput`]
/// for anything but vibrate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate])?;
    let mut commands = Vec::with_capacity(2);
    let mut pair_written = false;
    for &(feature, kind) in context.changed {
        if feature > THIRD_VIBRATOR {
            return Err(no_slot(NAME, feature));
        }
        if feature == THIRD_VIBRATOR {
            let speed = byte(context, feature, kind)?;
            commands.push(HardwareCommand::write(
                Endpoint::Tx,
                [HEADER, 0x07, 0x00, 0x00, running(speed), speed, 0x00],
            ));
        } else if feature <= SECOND_VIBRATOR && !pair_written {
            let (first, second) = vibrator_pair(context)?;
            let [header, command, mode, zero, running, speed] =
                dual_vibrator_frame(first, second, single_vibrator(context));
            commands.push(HardwareCommand::write(
                Endpoint::Tx,
                [header, command, mode, zero, running, speed, 0x00],
            ));
            pair_written = true;
        }
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
    fn cocopro_case_uses_mode_0_for_its_single_vibrator() {
        // test_svakom_cocopro.yaml: 0.5 and 0.75 of [0, 10] are 5 and 8.
        let mut coco = Harness::builtin(NAME, Some("CocoPro"));
        assert_eq!(coco.definition.name, "Svakom Coco Pro");
        assert_eq!(
            coco.set(&[(0, Vibrate, 5)]),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x00, 0x00, 0x01, 0x05, 0x00]
            )]
        );
        assert_eq!(
            coco.set(&[(0, Vibrate, 8)]),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x00, 0x00, 0x01, 0x08, 0x00]
            )]
        );
        assert_eq!(
            coco.stop(),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]
            )]
        );
    }

    #[test]
    fn vibrate_at_zero_middle_and_full_speed() {
        let mut echo = Harness::builtin(NAME, Some("Echo 2"));
        assert_eq!(echo.definition.name, "Svakom Echo 2");
        for (speed, expected) in [
            (0, [0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]),
            (5, [0x55, 0x03, 0x00, 0x00, 0x01, 0x05, 0x00]),
            (10, [0x55, 0x03, 0x00, 0x00, 0x01, 0x0a, 0x00]),
        ] {
            assert_eq!(
                echo.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, &expected)]
            );
        }
    }

    #[test]
    fn two_vibrators_select_their_motor_by_mode() {
        let mut vick = Harness::builtin(NAME, Some("Vick Neo 2"));
        assert_eq!(vick.definition.name, "Svakom Vick Neo 2");
        assert_eq!(
            vick.set(&[(0, Vibrate, 4)]),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x01, 0x00, 0x01, 0x04, 0x00]
            )]
        );
        assert_eq!(
            vick.set(&[(0, Vibrate, 0), (1, Vibrate, 6)]),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x02, 0x00, 0x01, 0x06, 0x00]
            )]
        );
        assert_eq!(
            vick.set(&[(0, Vibrate, 6)]),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x00, 0x00, 0x01, 0x06, 0x00]
            )]
        );
        assert_eq!(
            vick.stop(),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]
            )]
        );
    }

    #[test]
    fn iker_neo_third_motor_has_its_own_frame_after_the_shared_one() {
        let mut iker = Harness::builtin(NAME, Some("Iker Neo"));
        assert_eq!(iker.definition.name, "Svakom Iker Neo");
        assert_eq!(
            iker.set(&[(2, Vibrate, 5)]),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x07, 0x00, 0x00, 0x01, 0x05, 0x00]
            )]
        );
        assert_eq!(
            iker.set(&[(0, Vibrate, 10), (1, Vibrate, 3), (2, Vibrate, 2)]),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x01, 0x0a, 0x00]),
                write(Endpoint::Tx, &[0x55, 0x07, 0x00, 0x00, 0x01, 0x02, 0x00]),
            ]
        );
        assert_eq!(
            iker.stop(),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]),
                write(Endpoint::Tx, &[0x55, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn vibrators_beyond_feature_2_and_undeclared_outputs_write_nothing() {
        let mut iker = Harness::builtin(NAME, Some("Iker Neo"));
        assert!(matches!(
            iker.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut fourth = iker.definition.features[2].clone();
        fourth.index = FeatureIndex(3);
        iker.definition.features.push(fourth);
        assert!(matches!(
            iker.try_set(&[(3, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            iker.try_set(&[(2, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        for (identifier, name) in [
            ("VA617A-3", "BeYourLover Naughty Clock Vibrator"),
            ("VA617A-4", "BeYourLover Naughty Clock Sucker"),
        ] {
            assert_eq!(
                Harness::builtin(NAME, Some(identifier)).definition.name,
                name
            );
        }
        assert_encoder_only(NAME);
    }
}

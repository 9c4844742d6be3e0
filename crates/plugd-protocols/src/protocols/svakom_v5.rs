//! svakom-v5: Svakom Chika (two vibrators), Mora Neo and Trysta Neo (two vibrators and a
//! three-speed thrusting motor) and Mini Emma Neo (one vibrator).
//!
//! Wire, on `tx`, without response:
//!
//! | output | frame |
//! |---|---|
//! | vibrate, features 0 and 1 | one shared frame `55 03 <mode> 00 <running> <max(first, second)>` |
//! | oscillate (thrusting) | `55 09 00 00 <speed> 00` |
//!
//! The mode picks the vibrators: `00` both (also when both speeds are equal), `01` the first
//! only, `02` the second only; running is 0 only when both are stopped. The frame has a single
//! speed: two different non-zero speeds both run at the larger one. Unlike `svakom-v4` and
//! `svakom-v6`, upstream does not special-case one-vibrator devices here, so a running Mini
//! Emma Neo gets mode `01` (its absent second vibrator counts as stopped); plugd keeps those
//! bytes. Identified by advertised name; no init, no inputs.
//!
//! **Packing.** The vibrator frame needs both speeds, so [`encode`] reads the other vibrator's
//! current value and writes one vibrator frame per command (before the oscillate frame, as
//! the features are ordered), whatever changed. Upstream remembers the last speeds in the
//! handler and writes one frame per changed vibrator under a fixed command id, so its message
//! gap keeps only the last, which holds the same two speeds. A vibrator beyond feature 1 is an
//! error here (upstream would index past its two-speed array).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_v5.rs`.

use crate::protocols::svakom::{
    byte, check_changed, dual_vibrator_frame, no_slot, vibrator_pair, HEADER, SECOND_VIBRATOR,
};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-v5";

/// One vibrator frame if a vibrator changed, and one frame per changed oscillator, in feature
/// order.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition, a vibrator
/// sits beyond feature 1, or a value does not fit a byte; [`ProtocolError::UnsupportedOutput`]
/// for anything but vibrate and oscillate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate, OutputKind::Oscillate])?;
    let mut commands = Vec::with_capacity(context.changed.len());
    let mut vibrators_written = false;
    for &(feature, kind) in context.changed {
        match kind {
            OutputKind::Vibrate if feature > SECOND_VIBRATOR => return Err(no_slot(NAME, feature)),
            OutputKind::Vibrate if vibrators_written => {}
            OutputKind::Vibrate => {
                let (first, second) = vibrator_pair(context)?;
                commands.push(HardwareCommand::write(
                    Endpoint::Tx,
                    dual_vibrator_frame(first, second, false),
                ));
                vibrators_written = true;
            }
            _ => {
                let speed = byte(context, feature, kind)?;
                commands.push(HardwareCommand::write(
                    Endpoint::Tx,
                    [HEADER, 0x09, 0x00, 0x00, speed, 0x00],
                ));
            }
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
    fn mora_neo_case_packs_both_vibrators_and_thrusts_separately() {
        // test_svakom_mora_neo.yaml, step by step ([0, 10] vibrators, [0, 3] thrusting).
        let mut mora = Harness::builtin(NAME, Some("Mora Neo"));
        assert_eq!(mora.definition.name, "Svakom Mora Neo");
        assert_eq!(
            mora.set(&[(0, Vibrate, 5)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x01, 0x00, 0x01, 0x05])]
        );
        assert_eq!(
            mora.set(&[(0, Vibrate, 8)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x01, 0x00, 0x01, 0x08])]
        );
        assert_eq!(
            mora.set(&[(1, Vibrate, 8)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x01, 0x08])]
        );
        assert_eq!(
            mora.set(&[(0, Vibrate, 1), (1, Vibrate, 8)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x01, 0x08])]
        );
        assert_eq!(
            mora.set(&[(0, Vibrate, 0), (1, Vibrate, 10), (2, Oscillate, 2)]),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x02, 0x00, 0x01, 0x0a]),
                write(Endpoint::Tx, &[0x55, 0x09, 0x00, 0x00, 0x02, 0x00]),
            ]
        );
        // The Device's stop skips vibrator 0 (already 0): vibrator 1 and the thruster change.
        assert_eq!(
            mora.set(&[(1, Vibrate, 0), (2, Oscillate, 0)]),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
                write(Endpoint::Tx, &[0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn thrusting_at_zero_middle_and_full_speed() {
        let mut trysta = Harness::builtin(NAME, Some("Trysta Neo"));
        assert_eq!(trysta.definition.name, "Svakom Trysta Neo");
        for (speed, expected) in [
            (0, [0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
            (2, [0x55, 0x09, 0x00, 0x00, 0x02, 0x00]),
            (3, [0x55, 0x09, 0x00, 0x00, 0x03, 0x00]),
        ] {
            assert_eq!(
                trysta.set(&[(2, Oscillate, speed)]),
                vec![write(Endpoint::Tx, &expected)]
            );
        }
    }

    #[test]
    fn stop_writes_one_vibrator_frame_and_the_thruster() {
        let mut mora = Harness::builtin(NAME, Some("Mora Neo"));
        mora.set(&[(0, Vibrate, 3), (1, Vibrate, 7), (2, Oscillate, 1)]);
        assert_eq!(
            mora.stop(),
            vec![
                write(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
                write(Endpoint::Tx, &[0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn one_vibrator_mini_emma_neo_keeps_upstreams_mode_1() {
        let mut mini = Harness::builtin(NAME, Some("Mini Emma Neo"));
        assert_eq!(mini.definition.name, "Svakom Mini Emma Neo");
        assert_eq!(
            mini.set(&[(0, Vibrate, 10)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x01, 0x00, 0x01, 0x0a])]
        );
        assert_eq!(
            mini.stop(),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn vibrators_beyond_feature_1_and_undeclared_outputs_write_nothing() {
        let mut chika = Harness::builtin(NAME, Some("Chika"));
        assert_eq!(chika.definition.name, "Svakom Chika");
        assert!(matches!(
            chika.try_set(&[(2, Oscillate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut third = chika.definition.features[1].clone();
        third.index = FeatureIndex(2);
        chika.definition.features.push(third);
        assert!(matches!(
            chika.try_set(&[(0, Vibrate, 1), (2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            chika.try_set(&[(1, Vibrate, -3)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        assert_eq!(
            Harness::builtin(NAME, None).definition.name,
            "Svakom Device v5"
        );
        assert_encoder_only(NAME);
    }
}

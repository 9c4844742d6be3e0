//! svakom-v4: Svakom Erica and Cici+ 2, ToyCod Barzillai (two vibrators) and ToyCod Clara (one).
//!
//! Wire: both vibrators share one frame on `tx`, without response:
//! `55 03 <mode> 00 <running> <max(first, second)> 00`, the first vibrator at feature 0 and the
//! second at feature 1. The mode picks the motors: `00` both (also when both speeds are equal,
//! and always on a one-vibrator device), `01` the first only, `02` the second only; running
//! is 0 only when both are stopped. The frame has a single speed: two different non-zero
//! speeds both run at the larger one. Identified by advertised name; no init, no inputs.
//!
//! **Packing.** The frame needs both speeds, so [`encode`] reads the other vibrator's current
//! value and writes one frame per command whatever changed. Upstream remembers the last speeds
//! in the handler (atomics) and writes one frame per changed vibrator under a fixed command id,
//! so its message gap keeps only the last, which holds the same two speeds plugd sends.
//! A vibrator at a feature index other than 0 or 1 is an error here (upstream ignores its
//! speed); no database definition has one.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_v4.rs`.

use crate::protocols::svakom::{
    check_changed, dual_vibrator_frame, no_slot, single_vibrator, vibrator_pair, SECOND_VIBRATOR,
};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-v4";

/// One dual-vibrator frame holding both vibrators' current speeds.
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
    let (first, second) = vibrator_pair(context)?;
    let [header, command, mode, zero, running, speed] =
        dual_vibrator_frame(first, second, single_vibrator(context));
    Ok(vec![HardwareCommand::write(
        Endpoint::Tx,
        [header, command, mode, zero, running, speed, 0x00],
    )])
}

#[cfg(test)]
mod tests {
    use super::NAME;
    use crate::protocols::svakom::assert_encoder_only;
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, FeatureIndex, OutputKind::Rotate, OutputKind::Vibrate};

    #[test]
    fn first_vibrator_alone_uses_mode_1_at_zero_middle_and_full_speed() {
        let mut erica = Harness::builtin(NAME, Some("ERICA"));
        assert_eq!(erica.definition.name, "Svakom Erica");
        for (speed, expected) in [
            (5, [0x55, 0x03, 0x01, 0x00, 0x01, 0x05, 0x00]),
            (10, [0x55, 0x03, 0x01, 0x00, 0x01, 0x0a, 0x00]),
            (0, [0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(
                erica.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, &expected)]
            );
        }
    }

    #[test]
    fn second_vibrator_alone_uses_mode_2_and_both_use_mode_0_at_the_larger_speed() {
        let mut device = Harness::builtin(NAME, None);
        assert_eq!(device.definition.name, "Svakom Device v4");
        assert_eq!(
            device.set(&[(1, Vibrate, 4)]),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x02, 0x00, 0x01, 0x04, 0x00]
            )]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 9)]),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x00, 0x00, 0x01, 0x09, 0x00]
            )]
        );
        // Two changes in one command: still one frame.
        assert_eq!(
            device.set(&[(0, Vibrate, 0), (1, Vibrate, 10)]),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x02, 0x00, 0x01, 0x0a, 0x00]
            )]
        );
        assert_eq!(
            device.stop(),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]
            )]
        );
    }

    #[test]
    fn one_vibrator_devices_always_use_mode_0() {
        let mut clara = Harness::builtin(NAME, Some("VV468A"));
        assert_eq!(clara.definition.name, "ToyCod Clara");
        assert_eq!(
            clara.set(&[(0, Vibrate, 6)]),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x00, 0x00, 0x01, 0x06, 0x00]
            )]
        );
        assert_eq!(
            clara.stop(),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]
            )]
        );
    }

    #[test]
    fn vibrators_beyond_feature_1_and_undeclared_outputs_write_nothing() {
        let mut device = Harness::builtin(NAME, Some("B2CM6"));
        assert_eq!(device.definition.name, "ToyCod Barzillai");
        assert!(matches!(
            device.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut third = device.definition.features[1].clone();
        third.index = FeatureIndex(2);
        device.definition.features.push(third);
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 1000)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        assert_eq!(
            Harness::builtin(NAME, Some("Cici+ 2")).definition.name,
            "Svakom Cici+ 2"
        );
        assert_encoder_only(NAME);
    }
}

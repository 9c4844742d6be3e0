//! svakom-barney: Mutufun Barney (`DJ333A`) — two vibrators (10 speeds each) driven by one
//! shared frame.
//!
//! Wire, on `tx`, without response: `55 03 <mode> 00 <running> <max(first, second)> 00`.
//! The mode picks the vibrators: `00` both (also when both speeds are equal, and always on a
//! one-vibrator definition), `01` the first only, `02` the second only. running is `03` unless
//! both vibrators are stopped (`00`) — where the `svakom-v4`…`v6` frames carry `01`. The frame
//! has a single speed: two different non-zero speeds both run at the larger one. Identified by
//! advertised name; no init, no inputs.
//!
//! **Packing.** The frame needs both speeds, so [`encode`] reads the other vibrator's current
//! value and writes one frame per command, whichever vibrators changed. Upstream remembers the
//! last speeds in the handler and writes one frame per changed vibrator under a fixed command
//! id, so its message gap keeps only the last, which holds the same two speeds. A vibrator
//! beyond feature 1 is an error here (upstream stores it in a third slot the frame never reads,
//! and would index past its array after that).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_barney.rs`.

use crate::protocols::svakom::{
    check_changed, dual_vibrator_frame, no_slot, single_vibrator, vibrator_pair, SECOND_VIBRATOR,
};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-barney";

/// The running byte while a vibrator runs.
const RUNNING: u8 = 0x03;

/// One frame carrying both vibrators.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition, a vibrator
/// sits beyond feature 1, or a speed does not fit a byte; [`ProtocolError::UnsupportedOutput`]
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
    let running = if running == 0 { 0x00 } else { RUNNING };
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
    use plugd_config::FeatureDefinition;
    use plugd_core::{
        Endpoint, FeatureIndex, HardwareCommand, OutputKind::Oscillate, OutputKind::Vibrate,
    };

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn first_vibrator_alone_at_zero_middle_and_full() {
        let mut barney = Harness::builtin(NAME, None);
        assert_eq!(barney.definition.name, "Mutufun Barney");
        for (speed, expected) in [
            (5, [0x55, 0x03, 0x01, 0x00, 0x03, 0x05, 0x00]),
            (10, [0x55, 0x03, 0x01, 0x00, 0x03, 0x0a, 0x00]),
            (0, [0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(barney.set(&[(0, Vibrate, speed)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn second_vibrator_alone_selects_mode_two() {
        let mut barney = Harness::builtin(NAME, None);
        assert_eq!(
            barney.set(&[(1, Vibrate, 4)]),
            vec![tx(&[0x55, 0x03, 0x02, 0x00, 0x03, 0x04, 0x00])]
        );
    }

    #[test]
    fn both_vibrators_share_one_frame_at_the_larger_speed() {
        let mut barney = Harness::builtin(NAME, None);
        assert_eq!(
            barney.set(&[(0, Vibrate, 3), (1, Vibrate, 8)]),
            vec![tx(&[0x55, 0x03, 0x00, 0x00, 0x03, 0x08, 0x00])]
        );
        // Only the first changes; the frame still carries the second's current speed.
        assert_eq!(
            barney.set(&[(0, Vibrate, 9)]),
            vec![tx(&[0x55, 0x03, 0x00, 0x00, 0x03, 0x09, 0x00])]
        );
        assert_eq!(
            barney.set(&[(0, Vibrate, 0)]),
            vec![tx(&[0x55, 0x03, 0x02, 0x00, 0x03, 0x08, 0x00])]
        );
    }

    #[test]
    fn stop_writes_one_frame_with_both_stopped() {
        let mut barney = Harness::builtin(NAME, None);
        barney.set(&[(0, Vibrate, 3), (1, Vibrate, 8)]);
        assert_eq!(
            barney.stop(),
            vec![tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn a_one_vibrator_definition_always_uses_mode_zero() {
        let mut barney = Harness::builtin(NAME, None);
        barney.definition.features.truncate(1);
        assert_eq!(
            barney.set(&[(0, Vibrate, 6)]),
            vec![tx(&[0x55, 0x03, 0x00, 0x00, 0x03, 0x06, 0x00])]
        );
    }

    #[test]
    fn a_third_vibrator_unsupported_kinds_and_oversized_values_write_nothing() {
        let mut barney = Harness::builtin(NAME, None);
        assert!(matches!(
            barney.try_set(&[(0, Vibrate, 300)]),
            Err(ProtocolError::Definition(_))
        ));
        let third = FeatureDefinition {
            index: FeatureIndex(2),
            ..barney.definition.features[1].clone()
        };
        barney.definition.features.push(third);
        assert!(matches!(
            barney.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut oscillator = barney.definition.features[0].outputs[0].clone();
        oscillator.kind = Oscillate;
        barney.definition.features[0].outputs.push(oscillator);
        assert_eq!(
            barney.try_set(&[(0, Oscillate, 1)]),
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

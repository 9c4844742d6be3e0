//! svakom-tarax: ToyCod Tara X (`SX218A`) — an internal vibrator and an external pulsator,
//! 3 speeds each.
//!
//! Wire: one frame per changed output on `tx`, without response:
//!
//! | output | frame |
//! |---|---|
//! | vibrate at feature 0 | running: `55 03 00 00 <speed> 02`; stopped: `55 03 00 00 01 01` |
//! | vibrate at another feature | `55 09 00 00 <speed> 00` |
//!
//! At feature 0 the last byte is the on/off switch (`02` on, `01` off) and the stop frame
//! carries speed 1. Identified by advertised name; no init, no inputs. Upstream calls this
//! mapping a best effort: it is not sure which frame drives which of the two motors.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_tarax.rs`.

use crate::protocols::svakom::{byte, check_changed, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-tarax";

/// Feature 0's switch byte while running.
const ON: u8 = 0x02;
/// Feature 0's switch byte, and its speed byte, when stopped.
const OFF: u8 = 0x01;

/// One frame per changed vibrator, in feature order.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or its speed
/// does not fit a byte; [`ProtocolError::UnsupportedOutput`] for anything but vibrate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate])?;
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = byte(context, feature, kind)?;
            let frame = match (feature == FeatureIndex(0), speed) {
                (true, 0) => [HEADER, 0x03, 0x00, 0x00, OFF, OFF],
                (true, _) => [HEADER, 0x03, 0x00, 0x00, speed, ON],
                (false, _) => [HEADER, 0x09, 0x00, 0x00, speed, 0x00],
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
    use plugd_core::{Endpoint, HardwareCommand, OutputKind::Oscillate, OutputKind::Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn each_vibrator_at_zero_middle_and_full() {
        let mut tara = Harness::builtin(NAME, None);
        assert_eq!(tara.definition.name, "ToyCod Tara X");
        for (speed, expected) in [
            (2, [0x55, 0x03, 0x00, 0x00, 0x02, 0x02]),
            (3, [0x55, 0x03, 0x00, 0x00, 0x03, 0x02]),
            (0, [0x55, 0x03, 0x00, 0x00, 0x01, 0x01]),
        ] {
            assert_eq!(tara.set(&[(0, Vibrate, speed)]), vec![tx(&expected)]);
        }
        for (speed, expected) in [
            (2, [0x55, 0x09, 0x00, 0x00, 0x02, 0x00]),
            (3, [0x55, 0x09, 0x00, 0x00, 0x03, 0x00]),
            (0, [0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(tara.set(&[(1, Vibrate, speed)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn both_vibrators_at_once_then_stop_write_one_frame_each_in_feature_order() {
        let mut tara = Harness::builtin(NAME, None);
        assert_eq!(
            tara.set(&[(1, Vibrate, 1), (0, Vibrate, 1)]),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x02]),
                tx(&[0x55, 0x09, 0x00, 0x00, 0x01, 0x00]),
            ]
        );
        assert_eq!(
            tara.stop(),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x01]),
                tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn undeclared_outputs_unsupported_kinds_and_oversized_values_write_nothing() {
        let mut tara = Harness::builtin(NAME, None);
        assert!(matches!(
            tara.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            tara.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut oscillator = tara.definition.features[0].outputs[0].clone();
        oscillator.kind = Oscillate;
        tara.definition.features[0].outputs.push(oscillator);
        assert_eq!(
            tara.try_set(&[(0, Oscillate, 1)]),
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

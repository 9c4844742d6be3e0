//! svakom-avaneo: Svakom Ava Neo — a vibrator (10 speeds) and a thrusting motor that is only
//! switched on or off.
//!
//! Wire: one frame per changed output on `tx`, without response:
//!
//! | output | frame |
//! |---|---|
//! | vibrate or oscillate at feature 0 | `55 03 00 00 <running> <speed>` |
//! | vibrate at another feature | `55 09 00 00 <speed> ff` |
//! | oscillate at another feature (the Ava Neo's thrusting, feature 1) | `55 08 00 00 <speed> ff` |
//!
//! running = 1 unless the speed is 0. Identified by advertised name; no init, no inputs.
//! Upstream notes that an older version of this protocol set a mode byte when several outputs
//! were sent at once and that the current one no longer does; plugd follows the current one.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_avaneo.rs`.

use crate::protocols::svakom::{byte, check_changed, running, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-avaneo";

/// The feature whose outputs use the `03` frame.
const MAIN_MOTOR: FeatureIndex = FeatureIndex(0);
/// The last byte of the other features' frames.
const TRAILER: u8 = 0xff;

/// One frame per changed output, in feature order.
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
            let frame = if feature == MAIN_MOTOR {
                [HEADER, 0x03, 0x00, 0x00, running(speed), speed]
            } else if kind == OutputKind::Oscillate {
                [HEADER, 0x08, 0x00, 0x00, speed, TRAILER]
            } else {
                [HEADER, 0x09, 0x00, 0x00, speed, TRAILER]
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
    use plugd_config::OutputDefinition;
    use plugd_core::{Endpoint, OutputKind::Constrict, OutputKind::Oscillate, OutputKind::Vibrate};

    fn tx(bytes: &[u8]) -> plugd_core::HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn vibrator_at_zero_middle_and_full() {
        let mut ava = Harness::builtin(NAME, None);
        assert_eq!(ava.definition.name, "Svakom Ava Neo");
        for (speed, expected) in [
            (0, [0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
            (5, [0x55, 0x03, 0x00, 0x00, 0x01, 0x05]),
            (10, [0x55, 0x03, 0x00, 0x00, 0x01, 0x0a]),
        ] {
            assert_eq!(ava.set(&[(0, Vibrate, speed)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn thrusting_switches_on_and_off_with_the_08_frame() {
        let mut ava = Harness::builtin(NAME, None);
        assert_eq!(
            ava.set(&[(1, Oscillate, 1)]),
            vec![tx(&[0x55, 0x08, 0x00, 0x00, 0x01, 0xff])]
        );
        assert_eq!(
            ava.set(&[(1, Oscillate, 0)]),
            vec![tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0xff])]
        );
    }

    #[test]
    fn both_outputs_at_once_write_one_frame_each_in_feature_order() {
        let mut ava = Harness::builtin(NAME, None);
        assert_eq!(
            ava.set(&[(1, Oscillate, 1), (0, Vibrate, 7)]),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x07]),
                tx(&[0x55, 0x08, 0x00, 0x00, 0x01, 0xff]),
            ]
        );
        assert_eq!(
            ava.stop(),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0xff]),
            ]
        );
    }

    #[test]
    fn a_vibrator_beyond_feature_zero_uses_the_09_frame() {
        let mut ava = Harness::builtin(NAME, None);
        ava.definition.features[1].outputs = vec![OutputDefinition {
            kind: Vibrate,
            ..ava.definition.features[1].outputs[0].clone()
        }];
        assert_eq!(
            ava.set(&[(1, Vibrate, 1)]),
            vec![tx(&[0x55, 0x09, 0x00, 0x00, 0x01, 0xff])]
        );
    }

    #[test]
    fn undeclared_outputs_unsupported_kinds_and_oversized_values_write_nothing() {
        let mut ava = Harness::builtin(NAME, None);
        assert!(matches!(
            ava.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            ava.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            ava.try_set(&[(0, Vibrate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
        let constrictor = OutputDefinition {
            kind: Constrict,
            ..ava.definition.features[0].outputs[0].clone()
        };
        ava.definition.features[0].outputs.push(constrictor);
        assert_eq!(
            ava.try_set(&[(0, Constrict, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Constrict
            })
        );
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        assert_encoder_only(NAME);
    }
}

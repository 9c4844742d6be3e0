//! svakom-jordan: Svakom Jordan — a vibrator (10 speeds) and a thrusting motor (5 speeds).
//!
//! Wire: one frame per changed output on `tx`, without response:
//!
//! | output | frame |
//! |---|---|
//! | vibrate | `55 03 00 00 <running> <speed> 00` |
//! | oscillate (thrusting) | `55 08 00 00 <running> <speed> 00` |
//!
//! running = 1 unless the speed is 0. The command byte follows the output kind, not the
//! feature. Identified by advertised name; no init, no inputs.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_jordan.rs`.

use crate::protocols::svakom::{byte, check_changed, running, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-jordan";

/// The command byte of a vibrator.
const VIBRATE: u8 = 0x03;
/// The command byte of the thrusting motor.
const THRUST: u8 = 0x08;

/// One frame per changed output, in feature order.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or its speed
/// does not fit a byte; [`ProtocolError::UnsupportedOutput`] for anything but vibrate and
/// oscillate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate, OutputKind::Oscillate])?;
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = byte(context, feature, kind)?;
            let command = if kind == OutputKind::Oscillate {
                THRUST
            } else {
                VIBRATE
            };
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                [HEADER, command, 0x00, 0x00, running(speed), speed, 0x00],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::NAME;
    use crate::protocols::svakom::assert_encoder_only;
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{
        Endpoint, HardwareCommand, OutputKind::Constrict, OutputKind::Oscillate,
        OutputKind::Vibrate,
    };

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn each_output_at_zero_middle_and_full() {
        let mut jordan = Harness::builtin(NAME, None);
        assert_eq!(jordan.definition.name, "Svakom Jordan");
        for (speed, expected) in [
            (5, [0x55, 0x03, 0x00, 0x00, 0x01, 0x05, 0x00]),
            (10, [0x55, 0x03, 0x00, 0x00, 0x01, 0x0a, 0x00]),
            (0, [0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(jordan.set(&[(0, Vibrate, speed)]), vec![tx(&expected)]);
        }
        for (speed, expected) in [
            (3, [0x55, 0x08, 0x00, 0x00, 0x01, 0x03, 0x00]),
            (5, [0x55, 0x08, 0x00, 0x00, 0x01, 0x05, 0x00]),
            (0, [0x55, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(jordan.set(&[(1, Oscillate, speed)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn both_outputs_at_once_then_stop_write_one_frame_each_in_feature_order() {
        let mut jordan = Harness::builtin(NAME, None);
        assert_eq!(
            jordan.set(&[(1, Oscillate, 2), (0, Vibrate, 4)]),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x04, 0x00]),
                tx(&[0x55, 0x08, 0x00, 0x00, 0x01, 0x02, 0x00]),
            ]
        );
        assert_eq!(
            jordan.stop(),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn undeclared_outputs_unsupported_kinds_and_oversized_values_write_nothing() {
        let mut jordan = Harness::builtin(NAME, None);
        assert!(matches!(
            jordan.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            jordan.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut constrictor = jordan.definition.features[0].outputs[0].clone();
        constrictor.kind = Constrict;
        jordan.definition.features[0].outputs.push(constrictor);
        assert_eq!(
            jordan.try_set(&[(0, Constrict, 1)]),
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

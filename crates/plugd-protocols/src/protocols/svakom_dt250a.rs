//! svakom-dt250a: Coleur Dor DT250A — two vibrators (3 speeds each) and a suction motor
//! (2 levels).
//!
//! Wire: one frame per changed output on `tx`, without response:
//! `55 <command> 00 00 <value> <flag>`.
//!
//! | output | command | flag |
//! |---|---|---|
//! | vibrate at feature 0 | `03` | 1 unless the speed is 0 |
//! | vibrate at another feature | `08` | 1 unless the speed is 0 |
//! | constrict (suction) | `09` | always 0 |
//!
//! Note the value comes *before* the flag here, the other way round from most Svakom frames.
//! Identified by advertised name; no init, no inputs. Upstream notes that an older version of
//! this protocol set a mode byte when several outputs were sent at once and that the current
//! one no longer does; plugd follows the current one.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_dt250a.rs`.

use crate::protocols::svakom::{byte, check_changed, running, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-dt250a";

/// The command byte of the vibrator at feature 0.
const FIRST_VIBRATOR: u8 = 0x03;
/// The command byte of any other vibrator.
const OTHER_VIBRATOR: u8 = 0x08;
/// The command byte of the suction motor.
const SUCTION: u8 = 0x09;

/// One frame per changed output, in feature order.
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
            let (command, flag) = match kind {
                OutputKind::Constrict => (SUCTION, 0x00),
                _ if feature == FeatureIndex(0) => (FIRST_VIBRATOR, running(value)),
                _ => (OTHER_VIBRATOR, running(value)),
            };
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                [HEADER, command, 0x00, 0x00, value, flag],
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
        let mut dt = Harness::builtin(NAME, None);
        assert_eq!(dt.definition.name, "Coleur Dor DT250A");
        for (speed, expected) in [
            (2, [0x55, 0x03, 0x00, 0x00, 0x02, 0x01]),
            (3, [0x55, 0x03, 0x00, 0x00, 0x03, 0x01]),
            (0, [0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(dt.set(&[(0, Vibrate, speed)]), vec![tx(&expected)]);
        }
        for (speed, expected) in [
            (2, [0x55, 0x08, 0x00, 0x00, 0x02, 0x01]),
            (3, [0x55, 0x08, 0x00, 0x00, 0x03, 0x01]),
            (0, [0x55, 0x08, 0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(dt.set(&[(1, Vibrate, speed)]), vec![tx(&expected)]);
        }
        for (level, expected) in [
            (1, [0x55, 0x09, 0x00, 0x00, 0x01, 0x00]),
            (2, [0x55, 0x09, 0x00, 0x00, 0x02, 0x00]),
            (0, [0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(dt.set(&[(2, Constrict, level)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn all_outputs_at_once_then_stop_write_one_frame_each_in_feature_order() {
        let mut dt = Harness::builtin(NAME, None);
        assert_eq!(
            dt.set(&[(2, Constrict, 2), (1, Vibrate, 1), (0, Vibrate, 3)]),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x03, 0x01]),
                tx(&[0x55, 0x08, 0x00, 0x00, 0x01, 0x01]),
                tx(&[0x55, 0x09, 0x00, 0x00, 0x02, 0x00]),
            ]
        );
        assert_eq!(
            dt.stop(),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn undeclared_outputs_unsupported_kinds_and_oversized_values_write_nothing() {
        let mut dt = Harness::builtin(NAME, None);
        assert!(matches!(
            dt.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            dt.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut oscillator = dt.definition.features[0].outputs[0].clone();
        oscillator.kind = Oscillate;
        dt.definition.features[0].outputs.push(oscillator);
        assert_eq!(
            dt.try_set(&[(0, Oscillate, 1)]),
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

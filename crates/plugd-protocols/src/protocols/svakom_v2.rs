//! svakom-v2: Svakom's second BLE generation — Viviana, Ella Neo, Edeny, Tammy Pro, Vick Neo,
//! Aravinda, Winni 2, Cici 2, Emma Neo 2, ToyCod Vanesia and others — one vibrator with 10
//! speeds.
//!
//! Wire: one frame per changed vibrator on `tx`, **with** response:
//! `55 03 03 00 <running> <speed>` (running = 1 unless the speed is 0). A vibrator at feature
//! index 1 gets `55 06 01 00 <speed> <speed>` instead: upstream keeps that branch, although no
//! database definition has a second vibrator today (a user configuration could). Identified
//! by advertised name; no init, no inputs.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_v2.rs`.

use crate::protocols::svakom::{byte, check_changed, running, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-v2";

/// The feature index whose vibrator takes the `55 06 01 00` frame.
const SECOND_VIBRATOR: FeatureIndex = FeatureIndex(1);

/// One frame per changed vibrator, in feature order, each written with response.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or its value
/// does not fit a byte; [`ProtocolError::UnsupportedOutput`] for anything but vibrate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate])?;
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = byte(context, feature, kind)?;
            let frame = if feature == SECOND_VIBRATOR {
                [HEADER, 0x06, 0x01, 0x00, speed, speed]
            } else {
                [HEADER, 0x03, 0x03, 0x00, running(speed), speed]
            };
            Ok(HardwareCommand::write_with_response(Endpoint::Tx, frame))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::NAME;
    use crate::protocols::svakom::assert_encoder_only;
    use crate::testing::{write_with_response, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, FeatureIndex, OutputKind::Oscillate, OutputKind::Vibrate};

    #[test]
    fn vivianna_case_writes_speed_5_then_8_then_stops_with_response() {
        // Upstream's test_svakom_vivianna.yaml: 0.5 and 0.75 of [0, 10] are 5 and 8.
        let mut viviana = Harness::builtin(NAME, Some("Viviana"));
        assert_eq!(viviana.definition.name, "Svakom Viviana");
        assert_eq!(
            viviana.set(&[(0, Vibrate, 5)]),
            vec![write_with_response(
                Endpoint::Tx,
                &[0x55, 0x03, 0x03, 0x00, 0x01, 0x05]
            )]
        );
        assert_eq!(
            viviana.set(&[(0, Vibrate, 8)]),
            vec![write_with_response(
                Endpoint::Tx,
                &[0x55, 0x03, 0x03, 0x00, 0x01, 0x08]
            )]
        );
        assert_eq!(
            viviana.stop(),
            vec![write_with_response(
                Endpoint::Tx,
                &[0x55, 0x03, 0x03, 0x00, 0x00, 0x00]
            )]
        );
    }

    #[test]
    fn vibrate_at_zero_middle_and_full_speed() {
        let mut device = Harness::builtin(NAME, Some("Vick Neo"));
        assert_eq!(device.definition.name, "Svakom Vick Neo");
        for (speed, expected) in [
            (0, [0x55, 0x03, 0x03, 0x00, 0x00, 0x00]),
            (5, [0x55, 0x03, 0x03, 0x00, 0x01, 0x05]),
            (10, [0x55, 0x03, 0x03, 0x00, 0x01, 0x0a]),
        ] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![write_with_response(Endpoint::Tx, &expected)]
            );
        }
    }

    #[test]
    fn a_second_vibrator_at_index_1_takes_the_pattern_frame() {
        let mut device = Harness::builtin(NAME, None);
        let mut second = device.definition.features[0].clone();
        second.index = FeatureIndex(1);
        device.definition.features.push(second);
        assert_eq!(
            device.set(&[(0, Vibrate, 3), (1, Vibrate, 7)]),
            vec![
                write_with_response(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x01, 0x03]),
                write_with_response(Endpoint::Tx, &[0x55, 0x06, 0x01, 0x00, 0x07, 0x07]),
            ]
        );
        assert_eq!(
            device.stop(),
            vec![
                write_with_response(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x00, 0x00]),
                write_with_response(Endpoint::Tx, &[0x55, 0x06, 0x01, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn undeclared_outputs_and_oversized_values_write_nothing() {
        let mut device = Harness::builtin(NAME, None);
        assert_eq!(device.definition.name, "Svakom Device v2");
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 300)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        assert_encoder_only(NAME);
    }
}

//! svakom-v1: the first Svakom BLE generation — Ella (`Aogu SCB`), Phoenix Neo, Emma Neo and
//! the `Aogu SUV` — one vibrator with 19 speeds.
//!
//! Wire: one frame per changed vibrator on `tx`, without response:
//! `55 04 03 00 <running> <speed>` (running = 1 unless the speed is 0). Identified by
//! advertised name; no init, no inputs.
//!
//! Upstream writes the same bytes for any feature index; so does plugd (every database
//! definition has one vibrator). ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_v1.rs`.

use crate::protocols::svakom::{byte, check_changed, running, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-v1";

/// One `55 04 03 00 <running> <speed>` frame per changed vibrator, in feature order.
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
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                [HEADER, 0x04, 0x03, 0x00, running(speed), speed],
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
    use plugd_core::{Endpoint, OutputKind::Rotate, OutputKind::Vibrate};

    #[test]
    fn ella_case_writes_speed_10_then_15_then_stops() {
        // test_svakom_ella.yaml: 0.5 and 0.75 of [0, 19] are 10 and 15.
        let mut ella = Harness::builtin(NAME, Some("Aogu SCB"));
        assert_eq!(ella.definition.name, "Svakom Ella");
        assert_eq!(
            ella.set(&[(0, Vibrate, 10)]),
            vec![write(Endpoint::Tx, &[0x55, 0x04, 0x03, 0x00, 0x01, 0x0a])]
        );
        assert_eq!(
            ella.set(&[(0, Vibrate, 15)]),
            vec![write(Endpoint::Tx, &[0x55, 0x04, 0x03, 0x00, 0x01, 0x0f])]
        );
        assert_eq!(
            ella.stop(),
            vec![write(Endpoint::Tx, &[0x55, 0x04, 0x03, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn vibrate_at_zero_middle_and_full_speed() {
        let mut device = Harness::builtin(NAME, None);
        assert_eq!(device.definition.name, "Svakom Device");
        for (speed, expected) in [
            (0, [0x55, 0x04, 0x03, 0x00, 0x00, 0x00]),
            (9, [0x55, 0x04, 0x03, 0x00, 0x01, 0x09]),
            (19, [0x55, 0x04, 0x03, 0x00, 0x01, 0x13]),
        ] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, &expected)]
            );
        }
    }

    #[test]
    fn every_configuration_is_one_vibrator_of_19_speeds() {
        for identifier in ["Phoenix NEO", "Emma NEO"] {
            let device = Harness::builtin(NAME, Some(identifier));
            assert_eq!(device.definition.features.len(), 1);
            assert_eq!(
                device.definition.features[0]
                    .output(Vibrate)
                    .map(|output| output.value),
                Some((0, 19))
            );
        }
    }

    #[test]
    fn undeclared_outputs_and_oversized_values_write_nothing() {
        let mut device = Harness::builtin(NAME, None);
        assert!(matches!(
            device.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut rotor = device.definition.features[0].outputs[0].clone();
        rotor.kind = Rotate;
        device.definition.features[0].outputs.push(rotor);
        assert_eq!(
            device.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        assert_encoder_only(NAME);
    }
}

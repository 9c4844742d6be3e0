//! svakom-pulse: Svakom Pulse Lite Neo, Pulse Union, Pulse Galaxie and Mimiki, BeYourLover
//! Kyukyu, Coleur Dor VX045A / HX029A and Momonii Agatha — one motor with 9 speeds.
//!
//! Wire: one frame per changed motor on `tx`, without response:
//! `55 03 03 00 <running> <speed + 1>` (running = 1 unless the speed is 0). The speed byte is
//! one above the device value, also when stopped: stop is `55 03 03 00 00 01`. Identified by
//! advertised name; no init, no inputs.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_pulse.rs`.

use crate::protocols::svakom::{byte, check_changed, running, shifted, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-pulse";

/// One `55 03 03 00 <running> <speed + 1>` frame per changed motor, in feature order.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or its value
/// (plus one) does not fit a byte; [`ProtocolError::UnsupportedOutput`] for anything but
/// vibrate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate])?;
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = byte(context, feature, kind)?;
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                [
                    HEADER,
                    0x03,
                    0x03,
                    0x00,
                    running(speed),
                    shifted(speed, 1, feature, kind)?,
                ],
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
    use plugd_core::{Endpoint, OutputKind::Constrict, OutputKind::Vibrate};

    #[test]
    fn pulse_case_writes_speed_plus_one_and_stops_at_one() {
        // Upstream's test_svakom_pulse.yaml: 0.5 and 0.75 of [0, 9] are 5 and 7.
        let mut pulse = Harness::builtin(NAME, Some("SWK-SX013A"));
        assert_eq!(pulse.definition.name, "Svakom Pulse Lite Neo");
        assert_eq!(
            pulse.set(&[(0, Vibrate, 5)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x01, 0x06])]
        );
        assert_eq!(
            pulse.set(&[(0, Vibrate, 7)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x01, 0x08])]
        );
        assert_eq!(
            pulse.stop(),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x00, 0x01])]
        );
    }

    #[test]
    fn vibrate_at_zero_middle_and_full_speed() {
        let mut union = Harness::builtin(NAME, Some("Pulse Union"));
        assert_eq!(union.definition.name, "Svakom Pulse Union");
        for (speed, expected) in [
            (0, [0x55, 0x03, 0x03, 0x00, 0x00, 0x01]),
            (4, [0x55, 0x03, 0x03, 0x00, 0x01, 0x05]),
            (9, [0x55, 0x03, 0x03, 0x00, 0x01, 0x0a]),
        ] {
            assert_eq!(
                union.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, &expected)]
            );
        }
    }

    #[test]
    fn undeclared_outputs_and_values_past_254_write_nothing() {
        let mut device = Harness::builtin(NAME, None);
        assert_eq!(device.definition.name, "Svakom Pulse Device");
        assert!(matches!(
            device.try_set(&[(0, Constrict, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 255)]),
            Err(ProtocolError::Definition(_))
        ));
        assert_eq!(
            device.set(&[(0, Vibrate, 254)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x01, 0xff])]
        );
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        for (identifier, name) in [
            ("SX033A", "Svakom Mimiki"),
            ("BX288A", "BeYourLover Kyukyu"),
            ("SWK-SX067-B", "Momonii Agatha"),
        ] {
            assert_eq!(
                Harness::builtin(NAME, Some(identifier)).definition.name,
                name
            );
        }
        assert_encoder_only(NAME);
    }
}

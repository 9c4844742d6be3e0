//! svakom-alex-v2: Svakom Alex Neo 2 (`Alex NEO 2`, `S63E Alex NEO 2`) — one vibrator with 3
//! speeds.
//!
//! Wire: one frame per changed vibrator on `tx`, without response:
//! `55 03 03 00 <speed> <speed + 5>` — no running flag; stop is `55 03 03 00 00 05`.
//! Identified by advertised name; no init, no inputs.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_alex_v2.rs`.

use crate::protocols::svakom::{byte, check_changed, shifted, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-alex-v2";

/// What the last byte adds to the speed.
const SPEED_OFFSET: u8 = 5;

/// One `55 03 03 00 <speed> <speed + 5>` frame per changed vibrator, in feature order.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or its value
/// (plus five) does not fit a byte; [`ProtocolError::UnsupportedOutput`] for anything but
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
                    speed,
                    shifted(speed, SPEED_OFFSET, feature, kind)?,
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
    use plugd_core::{Endpoint, OutputKind::Oscillate, OutputKind::Vibrate};

    #[test]
    fn alex_v2_case_writes_speed_2_then_3_then_stops() {
        // test_svakom_alex_v2.yaml: 0.5 and 0.75 of [0, 3] are 2 and 3.
        let mut alex = Harness::builtin(NAME, Some("Alex NEO 2"));
        assert_eq!(alex.definition.name, "Svakom Alex Neo 2");
        assert_eq!(
            alex.set(&[(0, Vibrate, 2)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x02, 0x07])]
        );
        assert_eq!(
            alex.set(&[(0, Vibrate, 3)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x03, 0x08])]
        );
        assert_eq!(
            alex.stop(),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0x00, 0x05])]
        );
    }

    #[test]
    fn vibrate_at_zero_middle_and_full_speed() {
        let mut alex = Harness::builtin(NAME, Some("S63E Alex NEO 2"));
        for (speed, expected) in [
            (0, [0x55, 0x03, 0x03, 0x00, 0x00, 0x05]),
            (1, [0x55, 0x03, 0x03, 0x00, 0x01, 0x06]),
            (3, [0x55, 0x03, 0x03, 0x00, 0x03, 0x08]),
        ] {
            assert_eq!(
                alex.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, &expected)]
            );
        }
    }

    #[test]
    fn undeclared_outputs_and_values_past_250_write_nothing() {
        let mut alex = Harness::builtin(NAME, None);
        assert!(matches!(
            alex.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            alex.try_set(&[(0, Vibrate, 251)]),
            Err(ProtocolError::Definition(_))
        ));
        assert_eq!(
            alex.set(&[(0, Vibrate, 250)]),
            vec![write(Endpoint::Tx, &[0x55, 0x03, 0x03, 0x00, 0xfa, 0xff])]
        );
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        assert_eq!(
            Harness::builtin(NAME, Some("S63E Alex NEO 2"))
                .definition
                .name,
            "Svakom Alex Neo 2"
        );
        assert_encoder_only(NAME);
    }
}

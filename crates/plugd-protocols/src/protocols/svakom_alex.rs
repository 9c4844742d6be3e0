//! svakom-alex: Svakom Alex Neo (`Alex NEO`, `S63E Alex NEO`) — one vibrator with 3 speeds.
//!
//! Wire: one frame per changed vibrator on `tx`, without response:
//! `12 01 03 00 <speed> 00` — a header of its own (`0x12`, not the family's `0x55`), and stop
//! is speed `ff`, not 0. Identified by advertised name; no init, no inputs.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_alex.rs`.

use crate::protocols::svakom::{byte, check_changed};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-alex";

/// The Alex Neo's frame header.
const HEADER: u8 = 0x12;
/// The speed byte that stops the vibrator.
const STOP: u8 = 0xff;

/// One `12 01 03 00 <speed or ff> 00` frame per changed vibrator, in feature order.
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
            let speed = match byte(context, feature, kind)? {
                0 => STOP,
                speed => speed,
            };
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                [HEADER, 0x01, 0x03, 0x00, speed, 0x00],
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
    fn alex_case_writes_speed_2_then_3_then_stops_with_ff() {
        // test_svakom_alex.yaml: 0.5 and 0.75 of [0, 3] are 2 and 3.
        let mut alex = Harness::builtin(NAME, Some("Alex NEO"));
        assert_eq!(alex.definition.name, "Svakom Alex Neo");
        assert_eq!(
            alex.set(&[(0, Vibrate, 2)]),
            vec![write(Endpoint::Tx, &[18, 1, 3, 0, 2, 0])]
        );
        assert_eq!(
            alex.set(&[(0, Vibrate, 3)]),
            vec![write(Endpoint::Tx, &[18, 1, 3, 0, 3, 0])]
        );
        assert_eq!(
            alex.stop(),
            vec![write(Endpoint::Tx, &[18, 1, 3, 0, 0xff, 0])]
        );
    }

    #[test]
    fn vibrate_at_zero_middle_and_full_speed() {
        let mut alex = Harness::builtin(NAME, Some("S63E Alex NEO"));
        for (speed, expected) in [
            (0, [0x12, 0x01, 0x03, 0x00, 0xff, 0x00]),
            (1, [0x12, 0x01, 0x03, 0x00, 0x01, 0x00]),
            (3, [0x12, 0x01, 0x03, 0x00, 0x03, 0x00]),
        ] {
            assert_eq!(
                alex.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, &expected)]
            );
        }
    }

    #[test]
    fn undeclared_outputs_and_oversized_values_write_nothing() {
        let mut alex = Harness::builtin(NAME, None);
        assert!(matches!(
            alex.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            alex.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn identifies_by_name_without_init_inputs_or_keepalive() {
        assert_eq!(
            Harness::builtin(NAME, Some("S63E Alex NEO"))
                .definition
                .name,
            "Svakom Alex Neo"
        );
        assert_encoder_only(NAME);
    }
}

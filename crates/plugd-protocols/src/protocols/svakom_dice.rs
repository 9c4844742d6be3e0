//! svakom-dice: Zemalia Dice for Love (`ZhiAi`) — one vibrator, speeds 0–255.
//!
//! Wire: one frame per changed vibrator on `tx`, without response:
//! `55 04 00 00 01 <speed> aa`. The `01` stays `01` at speed 0 (upstream sends it so; the stop
//! frame is `55 04 00 00 01 00 aa`). Identified by advertised name; no init, no inputs.
//!
//! Upstream also notes the toy's roll sensor (`55 0e 01` / `55 0e 00` on `tx` start and stop
//! it; `rx` reports rolls and the battery) without using it, and the database declares no
//! input for it, so plugd reads none.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_dice.rs`.

use crate::protocols::svakom::{byte, check_changed, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-dice";

/// The vibrate command byte of this toy.
const VIBRATE: u8 = 0x04;
/// The last byte of every frame.
const TRAILER: u8 = 0xaa;

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
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                [HEADER, VIBRATE, 0x00, 0x00, 0x01, speed, TRAILER],
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
    fn vibrator_at_zero_middle_and_full() {
        let mut dice = Harness::builtin(NAME, None);
        assert_eq!(dice.definition.name, "Zemalia Dice for Love");
        for (speed, expected) in [
            (128, [0x55, 0x04, 0x00, 0x00, 0x01, 0x80, 0xaa]),
            (255, [0x55, 0x04, 0x00, 0x00, 0x01, 0xff, 0xaa]),
            (0, [0x55, 0x04, 0x00, 0x00, 0x01, 0x00, 0xaa]),
        ] {
            assert_eq!(
                dice.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, &expected)]
            );
        }
    }

    #[test]
    fn stop_writes_speed_zero_with_the_01_byte_kept() {
        let mut dice = Harness::builtin(NAME, None);
        dice.set(&[(0, Vibrate, 40)]);
        assert_eq!(
            dice.stop(),
            vec![write(
                Endpoint::Tx,
                &[0x55, 0x04, 0x00, 0x00, 0x01, 0x00, 0xaa]
            )]
        );
    }

    #[test]
    fn undeclared_outputs_unsupported_kinds_and_oversized_values_write_nothing() {
        let mut dice = Harness::builtin(NAME, None);
        assert!(matches!(
            dice.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            dice.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut oscillator = dice.definition.features[0].outputs[0].clone();
        oscillator.kind = Oscillate;
        dice.definition.features[0].outputs.push(oscillator);
        assert_eq!(
            dice.try_set(&[(0, Oscillate, 1)]),
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

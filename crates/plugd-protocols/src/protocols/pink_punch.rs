//! Pink Punch (Sunset Mushroom, Peachu, Dream Bunny, Peacaron): one vibrator spoken to with a
//! two-byte packet `09 <speed>` on `tx`, written **with response**. Speed 0–100, 0 stops.
//!
//! Stateless: one write per changed vibrate output (every model has one). Same bytes as
//! upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/pink_punch.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "pink_punch";

/// The command byte that sets the vibration speed.
const VIBRATE: u8 = 0x09;

/// `09 <speed>` per changed vibrate output, with response.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any other kind; [`ProtocolError::Definition`] for
/// a speed that does not fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let speed = byte(context.value(feature, kind))?;
                Ok(HardwareCommand::write_with_response(
                    Endpoint::Tx,
                    vec![VIBRATE, speed],
                ))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

fn byte(value: i32) -> Result<u8, ProtocolError> {
    u8::try_from(value)
        .map_err(|_| ProtocolError::Definition(format!("speed {value} does not fit in a byte")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn sunset_mushroom() -> Harness {
        Harness::builtin(NAME, Some("Pink_Punch"))
    }

    #[test]
    fn vibrate_writes_nine_then_the_speed_with_response() {
        let mut device = sunset_mushroom();
        for (speed, expected) in [(50, [0x09, 0x32]), (0, [0x09, 0x00]), (100, [0x09, 0x64])] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![write_with_response(Endpoint::Tx, &expected)],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn shared_case_pink_punch_protocol_bytes() {
        // test_pink_punch_protocol.yaml: 0.5 → 50, 0.75 → 75, stop.
        let mut device = sunset_mushroom();
        assert_eq!(
            device.set(&[(0, Vibrate, 50)]),
            vec![write_with_response(Endpoint::Tx, &[0x09, 0x32])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 75)]),
            vec![write_with_response(Endpoint::Tx, &[0x09, 0x4b])]
        );
        assert_eq!(
            device.stop(),
            vec![write_with_response(Endpoint::Tx, &[0x09, 0x00])]
        );
    }

    #[test]
    fn every_model_has_the_same_single_vibrator() {
        for identifier in [
            "PinkPunch_Peachu",
            "PinkPunch_DreamBunny",
            "PinkPunch_Peacaron",
        ] {
            let mut device = Harness::builtin(NAME, Some(identifier));
            assert_eq!(
                device.set(&[(0, Vibrate, 1)]),
                vec![write_with_response(Endpoint::Tx, &[0x09, 0x01])],
                "{identifier}"
            );
        }
    }

    #[test]
    fn other_kinds_and_oversized_speeds_are_errors() {
        let mut device = sunset_mushroom();
        assert_eq!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

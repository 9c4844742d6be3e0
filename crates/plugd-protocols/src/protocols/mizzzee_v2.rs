//! mizzzee-v2: later Mizz Zee vibrators (advertised as `XHT`), one motor with 68 steps.
//!
//! **Wire format.** One 7-byte packet per changed vibrator, written to `tx` without response:
//! `69 96 04 02 <speed> 2c <speed>` (the speed appears twice; `69 96 04 02 22 2c 22` at half
//! speed, `69 96 04 02 00 2c 00` to stop).
//!
//! **Quirks.** None: stateless, same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/mizzzee_v2.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "mizzzee-v2";

/// One packet per changed vibrator, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any output but vibrate;
/// [`ProtocolError::Definition`] for a speed outside 0–255 (the database range is 0–68).
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let speed = speed_byte(context.value(feature, kind))?;
                Ok(HardwareCommand::write(
                    Endpoint::Tx,
                    vec![0x69, 0x96, 0x04, 0x02, speed, 0x2c, speed],
                ))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

fn speed_byte(value: i32) -> Result<u8, ProtocolError> {
    u8::try_from(value)
        .map_err(|_| ProtocolError::Definition(format!("{NAME} speed {value} is not a byte")))
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use plugd_core::{Endpoint, OutputKind};

    fn check(steps: &[(i32, &[u8])]) {
        let mut device = Harness::builtin(super::NAME, None);
        for &(speed, bytes) in steps {
            assert_eq!(
                device.set(&[(0, OutputKind::Vibrate, speed)]),
                vec![write(Endpoint::Tx, bytes)],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn vibrate_writes_the_speed_twice() {
        check(&[
            (0, &[0x69, 0x96, 0x04, 0x02, 0x00, 0x2c, 0x00]),
            (34, &[0x69, 0x96, 0x04, 0x02, 0x22, 0x2c, 0x22]),
            (68, &[0x69, 0x96, 0x04, 0x02, 0x44, 0x2c, 0x44]),
        ]);
    }

    #[test]
    fn shared_case_half_speed_then_stop() {
        // test_mizzzee_v2_protocol.yaml: 0.5 of 68 steps is 34.
        let mut device = Harness::builtin(super::NAME, Some("XHT"));
        assert_eq!(device.definition.name, "Mizz Zee Device");
        assert_eq!(
            device.set(&[(0, OutputKind::Vibrate, 34)]),
            vec![write(Endpoint::Tx, &[105, 150, 4, 2, 34, 44, 34])]
        );
        assert_eq!(
            device.stop(),
            vec![write(Endpoint::Tx, &[105, 150, 4, 2, 0, 44, 0])]
        );
    }

    #[test]
    fn outputs_other_than_vibrate_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(0, OutputKind::Oscillate, 3)]).is_err());
    }

    #[test]
    fn a_speed_beyond_one_byte_is_an_error_not_a_wrap() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(0, OutputKind::Vibrate, 300)]).is_err());
    }
}

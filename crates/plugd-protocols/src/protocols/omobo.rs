//! omobo: the Omobo ViVegg (advertised as `S6`), one vibrator with 100 steps.
//!
//! **Wire format.** One 7-byte packet per changed vibrator, written to `tx` **with** response:
//! `a1 04 04 01 <speed> ff 55` (`a1 04 04 01 32 ff 55` at half speed).
//!
//! **Quirks.** None: stateless, same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/omobo.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "omobo";

/// One packet per changed vibrator, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any output but vibrate;
/// [`ProtocolError::Definition`] for a speed outside 0–255 (the database range is 0–100).
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let speed = speed_byte(context.value(feature, kind))?;
                Ok(HardwareCommand::write_with_response(
                    Endpoint::Tx,
                    vec![0xa1, 0x04, 0x04, 0x01, speed, 0xff, 0x55],
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
    use crate::testing::{write_with_response, Harness};
    use plugd_core::{Endpoint, OutputKind};

    fn check(device: &mut Harness, steps: &[(i32, &[u8])]) {
        for &(speed, bytes) in steps {
            assert_eq!(
                device.set(&[(0, OutputKind::Vibrate, speed)]),
                vec![write_with_response(Endpoint::Tx, bytes)],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn vibrate_writes_the_speed_in_the_fifth_byte_with_response() {
        check(
            &mut Harness::builtin(super::NAME, None),
            &[
                (0, &[0xa1, 0x04, 0x04, 0x01, 0x00, 0xff, 0x55]),
                (1, &[0xa1, 0x04, 0x04, 0x01, 0x01, 0xff, 0x55]),
                (100, &[0xa1, 0x04, 0x04, 0x01, 0x64, 0xff, 0x55]),
            ],
        );
    }

    #[test]
    fn shared_case_half_full_then_stop() {
        // test_omobo_protocol.yaml.
        let mut device = Harness::builtin(super::NAME, Some("S6"));
        assert_eq!(device.definition.name, "Omobo ViVegg Vibrator");
        check(
            &mut device,
            &[
                (50, &[0xa1, 0x04, 0x04, 0x01, 0x32, 0xff, 0x55]),
                (100, &[0xa1, 0x04, 0x04, 0x01, 0x64, 0xff, 0x55]),
            ],
        );
        assert_eq!(
            device.stop(),
            vec![write_with_response(
                Endpoint::Tx,
                &[0xa1, 0x04, 0x04, 0x01, 0x00, 0xff, 0x55]
            )]
        );
    }

    #[test]
    fn bad_speeds_and_other_outputs_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(0, OutputKind::Vibrate, 256)]).is_err());
        assert!(device.try_set(&[(0, OutputKind::Rotate, 1)]).is_err());
    }
}

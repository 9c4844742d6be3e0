//! xiuxiuda: Xiuxiuda vibrators (advertised as `XXD-Lush*`), one motor with 19 steps.
//!
//! **Wire format.** One 9-byte packet per changed vibrator, on `tx` without response:
//! `00 00 00 00 65 3a 30 <speed> 64` (`… 0a 64` at half speed, `… 00 64` to stop).
//!
//! **Quirks.** None: stateless, same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/xiuxiuda.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "xiuxiuda";

/// One packet per changed vibrator, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any output but vibrate;
/// [`ProtocolError::Definition`] for a speed outside 0–255 (the database range is 0–19).
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let value = context.value(feature, kind);
                let speed = u8::try_from(value).map_err(|_| {
                    ProtocolError::Definition(format!("{NAME} speed {value} is not a byte"))
                })?;
                Ok(HardwareCommand::write(
                    Endpoint::Tx,
                    vec![0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, speed, 0x64],
                ))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use plugd_core::{Endpoint, OutputKind};

    fn packet(speed: u8) -> [u8; 9] {
        [0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, speed, 0x64]
    }

    fn check(device: &mut Harness, steps: &[(i32, [u8; 9])]) {
        for &(speed, bytes) in steps {
            assert_eq!(
                device.set(&[(0, OutputKind::Vibrate, speed)]),
                vec![write(Endpoint::Tx, &bytes)],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn vibrate_writes_the_speed_in_the_eighth_byte() {
        check(
            &mut Harness::builtin(super::NAME, None),
            &[(0, packet(0)), (1, packet(1)), (19, packet(0x13))],
        );
    }

    #[test]
    fn shared_case_half_three_quarters_then_stop() {
        // test_xiuxiuda_protocol.yaml: 0.5 and 0.75 of 19 steps are 10 and 15.
        let mut device = Harness::builtin(super::NAME, Some("XXD-Lush12B-XT"));
        assert_eq!(device.definition.name, "Xiuxiuda Device");
        check(
            &mut device,
            &[
                (10, [0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, 0x0a, 0x64]),
                (15, [0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, 0x0f, 0x64]),
            ],
        );
        assert_eq!(
            device.stop(),
            vec![write(
                Endpoint::Tx,
                &[0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, 0x00, 0x64]
            )]
        );
    }

    #[test]
    fn bad_speeds_and_other_outputs_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(0, OutputKind::Vibrate, 256)]).is_err());
        assert!(device.try_set(&[(0, OutputKind::Oscillate, 1)]).is_err());
    }
}

//! Sakuraneko (Korokoro, Nukunuku, Dokidoki: one vibrator; Koikoi: a vibrator and a rotator):
//! 12-byte packets on `tx`, without response, speeds 0–100:
//!
//! | output | packet |
//! |---|---|
//! | vibrate | `a1 08 01 00 00 00 64 <speed> 00 64 df 55` |
//! | rotate | `a2 08 01 00 00 00 64 <speed> 00 32 df 55` |
//!
//! The packets name no motor: each model has at most one output of each kind. Stateless: one
//! write per changed output, in feature order. Same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/sakuraneko.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "sakuraneko";

/// One packet per changed output (see the module table).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and rotate;
/// [`ProtocolError::Definition`] for a speed that does not fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let (command, tail) = match kind {
                OutputKind::Vibrate => (0xa1, 0x64),
                OutputKind::Rotate => (0xa2, 0x32),
                other => {
                    return Err(ProtocolError::UnsupportedOutput {
                        protocol: NAME,
                        kind: other,
                    })
                }
            };
            let value = context.value(feature, kind);
            let speed = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
            })?;
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                vec![
                    command, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, speed, 0x00, tail, 0xdf, 0x55,
                ],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Rotate, Vibrate};

    fn vibrate(speed: u8) -> HardwareCommand {
        write(
            Endpoint::Tx,
            &[
                0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, speed, 0x00, 0x64, 0xdf, 0x55,
            ],
        )
    }

    fn rotate(speed: u8) -> HardwareCommand {
        write(
            Endpoint::Tx,
            &[
                0xa2, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, speed, 0x00, 0x32, 0xdf, 0x55,
            ],
        )
    }

    #[test]
    fn vibrate_carries_the_speed_at_byte_seven() {
        let mut korokoro = Harness::builtin(NAME, Some("sakuraneko-01"));
        for speed in [0, 50, 100] {
            assert_eq!(
                korokoro.set(&[(0, Vibrate, i32::from(speed))]),
                vec![vibrate(speed)]
            );
        }
    }

    #[test]
    fn shared_case_sakuraneko_protocol_bytes() {
        // test_sakuraneko_protocol.yaml: 0.5 → 50, 0.75 → 75, stop.
        let mut korokoro = Harness::builtin(NAME, Some("sakuraneko-01"));
        assert_eq!(korokoro.set(&[(0, Vibrate, 50)]), vec![vibrate(0x32)]);
        assert_eq!(korokoro.set(&[(0, Vibrate, 75)]), vec![vibrate(0x4b)]);
        assert_eq!(korokoro.stop(), vec![vibrate(0x00)]);
    }

    #[test]
    fn upstream_case_sakuraneko_koikoi_bytes() {
        // Upstream test_sakuraneko_koikoi.yaml: vibrate 50; vibrate 75 with rotate 50; stop
        // writes both.
        let mut koikoi = Harness::builtin(NAME, Some("sakuraneko-04"));
        assert_eq!(koikoi.set(&[(0, Vibrate, 50)]), vec![vibrate(0x32)]);
        assert_eq!(
            koikoi.set(&[(0, Vibrate, 75), (1, Rotate, 50)]),
            vec![vibrate(0x4b), rotate(0x32)]
        );
        assert_eq!(koikoi.stop(), vec![vibrate(0x00), rotate(0x00)]);
    }

    #[test]
    fn rotation_alone_and_at_full_speed() {
        let mut koikoi = Harness::builtin(NAME, Some("sakuraneko-04"));
        assert_eq!(koikoi.set(&[(1, Rotate, 100)]), vec![rotate(0x64)]);
        assert_eq!(koikoi.set(&[(1, Rotate, 0)]), vec![rotate(0x00)]);
    }

    #[test]
    fn other_kinds_and_oversized_speeds_are_errors() {
        let mut koikoi = Harness::builtin(NAME, Some("sakuraneko-04"));
        assert_eq!(
            koikoi.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            koikoi.try_set(&[(1, Rotate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Meese (Tera: two vibrators, speeds 0–10 and 0–3; Modo: one, 0–10): a 4-byte packet per
//! motor on `tx`, **with response**: `01 80 <1 + motor> <speed>`, motor being the feature index.
//!
//! Stateless: one write per changed vibrate output, in feature order. Same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/meese.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "meese";

/// The packet's first two bytes.
const HEADER: [u8; 2] = [0x01, 0x80];

/// `01 80 <1 + motor> <speed>` per changed vibrate output, with response.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any other kind; [`ProtocolError::Definition`] for
/// a speed or feature index that does not fit in the packet.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let value = context.value(feature, kind);
                let speed = u8::try_from(value).map_err(|_| {
                    ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
                })?;
                let motor = u8::try_from(feature.0)
                    .ok()
                    .and_then(|index| index.checked_add(1))
                    .ok_or_else(|| {
                        ProtocolError::Definition(format!("feature {feature} has no motor number"))
                    })?;
                Ok(HardwareCommand::write_with_response(
                    Endpoint::Tx,
                    vec![HEADER[0], HEADER[1], motor, speed],
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
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn tera() -> Harness {
        Harness::builtin(NAME, Some("Meese-V389"))
    }

    fn packet(motor: u8, speed: u8) -> HardwareCommand {
        write_with_response(Endpoint::Tx, &[0x01, 0x80, motor, speed])
    }

    #[test]
    fn each_motor_is_numbered_from_one() {
        let mut device = tera();
        assert_eq!(device.set(&[(0, Vibrate, 10)]), vec![packet(1, 10)]);
        assert_eq!(device.set(&[(1, Vibrate, 3)]), vec![packet(2, 3)]);
        assert_eq!(device.set(&[(1, Vibrate, 0)]), vec![packet(2, 0)]);
    }

    #[test]
    fn shared_case_meese_protocol_bytes() {
        // test_meese_protocol.yaml: 0.5 of 10 → 5; (0.1, 0.5) → (1 of 10, 2 of 3); stop.
        let mut device = tera();
        assert_eq!(device.set(&[(0, Vibrate, 5)]), vec![packet(1, 5)]);
        assert_eq!(
            device.set(&[(0, Vibrate, 1), (1, Vibrate, 2)]),
            vec![packet(1, 1), packet(2, 2)]
        );
        assert_eq!(device.stop(), vec![packet(1, 0), packet(2, 0)]);
    }

    #[test]
    fn modo_has_one_motor() {
        let mut device = Harness::builtin(NAME, Some("Meese-cd"));
        assert_eq!(device.set(&[(0, Vibrate, 7)]), vec![packet(1, 7)]);
        assert_eq!(device.stop(), vec![packet(1, 0)]);
    }

    #[test]
    fn other_kinds_oversized_speeds_and_huge_indexes_are_errors() {
        let mut device = tera();
        assert_eq!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 1000)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(255, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Cachito (Lure Tao, Ice Cream): two vibrators, each with its own 4-byte packet on `tx`,
//! without response: `<2 + motor> <1 + motor> <speed> 00`, motor being the feature index —
//! `02 01 <speed> 00` for the first motor (speed 0–5), `03 02 <speed> 00` for the second
//! (speed 0–100).
//!
//! Stateless: one write per changed vibrate output, in feature order. Same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/cachito.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "cachito";

/// `<2 + motor> <1 + motor> <speed> 00` per changed vibrate output.
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
                let motor = motor_byte(feature)?;
                Ok(HardwareCommand::write(
                    Endpoint::Tx,
                    vec![motor + 2, motor + 1, speed, 0x00],
                ))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

/// The feature index as the packet's motor number (it is added to, so at most 253).
fn motor_byte(feature: FeatureIndex) -> Result<u8, ProtocolError> {
    u8::try_from(feature.0)
        .ok()
        .filter(|motor| *motor <= u8::MAX - 2)
        .ok_or_else(|| ProtocolError::Definition(format!("feature {feature} has no motor number")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn lure_tao() -> Harness {
        Harness::builtin(NAME, Some("CCTSK"))
    }

    #[test]
    fn each_motor_has_its_own_numbered_packet() {
        let mut device = lure_tao();
        assert_eq!(
            device.set(&[(0, Vibrate, 0)]),
            vec![write(Endpoint::Tx, &[2, 1, 0, 0])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 5)]),
            vec![write(Endpoint::Tx, &[2, 1, 5, 0])]
        );
        assert_eq!(
            device.set(&[(1, Vibrate, 100)]),
            vec![write(Endpoint::Tx, &[3, 2, 100, 0])]
        );
    }

    #[test]
    fn upstream_case_cachito_protocol_bytes() {
        // Upstream test_cachito_protocol.yaml: 0.5 of 5 → 3; then (0.1, 0.5) → (1, 50); then
        // (0.1, 0.9): motor 1 is unchanged, so only motor 2 is written; stop writes both.
        let mut device = lure_tao();
        assert_eq!(
            device.set(&[(0, Vibrate, 3)]),
            vec![write(Endpoint::Tx, &[2, 1, 3, 0])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 1), (1, Vibrate, 50)]),
            vec![
                write(Endpoint::Tx, &[2, 1, 1, 0]),
                write(Endpoint::Tx, &[3, 2, 50, 0])
            ]
        );
        assert_eq!(
            device.set(&[(1, Vibrate, 90)]),
            vec![write(Endpoint::Tx, &[3, 2, 90, 0])]
        );
        assert_eq!(
            device.stop(),
            vec![
                write(Endpoint::Tx, &[2, 1, 0, 0]),
                write(Endpoint::Tx, &[3, 2, 0, 0])
            ]
        );
    }

    #[test]
    fn ice_cream_uses_the_same_packets() {
        let mut device = Harness::builtin(NAME, Some("CCTXueGao"));
        assert_eq!(
            device.set(&[(1, Vibrate, 42)]),
            vec![write(Endpoint::Tx, &[3, 2, 42, 0])]
        );
    }

    #[test]
    fn other_kinds_oversized_speeds_and_huge_indexes_are_errors() {
        let mut device = lure_tao();
        assert_eq!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(254, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! ManNuo: vibrators advertised as "Sex toys", "Sex Toys", "LXCDVP" or "MANO PRODUCT" ("ManNuo
//! Device"); one vibrator, speeds 0–3.
//!
//! **Wire format.** One nine-byte write to `tx` *with* response per changed vibrator:
//! `aa 55 06 01 01 01 <speed> fa <xor>`, the last byte the XOR of the eight before it —
//! `aa 55 06 01 01 01 02 fa 00` at speed 2, `aa 55 06 01 01 01 00 fa 02` stops. No init, no
//! keepalive, stateless.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/mannuo.rs` of buttplugio/buttplug (no
//! device case upstream); same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "mannuo";

/// One `aa 55 06 01 01 01 <speed> fa <xor>` write, with response, per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a feature without a vibrator or a speed beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = speed_byte(context, feature, kind)?;
            Ok(HardwareCommand::write_with_response(
                Endpoint::Tx,
                packet(speed),
            ))
        })
        .collect()
}

/// `aa 55 06 01 01 01 <speed> fa` and the XOR of those eight bytes.
fn packet(speed: u8) -> Vec<u8> {
    let mut data = vec![0xAA, 0x55, 0x06, 0x01, 0x01, 0x01, speed, 0xFA];
    let check = data.iter().fold(0u8, |check, byte| check ^ byte);
    data.push(check);
    data
}

/// The vibrator's current speed as a byte, after checking the feature has a vibrator.
fn speed_byte(
    context: &EncodeContext<'_>,
    feature: FeatureIndex,
    kind: OutputKind,
) -> Result<u8, ProtocolError> {
    if kind != OutputKind::Vibrate {
        return Err(ProtocolError::UnsupportedOutput {
            protocol: NAME,
            kind,
        });
    }
    if context
        .definition
        .feature(feature)
        .and_then(|found| found.output(kind))
        .is_none()
    {
        return Err(ProtocolError::Definition(format!(
            "feature {feature} has no {kind} output"
        )));
    }
    let speed = context.value(feature, kind);
    u8::try_from(speed)
        .map_err(|_| ProtocolError::Definition(format!("speed {speed} does not fit in a byte")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn mannuo() -> Harness {
        Harness::builtin(NAME, Some("MANO PRODUCT"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write_with_response(Endpoint::Tx, bytes)
    }

    #[test]
    fn every_advertised_name_reaches_the_defaults() {
        for name in ["Sex toys", "Sex Toys", "LXCDVP", "MANO PRODUCT"] {
            assert_eq!(
                Harness::builtin(NAME, Some(name)).definition.name,
                "ManNuo Device"
            );
        }
    }

    #[test]
    fn each_speed_ends_with_the_xor_of_the_packet() {
        let mut device = mannuo();
        for (speed, check) in [(1, 0x03), (2, 0x00), (3, 0x01)] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![tx(&[
                    0xaa,
                    0x55,
                    0x06,
                    0x01,
                    0x01,
                    0x01,
                    speed as u8,
                    0xfa,
                    check
                ])],
                "speed {speed}"
            );
        }
        assert_eq!(
            device.stop(),
            vec![tx(&[0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x00, 0xfa, 0x02])]
        );
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = mannuo();
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! MaxPro: the MaxPro 2, advertised as "M2"; one vibrator, speeds 0–100.
//!
//! **Wire format.** One ten-byte write to `tx`, without response, per changed vibrator:
//! `55 04 07 ff ff 3f <speed> 5f <speed> <sum>`, the last byte the wrapping sum of the nine
//! before it — `… 32 5f 32 60` at speed 50, `55 04 07 ff ff 3f 00 5f 00 fc` stops. No init, no
//! keepalive, stateless.
//!
//! The M2 sits on the Nordic UART service, which the `lovense` entry also advertises; matching
//! goes by the BLE name "M2" (device-config.md §2.2).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/maxpro.rs` of buttplugio/buttplug (no
//! device case upstream); same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "maxpro";

/// One `55 04 07 ff ff 3f <speed> 5f <speed> <sum>` write per changed vibrator.
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
            Ok(HardwareCommand::write(Endpoint::Tx, packet(speed)))
        })
        .collect()
}

/// `55 04 07 ff ff 3f <speed> 5f <speed>` and the wrapping sum of those nine bytes.
fn packet(speed: u8) -> Vec<u8> {
    let mut data = vec![0x55, 0x04, 0x07, 0xFF, 0xFF, 0x3F, speed, 0x5F, speed];
    let sum = data.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte));
    data.push(sum);
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
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn m2() -> Harness {
        Harness::builtin(NAME, Some("M2"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn each_speed_appears_twice_and_ends_with_the_sum() {
        let mut device = m2();
        assert_eq!(device.definition.name, "MaxPro 2");
        for (speed, sum) in [(1, 0xfe), (50, 0x60), (100, 0xc4)] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![tx(&[
                    0x55,
                    0x04,
                    0x07,
                    0xff,
                    0xff,
                    0x3f,
                    speed as u8,
                    0x5f,
                    speed as u8,
                    sum
                ])],
                "speed {speed}"
            );
        }
        assert_eq!(
            device.stop(),
            vec![tx(&[
                0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, 0x00, 0x5f, 0x00, 0xfc
            ])]
        );
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = m2();
        assert!(matches!(
            device.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 1000)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

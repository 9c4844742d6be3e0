//! kiiroo-spot-v2: the Kiiroo Spot 2 clitoral vibrator, advertised as "SPOT W2" (v5 database);
//! one vibrator (speeds 0–100) and a battery.
//!
//! **Wire format.** One six-byte write to `tx` (characteristic `1801` of service `1400`),
//! **with** response, per changed vibrator: `01 <speed> <speed> 03 e8 ff` — the speed twice,
//! then `03 e8` (1000, big-endian) and `ff`; `01 00 00 03 e8 ff` stops. No init, no keepalive,
//! stateless. (The first Spot, `kiiroo-spot`, uses another frame: `00 ff 00 00 00 <speed>`.)
//!
//! **Battery.** The standard BLE battery level (`rxblebattery`, `2a19` of service `180f`), byte 0
//! a percentage: the Device's default battery read, so this module has no reader. Upstream asks
//! for 20 bytes and takes byte 0; a BLE read returns what the characteristic holds.
//!
//! ref: `src/device/protocol_impl/kiiroo_spot_v2.rs` of the `buttplug_server` 12 crate; same
//! bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "kiiroo-spot-v2";

/// The bytes after the two speed bytes.
const TAIL: [u8; 3] = [0x03, 0xE8, 0xFF];

/// One `01 <speed> <speed> 03 e8 ff` write with response per changed vibrator.
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

/// `01 <speed> <speed> 03 e8 ff`.
fn packet(speed: u8) -> Vec<u8> {
    let mut packet = vec![0x01, speed, speed];
    packet.extend_from_slice(&TAIL);
    packet
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
    use plugd_core::InputKind;
    use OutputKind::{Oscillate, Vibrate};

    fn spot() -> Harness {
        Harness::builtin(NAME, Some("SPOT W2"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write_with_response(Endpoint::Tx, bytes)
    }

    #[test]
    fn the_advertised_name_selects_the_spot_2_with_a_vibrator_and_a_battery() {
        let device = spot();
        assert_eq!(device.definition.name, "Kiiroo Spot 2");
        assert_eq!(device.definition.outputs_of(Vibrate).count(), 1);
        assert!(device
            .definition
            .feature(FeatureIndex(1))
            .and_then(|feature| feature.input(InputKind::Battery))
            .is_some());
        let protocol = crate::find(NAME).expect("registered");
        assert!(
            protocol.read_input.is_none(),
            "the default battery read applies"
        );
        assert!(protocol.initialize.is_none() && protocol.keepalive.is_none());
    }

    #[test]
    fn speeds_are_written_twice_with_response() {
        let mut device = spot();
        for (speed, expected) in [
            (50, [0x01, 50, 50, 0x03, 0xE8, 0xFF]),
            (100, [0x01, 100, 100, 0x03, 0xE8, 0xFF]),
            (1, [0x01, 1, 1, 0x03, 0xE8, 0xFF]),
            (0, [0x01, 0, 0, 0x03, 0xE8, 0xFF]),
        ] {
            assert_eq!(device.set(&[(0, Vibrate, speed)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn stop_writes_speed_zero() {
        let mut device = spot();
        device.set(&[(0, Vibrate, 70)]);
        assert_eq!(
            device.stop(),
            vec![tx(&[0x01, 0x00, 0x00, 0x03, 0xE8, 0xFF])]
        );
    }

    #[test]
    fn other_kinds_features_and_oversized_speeds_are_errors() {
        let mut device = spot();
        assert_eq!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

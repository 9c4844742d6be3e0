//! Kiiroo Spot: the clitoral vibrator advertised as "SPOT W1"; one vibrator (speeds 0–100) and
//! a battery.
//!
//! **Wire format.** One six-byte write to `tx` (characteristic `1401` of service `1400`),
//! without response, per changed vibrator: `00 ff 00 00 00 <speed>`; `00 ff 00 00 00 00` stops.
//! No init, no keepalive, stateless.
//!
//! **Battery.** The standard BLE battery level (`rxblebattery`, `2a19` of service `180f`), byte 0
//! a percentage: the Device's default battery read, so this module has no reader. (Upstream
//! asks for 20 bytes and takes byte 0; a BLE read returns what the characteristic holds.)
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/kiiroo_spot.rs` of buttplugio/buttplug
//! and its `test_kiiroo_spot.yaml`; same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "kiiroo-spot";

/// One `00 ff 00 00 00 <speed>` write per changed vibrator.
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

/// `00 ff 00 00 00 <speed>`.
fn packet(speed: u8) -> Vec<u8> {
    vec![0x00, 0xFF, 0x00, 0x00, 0x00, speed]
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
    use OutputKind::{Oscillate, Vibrate};

    fn spot() -> Harness {
        Harness::builtin(NAME, Some("SPOT W1"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn speeds_follow_a_fixed_prefix() {
        // test_kiiroo_spot.yaml: 0.5 → 50, 1.0 → 100, then Stop.
        let mut device = spot();
        assert_eq!(device.definition.name, "Kiiroo Spot");
        assert_eq!(
            device.set(&[(0, Vibrate, 50)]),
            vec![tx(&[0x00, 0xff, 0x00, 0x00, 0x00, 0x32])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 100)]),
            vec![tx(&[0x00, 0xff, 0x00, 0x00, 0x00, 0x64])]
        );
        assert_eq!(
            device.stop(),
            vec![tx(&[0x00, 0xff, 0x00, 0x00, 0x00, 0x00])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 1)]),
            vec![tx(&[0x00, 0xff, 0x00, 0x00, 0x00, 0x01])]
        );
    }

    #[test]
    fn the_battery_is_left_to_the_default_read() {
        let device = spot();
        let battery = device
            .definition
            .feature(FeatureIndex(1))
            .and_then(|feature| feature.input(plugd_core::InputKind::Battery));
        assert!(battery.is_some());
        assert!(crate::find(NAME).is_some_and(|protocol| protocol.read_input.is_none()));
    }

    #[test]
    fn other_outputs_the_battery_feature_and_oversized_speeds_are_errors() {
        let mut device = spot();
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

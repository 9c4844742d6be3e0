//! Kiiroo PowerShot: two vibrators driven by one six-byte packet, written to `tx` *with*
//! response: `01 00 00 <motor 1> <motor 2> 00`, each speed the database value (0–100).
//!
//! Every command writes the whole packet with both motors' current values, so a command that
//! changes both motors writes once (upstream tags the packet with one protocol-wide id, so its
//! message gap coalesces the per-motor packets into one as well; device-config.md §2.6).
//!
//! Battery: the default read of `rxblebattery`, byte 0 a percentage (the Device does it).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/kiiroo_powershot.rs` of
//! buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "kiiroo-powershot";

/// The two motors, in packet order.
const MOTORS: [FeatureIndex; 2] = [FeatureIndex(0), FeatureIndex(1)];

/// One packet with both motors.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a vibrator other than features 0 and 1, or a value that does not fit a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Vibrate {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        if !MOTORS.contains(&feature) {
            return Err(ProtocolError::Definition(format!(
                "the PowerShot has no vibrator {feature}"
            )));
        }
    }
    let mut speeds = [0u8; 2];
    for (speed, feature) in speeds.iter_mut().zip(MOTORS) {
        let value = context.value(feature, OutputKind::Vibrate);
        *speed = u8::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!(
                "vibrator {feature} value {value} does not fit a byte"
            ))
        })?;
    }
    Ok(vec![HardwareCommand::write_with_response(
        Endpoint::Tx,
        vec![0x01, 0x00, 0x00, speeds[0], speeds[1], 0x00],
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write_with_response(Endpoint::Tx, bytes)
    }

    fn powershot() -> Harness {
        let device = Harness::builtin(NAME, Some("PowerShot"));
        assert_eq!(device.definition.name, "Kiiroo PowerShot");
        device
    }

    #[test]
    fn each_command_writes_both_motors() {
        // test_kiiroo_powershot.yaml.
        let mut device = powershot();
        assert_eq!(
            device.set(&[(0, Vibrate, 50)]),
            vec![tx(&[0x01, 0x00, 0x00, 0x32, 0x00, 0x00])]
        );
        assert_eq!(
            device.set(&[(1, Vibrate, 100)]),
            vec![tx(&[0x01, 0x00, 0x00, 0x32, 0x64, 0x00])]
        );
        assert_eq!(
            device.stop(),
            vec![tx(&[0x01, 0x00, 0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn both_motors_at_once_write_one_packet() {
        let mut device = powershot();
        assert_eq!(
            device.set(&[(0, Vibrate, 100), (1, Vibrate, 1)]),
            vec![tx(&[0x01, 0x00, 0x00, 0x64, 0x01, 0x00])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 0)]),
            vec![tx(&[0x01, 0x00, 0x00, 0x00, 0x01, 0x00])]
        );
    }

    #[test]
    fn other_kinds_features_and_oversized_values_are_refused() {
        let mut device = powershot();
        assert!(matches!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

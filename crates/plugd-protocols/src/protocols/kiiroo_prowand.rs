//! Kiiroo ProWand (and the Luxus): one vibrator, a six-byte packet written to `tx` without
//! response: `00 00 64 <on> <speed> <speed>`, `on` being `FF` while running and `00` at 0, the
//! speed the database value (0–255). Stateless.
//!
//! Battery: the default read of `rxblebattery`, byte 0 a percentage (the Device does it).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/kiiroo_prowand.rs` of
//! buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "kiiroo-prowand";

/// One packet per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a value that does not fit a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if kind != OutputKind::Vibrate {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind,
                });
            }
            let value = context.value(feature, kind);
            let speed = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!(
                    "vibrator {feature} value {value} does not fit a byte"
                ))
            })?;
            let on = if speed == 0 { 0x00 } else { 0xFF };
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                vec![0x00, 0x00, 0x64, on, speed, speed],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn vibration_at_middle_full_and_stop() {
        // test_kiiroo_prowand.yaml.
        let mut wand = Harness::builtin(NAME, Some("ProWand"));
        assert_eq!(wand.definition.name, "Kiiroo ProWand");
        assert_eq!(
            wand.set(&[(0, Vibrate, 128)]),
            vec![tx(&[0x00, 0x00, 0x64, 0xff, 0x80, 0x80])]
        );
        assert_eq!(
            wand.set(&[(0, Vibrate, 255)]),
            vec![tx(&[0x00, 0x00, 0x64, 0xff, 0xff, 0xff])]
        );
        assert_eq!(wand.stop(), vec![tx(&[0x00, 0x00, 0x64, 0x00, 0x00, 0x00])]);
        assert_eq!(
            wand.set(&[(0, Vibrate, 1)]),
            vec![tx(&[0x00, 0x00, 0x64, 0xff, 0x01, 0x01])]
        );
    }

    #[test]
    fn luxus_shares_the_packet() {
        let mut luxus = Harness::builtin(NAME, Some("Luxus"));
        assert_eq!(luxus.definition.name, "Luxus");
        assert_eq!(
            luxus.set(&[(0, Vibrate, 10)]),
            vec![tx(&[0x00, 0x00, 0x64, 0xff, 0x0a, 0x0a])]
        );
    }

    #[test]
    fn other_kinds_and_oversized_values_are_refused() {
        let mut wand = Harness::builtin(NAME, Some("ProWand"));
        assert!(matches!(
            wand.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            wand.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

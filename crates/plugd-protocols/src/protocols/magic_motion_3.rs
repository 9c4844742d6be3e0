//! Magic Motion, third generation: the LoveLife Krush (a kegel trainer with one motor, speed
//! 0–77, and a standard BLE battery).
//!
//! **Wire format.** Per change one 12-byte packet on `tx`, without response:
//! `0b ff 04 0a 46 46 00 04 08 <speed> 64 00` — the first generation's packet with `46 46` in
//! place of `32 32`. The battery is the standard `rxblebattery` characteristic, read by the
//! Device's default (first byte = percentage).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/magic_motion_v3.rs` of
//! buttplugio/buttplug; case `test_magic_motion_3_krush.yaml`.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "magic-motion-3";

/// One packet per changed vibrate output.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or a speed does
/// not fit in a byte; [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let present = context
                .definition
                .feature(feature)
                .is_some_and(|found| found.output(kind).is_some());
            if !present {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} has no {kind} output"
                )));
            }
            if kind != OutputKind::Vibrate {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind,
                });
            }
            let value = context.value(feature, kind);
            let speed = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
            })?;
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                [
                    0x0b, 0xff, 0x04, 0x0a, 0x46, 0x46, 0x00, 0x04, 0x08, speed, 0x64, 0x00,
                ],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::Vibrate;

    fn packet(speed: u8) -> HardwareCommand {
        write(
            Endpoint::Tx,
            &[
                0x0b, 0xff, 0x04, 0x0a, 0x46, 0x46, 0x00, 0x04, 0x08, speed, 0x64, 0x00,
            ],
        )
    }

    #[test]
    fn krush_writes_its_speed_in_byte_9() {
        // test_magic_motion_3_krush.yaml: 0.5 and 0.75 of 77 → 39 and 58; stop.
        let mut device = Harness::builtin(NAME, Some("Krush"));
        assert_eq!(device.definition.name, "LoveLife Krush");
        assert_eq!(device.set(&[(0, Vibrate, 39)]), vec![packet(0x27)]);
        assert_eq!(device.set(&[(0, Vibrate, 58)]), vec![packet(0x3a)]);
        assert_eq!(device.set(&[(0, Vibrate, 77)]), vec![packet(77)]);
        assert_eq!(device.stop(), vec![packet(0)]);
    }

    #[test]
    fn output_missing_or_too_large_is_a_definition_error() {
        let mut device = Harness::builtin(NAME, Some("Krush"));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 1000)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Magic Motion, first generation (Smart Mini Vibe, Flamingo, Fugu, Dante/Candy/Rise, Gballs, …):
//! one motor per toy and a standard BLE battery.
//!
//! **Wire format.** Per changed output one 12-byte packet on `tx`, without response:
//! `0b ff 04 0a 32 32 00 04 08 <speed> 64 00` (speed 0–100). The Xone's oscillate output uses
//! the same packet. The battery is the standard `rxblebattery` characteristic, read by the
//! Device's default (first byte = percentage).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/magic_motion_v1.rs` of
//! buttplugio/buttplug; case `test_magic_motion_1_magic_cell.yaml`.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "magic-motion-1";

/// One packet per changed vibrate or oscillate output.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or a speed does
/// not fit in a byte; [`ProtocolError::UnsupportedOutput`] for other kinds.
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
            if !matches!(kind, OutputKind::Vibrate | OutputKind::Oscillate) {
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
                    0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, speed, 0x64, 0x00,
                ],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn packet(speed: u8) -> HardwareCommand {
        write(
            Endpoint::Tx,
            &[
                0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, speed, 0x64, 0x00,
            ],
        )
    }

    #[test]
    fn magic_cell_writes_its_speed_in_byte_9() {
        // test_magic_motion_1_magic_cell.yaml: vibrate 0.5, stop.
        let mut device = Harness::builtin(NAME, Some("Magic Cell"));
        assert_eq!(device.definition.name, "MagicMotion Dante/Candy/Rise");
        assert_eq!(device.set(&[(0, Vibrate, 50)]), vec![packet(0x32)]);
        assert_eq!(device.set(&[(0, Vibrate, 100)]), vec![packet(100)]);
        assert_eq!(device.stop(), vec![packet(0)]);
    }

    #[test]
    fn xone_oscillates_with_the_same_packet() {
        let mut device = Harness::builtin(NAME, Some("Xone"));
        assert_eq!(device.set(&[(0, Oscillate, 30)]), vec![packet(30)]);
        assert_eq!(device.stop(), vec![packet(0)]);
    }

    #[test]
    fn output_missing_or_too_large_is_a_definition_error() {
        let mut device = Harness::builtin(NAME, Some("Flamingo T"));
        assert_eq!(device.definition.name, "MagicMotion Flamingo");
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

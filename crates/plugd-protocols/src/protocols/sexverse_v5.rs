//! Sexverse v5: the Sexverse Heart, over one BLE characteristic (`tx`), written without
//! response.
//!
//! **Wire format.** One packet per changed vibrator: `aa 03 03 <value> 00 00 00`, values in the
//! database's 0–100 steps (half speed: `aa 03 03 32 00 00 00`). The packet names no motor.
//!
//! **Database.** The v4 entry lists a second name, `CB-WXW03` (Hannibal Kona), whose
//! configuration sits under a misspelt `"configuration"` key that every loader ignores
//! (device-config.md §1.8). The v5 database fixed it, and plugd's built-in copy follows v5, so
//! the Kona connects under its own name with the defaults' vibrator.
//!
//! **Differences from upstream.** None in the bytes; values that do not fit a byte are an error
//! instead of being truncated.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/sexverse_v5.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "sexverse-v5";

/// The bytes before the value.
const COMMAND_HEADER: [u8; 3] = [0xaa, 0x03, 0x03];
/// The bytes after the value.
const COMMAND_TRAILER: [u8; 3] = [0x00, 0x00, 0x00];

/// One `aa 03 03 <value> 00 00 00` per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for other kinds; [`ProtocolError::Definition`] when a
/// changed output is not in the definition or its value does not fit a byte.
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
            let present = context
                .definition
                .feature(feature)
                .is_some_and(|found| found.output(kind).is_some());
            if !present {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} has no {kind} output"
                )));
            }
            let value = context.value(feature, kind);
            let value = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("{kind} value {value} does not fit a byte"))
            })?;
            let mut packet = COMMAND_HEADER.to_vec();
            packet.push(value);
            packet.extend_from_slice(&COMMAND_TRAILER);
            Ok(HardwareCommand::write(Endpoint::Tx, packet))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind};

    #[test]
    fn heart_writes_its_case_bytes_and_full_speed() {
        let mut heart = Harness::builtin(super::NAME, Some("CBW02"));
        assert_eq!(heart.definition.name, "Sexverse Heart");
        for (value, byte) in [(50, 0x32), (75, 0x4b), (100, 0x64)] {
            assert_eq!(
                heart.set(&[(0, OutputKind::Vibrate, value)]),
                vec![write(
                    Endpoint::Tx,
                    &[0xaa, 0x03, 0x03, byte, 0x00, 0x00, 0x00]
                )]
            );
        }
        assert_eq!(
            heart.stop(),
            vec![write(
                Endpoint::Tx,
                &[0xaa, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00]
            )]
        );
    }

    #[test]
    fn the_kona_has_its_own_name_and_the_defaults_vibrator() {
        // The v4 database lost this configuration to a misspelt key; v5 (which the built-in
        // database follows) has it.
        let kona = Harness::builtin(super::NAME, Some("CB-WXW03"));
        assert_eq!(kona.definition.name, "Hannibal Kona");
        assert_eq!(kona.definition.features.len(), 1);
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut heart = Harness::builtin(super::NAME, None);
        assert!(matches!(
            heart.try_set(&[(0, OutputKind::Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            heart.try_set(&[(1, OutputKind::Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

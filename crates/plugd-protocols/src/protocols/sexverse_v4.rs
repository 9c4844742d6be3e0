//! Sexverse v4: the Sexverse G1 vibrator, Black Knight / Dark Knight and the VVD Vkini, over one
//! BLE characteristic (`tx`; the database lists three services, each with its own `tx`, and the
//! first one the toy has is used), every write with response.
//!
//! **Wire format.** One packet per changed vibrator: `bb 01 <value> 66`, values in the
//! database's 0–99 steps (Vkini at half speed: `bb 01 32 66`). The packet names no motor: every
//! database device has one.
//!
//! **Differences from upstream.** None in the bytes; values that do not fit a byte are an error
//! instead of being truncated.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/sexverse_v4.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "sexverse-v4";

/// The byte before the value.
const COMMAND_HEADER: [u8; 2] = [0xbb, 0x01];
/// The byte after the value.
const COMMAND_TRAILER: u8 = 0x66;

/// One `bb 01 <value> 66` per changed vibrator.
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
            packet.extend_from_slice(&[value, COMMAND_TRAILER]);
            Ok(HardwareCommand::write_with_response(Endpoint::Tx, packet))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::testing::{write_with_response, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind};

    #[test]
    fn vkini_writes_its_case_bytes_and_full_speed() {
        let mut vkini = Harness::builtin(super::NAME, Some("HJ2024N01"));
        assert_eq!(vkini.definition.name, "VVD Vkini");
        for (value, byte) in [(50, 0x32), (75, 0x4b), (99, 0x63)] {
            assert_eq!(
                vkini.set(&[(0, OutputKind::Vibrate, value)]),
                vec![write_with_response(Endpoint::Tx, &[0xbb, 0x01, byte, 0x66])]
            );
        }
        assert_eq!(
            vkini.stop(),
            vec![write_with_response(Endpoint::Tx, &[0xbb, 0x01, 0x00, 0x66])]
        );
    }

    #[test]
    fn the_repeated_bc1847_identifier_selects_the_dark_knight() {
        let knight = Harness::builtin(super::NAME, Some("BC1847"));
        assert_eq!(knight.definition.name, "Sexverse Dark Knight");
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut g1 = Harness::builtin(super::NAME, None);
        assert!(matches!(
            g1.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            g1.try_set(&[(1, OutputKind::Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

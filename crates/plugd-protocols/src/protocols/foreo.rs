//! Foreo: the brand's BLE facial-cleansing and massage devices (LUNA, UFO, BEAR, KIWI), driven as
//! one vibrator with speeds 0–10.
//!
//! **Wire format.** Per change one packet on `tx`, with response: `01 <mode> <speed>`. The mode
//! byte depends on the product line, told apart by the advertised name (case-insensitive):
//!
//! | name contains | mode |
//! |---|---|
//! | `smart` and `2` (LUNA play smart 2) | 3 |
//! | `fofo` or `ufo` (LUNA fofo, every UFO) | 1 |
//! | anything else | 0 |
//!
//! Upstream computes the mode once at init from the hardware's name; plugd reads the same name
//! from the session identifier (foreo's identifier is the advertised name) on every encode.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/foreo.rs` of buttplugio/buttplug; case
//! `test_foreo_protocol.yaml` (upstream; not among the shared cases).

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "foreo";

/// The mode byte for an advertised name (see the module table).
fn mode(name: &str) -> u8 {
    let name = name.to_lowercase();
    if name.contains("smart") && name.contains('2') {
        3
    } else if name.contains("fofo") || name.contains("ufo") {
        1
    } else {
        0
    }
}

/// One `01 <mode> <speed>` write with response per changed vibrate output.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or a speed does
/// not fit in a byte; [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mode = mode(context.session.identifier.as_deref().unwrap_or_default());
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
            Ok(HardwareCommand::write_with_response(
                Endpoint::Tx,
                [0x01, mode, speed],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::Vibrate;

    fn packet(mode: u8, speed: u8) -> HardwareCommand {
        write_with_response(Endpoint::Tx, &[0x01, mode, speed])
    }

    #[test]
    fn fofo_uses_mode_1() {
        // test_foreo_protocol.yaml (upstream): 0.5 and 0.75 of 10 → 5 and 8; stop.
        let mut device = Harness::builtin(NAME, Some("FOFO"));
        assert_eq!(device.definition.name, "Foreo LUNA fofo");
        assert_eq!(device.set(&[(0, Vibrate, 5)]), vec![packet(1, 5)]);
        assert_eq!(device.set(&[(0, Vibrate, 8)]), vec![packet(1, 8)]);
        assert_eq!(device.set(&[(0, Vibrate, 10)]), vec![packet(1, 10)]);
        assert_eq!(device.stop(), vec![packet(1, 0)]);
    }

    #[test]
    fn play_smart_2_uses_mode_3_and_luna_3_mode_0() {
        let mut smart = Harness::builtin(NAME, Some("LUNA play smart 2"));
        assert_eq!(smart.definition.name, "Foreo LUNA play smart 2");
        assert_eq!(smart.set(&[(0, Vibrate, 4)]), vec![packet(3, 4)]);
        let mut luna = Harness::builtin(NAME, Some("LUNA 3"));
        assert_eq!(luna.set(&[(0, Vibrate, 4)]), vec![packet(0, 4)]);
        let mut ufo = Harness::builtin(NAME, Some("UFO mini 2"));
        assert_eq!(ufo.set(&[(0, Vibrate, 4)]), vec![packet(1, 4)]);
    }

    #[test]
    fn mode_follows_the_name_case_insensitively() {
        let cases = [
            ("LUNA PLAY SMART2", 3),
            ("LUNA play smart2", 3),
            ("LUNA PLAY SMART", 0),
            ("LUNA fofo", 1),
            ("UFO3eyes", 1),
            ("UFOMINI2", 1),
            ("BEAR 2", 0),
            ("KIWI derma", 0),
            ("", 0),
        ];
        for (name, expected) in cases {
            assert_eq!(mode(name), expected, "{name:?}");
        }
    }

    #[test]
    fn output_missing_or_too_large_is_a_definition_error() {
        let mut device = Harness::builtin(NAME, Some("BEAR"));
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

//! Nexus Revo: the Revo Stealth prostate massager, advertised as "XW-LW3". A vibrator (feature
//! 0, speeds 0–10) and a rotating head (feature 1, −2…2: two speeds each way).
//!
//! **Wire format.** Six-byte writes to `tx` (`c571` of service `c570`) *with* response, one per
//! changed output in feature order:
//!
//! | output | packet |
//! |---|---|
//! | vibrate | `aa 01 01 00 01 <speed>` |
//! | rotate | `aa 01 02 00 <mode> 00`: mode 0 stops, 1–2 turn one way (negative values, the magnitude), 3–4 the other (positive values, magnitude + 2) |
//!
//! So a clockwise half speed (+1) is `aa 01 02 00 03 00`, a full counter-clockwise (−2)
//! `aa 01 02 00 02 00`; a Stop writes both the vibrator's and the head's zero packets. No init,
//! no keepalive, stateless.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/nexus_revo.rs` of buttplugio/buttplug
//! and its `test_nexus_revo.yaml`; same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "nexus-revo";

/// The four bytes before a vibration speed.
const VIBRATE: [u8; 5] = [0xAA, 0x01, 0x01, 0x00, 0x01];
/// The four bytes before a rotation mode.
const ROTATE: [u8; 4] = [0xAA, 0x01, 0x02, 0x00];
/// Added to the magnitude of a positive (clockwise) rotation.
const POSITIVE_OFFSET: u8 = 2;

/// One packet, with response, per changed output (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and rotate;
/// [`ProtocolError::Definition`] for an output the definition lacks or a value beyond the
/// packet.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if !matches!(kind, OutputKind::Vibrate | OutputKind::Rotate) {
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
            let value = context.value(feature, kind);
            let too_large = || {
                ProtocolError::Definition(format!(
                    "feature {feature} {kind} value {value} does not fit the packet"
                ))
            };
            let data = if kind == OutputKind::Vibrate {
                let speed = u8::try_from(value).map_err(|_| too_large())?;
                let mut data = VIBRATE.to_vec();
                data.push(speed);
                data
            } else {
                let magnitude = u8::try_from(value.unsigned_abs()).map_err(|_| too_large())?;
                let mode = if value > 0 {
                    magnitude
                        .checked_add(POSITIVE_OFFSET)
                        .ok_or_else(too_large)?
                } else {
                    magnitude
                };
                let mut data = ROTATE.to_vec();
                data.extend([mode, 0x00]);
                data
            };
            Ok(HardwareCommand::write_with_response(Endpoint::Tx, data))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{Oscillate, Rotate, Vibrate};

    fn revo() -> Harness {
        Harness::builtin(NAME, Some("XW-LW3"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write_with_response(Endpoint::Tx, bytes)
    }

    #[test]
    fn the_shared_case_vibrates_turns_both_ways_and_stops_both() {
        // test_nexus_revo.yaml: vibrate 0.5 → 5, rotate 0.5 clockwise → +1, rotate 1.0
        // counter-clockwise → −2, then Stop (vibrator and head).
        let mut device = revo();
        assert_eq!(device.definition.name, "Nexus Revo Stealth");
        assert_eq!(
            device.set(&[(0, Vibrate, 5)]),
            vec![tx(&[0xaa, 0x01, 0x01, 0x00, 0x01, 0x05])]
        );
        assert_eq!(
            device.set(&[(1, Rotate, 1)]),
            vec![tx(&[0xaa, 0x01, 0x02, 0x00, 0x03, 0x00])]
        );
        assert_eq!(
            device.set(&[(1, Rotate, -2)]),
            vec![tx(&[0xaa, 0x01, 0x02, 0x00, 0x02, 0x00])]
        );
        assert_eq!(
            device.stop(),
            vec![
                tx(&[0xaa, 0x01, 0x01, 0x00, 0x01, 0x00]),
                tx(&[0xaa, 0x01, 0x02, 0x00, 0x00, 0x00])
            ]
        );
    }

    #[test]
    fn every_rotation_mode() {
        let mut device = revo();
        for (value, mode) in [(-1, 0x01), (-2, 0x02), (1, 0x03), (2, 0x04), (0, 0x00)] {
            assert_eq!(
                device.set(&[(1, Rotate, value)]),
                vec![tx(&[0xaa, 0x01, 0x02, 0x00, mode, 0x00])],
                "rotate {value}"
            );
        }
    }

    #[test]
    fn vibrator_and_head_in_one_command_are_two_writes_in_feature_order() {
        let mut device = revo();
        assert_eq!(
            device.set(&[(1, Rotate, 2), (0, Vibrate, 10)]),
            vec![
                tx(&[0xaa, 0x01, 0x01, 0x00, 0x01, 0x0a]),
                tx(&[0xaa, 0x01, 0x02, 0x00, 0x04, 0x00])
            ]
        );
    }

    #[test]
    fn other_outputs_misplaced_outputs_and_oversized_values_are_errors() {
        let mut device = revo();
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(1, Rotate, 254)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(1, Rotate, i32::MIN)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

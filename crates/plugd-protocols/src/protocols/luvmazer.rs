//! Luvmazer (Finger Magic, Cat Paw, Cock Ring, Interstellar, Dildo): 6-byte packets on `tx`,
//! without response, one per output kind, speeds 0–255 (constriction 0–54):
//!
//! | output | packet |
//! |---|---|
//! | vibrate | `a0 01 00 <motor> 64 <speed>`, motor = feature index (the Cock Ring has two) |
//! | rotate | `a0 0f 00 00 64 <speed>` |
//! | oscillate | `a0 06 01 00 64 <speed>` |
//! | constrict | `a0 0d 00 00 <14, or 00 at 0> <level>` |
//!
//! Stateless: one write per changed output, in feature order. Same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/luvmazer.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "luvmazer";

/// First byte of every packet.
const HEADER: u8 = 0xa0;
/// The intensity byte most packets carry (100).
const FULL: u8 = 0x64;
/// The constriction packet's byte 4 while constricting.
const CONSTRICT_ON: u8 = 0x14;

/// One packet per changed output (see the module table).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate, rotate, oscillate and
/// constrict; [`ProtocolError::Definition`] for a speed or feature index that does not fit in a
/// byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let value = context.value(feature, kind);
            let speed = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
            })?;
            let packet = match kind {
                OutputKind::Vibrate => {
                    let motor = u8::try_from(feature.0).map_err(|_| {
                        ProtocolError::Definition(format!("feature {feature} has no motor number"))
                    })?;
                    [HEADER, 0x01, 0x00, motor, FULL, speed]
                }
                OutputKind::Rotate => [HEADER, 0x0f, 0x00, 0x00, FULL, speed],
                OutputKind::Oscillate => [HEADER, 0x06, 0x01, 0x00, FULL, speed],
                OutputKind::Constrict => {
                    let on = if speed == 0 { 0x00 } else { CONSTRICT_ON };
                    [HEADER, 0x0d, 0x00, 0x00, on, speed]
                }
                other => {
                    return Err(ProtocolError::UnsupportedOutput {
                        protocol: NAME,
                        kind: other,
                    })
                }
            };
            Ok(HardwareCommand::write(Endpoint::Tx, packet.to_vec()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Constrict, Oscillate, Rotate, Spray, Vibrate};

    fn packet(bytes: [u8; 6]) -> HardwareCommand {
        write(Endpoint::Tx, &bytes)
    }

    #[test]
    fn upstream_case_luvmazer_protocol_bytes() {
        // Upstream test_luvmazer_protocol.yaml (Finger Magic): vibrate 0.5 of 255 → 128;
        // vibrate 0.1 → 26 with rotate 0.5 → 128; stop writes both.
        let mut finger_magic = Harness::builtin(NAME, Some("TKLM-W001-BT"));
        assert_eq!(
            finger_magic.set(&[(0, Vibrate, 128)]),
            vec![packet([0xa0, 0x01, 0x00, 0x00, 0x64, 0x80])]
        );
        assert_eq!(
            finger_magic.set(&[(0, Vibrate, 26), (1, Rotate, 128)]),
            vec![
                packet([0xa0, 0x01, 0x00, 0x00, 0x64, 0x1a]),
                packet([0xa0, 0x0f, 0x00, 0x00, 0x64, 0x80])
            ]
        );
        assert_eq!(
            finger_magic.stop(),
            vec![
                packet([0xa0, 0x01, 0x00, 0x00, 0x64, 0x00]),
                packet([0xa0, 0x0f, 0x00, 0x00, 0x64, 0x00])
            ]
        );
    }

    #[test]
    fn cock_ring_numbers_its_two_vibrators() {
        let mut ring = Harness::builtin(NAME, Some("TKLM-C003-BT"));
        assert_eq!(
            ring.set(&[(0, Vibrate, 255), (1, Vibrate, 1)]),
            vec![
                packet([0xa0, 0x01, 0x00, 0x00, 0x64, 0xff]),
                packet([0xa0, 0x01, 0x00, 0x01, 0x64, 0x01])
            ]
        );
        assert_eq!(
            ring.stop(),
            vec![
                packet([0xa0, 0x01, 0x00, 0x00, 0x64, 0x00]),
                packet([0xa0, 0x01, 0x00, 0x01, 0x64, 0x00])
            ]
        );
    }

    #[test]
    fn cat_paw_oscillates() {
        let mut paw = Harness::builtin(NAME, Some("TKLM-W003-BT-RX"));
        assert_eq!(
            paw.set(&[(1, Oscillate, 200)]),
            vec![packet([0xa0, 0x06, 0x01, 0x00, 0x64, 0xc8])]
        );
        assert_eq!(
            paw.set(&[(1, Oscillate, 0)]),
            vec![packet([0xa0, 0x06, 0x01, 0x00, 0x64, 0x00])]
        );
    }

    #[test]
    fn interstellar_constricts_with_an_on_byte() {
        let mut interstellar = Harness::builtin(NAME, Some("TKLM-C004-BT"));
        assert_eq!(
            interstellar.set(&[(2, Constrict, 54)]),
            vec![packet([0xa0, 0x0d, 0x00, 0x00, 0x14, 0x36])]
        );
        assert_eq!(
            interstellar.set(&[(0, Vibrate, 10), (1, Oscillate, 20), (2, Constrict, 27)]),
            vec![
                packet([0xa0, 0x01, 0x00, 0x00, 0x64, 0x0a]),
                packet([0xa0, 0x06, 0x01, 0x00, 0x64, 0x14]),
                packet([0xa0, 0x0d, 0x00, 0x00, 0x14, 0x1b])
            ]
        );
        assert_eq!(
            interstellar.stop(),
            vec![
                packet([0xa0, 0x01, 0x00, 0x00, 0x64, 0x00]),
                packet([0xa0, 0x06, 0x01, 0x00, 0x64, 0x00]),
                packet([0xa0, 0x0d, 0x00, 0x00, 0x00, 0x00])
            ]
        );
    }

    #[test]
    fn other_kinds_and_oversized_speeds_are_errors() {
        let mut finger_magic = Harness::builtin(NAME, Some("TKLM-W001-BT"));
        assert_eq!(
            finger_magic.try_set(&[(0, Spray, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Spray
            })
        );
        assert!(matches!(
            finger_magic.try_set(&[(1, Rotate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            finger_magic.try_set(&[(256, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

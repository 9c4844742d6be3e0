//! xibao: the Xibao smart masturbation cup (advertised as `CCYB_*`), one oscillator with 99
//! steps.
//!
//! **Wire format.** One 13-byte packet per changed oscillator, on `tx` without response:
//! `66 3a 00 06 00 06 01 02 00 02 04 <speed> <speed + b5>` — the last byte is a checksum that is
//! just the speed plus `0xb5`, mod 256 (`… 32 e7` at half speed, `… 00 b5` to stop).
//!
//! **Quirks.** None: stateless, same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/xibao.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "xibao";

/// Every packet starts with these eleven bytes.
const HEADER: [u8; 11] = [
    0x66, 0x3a, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02, 0x00, 0x02, 0x04,
];
/// Added to the speed to make the last byte.
const CHECK_OFFSET: u8 = 0xb5;

/// One packet per changed oscillator, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any output but oscillate;
/// [`ProtocolError::Definition`] for a speed outside 0–255 (the database range is 0–99).
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Oscillate => {
                let value = context.value(feature, kind);
                let speed = u8::try_from(value).map_err(|_| {
                    ProtocolError::Definition(format!("{NAME} speed {value} is not a byte"))
                })?;
                let mut packet = HEADER.to_vec();
                packet.push(speed);
                packet.push(speed.wrapping_add(CHECK_OFFSET));
                Ok(HardwareCommand::write(Endpoint::Tx, packet))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use plugd_core::{Endpoint, OutputKind};

    const HEADER: [u8; 11] = [
        0x66, 0x3a, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02, 0x00, 0x02, 0x04,
    ];

    fn packet(tail: [u8; 2]) -> Vec<u8> {
        let mut packet = HEADER.to_vec();
        packet.extend_from_slice(&tail);
        packet
    }

    fn check(device: &mut Harness, steps: &[(i32, [u8; 2])]) {
        for &(speed, tail) in steps {
            assert_eq!(
                device.set(&[(0, OutputKind::Oscillate, speed)]),
                vec![write(Endpoint::Tx, &packet(tail))],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn oscillate_writes_speed_and_speed_plus_b5() {
        check(
            &mut Harness::builtin(super::NAME, None),
            &[(0, [0x00, 0xb5]), (1, [0x01, 0xb6]), (99, [0x63, 0x18])],
        );
    }

    #[test]
    fn shared_case_half_full_then_stop() {
        // test_xibao_protocol.yaml: 0.5 of 99 steps is 50.
        let mut device = Harness::builtin(super::NAME, Some("CCYB_1904"));
        assert_eq!(device.definition.name, "Xibao Smart Masturbation Cup");
        check(&mut device, &[(50, [0x32, 0xe7]), (99, [0x63, 0x18])]);
        assert_eq!(
            device.stop(),
            vec![write(Endpoint::Tx, &packet([0x00, 0xb5]))]
        );
    }

    #[test]
    fn the_checksum_wraps_and_bad_values_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        check(&mut device, &[(0x4b, [0x4b, 0x00])]);
        assert!(device.try_set(&[(0, OutputKind::Oscillate, 256)]).is_err());
        assert!(device.try_set(&[(0, OutputKind::Vibrate, 1)]).is_err());
    }
}

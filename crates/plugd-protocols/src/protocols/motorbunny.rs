//! Motorbunny (Classic, Buck): a vibrator (0–255) and a rotator with a direction (−255–255),
//! each with its own packet on `tx`, without response. A running packet is a command byte,
//! seven repeated two-byte pairs, an additive checksum of those 14 bytes and the end byte `ec`:
//!
//! | output | running | stopped (0) |
//! |---|---|---|
//! | vibrate | `ff` + 7 × `<speed> 14` + sum + `ec` | `f0 00 00 00 00 ec` |
//! | rotate | `af` + 7 × `<2a clockwise / 29 counter-clockwise> <\|speed\|>` + sum + `ec` | `a0 00 00 00 00 ec` |
//!
//! Stateless: one write per changed output, in feature order. Same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/motorbunny.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "motorbunny";

/// Last byte of every packet.
const END: u8 = 0xec;
/// How many times a running packet repeats its pair.
const PAIRS: usize = 7;
const VIBRATE: u8 = 0xff;
const VIBRATE_STOP: [u8; 6] = [0xf0, 0x00, 0x00, 0x00, 0x00, END];
/// The second byte of every vibrate pair.
const VIBRATE_PAIR_TAIL: u8 = 0x14;
const ROTATE: u8 = 0xaf;
const ROTATE_STOP: [u8; 6] = [0xa0, 0x00, 0x00, 0x00, 0x00, END];
const CLOCKWISE: u8 = 0x2a;
const COUNTER_CLOCKWISE: u8 = 0x29;

/// One packet per changed output (see the module table).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and rotate;
/// [`ProtocolError::Definition`] for a speed beyond 255.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let value = context.value(feature, kind);
            let packet = match kind {
                OutputKind::Vibrate if value == 0 => VIBRATE_STOP.to_vec(),
                OutputKind::Vibrate => running(VIBRATE, [byte(value)?, VIBRATE_PAIR_TAIL]),
                OutputKind::Rotate if value == 0 => ROTATE_STOP.to_vec(),
                OutputKind::Rotate => {
                    let direction = if value > 0 {
                        CLOCKWISE
                    } else {
                        COUNTER_CLOCKWISE
                    };
                    running(ROTATE, [direction, byte(value.saturating_abs())?])
                }
                other => {
                    return Err(ProtocolError::UnsupportedOutput {
                        protocol: NAME,
                        kind: other,
                    })
                }
            };
            Ok(HardwareCommand::write(Endpoint::Tx, packet))
        })
        .collect()
}

/// `<command>` + 7 × pair + additive checksum of the pairs + `ec`.
fn running(command: u8, pair: [u8; 2]) -> Vec<u8> {
    let mut packet = Vec::with_capacity(2 * PAIRS + 3);
    packet.push(command);
    for _ in 0..PAIRS {
        packet.extend_from_slice(&pair);
    }
    let checksum = packet[1..]
        .iter()
        .fold(0_u8, |sum, byte| sum.wrapping_add(*byte));
    packet.push(checksum);
    packet.push(END);
    packet
}

fn byte(value: i32) -> Result<u8, ProtocolError> {
    u8::try_from(value)
        .map_err(|_| ProtocolError::Definition(format!("speed {value} does not fit in a byte")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Rotate, Vibrate};

    fn classic() -> Harness {
        Harness::builtin(NAME, Some("MB Controller"))
    }

    #[test]
    fn upstream_case_motorbunny_protocol_bytes() {
        // Upstream test_motorbunny_protocol.yaml: vibrate 0.5 → 128, 0.75 → 192; rotate 0.5
        // clockwise → 128, 0.75 counter-clockwise → −192; stop writes both stop packets.
        let mut device = classic();
        assert_eq!(
            device.set(&[(0, Vibrate, 128)]),
            vec![write(
                Endpoint::Tx,
                &[
                    0xff, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14,
                    0x80, 0x14, 0x0c, 0xec
                ]
            )]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 192)]),
            vec![write(
                Endpoint::Tx,
                &[
                    0xff, 0xc0, 0x14, 0xc0, 0x14, 0xc0, 0x14, 0xc0, 0x14, 0xc0, 0x14, 0xc0, 0x14,
                    0xc0, 0x14, 0xcc, 0xec
                ]
            )]
        );
        assert_eq!(
            device.set(&[(1, Rotate, 128)]),
            vec![write(
                Endpoint::Tx,
                &[
                    0xaf, 0x2a, 0x80, 0x2a, 0x80, 0x2a, 0x80, 0x2a, 0x80, 0x2a, 0x80, 0x2a, 0x80,
                    0x2a, 0x80, 0xa6, 0xec
                ]
            )]
        );
        assert_eq!(
            device.set(&[(1, Rotate, -192)]),
            vec![write(
                Endpoint::Tx,
                &[
                    0xaf, 0x29, 0xc0, 0x29, 0xc0, 0x29, 0xc0, 0x29, 0xc0, 0x29, 0xc0, 0x29, 0xc0,
                    0x29, 0xc0, 0x5f, 0xec
                ]
            )]
        );
        assert_eq!(
            device.stop(),
            vec![
                write(Endpoint::Tx, &[0xf0, 0x00, 0x00, 0x00, 0x00, 0xec]),
                write(Endpoint::Tx, &[0xa0, 0x00, 0x00, 0x00, 0x00, 0xec])
            ]
        );
    }

    #[test]
    fn full_speed_both_ways_and_both_outputs_at_once() {
        let mut device = Harness::builtin(NAME, Some("MB LINK 201"));
        let mut expected_vibrate = vec![0xff];
        expected_vibrate.extend([0xff, 0x14].repeat(7));
        // 7 × (0xff + 0x14) = 0x785 → 0x85 after wrapping.
        expected_vibrate.extend([0x85, 0xec]);
        let mut expected_rotate = vec![0xaf];
        expected_rotate.extend([0x29, 0xff].repeat(7));
        // 7 × (0x29 + 0xff) = 0x818 → 0x18 after wrapping.
        expected_rotate.extend([0x18, 0xec]);
        assert_eq!(
            device.set(&[(0, Vibrate, 255), (1, Rotate, -255)]),
            vec![
                write(Endpoint::Tx, &expected_vibrate),
                write(Endpoint::Tx, &expected_rotate)
            ]
        );
        let mut clockwise_one = vec![0xaf];
        clockwise_one.extend([0x2a, 0x01].repeat(7));
        clockwise_one.extend([0x2d, 0xec]);
        assert_eq!(
            device.set(&[(1, Rotate, 1)]),
            vec![write(Endpoint::Tx, &clockwise_one)]
        );
    }

    #[test]
    fn zero_writes_the_short_stop_packets() {
        let mut device = classic();
        assert_eq!(
            device.set(&[(0, Vibrate, 0), (1, Rotate, 0)]),
            vec![
                write(Endpoint::Tx, &[0xf0, 0x00, 0x00, 0x00, 0x00, 0xec]),
                write(Endpoint::Tx, &[0xa0, 0x00, 0x00, 0x00, 0x00, 0xec])
            ]
        );
    }

    #[test]
    fn other_kinds_and_oversized_speeds_are_errors() {
        let mut device = classic();
        assert_eq!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            device.try_set(&[(1, Rotate, -256)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(1, Rotate, i32::MIN)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

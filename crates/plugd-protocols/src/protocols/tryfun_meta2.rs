//! tryfun-meta2: the TryFun Meta 2 (`TF-META2`): an oscillator (index 0) and a vibrator
//! (index 1), 100 steps each, and a rotator with a direction (index 2, −100…100). One numbered
//! packet per changed output, on `tx` without response.
//!
//! **Wire format.** `<id> 02 00 05 21 05 <command> <value> <check>`: command `0b` oscillate,
//! `08` vibrate, `0e` rotate; `<id>` and `<check>` as tryfun-blackhole's (its
//! [`counted_packet`](super::tryfun_blackhole) builds both). The rotate value is a signed byte,
//! negated, with clockwise shifted by one: clockwise `s ≥ 0` is sent as `−(s + 1)`,
//! counter-clockwise `−s` as `s` (full clockwise `9b`, full counter-clockwise `64`, and a
//! stopped rotator `ff`).
//!
//! **State: the packet number.** Same limitation as tryfun-blackhole: ids are the Device's
//! counter plus the position in the encode call, exact only while each encode call writes one
//! packet. **Device support needed:** advance the counter by the number of commands written.
//! Until then the shared case fails at its Stop (expects ids 7, 8, 9; gets 6, 7, 8).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/tryfun_meta2.rs` of buttplugio/buttplug.

use super::tryfun_blackhole::{counted_packet, packet_id, speed_byte};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "tryfun-meta2";

/// Command byte of an oscillate packet.
const OSCILLATE: u8 = 0x0b;
/// Command byte of a vibrate packet.
const VIBRATE: u8 = 0x08;
/// Command byte of a rotate packet.
const ROTATE: u8 = 0x0e;
/// The bytes between the packet number and the command.
const HEADER: [u8; 5] = [0x02, 0x00, 0x05, 0x21, 0x05];

/// One numbered packet per changed output, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for outputs other than oscillate, vibrate and rotate;
/// [`ProtocolError::Definition`] for a speed outside 0–255 or a rotation outside −127…127.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .enumerate()
        .map(|(position, &(feature, kind))| {
            let value = context.value(feature, kind);
            let (command, byte) = match kind {
                OutputKind::Oscillate => (OSCILLATE, speed_byte(NAME, value)?),
                OutputKind::Vibrate => (VIBRATE, speed_byte(NAME, value)?),
                OutputKind::Rotate => (ROTATE, rotation_byte(value)?),
                other => {
                    return Err(ProtocolError::UnsupportedOutput {
                        protocol: NAME,
                        kind: other,
                    })
                }
            };
            let mut body = HEADER.to_vec();
            body.extend_from_slice(&[command, byte]);
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                counted_packet(packet_id(context, position), &body),
            ))
        })
        .collect()
}

/// Clockwise `s ≥ 0` → `−(s + 1)`, counter-clockwise `−s` → `s`, as a two's-complement byte.
fn rotation_byte(value: i32) -> Result<u8, ProtocolError> {
    let signed = if value >= 0 { -(value + 1) } else { -value };
    i8::try_from(signed)
        .map(|signed| signed.to_le_bytes()[0])
        .map_err(|_| ProtocolError::Definition(format!("{NAME} rotation {value} is out of range")))
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use plugd_core::{Endpoint, OutputKind, OutputKind::*};

    type Step<'a> = (&'a [(u32, OutputKind, i32)], &'a [&'a [u8]]);

    fn check(device: &mut Harness, steps: &[Step<'_>]) {
        for (outputs, packets) in steps {
            let expected: Vec<_> = packets
                .iter()
                .map(|bytes| write(Endpoint::Tx, bytes))
                .collect();
            assert_eq!(device.set(outputs), expected, "{outputs:?}");
        }
    }

    #[test]
    fn shared_case_until_the_first_two_packet_command() {
        // test_tryfun_meta2_protocol.yaml, as far as a Device that advances the counter per
        // encode call can follow it (module doc).
        let mut device = Harness::builtin(super::NAME, Some("TF-META2"));
        assert_eq!(device.definition.name, "TryFun Meta 2");
        check(
            &mut device,
            &[
                (
                    &[(0, Oscillate, 100)],
                    &[&[0x00, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0b, 0x64, 0x6b]],
                ),
                (
                    &[(1, Vibrate, 100)],
                    &[&[0x01, 0x02, 0x00, 0x05, 0x21, 0x05, 0x08, 0x64, 0x6e]],
                ),
                (
                    &[(2, Rotate, 100)],
                    &[&[0x02, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0x9b, 0x31]],
                ),
                (
                    &[(2, Rotate, -100)],
                    &[&[0x03, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0x64, 0x68]],
                ),
                (
                    &[(2, Rotate, -50)],
                    &[&[0x04, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0x32, 0x9a]],
                ),
                (
                    &[(0, Oscillate, 50), (1, Vibrate, 50)],
                    &[
                        &[0x05, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0b, 0x32, 0x9d],
                        &[0x06, 0x02, 0x00, 0x05, 0x21, 0x05, 0x08, 0x32, 0xa0],
                    ],
                ),
            ],
        );
    }

    #[test]
    fn shared_case_stop_bytes_with_the_counter_the_case_assumes() {
        // Seven packets precede the case's Stop; counted per packet, as upstream does, the three
        // stop packets match byte for byte (a stopped rotator is sent as −1).
        let mut device = Harness::builtin(super::NAME, None);
        device.session.counter = 7;
        assert_eq!(
            device.stop(),
            vec![
                write(
                    Endpoint::Tx,
                    &[0x07, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0b, 0x00, 0xcf]
                ),
                write(
                    Endpoint::Tx,
                    &[0x08, 0x02, 0x00, 0x05, 0x21, 0x05, 0x08, 0x00, 0xd2]
                ),
                write(
                    Endpoint::Tx,
                    &[0x09, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0xff, 0xcd]
                ),
            ]
        );
    }

    #[test]
    fn rotation_is_negated_and_clockwise_is_shifted_by_one() {
        let mut device = Harness::builtin(super::NAME, None);
        check(
            &mut device,
            &[
                (
                    &[(2, Rotate, 0)],
                    &[&[0x00, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0xff, 0xcd]],
                ),
                (
                    &[(2, Rotate, 1)],
                    &[&[0x01, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0xfe, 0xce]],
                ),
                (
                    &[(2, Rotate, -1)],
                    &[&[0x02, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0x01, 0xcb]],
                ),
            ],
        );
    }

    #[test]
    fn rotations_beyond_a_signed_byte_and_other_outputs_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        // 127 clockwise is sent as −128; 128 and −128 have no signed byte.
        assert!(device.try_set(&[(2, Rotate, 127)]).is_ok());
        assert!(device.try_set(&[(2, Rotate, 128)]).is_err());
        assert!(device.try_set(&[(2, Rotate, -128)]).is_err());
        assert!(device.try_set(&[(1, Vibrate, -1)]).is_err());
        assert!(device.try_set(&[(0, Constrict, 1)]).is_err());
    }
}

//! tryfun-blackhole: TryFun toys whose packets carry a sequence number: the Black Hole Plus
//! (`TF-BHPLUS`: an oscillator at index 0 and a vibrator at index 1, 100 steps each) and the
//! Rock (`TF-ROCK`: one vibrator, at index 1, 50 steps). One packet per changed output, on `tx`
//! without response.
//!
//! **Wire format.** `<id> 02 00 03 <command> <speed> <check>`, command `0c` for oscillate and
//! `09` for vibrate. `<id>` numbers the packets of the connection, 0, 1, 2, … wrapping at 256,
//! every packet its own number. `<check>` = `ff − (sum of the bytes after the id) + (number of
//! those bytes + 1)`, mod 256 (upstream: start at `ff`, subtract each byte after the id, add a
//! count that starts at 1). [`counted_packet`] builds these and is shared with tryfun-meta2.
//!
//! **State: the packet number.** Upstream keeps an atomic counter and takes one number per
//! packet. Here the number is the Device's [`ProtocolSession::counter`] plus the packet's
//! position in this encode call. That is exact as long as every encode call writes one packet.
//! The Device, however, advances the counter by **one per encode call**, not per packet: after a
//! command that changes both motors (two packets, ids n and n+1) the next packet gets n+1 again
//! instead of n+2. **Device support needed:** advance `counter` by the number of commands an
//! encode returned (or let a protocol ask for that), after which this encoder is exact with no
//! change. Until then the shared case fails at its Stop (expects ids 4 and 5, gets 3 and 4).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/tryfun_blackhole.rs` of
//! buttplugio/buttplug.
//!
//! [`ProtocolSession::counter`]: crate::ProtocolSession::counter

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "tryfun-blackhole";

/// Command byte of an oscillate packet.
const OSCILLATE: u8 = 0x0c;
/// Command byte of a vibrate packet.
const VIBRATE: u8 = 0x09;
/// The bytes between the packet number and the command.
const HEADER: [u8; 3] = [0x02, 0x00, 0x03];

/// One numbered packet per changed output, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for outputs other than oscillate and vibrate;
/// [`ProtocolError::Definition`] for a speed outside 0–255.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .enumerate()
        .map(|(position, &(feature, kind))| {
            let command = match kind {
                OutputKind::Oscillate => OSCILLATE,
                OutputKind::Vibrate => VIBRATE,
                other => {
                    return Err(ProtocolError::UnsupportedOutput {
                        protocol: NAME,
                        kind: other,
                    })
                }
            };
            let speed = speed_byte(NAME, context.value(feature, kind))?;
            let mut body = HEADER.to_vec();
            body.extend_from_slice(&[command, speed]);
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                counted_packet(packet_id(context, position), &body),
            ))
        })
        .collect()
}

/// The number of the `position`-th packet of this encode call: the session counter (mod 256,
/// as upstream's `u8` counter wraps) plus the position.
pub(crate) fn packet_id(context: &EncodeContext<'_>, position: usize) -> u8 {
    // Both truncations are the wrap-around of upstream's u8 counter.
    (context.session.counter as u8).wrapping_add(position as u8)
}

/// `<id> <body…> <check>`, check = `ff − sum(body) + len(body) + 1`, mod 256.
pub(crate) fn counted_packet(id: u8, body: &[u8]) -> Vec<u8> {
    let check = body
        .iter()
        .fold(0xffu8, |sum, byte| sum.wrapping_sub(*byte))
        .wrapping_add((body.len() as u8).wrapping_add(1));
    let mut packet = Vec::with_capacity(body.len() + 2);
    packet.push(id);
    packet.extend_from_slice(body);
    packet.push(check);
    packet
}

/// A speed as one byte.
pub(crate) fn speed_byte(protocol: &str, value: i32) -> Result<u8, ProtocolError> {
    u8::try_from(value)
        .map_err(|_| ProtocolError::Definition(format!("{protocol} speed {value} is not a byte")))
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
    fn each_packet_carries_the_counter_and_a_checksum() {
        let mut device = Harness::builtin(super::NAME, None);
        check(
            &mut device,
            &[
                (
                    &[(0, Oscillate, 0)],
                    &[&[0x00, 0x02, 0x00, 0x03, 0x0c, 0x00, 0xf4]],
                ),
                (
                    &[(0, Oscillate, 50)],
                    &[&[0x01, 0x02, 0x00, 0x03, 0x0c, 0x32, 0xc2]],
                ),
                (
                    &[(0, Oscillate, 100)],
                    &[&[0x02, 0x02, 0x00, 0x03, 0x0c, 0x64, 0x90]],
                ),
                (
                    &[(1, Vibrate, 0)],
                    &[&[0x03, 0x02, 0x00, 0x03, 0x09, 0x00, 0xf7]],
                ),
                (
                    &[(1, Vibrate, 50)],
                    &[&[0x04, 0x02, 0x00, 0x03, 0x09, 0x32, 0xc5]],
                ),
                (
                    &[(1, Vibrate, 100)],
                    &[&[0x05, 0x02, 0x00, 0x03, 0x09, 0x64, 0x93]],
                ),
            ],
        );
    }

    #[test]
    fn the_packet_number_wraps_at_256() {
        let mut device = Harness::builtin(super::NAME, None);
        device.session.counter = 255;
        check(
            &mut device,
            &[
                (
                    &[(1, Vibrate, 100)],
                    &[&[0xff, 0x02, 0x00, 0x03, 0x09, 0x64, 0x93]],
                ),
                (
                    &[(1, Vibrate, 50)],
                    &[&[0x00, 0x02, 0x00, 0x03, 0x09, 0x32, 0xc5]],
                ),
            ],
        );
    }

    #[test]
    fn shared_case_up_to_the_first_two_packet_command() {
        // test_tryfun_blackhole_protocol.yaml, as far as a Device that advances the counter per
        // encode call can follow it (module doc).
        let mut device = Harness::builtin(super::NAME, Some("TF-BHPLUS"));
        assert_eq!(device.definition.name, "TryFun Black Hole Plus");
        check(
            &mut device,
            &[
                (
                    &[(0, Oscillate, 100)],
                    &[&[0x00, 0x02, 0x00, 0x03, 0x0c, 0x64, 0x90]],
                ),
                (
                    &[(1, Vibrate, 100)],
                    &[&[0x01, 0x02, 0x00, 0x03, 0x09, 0x64, 0x93]],
                ),
                (
                    &[(0, Oscillate, 50), (1, Vibrate, 50)],
                    &[
                        &[0x02, 0x02, 0x00, 0x03, 0x0c, 0x32, 0xc2],
                        &[0x03, 0x02, 0x00, 0x03, 0x09, 0x32, 0xc5],
                    ],
                ),
            ],
        );
    }

    #[test]
    fn shared_case_stop_bytes_with_the_counter_the_case_assumes() {
        // The case's Stop comes after five packets: with the counter at 4 (one per packet, as
        // upstream counts) both stop packets match the case byte for byte.
        let mut device = Harness::builtin(super::NAME, Some("TF-BHPLUS"));
        device.session.counter = 4;
        assert_eq!(
            device.stop(),
            vec![
                write(Endpoint::Tx, &[0x04, 0x02, 0x00, 0x03, 0x0c, 0x00, 0xf4]),
                write(Endpoint::Tx, &[0x05, 0x02, 0x00, 0x03, 0x09, 0x00, 0xf7]),
            ]
        );
    }

    #[test]
    fn rock_vibrates_on_feature_one() {
        let mut device = Harness::builtin(super::NAME, Some("TF-ROCK"));
        assert_eq!(device.definition.name, "TryFun Rock");
        check(
            &mut device,
            &[(
                &[(1, Vibrate, 50)],
                &[&[0x00, 0x02, 0x00, 0x03, 0x09, 0x32, 0xc5]],
            )],
        );
        assert_eq!(
            device.stop(),
            vec![write(
                Endpoint::Tx,
                &[0x01, 0x02, 0x00, 0x03, 0x09, 0x00, 0xf7]
            )]
        );
    }

    #[test]
    fn bad_speeds_and_other_outputs_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(1, Vibrate, 256)]).is_err());
        assert!(device.try_set(&[(0, Rotate, 3)]).is_err());
    }
}

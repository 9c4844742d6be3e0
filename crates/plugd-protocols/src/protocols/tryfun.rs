//! tryfun: TryFun toys with one packet per motor and no packet counter: the Yuan series
//! (`TRYFUN-ONE`: an oscillator and a rotator, 9 steps each) and the Surge Pro (`TF-SPRAY`: one
//! vibrator, 4 steps). Every write goes to `tx` **with** response, one per changed output.
//!
//! **Wire format.**
//!
//! | output | packet |
//! |---|---|
//! | oscillate | `aa 02 07 <speed> <check>` |
//! | rotate | `aa 02 08 <speed> <check>` |
//! | vibrate | `00 02 00 05 <mode> <level> 01 <off> <fd − max(speed, 1)>` |
//!
//! `<check>` = `ff − (02 + command + speed) + 3`, mod 256 (upstream: start at `ff`, subtract
//! every byte after the first, add how many were subtracted). The vibrate packet has no such
//! sum: for speed 0 it is `mode 01, level 02, off 01`, otherwise `mode 02, level speed, off 00`,
//! and its last byte is `fd − speed` (`fc` when off).
//!
//! **Quirks.** The rotator has no direction (its range is unsigned). Stateless; same bytes as
//! upstream, which computes the sums with plain `u8` arithmetic that would overflow (and panic
//! in a debug build) for large speeds; here they wrap.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/tryfun.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "tryfun";

/// First two bytes of the oscillate and rotate packets.
const HEADER: [u8; 2] = [0xaa, 0x02];
/// Command byte of an oscillate packet.
const OSCILLATE: u8 = 0x07;
/// Command byte of a rotate packet.
const ROTATE: u8 = 0x08;

/// One packet per changed output, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for outputs other than oscillate, rotate and vibrate;
/// [`ProtocolError::Definition`] for a speed outside 0–255.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = || speed_byte(context.value(feature, kind));
            let packet = match kind {
                OutputKind::Oscillate => summed_packet(OSCILLATE, speed()?),
                OutputKind::Rotate => summed_packet(ROTATE, speed()?),
                OutputKind::Vibrate => vibrate_packet(speed()?),
                other => {
                    return Err(ProtocolError::UnsupportedOutput {
                        protocol: NAME,
                        kind: other,
                    })
                }
            };
            Ok(HardwareCommand::write_with_response(Endpoint::Tx, packet))
        })
        .collect()
}

/// `aa 02 <command> <speed> <check>`.
fn summed_packet(command: u8, speed: u8) -> Vec<u8> {
    let mut packet = HEADER.to_vec();
    packet.extend_from_slice(&[command, speed]);
    let summed = packet.get(1..).unwrap_or_default();
    let check = summed
        .iter()
        .fold(0xffu8, |sum, byte| sum.wrapping_sub(*byte))
        .wrapping_add(summed.len() as u8);
    packet.push(check);
    packet
}

/// `00 02 00 05 <mode> <level> 01 <off> <fd − max(speed, 1)>`.
fn vibrate_packet(speed: u8) -> Vec<u8> {
    let (mode, level, off) = if speed == 0 { (1, 2, 1) } else { (2, speed, 0) };
    vec![
        0x00,
        0x02,
        0x00,
        0x05,
        mode,
        level,
        0x01,
        off,
        0xfdu8.wrapping_sub(speed.max(1)),
    ]
}

fn speed_byte(value: i32) -> Result<u8, ProtocolError> {
    u8::try_from(value)
        .map_err(|_| ProtocolError::Definition(format!("{NAME} speed {value} is not a byte")))
}

#[cfg(test)]
mod tests {
    use crate::testing::{write_with_response, Harness};
    use plugd_core::{Endpoint, OutputKind, OutputKind::*};

    type Step<'a> = (&'a [(u32, OutputKind, i32)], &'a [&'a [u8]]);

    fn check(device: &mut Harness, steps: &[Step<'_>]) {
        for (outputs, packets) in steps {
            let expected: Vec<_> = packets
                .iter()
                .map(|bytes| write_with_response(Endpoint::Tx, bytes))
                .collect();
            assert_eq!(device.set(outputs), expected, "{outputs:?}");
        }
    }

    #[test]
    fn yuan_oscillates_and_rotates_at_off_middle_and_full_speed() {
        check(
            &mut Harness::builtin(super::NAME, None),
            &[
                (&[(0, Oscillate, 0)], &[&[0xaa, 0x02, 0x07, 0x00, 0xf9]]),
                (&[(0, Oscillate, 5)], &[&[0xaa, 0x02, 0x07, 0x05, 0xf4]]),
                (&[(0, Oscillate, 9)], &[&[0xaa, 0x02, 0x07, 0x09, 0xf0]]),
                (&[(1, Rotate, 0)], &[&[0xaa, 0x02, 0x08, 0x00, 0xf8]]),
                (&[(1, Rotate, 5)], &[&[0xaa, 0x02, 0x08, 0x05, 0xf3]]),
                (&[(1, Rotate, 9)], &[&[0xaa, 0x02, 0x08, 0x09, 0xef]]),
            ],
        );
    }

    #[test]
    fn shared_case_yuan_oscillate_both_motors_then_stop() {
        // test_tryfun_protocol.yaml: 0.5 and 0.1 of 9 steps are 5 and 1.
        let mut device = Harness::builtin(super::NAME, Some("TRYFUN-ONE"));
        assert_eq!(device.definition.name, "TryFun Yuan Series");
        check(
            &mut device,
            &[
                (&[(0, Oscillate, 5)], &[&[0xaa, 0x02, 0x07, 0x05, 0xf4]]),
                (
                    &[(0, Oscillate, 1), (1, Rotate, 5)],
                    &[
                        &[0xaa, 0x02, 0x07, 0x01, 0xf8],
                        &[0xaa, 0x02, 0x08, 0x05, 0xf3],
                    ],
                ),
            ],
        );
        assert_eq!(
            device.stop(),
            vec![
                write_with_response(Endpoint::Tx, &[0xaa, 0x02, 0x07, 0x00, 0xf9]),
                write_with_response(Endpoint::Tx, &[0xaa, 0x02, 0x08, 0x00, 0xf8]),
            ]
        );
    }

    #[test]
    fn shared_case_surge_vibrates_half_full_then_stops() {
        // test_tryfun_surge.yaml: 0.5 and 1.0 of 4 steps are 2 and 4.
        let mut device = Harness::builtin(super::NAME, Some("TF-SPRAY"));
        assert_eq!(device.definition.name, "TryFun Surge Pro");
        check(
            &mut device,
            &[
                (
                    &[(0, Vibrate, 2)],
                    &[&[0x00, 0x02, 0x00, 0x05, 0x02, 0x02, 0x01, 0x00, 0xfb]],
                ),
                (
                    &[(0, Vibrate, 4)],
                    &[&[0x00, 0x02, 0x00, 0x05, 0x02, 0x04, 0x01, 0x00, 0xf9]],
                ),
            ],
        );
        assert_eq!(
            device.stop(),
            vec![write_with_response(
                Endpoint::Tx,
                &[0x00, 0x02, 0x00, 0x05, 0x01, 0x02, 0x01, 0x01, 0xfc]
            )]
        );
    }

    #[test]
    fn surge_speed_one_has_the_same_last_byte_as_off() {
        check(
            &mut Harness::builtin(super::NAME, Some("TF-SPRAY")),
            &[(
                &[(0, Vibrate, 1)],
                &[&[0x00, 0x02, 0x00, 0x05, 0x02, 0x01, 0x01, 0x00, 0xfc]],
            )],
        );
    }

    #[test]
    fn large_speeds_wrap_their_sums_instead_of_panicking() {
        // Outside the database range (a hand-written definition could allow it): 0xff − (02 +
        // 07 + ff) + 3 wraps to 0xfa; the vibrate tail fd − ff wraps to 0xfe.
        let mut device = Harness::builtin(super::NAME, None);
        check(
            &mut device,
            &[(&[(0, Oscillate, 255)], &[&[0xaa, 0x02, 0x07, 0xff, 0xfa]])],
        );
        let mut surge = Harness::builtin(super::NAME, Some("TF-SPRAY"));
        check(
            &mut surge,
            &[(
                &[(0, Vibrate, 255)],
                &[&[0x00, 0x02, 0x00, 0x05, 0x02, 0xff, 0x01, 0x00, 0xfe]],
            )],
        );
    }

    #[test]
    fn negative_speeds_and_other_outputs_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(1, Rotate, -3)]).is_err());
        assert!(device.try_set(&[(0, Constrict, 3)]).is_err());
    }
}

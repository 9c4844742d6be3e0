//! mizzzee-v3: the Mizz Zee vibrators advertised as `XHTKJ`, one motor with 1000 steps, which
//! stop unless the current command keeps coming.
//!
//! **Wire format.** One 20-byte packet per changed vibrator, written to `tx` **with** response.
//! Speed 0 is `03 12` followed by 18 zero bytes. Any other speed `s` is scaled non-linearly:
//! `level = trunc((s / 1000 × 0.7 + 0.3) × 1023)` (f32, like upstream, so the bytes match bit
//! for bit), `word = level << 6 | 0x3c` (16 bits), and the packet is
//! `03 12 f3 | 00 fc 00 fe 40 01 | word LE | 00 fc 00 fe 40 01 | word LE | 00`: the word is
//! written twice, after the same six filler bytes. Half speed (500) gives word `a63c`, full
//! speed `fffc`. The 0.3 floor means the slowest step already runs the motor at 30 %.
//!
//! **Keepalive.** The toy needs the packet repeated: upstream's strategy re-sends the last
//! packet after 200 ms of silence; here that is the registry's keepalive (200 ms), so the
//! Device repeats it and stops the toy right after connecting (the shared case expects that
//! stop packet first).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/mizzzee_v3.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "mizzzee-v3";

/// Silence after which the Device re-sends the last packet.
pub const KEEPALIVE: Duration = Duration::from_millis(200);

/// Every packet starts with these two bytes.
const HEADER: [u8; 2] = [0x03, 0x12];
/// The third byte of a running packet.
const RUNNING: u8 = 0xf3;
/// Written before each copy of the speed word.
const FILLER: [u8; 6] = [0x00, 0xfc, 0x00, 0xfe, 0x40, 0x01];
/// The low six bits of the speed word.
const WORD_TAIL: u16 = 0x3c;
/// Length of every packet.
const PACKET_LENGTH: usize = 20;
/// The database's step count: speeds are fractions of it.
const FULL_SPEED: f32 = 1000.0;

/// One packet per changed vibrator, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any output but vibrate;
/// [`ProtocolError::Definition`] for a negative speed.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let value = context.value(feature, kind);
                let speed = u16::try_from(value).map_err(|_| {
                    ProtocolError::Definition(format!("{NAME} speed {value} is out of range"))
                })?;
                Ok(HardwareCommand::write_with_response(
                    Endpoint::Tx,
                    packet(speed),
                ))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

/// The 20-byte packet for a speed in steps (module doc).
fn packet(speed: u16) -> Vec<u8> {
    let mut packet = Vec::with_capacity(PACKET_LENGTH);
    packet.extend_from_slice(&HEADER);
    if speed == 0 {
        packet.resize(PACKET_LENGTH, 0);
        return packet;
    }
    let word = speed_word(speed).to_le_bytes();
    packet.push(RUNNING);
    packet.extend_from_slice(&FILLER);
    packet.extend_from_slice(&word);
    packet.extend_from_slice(&FILLER);
    packet.extend_from_slice(&word);
    packet.push(0);
    packet
}

/// `trunc((s / 1000 × 0.7 + 0.3) × 1023) << 6 | 0x3c`, in f32 as upstream computes it. The
/// float-to-integer cast saturates, and bits shifted out of 16 are dropped, so no speed panics.
fn speed_word(speed: u16) -> u16 {
    let fraction = f32::from(speed) / FULL_SPEED;
    let level = (fraction * 0.7 + 0.3) * 1023.0;
    // Truncation towards zero is the point: upstream's `as u16`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let level = level as u16;
    level.wrapping_shl(6) | WORD_TAIL
}

#[cfg(test)]
mod tests {
    use crate::testing::{write_with_response, Harness};
    use plugd_core::{Endpoint, OutputKind};

    const STOP: [u8; 20] = [3, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    fn running(word: [u8; 2]) -> Vec<u8> {
        let mut packet = vec![3, 18, 243, 0, 252, 0, 254, 64, 1];
        packet.extend_from_slice(&word);
        packet.extend_from_slice(&[0, 252, 0, 254, 64, 1]);
        packet.extend_from_slice(&word);
        packet.push(0);
        packet
    }

    fn check(steps: &[(i32, Vec<u8>)]) {
        let mut device = Harness::builtin(super::NAME, None);
        for (speed, bytes) in steps {
            assert_eq!(
                device.set(&[(0, OutputKind::Vibrate, *speed)]),
                vec![write_with_response(Endpoint::Tx, bytes)],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn vibrate_scales_speed_into_a_repeated_word() {
        // 1 → (0.0007 + 0.3) × 1023 = 307.6 → 307 → 0x4cfc; 250 → 485.9 → 485 → 0x797c.
        check(&[
            (0, STOP.to_vec()),
            (1, running([0xfc, 0x4c])),
            (250, running([0x7c, 0x79])),
            (500, running([0x3c, 0xa6])),
            (1000, running([0xfc, 0xff])),
        ]);
    }

    #[test]
    fn shared_case_stop_on_connect_half_full_then_stop() {
        // test_mizzzee_v3_protocol.yaml: the stop packet comes first (the Device stops
        // keepalive devices on connect), then 0.5 and 1.0 of 1000 steps, then Stop.
        let mut device = Harness::builtin(super::NAME, Some("XHTKJ"));
        assert_eq!(device.definition.name, "Mizz Zee Device");
        assert_eq!(
            device.stop(),
            vec![write_with_response(Endpoint::Tx, &STOP)]
        );
        assert_eq!(
            device.set(&[(0, OutputKind::Vibrate, 500)]),
            vec![write_with_response(
                Endpoint::Tx,
                &[3, 18, 243, 0, 252, 0, 254, 64, 1, 60, 166, 0, 252, 0, 254, 64, 1, 60, 166, 0]
            )]
        );
        assert_eq!(
            device.set(&[(0, OutputKind::Vibrate, 1000)]),
            vec![write_with_response(
                Endpoint::Tx,
                &[3, 18, 243, 0, 252, 0, 254, 64, 1, 252, 255, 0, 252, 0, 254, 64, 1, 252, 255, 0]
            )]
        );
        assert_eq!(
            device.stop(),
            vec![write_with_response(Endpoint::Tx, &STOP)]
        );
    }

    #[test]
    fn the_registry_repeats_packets_every_200_ms() {
        let protocol = crate::find(super::NAME).expect("registered");
        assert_eq!(protocol.keepalive, Some(super::KEEPALIVE));
        assert_eq!(super::KEEPALIVE.as_millis(), 200);
    }

    #[test]
    fn out_of_range_speeds_neither_panic_nor_wrap_silently() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(0, OutputKind::Vibrate, -1)]).is_err());
        // Above the database range the float saturates and the word keeps its low bits.
        assert!(device.try_set(&[(0, OutputKind::Vibrate, 65535)]).is_ok());
        assert!(device.try_set(&[(0, OutputKind::Rotate, 5)]).is_err());
    }
}

//! serveu: the ServeU stroker, one linear axis with 100 positions, moved with
//! `hw_position_with_duration`.
//!
//! **Wire format.** One 3-byte packet per move, written to `tx` without response:
//! `01 <position> <speed>`. The toy takes a speed, not a duration, so the speed is computed from
//! how far the move goes and how long it may take, in units (positions) per second:
//! `u = ceil(|position − previous| / (duration ms / 1000))`, then
//!
//! | u/s | speed byte |
//! |---|---|
//! | ≤ 0.00001 | 0 (no movement) |
//! | ≤ 50 | `ceil(u / 2)` (1–25) |
//! | ≤ 750 | `ceil((u − 50) / 4) + 25` (26–200) |
//! | ≤ 2000 | `ceil((u − 750) / 25) + 200` (201–250) |
//! | above, or not a number (0 ms for a zero-length move) | 250 (`0xfa`) |
//!
//! **State.** "previous" is the position of the last move written, which the Device passes in
//! as [`EncodeContext::previous`]; before the first move it is 0, as upstream's counter starts
//! at 0. The arithmetic is upstream's (f64), so the bytes match.
//!
//! **Quirks.** Stop does nothing: the feature has only a position output, which the Device's
//! stop leaves untouched, as upstream. A repeat of the same position is deduplicated by the
//! Device (upstream's case comments out that step for the same reason).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/serveu.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "serveu";

/// First byte of a move.
const MOVE: u8 = 0x01;
/// The fastest speed byte.
const MAX_SPEED: u8 = 0xfa;

/// One packet per changed position, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any output but `hw_position_with_duration`;
/// [`ProtocolError::Definition`] for a position outside 0–255 (the database range is 0–100).
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::HwPositionWithDuration => {
                let output = context.current.get(&(feature, kind));
                let position = position_byte(output.map_or(0, |output| output.value))?;
                let duration = output.and_then(|output| output.duration).unwrap_or(0);
                // Upstream stores every position it sent as a byte; a value that was refused
                // was never written, so anything else counts as 0 like before the first move.
                let previous = context
                    .previous_value(feature, kind)
                    .and_then(|value| u8::try_from(value).ok())
                    .unwrap_or(0);
                Ok(HardwareCommand::write(
                    Endpoint::Tx,
                    vec![MOVE, position, speed(previous, position, duration)],
                ))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

/// The speed byte for a move from `previous` to `position` in `duration_ms` (module table).
fn speed(previous: u8, position: u8, duration_ms: u32) -> u8 {
    let distance = f64::from(position.abs_diff(previous));
    let units_per_second = (distance / (f64::from(duration_ms) / 1000.0)).ceil();
    // Each branch's result is at most 250, so the casts cannot truncate.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let speed = if units_per_second <= 0.00001 {
        0
    } else if units_per_second <= 50.0 {
        (units_per_second / 2.0).ceil() as u8
    } else if units_per_second <= 750.0 {
        ((units_per_second - 50.0) / 4.0).ceil() as u8 + 25
    } else if units_per_second <= 2000.0 {
        ((units_per_second - 750.0) / 25.0).ceil() as u8 + 200
    } else {
        MAX_SPEED
    };
    speed
}

fn position_byte(value: i32) -> Result<u8, ProtocolError> {
    u8::try_from(value)
        .map_err(|_| ProtocolError::Definition(format!("{NAME} position {value} is not a byte")))
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use plugd_core::{Endpoint, OutputKind::HwPositionWithDuration};

    /// Moves (position, duration ms) in order, each with the packet expected.
    fn check(steps: &[(i32, u32, [u8; 3])]) {
        let mut device = Harness::builtin(super::NAME, None);
        for &(position, duration, bytes) in steps {
            assert_eq!(
                device.set_with_duration(&[(0, HwPositionWithDuration, position, Some(duration))]),
                vec![write(Endpoint::Tx, &bytes)],
                "position {position} in {duration} ms"
            );
        }
    }

    #[test]
    fn shared_case_speed_follows_units_per_second() {
        // test_serveu_protocol.yaml: 30 u/s, 250 u/s, 2000 u/s.
        check(&[
            (30, 1000, [0x01, 30, 15]),
            (80, 200, [0x01, 80, 75]),
            (100, 10, [0x01, 100, 250]),
        ]);
    }

    #[test]
    fn every_speed_band_has_its_formula() {
        // Durations in eighths of a second keep the f64 division exact.
        check(&[
            // 25 in 500 ms: 50 u/s → ceil(50 / 2) = 25.
            (25, 500, [0x01, 25, 25]),
            // 51 in 1 s: 51 u/s → ceil(1 / 4) + 25 = 26.
            (76, 1000, [0x01, 76, 26]),
            // 76 in 125 ms: 608 u/s → ceil(558 / 4) + 25 = 165.
            (0, 125, [0x01, 0, 165]),
            // 94 in 125 ms: 752 u/s → ceil(2 / 25) + 200 = 201.
            (94, 125, [0x01, 94, 201]),
            // 94 in 40 ms: 2350 u/s → 250.
            (0, 40, [0x01, 0, 250]),
        ]);
    }

    #[test]
    fn zero_duration_moves_at_full_speed_and_zero_distance_stands_still() {
        check(&[(40, 0, [0x01, 40, 250])]);
        // Same position again (the Device would normally dedup it; a new duration is not a
        // dup): no distance, so speed 0.
        check(&[(0, 500, [0x01, 0, 0])]);
    }

    #[test]
    fn the_first_move_starts_from_zero() {
        check(&[(100, 2000, [0x01, 100, 25])]);
    }

    #[test]
    fn stop_writes_nothing_for_a_position_only_stroker() {
        let mut device = Harness::builtin(super::NAME, Some("ServeU"));
        assert_eq!(device.definition.name, "ServeU");
        assert_eq!(device.stop(), vec![]);
    }

    #[test]
    fn bad_positions_and_other_outputs_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device
            .try_set_with_duration(&[(0, HwPositionWithDuration, 256, Some(10))])
            .is_err());
        assert!(device
            .try_set(&[(0, plugd_core::OutputKind::Vibrate, 1)])
            .is_err());
    }
}

//! Kiiroo v2 (the Fleshlight Launch and the Kiiroo Onyx 2): a stroker that takes
//! "go to this position at this speed", two bytes written to `tx` without response:
//! `<position> <speed>`, both 0–99.
//!
//! The client says "go to this position in this many milliseconds"; the speed comes from the
//! distance to the previous position and the duration, with the Launch's speed curve shared by
//! the Kiiroo v2.1 family ([`launch_speed`]). The previous position is the value this output
//! had at the previous encode (the Device keeps it; 0 before the first move, as upstream).
//!
//! **Init:** one write of `00` to the `firmware` endpoint, with response (it switches the Launch
//! from its bootloader to the application).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/kiiroo_v2.rs` and
//! `fleshlight_launch_helper.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "kiiroo-v2";

/// What init writes to `firmware`.
const START_APPLICATION: [u8; 1] = [0x00];
/// The position range's end and the speed scale: positions and speeds are 0–99.
const SCALE: f64 = 99.0;

/// Init: round 0 writes `00` to `firmware` (with response); then done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![InitStep::Send(HardwareCommand::write_with_response(
            Endpoint::Firmware,
            START_APPLICATION.to_vec(),
        ))]),
        _ => InitRound::Done,
    })
}

/// `<position> <speed>` per changed position.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but hw_position_with_duration;
/// [`ProtocolError::Definition`] for a position that does not fit a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if kind != OutputKind::HwPositionWithDuration {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind,
                });
            }
            let (position, speed) = move_bytes(context, feature)?;
            Ok(HardwareCommand::write(Endpoint::Tx, vec![position, speed]))
        })
        .collect()
}

/// The position byte and the Launch speed byte of a changed hw_position_with_duration output,
/// from its current value, its duration and its previous value. Shared by the Kiiroo v2.1
/// family.
pub(crate) fn move_bytes(
    context: &EncodeContext<'_>,
    feature: FeatureIndex,
) -> Result<(u8, u8), ProtocolError> {
    let kind = OutputKind::HwPositionWithDuration;
    let target = context.current.get(&(feature, kind));
    let position = target.map_or(0, |output| output.value);
    let duration = target.and_then(|output| output.duration).unwrap_or(0);
    let previous = context.previous_value(feature, kind).unwrap_or(0);
    let position_byte = u8::try_from(position).map_err(|_| {
        ProtocolError::Definition(format!(
            "feature {feature} position {position} does not fit a byte"
        ))
    })?;
    Ok((position_byte, launch_speed(previous, position, duration)))
}

/// The Launch speed (0–99, saturating at 255 for moves faster than the toy can go, as upstream)
/// that covers the distance between two positions (0–99) in `duration` ms. A zero distance gives
/// 0.
pub(crate) fn launch_speed(previous: i32, position: i32, duration: u32) -> u8 {
    let distance = (f64::from(previous) - f64::from(position)).abs() / SCALE;
    // `as` saturates and turns NaN (0 distance in 0 ms) into 0, exactly what upstream's cast does.
    (speed_fraction(distance, duration) * SCALE) as u8
}

/// The Launch's speed curve: the fraction of full speed that covers `distance` (a fraction of
/// the stroke, clamped to 1) in `duration` ms.
fn speed_fraction(distance: f64, duration: u32) -> f64 {
    if distance < 0.0 {
        return 0.0;
    }
    let distance = distance.min(1.0);
    let scalar = ((f64::from(duration) * 90.0) / (distance * 100.0)).powf(-1.05);
    250.0 * scalar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use crate::ProtocolSession;
    use OutputKind::{HwPositionWithDuration, Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn init_writes_zero_to_firmware_with_response_then_is_done() {
        let device = Harness::builtin(NAME, Some("Launch"));
        let session = ProtocolSession::default();
        let context = |round| InitContext {
            definition: &device.definition,
            session: &session,
            replies: &[],
            round,
        };
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![InitStep::Send(
                HardwareCommand::write_with_response(Endpoint::Firmware, vec![0x00])
            )]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn speed_follows_distance_and_duration_from_the_previous_position() {
        let mut launch = Harness::builtin(NAME, Some("Launch"));
        assert_eq!(launch.definition.name, "Fleshlight Launch");
        let moves = [
            // (position, duration ms) -> [position, speed]
            ((99, 500), [99, 40]),
            ((0, 100), [0, 219]),
            ((50, 300), [50, 33]),
            ((50, 500), [50, 0]),
            ((60, 1000), [60, 1]),
        ];
        for ((position, duration), bytes) in moves {
            assert_eq!(
                launch.set_with_duration(&[(0, HwPositionWithDuration, position, Some(duration))]),
                vec![tx(&bytes)],
                "to {position} in {duration} ms"
            );
        }
    }

    #[test]
    fn first_move_starts_from_zero() {
        let mut onyx = Harness::builtin(NAME, Some("Onyx2"));
        assert_eq!(onyx.definition.name, "Kiiroo Onyx 2");
        assert_eq!(
            onyx.set_with_duration(&[(0, HwPositionWithDuration, 99, Some(100))]),
            vec![tx(&[99, 219])]
        );
    }

    #[test]
    fn impossible_moves_saturate_and_empty_moves_stand_still() {
        assert_eq!(launch_speed(0, 99, 50), 255);
        assert_eq!(launch_speed(0, 99, 0), 255);
        assert_eq!(launch_speed(40, 40, 0), 0);
        assert_eq!(launch_speed(40, 40, 100), 0);
    }

    #[test]
    fn stop_writes_nothing_for_a_position_only_device() {
        let mut launch = Harness::builtin(NAME, Some("Launch"));
        assert_eq!(launch.stop(), vec![]);
    }

    #[test]
    fn other_kinds_and_oversized_positions_are_refused() {
        let mut launch = Harness::builtin(NAME, Some("Launch"));
        assert!(matches!(
            launch.try_set(&[(0, Vibrate, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            launch.try_set(&[(0, HwPositionWithDuration, 300)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

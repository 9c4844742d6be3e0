//! Joyroid Loob ("LOOB"): a stroker moved to a position (0–1000) over a duration.
//!
//! **Wire format.** Four bytes to `tx`: `<position, big-endian u16> <duration ms, big-endian
//! u16>`. Positions are sent as 1–1000 (0 becomes 1) and durations as at least 1 ms, as
//! upstream does. Init moves the stroker to the bottom over 500 ms, `00 01 01 F4`, *with*
//! response; moves are written without response. No keepalive, no state. A Stop writes
//! nothing: the stroker only has a position, and the Device zeroes no position on Stop.
//!
//! **Differs from upstream.** Upstream keeps the duration's low 16 bits, so a move over
//! 70 000 ms would become one over 4 464 ms; plugd writes the longest duration the packet can
//! hold (65 535 ms) instead. Moves without a duration take the 1 ms minimum.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/loob.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "loob";

/// The lowest and highest position the stroker is sent.
const POSITIONS: (u16, u16) = (1, 1000);
/// The shortest move.
const MINIMUM_DURATION: u16 = 1;
/// Init: to position 1 over 500 ms.
const INIT: [u8; 4] = [0x00, 0x01, 0x01, 0xF4];

/// One round: the move to the bottom, with response.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![InitStep::Send(HardwareCommand::write_with_response(
            Endpoint::Tx,
            INIT,
        ))]),
        _ => InitRound::Done,
    })
}

/// One `<position> <duration>` write per changed stroker.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but hw_position_with_duration;
/// [`ProtocolError::Definition`] for a feature the device lacks.
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
            let target = context.current.get(&(feature, kind));
            let position = target.map_or(0, |target| target.value);
            let position = u16::try_from(position.clamp(0, i32::from(POSITIONS.1)))
                .unwrap_or(POSITIONS.1)
                .max(POSITIONS.0);
            let duration = target.and_then(|target| target.duration).unwrap_or(0);
            let duration = u16::try_from(duration)
                .unwrap_or(u16::MAX)
                .max(MINIMUM_DURATION);
            let mut data = position.to_be_bytes().to_vec();
            data.extend(duration.to_be_bytes());
            Ok(HardwareCommand::write(Endpoint::Tx, data))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, write_with_response, Harness};
    use OutputKind::HwPositionWithDuration;

    fn loob() -> Harness {
        Harness::builtin(NAME, Some("LOOB"))
    }

    #[test]
    fn init_moves_to_the_bottom_with_response() {
        let device = loob();
        let context = |round| InitContext {
            definition: &device.definition,
            session: &device.session,
            replies: &[],
            round,
        };
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![InitStep::Send(write_with_response(
                Endpoint::Tx,
                &[0x00, 0x01, 0x01, 0xF4]
            ))]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn the_shared_case_bytes_come_out() {
        // test_loob_protocol.yaml: 0.51 over 200 ms, 1.0 over 50 ms, 0.0 over 500 ms.
        let mut device = loob();
        for (position, duration, expected) in [
            (510, 200, [0x01, 0xFE, 0x00, 0xC8]),
            (1000, 50, [0x03, 0xE8, 0x00, 0x32]),
            (0, 500, [0x00, 0x01, 0x01, 0xF4]),
        ] {
            assert_eq!(
                device.set_with_duration(&[(0, HwPositionWithDuration, position, Some(duration))]),
                vec![write(Endpoint::Tx, &expected)],
                "position {position} over {duration} ms"
            );
        }
    }

    #[test]
    fn positions_and_durations_are_kept_in_range() {
        let mut device = loob();
        for (position, duration, expected) in [
            (1, Some(0), [0x00, 0x01, 0x00, 0x01]),
            (500, None, [0x01, 0xF4, 0x00, 0x01]),
            (2000, Some(100_000), [0x03, 0xE8, 0xFF, 0xFF]),
            (-5, Some(65_535), [0x00, 0x01, 0xFF, 0xFF]),
        ] {
            assert_eq!(
                device.set_with_duration(&[(0, HwPositionWithDuration, position, duration)]),
                vec![write(Endpoint::Tx, &expected)],
                "position {position} over {duration:?}"
            );
        }
    }

    #[test]
    fn stop_writes_nothing() {
        let mut device = loob();
        device.set_with_duration(&[(0, HwPositionWithDuration, 510, Some(200))]);
        assert_eq!(device.stop(), vec![]);
    }

    #[test]
    fn other_outputs_are_errors() {
        let mut device = loob();
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Vibrate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set_with_duration(&[(3, HwPositionWithDuration, 3, Some(10))]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! realtouch: AEBN RealTouch over HID (VID `1f54`, PID `0001`) — its two treads driven
//! together as one stroke position (0–99) with a duration.
//!
//! Upstream's Rust server has no encoder for this entry; the bytes here are those of the C#
//! server that supported it (`RealTouchProtocol.cs`, buttplug-csharp commit 272e417, removed
//! in 7c353fe).
//!
//! **What goes where.** The HID DCM writes each `tx` payload as one HID output report with
//! hidapi's convention: byte 0 is the report ID (`00`, the RealTouch has none), then the 64
//! bytes of the report; every payload is 65 bytes, zero-padded. Init reads answers from `rx`
//! (the DCM's input reports).
//!
//! **Init**, in one round: write the all-zero report, read an answer; write command `0a`, read;
//! write `06 02 a0 80 e8 03`, read. C# reads each answer and ignores it; plugd waits up to 1 s
//! for each (a read that fails fails the connection).
//!
//! **Moves.** A "vector" command, components from the RealTouch CDK (the format RealTouch
//! movies were encoded in):
//!
//! | report byte | value |
//! |---|---|
//! | 1 | `02` (vector) |
//! | 2 | component `20` (both treads, "U"), `+ 80` to move back (below the previous position) |
//! | 3 | magnitude `40 + 215 · speed`, truncated |
//! | 4–5 | duration in ms, little-endian |
//! | 6–11 | in/out envelopes, unused (0) |
//!
//! speed is the Fleshlight Launch curve C# borrows: distance `d` = |position − previous| / 99
//! (previous = the position at the previous move, 0 before the first), `d ≤ 0` → 0, else
//! `250 · (duration · 90 / (min(d, 1) · 100))^−1.05`. The floor of 40 is C#'s: below it the
//! treads barely move.
//!
//! **Differences from C#.** The speed is clamped to 0–1 (C# lets fast moves exceed 1 and casts
//! the overflowing magnitude to a byte, which wraps to a slow one); durations above 65535 ms
//! are written as 65535 (C# keeps the low 16 bits, so 70 s became 4.5 s). C#'s stop wrote the
//! "stop all" command (`01 60`); the Device sends nothing to a position-only feature on Stop
//! (device-config.md §2.6), so plugd never writes it — that needs a protocol stop hook in the
//! Device.
//!
//! ref: buttplug-csharp `Buttplug/Devices/Protocols/RealTouchProtocol.cs` and
//! `FleshlightHelper.cs`.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "realtouch";

/// Report ID byte plus the 64-byte report.
const REPORT_LENGTH: usize = 65;
/// How long init waits for each answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(1);
/// The init commands after the all-zero report.
const INIT_SECOND: [u8; 1] = [0x0a];
const INIT_THIRD: [u8; 6] = [0x06, 0x02, 0xa0, 0x80, 0xe8, 0x03];
/// Command byte of a vector (move).
const VECTOR: u8 = 0x02;
/// Component "U": both treads.
const BOTH_TREADS: u8 = 0x20;
/// Added to the component to move backward.
const BACKWARD: u8 = 0x80;
/// Positions run 0–99.
const POSITION_SCALE: f64 = 99.0;
/// The slowest magnitude that still moves the treads, and the span above it.
const MIN_MAGNITUDE: f64 = 40.0;
const MAGNITUDE_SPAN: f64 = 255.0 - MIN_MAGNITUDE;

/// Init: round 0 writes the three init reports, each followed by a read of `rx`; then done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => {
            let read = InitStep::Read {
                endpoint: Endpoint::Rx,
                length: 0,
                timeout: ANSWER_TIMEOUT,
            };
            InitRound::Steps(vec![
                InitStep::Send(HardwareCommand::write(Endpoint::Tx, report(&[]))),
                read.clone(),
                InitStep::Send(HardwareCommand::write(Endpoint::Tx, report(&INIT_SECOND))),
                read.clone(),
                InitStep::Send(HardwareCommand::write(Endpoint::Tx, report(&INIT_THIRD))),
                read,
            ])
        }
        _ => InitRound::Done,
    })
}

/// One vector report per changed position.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but hw_position_with_duration;
/// [`ProtocolError::Definition`] for a changed output the definition lacks.
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
            let declared = context
                .definition
                .feature(feature)
                .is_some_and(|found| found.output(kind).is_some());
            if !declared {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} has no {kind} output"
                )));
            }
            let target = context.current.get(&(feature, kind));
            let position = f64::from(target.map_or(0, |output| output.value)) / POSITION_SCALE;
            let previous =
                f64::from(context.previous_value(feature, kind).unwrap_or(0)) / POSITION_SCALE;
            let duration = target.and_then(|output| output.duration).unwrap_or(0);
            let component = if position < previous {
                BOTH_TREADS + BACKWARD
            } else {
                BOTH_TREADS
            };
            let speed = launch_speed((position - previous).abs(), duration).clamp(0.0, 1.0);
            // In 40.0..=255.0 after the clamp; `as` truncates like C#'s cast.
            let magnitude = (MIN_MAGNITUDE + MAGNITUDE_SPAN * speed) as u8;
            let [low, high] = u16::try_from(duration).unwrap_or(u16::MAX).to_le_bytes();
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                report(&[VECTOR, component, magnitude, low, high]),
            ))
        })
        .collect()
}

/// The Fleshlight Launch speed (a fraction, unclamped above) that covers `distance` (a
/// fraction of the stroke) in `duration` ms; 0 for no distance, +∞ for no time.
fn launch_speed(distance: f64, duration: u32) -> f64 {
    if distance <= 0.0 {
        return 0.0;
    }
    let distance = distance.min(1.0);
    250.0 * ((f64::from(duration) * 90.0) / (distance * 100.0)).powf(-1.05)
}

/// `command` after the report ID `00`, zero-padded to 65 bytes.
fn report(command: &[u8]) -> Vec<u8> {
    let mut report = vec![0_u8; REPORT_LENGTH];
    for (slot, byte) in report[1..].iter_mut().zip(command) {
        *slot = *byte;
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use crate::ProtocolSession;
    use OutputKind::{HwPositionWithDuration, Vibrate};

    /// A 65-byte report: `00`, then `bytes`, then zeros.
    fn tx(bytes: &[u8]) -> HardwareCommand {
        let mut report = vec![0x00];
        report.extend_from_slice(bytes);
        report.resize(65, 0);
        write(Endpoint::Tx, &report)
    }

    #[test]
    fn init_writes_three_reports_each_followed_by_a_read() {
        let realtouch = Harness::builtin(NAME, None);
        assert_eq!(realtouch.definition.name, "RealTouch");
        let session = ProtocolSession::default();
        let context = |round| InitContext {
            definition: &realtouch.definition,
            session: &session,
            replies: &[],
            round,
        };
        let read = InitStep::Read {
            endpoint: Endpoint::Rx,
            length: 0,
            timeout: Duration::from_secs(1),
        };
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![
                InitStep::Send(tx(&[])),
                read.clone(),
                InitStep::Send(tx(&[0x0a])),
                read.clone(),
                InitStep::Send(tx(&[0x06, 0x02, 0xa0, 0x80, 0xe8, 0x03])),
                read,
            ]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn moves_carry_direction_magnitude_and_duration() {
        let mut realtouch = Harness::builtin(NAME, None);
        for (position, duration, expected) in [
            // 0 → 99 in 1 s: speed 0.198 → magnitude 82.
            (99, 1000, [0x02, 0x20, 0x52, 0xe8, 0x03]),
            // 99 → 0 in 500 ms, backward: speed 0.409 → 128.
            (0, 500, [0x02, 0xa0, 0x80, 0xf4, 0x01]),
            // 0 → 50 in 2 s: speed 0.047 → 50.
            (50, 2000, [0x02, 0x20, 0x32, 0xd0, 0x07]),
            // 50 → 60 in 700 ms: speed 0.026 → 45.
            (60, 700, [0x02, 0x20, 0x2d, 0xbc, 0x02]),
        ] {
            assert_eq!(
                realtouch.set_with_duration(&[(
                    0,
                    HwPositionWithDuration,
                    position,
                    Some(duration)
                )]),
                vec![tx(&expected)],
                "to {position} in {duration} ms"
            );
        }
    }

    #[test]
    fn too_fast_moves_run_at_full_magnitude_and_long_ones_cap_the_duration() {
        let mut realtouch = Harness::builtin(NAME, None);
        assert_eq!(
            realtouch.set_with_duration(&[(0, HwPositionWithDuration, 99, Some(100))]),
            vec![tx(&[0x02, 0x20, 0xff, 0x64, 0x00])]
        );
        assert_eq!(
            realtouch.set_with_duration(&[(0, HwPositionWithDuration, 0, None)]),
            vec![tx(&[0x02, 0xa0, 0xff, 0x00, 0x00])]
        );
        assert_eq!(
            realtouch.set_with_duration(&[(0, HwPositionWithDuration, 1, Some(100_000))]),
            vec![tx(&[0x02, 0x20, 0x28, 0xff, 0xff])]
        );
    }

    #[test]
    fn the_launch_curve_is_zero_without_distance_and_clamps_distance_to_one() {
        assert_eq!(launch_speed(0.0, 500), 0.0);
        assert_eq!(launch_speed(-0.5, 500), 0.0);
        assert_eq!(launch_speed(2.0, 1000), launch_speed(1.0, 1000));
        assert!(launch_speed(1.0, 0).is_infinite());
    }

    #[test]
    fn stop_writes_nothing_and_no_keepalive_is_registered() {
        let realtouch = Harness::builtin(NAME, None);
        assert!(realtouch
            .definition
            .features
            .iter()
            .all(|feature| OutputKind::STOP_ORDER
                .iter()
                .all(|kind| feature.output(*kind).is_none())));
        let protocol = crate::find(NAME).expect("registered");
        assert!(protocol.initialize.is_some());
        assert!(protocol.keepalive.is_none());
    }

    #[test]
    fn other_kinds_and_undeclared_features_are_refused() {
        let mut realtouch = Harness::builtin(NAME, None);
        assert_eq!(
            realtouch.try_set(&[(0, Vibrate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Vibrate
            })
        );
        assert!(matches!(
            realtouch.try_set(&[(1, HwPositionWithDuration, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

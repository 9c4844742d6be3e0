//! Fredorch Rotary: machines advertised as "M1_…" ("Fredorch Rotary Device"); one oscillating
//! output, speeds 0–20. The machine has no "set speed" command, only buttons' worth of
//! commands: one step faster, one step slower, stop. It reports no state back (upstream warns:
//! if it beeps twice it has powered off and must be reconnected).
//!
//! **Frames.** Every frame is `55 <length> <payload…> <check> aa`, the check the sum of the
//! length and payload bytes: `55 03 01 04 aa` one step faster, `55 03 02 05 aa` one step
//! slower, `55 03 24 27 aa` stop. All go to `tx` without response.
//!
//! **Init.** Subscribe to `rx`, then four frames, each followed by up to 100 ms for a
//! notification (from any endpoint, as upstream; a missing one is fine — after the password
//! the machine answers nothing): `55 03 99 9c aa` start the handshake, `55 09 21 00 00 00 00 00
//! 00 2a aa` the password, `55 03 1f 22 aa` power up, `55 03 24 27 aa` stop. So the machine
//! starts at speed 0.
//!
//! **Speeds.** Upstream keeps a current and a target speed and runs a loop that, while they
//! differ, writes one step frame toward the target after another (no pause between them) and
//! sleeps 100 ms once they agree; a target of 0 writes the stop frame at once and resets the
//! current speed. plugd computes the same frames from the previous and the new value: 0 → one
//! stop frame; a higher speed → one "faster" frame per step from the previous speed (0 at
//! first and after a stop); a lower one → one "slower" frame per step. All of one command's
//! frames are written together, as upstream's loop does between two sleeps. (If a new command
//! came in while upstream's loop was still stepping, it would head for the new target from
//! wherever it had got to; plugd writes every step of a command at once, so there is nothing in
//! between.) No keepalive: the loop never repeats a frame.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/fredorch_rotary.rs` of
//! buttplugio/buttplug (no device case upstream); same frames as upstream.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "fredorch-rotary";

/// How long each init frame waits for an answer.
const REPLY_TIMEOUT: Duration = Duration::from_millis(100);

/// The init frames, in order: handshake, password, power up, stop.
const INIT_FRAMES: [&[u8]; 4] = [
    &[0x55, 0x03, 0x99, 0x9C, 0xAA],
    &[
        0x55, 0x09, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A, 0xAA,
    ],
    &[0x55, 0x03, 0x1F, 0x22, 0xAA],
    &[0x55, 0x03, 0x24, 0x27, 0xAA],
];

/// One step faster.
const FASTER: u8 = 0x01;
/// One step slower.
const SLOWER: u8 = 0x02;
/// Stop.
const STOP: u8 = 0x24;

/// One round: subscribe to `rx`, then each init frame with up to 100 ms for an answer.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    if context.round > 0 {
        return Ok(InitRound::Done);
    }
    let mut steps = vec![InitStep::Send(HardwareCommand::Subscribe {
        endpoint: Endpoint::Rx,
    })];
    steps.extend(
        INIT_FRAMES
            .iter()
            .map(|frame| InitStep::SendAwaitNotification {
                command: HardwareCommand::write(Endpoint::Tx, frame.to_vec()),
                endpoint: None,
                timeout: REPLY_TIMEOUT,
                attempts: 1,
            }),
    );
    Ok(InitRound::Steps(steps))
}

/// The step frames from the previous speed to the new one, or the stop frame for 0.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but oscillate; [`ProtocolError::Definition`]
/// for a feature without an oscillating output or a speed outside 0–255.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mut commands = Vec::new();
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Oscillate {
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
        let speed = |value: i32| {
            u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
            })
        };
        let target = speed(context.value(feature, kind))?;
        let previous = speed(context.previous_value(feature, kind).unwrap_or(0))?;
        let (command, steps) = if target == 0 {
            (STOP, 1)
        } else if target > previous {
            (FASTER, target - previous)
        } else {
            (SLOWER, previous - target)
        };
        commands.extend(std::iter::repeat_n(
            HardwareCommand::write(Endpoint::Tx, frame(command)),
            usize::from(steps),
        ));
    }
    Ok(commands)
}

/// `55 03 <command> <command + 3> aa`.
fn frame(command: u8) -> Vec<u8> {
    vec![0x55, 0x03, command, command.wrapping_add(0x03), 0xAA]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn rotary() -> Harness {
        Harness::builtin(NAME, Some("M1_1234"))
    }

    fn frames(command: [u8; 5], count: usize) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, &command); count]
    }

    const UP: [u8; 5] = [0x55, 0x03, 0x01, 0x04, 0xaa];
    const DOWN: [u8; 5] = [0x55, 0x03, 0x02, 0x05, 0xaa];
    const HALT: [u8; 5] = [0x55, 0x03, 0x24, 0x27, 0xaa];

    #[test]
    fn init_subscribes_and_sends_four_frames_each_waiting_100_ms() {
        let device = rotary();
        let context = |round| InitContext {
            definition: &device.definition,
            session: &device.session,
            replies: &[],
            round,
        };
        let send = |bytes: &[u8]| InitStep::SendAwaitNotification {
            command: write(Endpoint::Tx, bytes),
            endpoint: None,
            timeout: Duration::from_millis(100),
            attempts: 1,
        };
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![
                InitStep::Send(HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }),
                send(&[0x55, 0x03, 0x99, 0x9c, 0xaa]),
                send(&[0x55, 0x09, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xaa]),
                send(&[0x55, 0x03, 0x1f, 0x22, 0xaa]),
                send(&HALT),
            ]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn frame_checks_add_the_length_to_the_payload() {
        for init_frame in INIT_FRAMES {
            let length = usize::from(init_frame[1]);
            let sum = init_frame[1..length]
                .iter()
                .fold(0u8, |sum, byte| sum.wrapping_add(*byte));
            assert_eq!(init_frame[length], sum, "{init_frame:02x?}");
        }
        assert_eq!(frame(FASTER), UP);
        assert_eq!(frame(SLOWER), DOWN);
        assert_eq!(frame(STOP), HALT);
    }

    #[test]
    fn speeds_are_reached_one_step_at_a_time() {
        let mut device = rotary();
        assert_eq!(device.definition.name, "Fredorch Rotary Device");
        assert_eq!(device.set(&[(0, Oscillate, 10)]), frames(UP, 10));
        assert_eq!(device.set(&[(0, Oscillate, 13)]), frames(UP, 3));
        assert_eq!(device.set(&[(0, Oscillate, 11)]), frames(DOWN, 2));
        assert_eq!(device.set(&[(0, Oscillate, 20)]), frames(UP, 9));
        assert_eq!(device.set(&[(0, Oscillate, 1)]), frames(DOWN, 19));
    }

    #[test]
    fn zero_is_one_stop_frame_and_the_next_speed_counts_from_zero() {
        let mut device = rotary();
        assert_eq!(device.set(&[(0, Oscillate, 7)]), frames(UP, 7));
        assert_eq!(device.stop(), frames(HALT, 1));
        assert_eq!(device.set(&[(0, Oscillate, 2)]), frames(UP, 2));
        assert_eq!(device.set(&[(0, Oscillate, 0)]), frames(HALT, 1));
    }

    #[test]
    fn a_stop_before_any_speed_still_sends_the_stop_frame() {
        let mut device = rotary();
        assert_eq!(device.stop(), frames(HALT, 1));
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = rotary();
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Oscillate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

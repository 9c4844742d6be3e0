//! ossm: the open-source sex machine OSSM by Kinky Makers / Research And Desire (advertised
//! `OSSM`, v5 database). One feature with two outputs: stroke speed (oscillate, 0–100) for the
//! machine's own stroke engine, and streamed positions (hw_position_with_duration, 0–100 over a
//! duration in ms).
//!
//! **Wire format.** ASCII commands written **with** response to `tx` (the command
//! characteristic `…1000…`): `go:menu`, `go:strokeEngine`, `go:streaming` switch the machine's
//! mode; `set:<speed|depth|stroke>:<0–100>` set a parameter; `stream:<position>:<duration ms>`
//! moves in streaming mode. `txmode` (`…1010…`) configures the speed knob: `false` makes BLE
//! speeds absolute instead of a share of the knob's position. The machine reports its state as
//! JSON notifications on `rx` (`…2000…`, `{"state":"strokeEngine.idle",…}`); init subscribes to
//! it, as upstream.
//!
//! **Modes.** A speed needs the stroke engine, a position needs streaming. Entering a mode is
//! `go:menu`, `go:<mode>`, then the settings upstream sends once the machine reports that mode:
//! `false` to `txmode`, `set:depth:100`, `set:stroke:100`, and for streaming `set:speed:100`.
//! Then the command itself: `set:speed:<v>` or `stream:<position>:<duration>`. A speed of 0
//! outside the stroke engine writes nothing (upstream does not switch modes to stop), so Stop
//! (speed 0) while streaming is silent, as upstream's.
//!
//! **Where plugd differs, and what the Device lacks.**
//! - Upstream sends the mode's settings when the machine's state notification reports the
//!   mode (after homing). The Device cannot write in answer to a notification, so plugd sends
//!   them right after `go:<mode>`; a machine that refuses `set:` before it is ready answers
//!   `fail:…` and keeps its knob-limited speed. Needs Device support: notification-triggered
//!   writes.
//! - Upstream remembers its mode in an atomic. plugd works it out from what the Device passes
//!   in: no packet written yet (session counter 0) → no mode; only speeds ever written → stroke
//!   engine; only positions → streaming; both → stroke engine while the last speed is not 0,
//!   else streaming. That is exact as long as a connection uses one of the two outputs, or
//!   stops the engine (speed 0) before streaming. Two mixed sequences come out differently
//!   from upstream: streaming while the engine was left running re-enters streaming on every
//!   position, and running the engine after streaming and then stopping it makes the next
//!   positions go out without re-entering streaming. Exact tracking needs Device support: which
//!   of a feature's outputs was written last (or a protocol-owned mode in the session).
//!
//! The built-in entry (`config/protocols/ossm.json`) leaves out the published entry's
//! `"description": "Stroke Speed"` on the oscillate output: plugd's loader does not keep output
//! descriptions, and its built-in files may not carry keys it would ignore.
//!
//! ref: `src/device/protocol_impl/ossm.rs` of the `buttplug_server` 12 crate; the command set
//! is the OSSM firmware's BLE protocol (KinkyMakers/OSSM-hardware, `ble.mdx`).

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "ossm";

/// The machine's one feature.
const MACHINE: FeatureIndex = FeatureIndex(0);

/// The machine's mode as far as plugd can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing written yet on this connection.
    Unknown,
    /// The stroke engine runs speeds.
    StrokeEngine,
    /// Streaming takes positions.
    Streaming,
}

/// Init: subscribe to the state notifications on `rx` (one round).
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    if context.round > 0 {
        return Ok(InitRound::Done);
    }
    Ok(InitRound::Steps(vec![InitStep::Send(
        HardwareCommand::Subscribe {
            endpoint: Endpoint::Rx,
        },
    )]))
}

/// The commands for this command's speed and/or position, entering the mode each needs first
/// (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than oscillate and
/// hw_position_with_duration; [`ProtocolError::Definition`] for a feature other than the
/// machine's or a negative value.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mut mode = mode_before(context);
    let mut commands = Vec::new();
    for &(feature, kind) in context.changed {
        if !matches!(
            kind,
            OutputKind::Oscillate | OutputKind::HwPositionWithDuration
        ) {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        if feature != MACHINE {
            return Err(ProtocolError::Definition(format!(
                "OSSM has one feature, not {feature}"
            )));
        }
        let value = context.value(feature, kind);
        let value = u32::try_from(value)
            .map_err(|_| ProtocolError::Definition(format!("{kind} value {value} is negative")))?;
        if kind == OutputKind::Oscillate {
            if mode != Mode::StrokeEngine {
                if value == 0 {
                    continue;
                }
                enter(&mut commands, Mode::StrokeEngine);
                mode = Mode::StrokeEngine;
            }
            commands.push(command(&format!("set:speed:{value}")));
        } else {
            if mode != Mode::Streaming {
                enter(&mut commands, Mode::Streaming);
                mode = Mode::Streaming;
            }
            let duration = context
                .current
                .get(&(feature, kind))
                .and_then(|output| output.duration)
                .unwrap_or(0);
            commands.push(command(&format!("stream:{value}:{duration}")));
        }
    }
    Ok(commands)
}

/// The mode the machine is in before this command (see the module doc).
fn mode_before(context: &EncodeContext<'_>) -> Mode {
    if context.session.counter == 0 {
        return Mode::Unknown;
    }
    let speed = context.previous_value(MACHINE, OutputKind::Oscillate);
    let position = context.previous_value(MACHINE, OutputKind::HwPositionWithDuration);
    match (speed, position) {
        (Some(speed), Some(_)) if speed != 0 => Mode::StrokeEngine,
        (_, Some(_)) => Mode::Streaming,
        (Some(_), None) => Mode::StrokeEngine,
        (None, None) => Mode::Unknown,
    }
}

/// `go:menu`, `go:<mode>`, then the mode's settings.
fn enter(commands: &mut Vec<HardwareCommand>, mode: Mode) {
    commands.push(command("go:menu"));
    commands.push(command(if mode == Mode::Streaming {
        "go:streaming"
    } else {
        "go:strokeEngine"
    }));
    commands.push(HardwareCommand::write_with_response(
        Endpoint::TxMode,
        b"false".to_vec(),
    ));
    commands.push(command("set:depth:100"));
    commands.push(command("set:stroke:100"));
    if mode == Mode::Streaming {
        commands.push(command("set:speed:100"));
    }
}

/// An ASCII command to `tx`, with response.
fn command(text: &str) -> HardwareCommand {
    HardwareCommand::write_with_response(Endpoint::Tx, text.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use crate::ProtocolSession;
    use OutputKind::{HwPositionWithDuration, Oscillate, Vibrate};

    fn tx(text: &str) -> HardwareCommand {
        write_with_response(Endpoint::Tx, text.as_bytes())
    }

    fn knob_independent() -> HardwareCommand {
        write_with_response(Endpoint::TxMode, b"false")
    }

    fn enter_stroke_engine() -> Vec<HardwareCommand> {
        vec![
            tx("go:menu"),
            tx("go:strokeEngine"),
            knob_independent(),
            tx("set:depth:100"),
            tx("set:stroke:100"),
        ]
    }

    fn enter_streaming() -> Vec<HardwareCommand> {
        vec![
            tx("go:menu"),
            tx("go:streaming"),
            knob_independent(),
            tx("set:depth:100"),
            tx("set:stroke:100"),
            tx("set:speed:100"),
        ]
    }

    fn then(mut first: Vec<HardwareCommand>, last: &[HardwareCommand]) -> Vec<HardwareCommand> {
        first.extend_from_slice(last);
        first
    }

    fn ossm() -> Harness {
        Harness::builtin(NAME, Some("OSSM"))
    }

    fn stream(device: &mut Harness, position: i32, duration: u32) -> Vec<HardwareCommand> {
        device.set_with_duration(&[(0, HwPositionWithDuration, position, Some(duration))])
    }

    #[test]
    fn the_machine_has_speed_and_position_on_one_feature() {
        let device = ossm();
        assert_eq!(device.definition.name, "Kinky Makers OSSM");
        let feature = device.definition.feature(MACHINE).expect("feature 0");
        assert!(feature.output(Oscillate).is_some());
        assert!(feature.output(HwPositionWithDuration).is_some());
    }

    #[test]
    fn init_subscribes_to_the_state_notifications() {
        let device = ossm();
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
                HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }
            )]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn the_first_speed_enters_the_stroke_engine_then_speeds_go_straight_out() {
        let mut device = ossm();
        assert_eq!(
            device.set(&[(0, Oscillate, 50)]),
            then(enter_stroke_engine(), &[tx("set:speed:50")])
        );
        assert_eq!(
            device.set(&[(0, Oscillate, 100)]),
            vec![tx("set:speed:100")]
        );
        assert_eq!(device.set(&[(0, Oscillate, 1)]), vec![tx("set:speed:1")]);
        assert_eq!(device.stop(), vec![tx("set:speed:0")]);
        assert_eq!(device.set(&[(0, Oscillate, 30)]), vec![tx("set:speed:30")]);
    }

    #[test]
    fn stop_before_anything_else_writes_nothing() {
        let mut device = ossm();
        assert!(device.stop().is_empty());
        assert_eq!(
            device.set(&[(0, Oscillate, 20)]),
            then(enter_stroke_engine(), &[tx("set:speed:20")])
        );
    }

    #[test]
    fn the_first_position_enters_streaming_then_positions_go_straight_out() {
        let mut device = ossm();
        assert_eq!(
            stream(&mut device, 100, 500),
            then(enter_streaming(), &[tx("stream:100:500")])
        );
        assert_eq!(stream(&mut device, 0, 250), vec![tx("stream:0:250")]);
        assert_eq!(stream(&mut device, 42, 0), vec![tx("stream:42:0")]);
        assert!(device.stop().is_empty(), "a stop while streaming is silent");
        assert_eq!(stream(&mut device, 60, 100), vec![tx("stream:60:100")]);
    }

    #[test]
    fn switching_between_engine_and_streaming_enters_the_other_mode() {
        let mut device = ossm();
        device.set(&[(0, Oscillate, 40)]);
        device.stop();
        assert_eq!(
            stream(&mut device, 10, 300),
            then(enter_streaming(), &[tx("stream:10:300")])
        );
        assert_eq!(stream(&mut device, 20, 300), vec![tx("stream:20:300")]);
        assert_eq!(
            device.set(&[(0, Oscillate, 70)]),
            then(enter_stroke_engine(), &[tx("set:speed:70")])
        );
        assert_eq!(device.set(&[(0, Oscillate, 80)]), vec![tx("set:speed:80")]);
        assert_eq!(
            stream(&mut device, 30, 300),
            then(enter_streaming(), &[tx("stream:30:300")])
        );
    }

    #[test]
    fn speed_and_position_in_one_frame_run_the_speed_first() {
        let mut device = ossm();
        let mut expected = enter_stroke_engine();
        expected.push(tx("set:speed:25"));
        expected.extend(enter_streaming());
        expected.push(tx("stream:75:1000"));
        assert_eq!(
            device.set_with_duration(&[
                (0, Oscillate, 25, None),
                (0, HwPositionWithDuration, 75, Some(1000))
            ]),
            expected
        );
    }

    #[test]
    fn other_kinds_features_and_negative_values_are_refused() {
        let mut device = ossm();
        assert_eq!(
            device.try_set(&[(0, Vibrate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Vibrate
            })
        );
        assert!(matches!(
            device.try_set(&[(1, Oscillate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut device = ossm();
        assert!(matches!(
            device.try_set(&[(0, Oscillate, -5)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

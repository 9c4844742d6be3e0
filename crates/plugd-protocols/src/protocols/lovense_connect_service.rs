//! Lovense Connect (the Lovense Connect phone/desktop app's local HTTP API): toys paired with the
//! app, driven through it. The toy type the app reports (`Max`, `Edge`, `Nora`, …) is the
//! identifier. The network transport is a separate piece; this file only makes the commands.
//!
//! **What the encoder writes.** One UTF-8 command line per write to `tx`, without response:
//! `<Command>?<parameters>`, the same command names and `v` values as upstream
//! (`Vibrate1?v=10`). The toy id is deliberately *not* in the line: it is the hardware's address,
//! which the encoder does not see. **Transport contract:** for each `tx` write, request
//! `<app base URL>/<line>` with `t=<toy id>` appended as one more parameter (`&t=…`, or just
//! `t=…` after a bare `?`); a read of `rx` answers one byte, the toy's battery percentage as the
//! app last reported it.
//!
//! | output | line |
//! |---|---|
//! | vibrate on feature `i` (0–20) | `Vibrate<i+1>?v=<n>` |
//! | oscillate on a toy that also vibrates (Gravity) or on the Solace | `Thrusting?v=<n>` |
//! | oscillate on any other toy (Sex Machine) | `Vibrate<i+1>?v=<n>` |
//! | constrict (Max, 0–3) | `AirAuto?v=<n>` |
//! | rotate (Nora, Ridge: −20–20; Flexer 0–20) | `Rotate?v=<\|n\|>`, then `RotateChange?` when the direction differs from the previous value's |
//!
//! **Init:** the Solace first gets `Depth?v=3` (upstream hard-codes this until depth can be
//! controlled).
//!
//! **Rotation direction** is a toggle on the toy (`RotateChange`), so it is derived from values:
//! the toy starts clockwise (non-negative values); a command whose sign (negative or not)
//! differs from the previous value's writes `RotateChange?` after `Rotate`, so the toy's
//! direction always follows the sign of the last value (a zero after a negative one turns it
//! back, while stopped).
//!
//! **Differs from upstream**, where this protocol overrides the output dispatcher and so only
//! ever writes vibrate and oscillate lines: (1) rotation is written at all (upstream's rotate
//! handler is unreachable; its intent — `Rotate`, then `RotateChange` on a direction change —
//! is kept, but with the magnitude as `v`, since the API takes 0–20, and without upstream's
//! stray leading `/`); (2) constriction writes `AirAuto` (upstream sends it for oscillation on
//! toys with no vibrator, which its own comment says was meant for the Max's air pump, and sends
//! nothing for the Max's constrict output); (3) oscillation on a toy that does not also vibrate
//! takes the vibrate command, as upstream's comment intends ("the Ridge only oscillates but
//! takes the vibrate command").
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/lovense_connect_service.rs` and
//! `crates/buttplug_server_hwmgr_lovense_connect/` of buttplugio/buttplug.

use crate::{
    EncodeContext, InitContext, InitRound, InitStep, InputReadPlan, ProtocolError, ReadSource,
};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, InputKind, OutputKind};

/// Database key.
pub const NAME: &str = "lovense-connect-service";

/// The toy that gets a depth setting at init.
const SOLACE: &str = "Solace";
/// Its init line.
const SOLACE_DEPTH: &str = "Depth?v=3";
/// Flips the rotation direction.
const ROTATE_CHANGE: &str = "RotateChange?";

/// Init: `Depth?v=3` for the Solace, nothing for other toys.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    let solace =
        identifier(context.definition, context.session.identifier.as_deref()) == Some(SOLACE);
    Ok(if context.round == 0 && solace {
        InitRound::Steps(vec![InitStep::Send(line(SOLACE_DEPTH.to_owned()))])
    } else {
        InitRound::Done
    })
}

/// One line per changed output, two for a rotation that changes direction (see the module
/// table).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds the API has no command for.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let definition = context.definition;
    let solace = identifier(definition, context.session.identifier.as_deref()) == Some(SOLACE);
    let vibrates = definition.outputs_of(OutputKind::Vibrate).next().is_some();
    let mut commands = Vec::with_capacity(context.changed.len());
    for &(feature, kind) in context.changed {
        let value = context.value(feature, kind);
        let motor = u64::from(feature.0) + 1;
        match kind {
            OutputKind::Vibrate => commands.push(line(format!("Vibrate{motor}?v={value}"))),
            OutputKind::Oscillate if vibrates || solace => {
                commands.push(line(format!("Thrusting?v={value}")));
            }
            OutputKind::Oscillate => commands.push(line(format!("Vibrate{motor}?v={value}"))),
            OutputKind::Constrict => commands.push(line(format!("AirAuto?v={value}"))),
            OutputKind::Rotate => {
                commands.push(line(format!("Rotate?v={}", value.unsigned_abs())));
                let was_counter_clockwise = context.previous_value(feature, kind).unwrap_or(0) < 0;
                if (value < 0) != was_counter_clockwise {
                    commands.push(line(ROTATE_CHANGE.to_owned()));
                }
            }
            other => {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind: other,
                })
            }
        }
    }
    Ok(commands)
}

/// Battery: a read of `rx`, one byte holding the percentage the app last reported.
///
/// # Errors
/// [`ProtocolError::UnsupportedInput`] for any other input kind.
pub fn read_input(
    _definition: &DeviceDefinition,
    feature: FeatureIndex,
    kind: InputKind,
) -> Result<InputReadPlan, ProtocolError> {
    match kind {
        InputKind::Battery => Ok(InputReadPlan {
            send: Vec::new(),
            source: ReadSource::Read {
                endpoint: Endpoint::Rx,
                length: 1,
            },
            parse: parse_battery,
        }),
        other => Err(ProtocolError::UnsupportedInput {
            protocol: NAME,
            what: format!("{other} on feature {feature}"),
        }),
    }
}

/// Byte 0, a percentage.
///
/// # Errors
/// [`ProtocolError::BadReply`] for an empty read or a value above 100.
fn parse_battery(reply: &[u8]) -> Result<i32, ProtocolError> {
    match reply.first() {
        Some(&percent) if percent <= 100 => Ok(i32::from(percent)),
        other => Err(ProtocolError::BadReply(format!(
            "battery reading {other:?} is not a percentage"
        ))),
    }
}

/// The toy type: the definition's identifier, else the session's.
fn identifier<'a>(definition: &'a DeviceDefinition, session: Option<&'a str>) -> Option<&'a str> {
    definition.identifier.as_deref().or(session)
}

/// A command line to `tx`.
fn line(text: String) -> HardwareCommand {
    HardwareCommand::write(Endpoint::Tx, text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use crate::ProtocolSession;
    use OutputKind::{Constrict, HwPositionWithDuration, Oscillate, Rotate, Vibrate};

    fn lines(texts: &[&str]) -> Vec<HardwareCommand> {
        texts
            .iter()
            .map(|text| write(Endpoint::Tx, text.as_bytes()))
            .collect()
    }

    fn init(toy: &str, round: u32) -> Result<InitRound, ProtocolError> {
        let device = Harness::builtin(NAME, Some(toy));
        let session = ProtocolSession::default();
        initialize(&InitContext {
            definition: &device.definition,
            session: &session,
            replies: &[],
            round,
        })
    }

    #[test]
    fn vibrators_are_numbered_from_one() {
        let mut edge = Harness::builtin(NAME, Some("Edge"));
        assert_eq!(edge.definition.name, "Lovense Edge");
        assert_eq!(edge.set(&[(0, Vibrate, 10)]), lines(&["Vibrate1?v=10"]));
        assert_eq!(
            edge.set(&[(0, Vibrate, 20), (1, Vibrate, 5)]),
            lines(&["Vibrate1?v=20", "Vibrate2?v=5"])
        );
        assert_eq!(edge.stop(), lines(&["Vibrate1?v=0", "Vibrate2?v=0"]));
    }

    #[test]
    fn single_vibrator_toys_use_vibrate1() {
        let mut lush = Harness::builtin(NAME, Some("Lush"));
        assert_eq!(lush.definition.name, "Lovense Lush");
        assert_eq!(lush.set(&[(0, Vibrate, 0)]), lines(&["Vibrate1?v=0"]));
        assert_eq!(lush.set(&[(0, Vibrate, 20)]), lines(&["Vibrate1?v=20"]));
    }

    #[test]
    fn max_pumps_air_for_constriction() {
        let mut max = Harness::builtin(NAME, Some("Max"));
        assert_eq!(max.definition.name, "Lovense Max");
        assert_eq!(
            max.set(&[(0, Vibrate, 10), (1, Constrict, 3)]),
            lines(&["Vibrate1?v=10", "AirAuto?v=3"])
        );
        assert_eq!(max.stop(), lines(&["Vibrate1?v=0", "AirAuto?v=0"]));
    }

    #[test]
    fn gravity_thrusts_and_the_sex_machine_takes_the_vibrate_command() {
        let mut gravity = Harness::builtin(NAME, Some("Gravity"));
        assert_eq!(
            gravity.set(&[(0, Vibrate, 4), (1, Oscillate, 12)]),
            lines(&["Vibrate1?v=4", "Thrusting?v=12"])
        );
        let mut machine = Harness::builtin(NAME, Some("XMachine"));
        assert_eq!(machine.definition.name, "Lovense Sex Machine");
        assert_eq!(
            machine.set(&[(0, Oscillate, 15)]),
            lines(&["Vibrate1?v=15"])
        );
    }

    #[test]
    fn solace_thrusts_and_gets_a_depth_at_init() {
        let mut solace = Harness::builtin(NAME, Some("Solace"));
        assert_eq!(
            solace.set(&[(0, Oscillate, 20)]),
            lines(&["Thrusting?v=20"])
        );
        assert_eq!(
            init("Solace", 0),
            Ok(InitRound::Steps(vec![InitStep::Send(write(
                Endpoint::Tx,
                b"Depth?v=3"
            ))]))
        );
        assert_eq!(init("Solace", 1), Ok(InitRound::Done));
        assert_eq!(init("Lush", 0), Ok(InitRound::Done));
    }

    #[test]
    fn rotation_toggles_direction_when_the_sign_changes() {
        let mut nora = Harness::builtin(NAME, Some("Nora"));
        assert_eq!(nora.definition.name, "Lovense Nora");
        assert_eq!(nora.set(&[(1, Rotate, 10)]), lines(&["Rotate?v=10"]));
        assert_eq!(
            nora.set(&[(1, Rotate, -10)]),
            lines(&["Rotate?v=10", "RotateChange?"])
        );
        assert_eq!(nora.set(&[(1, Rotate, -20)]), lines(&["Rotate?v=20"]));
        assert_eq!(
            nora.stop(),
            lines(&["Vibrate1?v=0", "Rotate?v=0", "RotateChange?"])
        );
        assert_eq!(
            nora.set(&[(1, Rotate, -5)]),
            lines(&["Rotate?v=5", "RotateChange?"])
        );
        assert_eq!(
            nora.set(&[(1, Rotate, 5)]),
            lines(&["Rotate?v=5", "RotateChange?"])
        );
    }

    #[test]
    fn flexer_rotates_one_way() {
        let mut flexer = Harness::builtin(NAME, Some("Flexer"));
        assert_eq!(flexer.set(&[(1, Rotate, 20)]), lines(&["Rotate?v=20"]));
        assert_eq!(flexer.set(&[(1, Rotate, 0)]), lines(&["Rotate?v=0"]));
    }

    #[test]
    fn outputs_without_a_command_are_refused() {
        let mut lush = Harness::builtin(NAME, Some("Lush"));
        assert!(matches!(
            lush.try_set(&[(0, HwPositionWithDuration, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
    }

    #[test]
    fn battery_is_byte_zero_of_an_rx_read() {
        let lush = Harness::builtin(NAME, Some("Lush"));
        let plan =
            read_input(&lush.definition, FeatureIndex(1), InputKind::Battery).expect("battery");
        assert!(plan.send.is_empty());
        assert_eq!(
            plan.source,
            ReadSource::Read {
                endpoint: Endpoint::Rx,
                length: 1
            }
        );
        assert_eq!((plan.parse)(&[100]), Ok(100));
        assert_eq!((plan.parse)(&[0, 7]), Ok(0));
        assert!(matches!((plan.parse)(&[]), Err(ProtocolError::BadReply(_))));
        assert!(matches!(
            (plan.parse)(&[101]),
            Err(ProtocolError::BadReply(_))
        ));
        assert!(matches!(
            read_input(&lush.definition, FeatureIndex(1), InputKind::Rssi),
            Err(ProtocolError::UnsupportedInput { .. })
        ));
    }
}

//! Love Distance: the Reach, Reach G, Mag, Span, Range, Orbit, Join G, Link, Grasp and Receive,
//! over a BLE service with `tx` (writes without response) and `rx` (unused).
//!
//! **Init.** Two writes before the device is announced: `f3 00 00` (vibration off), then
//! `f4 01`.
//!
//! **Wire format.** One packet per changed vibrator: `f3 00 <value>`, values in the database's
//! 0–121 steps. The packet names no motor: every toy has one.
//!
//! **Differences from upstream.** None in the bytes; values that do not fit a byte are an error
//! instead of being truncated.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/lovedistance.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "lovedistance";

/// The two init writes.
const INIT_OFF: [u8; 3] = [0xf3, 0x00, 0x00];
const INIT_ENABLE: [u8; 2] = [0xf4, 0x01];
/// The bytes before the value.
const COMMAND_HEADER: [u8; 2] = [0xf3, 0x00];

/// Round 0 writes `f3 00 00` and `f4 01` without response; then init is done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![
            InitStep::Send(HardwareCommand::write(Endpoint::Tx, INIT_OFF)),
            InitStep::Send(HardwareCommand::write(Endpoint::Tx, INIT_ENABLE)),
        ]),
        _ => InitRound::Done,
    })
}

/// One `f3 00 <value>` per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for other kinds; [`ProtocolError::Definition`] when a
/// changed output is not in the definition or its value does not fit a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if kind != OutputKind::Vibrate {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind,
                });
            }
            let present = context
                .definition
                .feature(feature)
                .is_some_and(|found| found.output(kind).is_some());
            if !present {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} has no {kind} output"
                )));
            }
            let value = context.value(feature, kind);
            let value = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("{kind} value {value} does not fit a byte"))
            })?;
            let mut packet = COMMAND_HEADER.to_vec();
            packet.push(value);
            Ok(HardwareCommand::write(Endpoint::Tx, packet))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::initialize;
    use crate::testing::{write, Harness};
    use crate::{InitContext, InitRound, InitStep, ProtocolError};
    use plugd_core::{Endpoint, OutputKind};

    #[test]
    fn init_switches_vibration_off_then_enables_the_toy() {
        let reach = Harness::builtin(super::NAME, Some("REACH"));
        let round = |round| {
            initialize(&InitContext {
                definition: &reach.definition,
                session: &reach.session,
                replies: &[],
                round,
            })
        };
        assert_eq!(
            round(0),
            Ok(InitRound::Steps(vec![
                InitStep::Send(write(Endpoint::Tx, &[0xf3, 0x00, 0x00])),
                InitStep::Send(write(Endpoint::Tx, &[0xf4, 0x01])),
            ]))
        );
        assert_eq!(round(1), Ok(InitRound::Done));
    }

    #[test]
    fn reach_writes_off_middle_and_full_speed() {
        let mut reach = Harness::builtin(super::NAME, Some("REACH"));
        assert_eq!(reach.definition.name, "Love Distance Reach");
        for (value, byte) in [(61, 0x3d), (121, 0x79)] {
            assert_eq!(
                reach.set(&[(0, OutputKind::Vibrate, value)]),
                vec![write(Endpoint::Tx, &[0xf3, 0x00, byte])]
            );
        }
        assert_eq!(reach.stop(), vec![write(Endpoint::Tx, &[0xf3, 0x00, 0x00])]);
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut unknown = Harness::builtin(super::NAME, None);
        assert!(matches!(
            unknown.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            unknown.try_set(&[(1, OutputKind::Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

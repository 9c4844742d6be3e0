//! Kiiroo v1 (the first-generation Onyx and Pearl, 2014–2016): ASCII over a serial-port-like BLE
//! service (Microchip's transparent UART). Every command is one level and a terminator,
//! `<level>,\n`, written to `tx` without response, the level an integer 0–4. To the Pearl it is
//! the vibration level; to the Onyx the position of its pressure rings.
//!
//! The reference server has **no encoder** for this protocol today (device-config.md §1.8); the
//! bytes come from two public descriptions that agree:
//! - buttplug-csharp's `KiirooGen1Protocol.cs` (buttplugio/buttplug-csharp, e.g. commit
//!   `ebc80428`), the implementation Buttplug shipped before its Rust rewrite;
//! - STPIHKAL's "Kiiroo Onyx/Pearl 1" page (buttplugio/stpihkal; stpihkal.docs.buttplug.io):
//!   "`x,\n` where x is an integer from 0-4".
//!
//! | output | packet |
//! |---|---|
//! | vibrate (Pearl, 0–4) | `<level>,\n` |
//! | hw_position_with_duration (Onyx, 0–4) | `<4 − position>,\n`: buttplug-csharp inverted client positions (`1 − position`) and plugd keeps that orientation |
//!
//! **Init** (buttplug-csharp): subscribe to `rx` (the Onyx needs the subscription to work), write
//! `01 00` to `command` with response ("mode select"), then `0,` (`30 2C`) to `tx` with response
//! ("set to start position").
//!
//! **Differs from buttplug-csharp.** It moved the Onyx towards a target over the requested
//! duration from a 50 ms timer, writing intermediate levels, and re-sent the current level every
//! 500 ms to keep the Onyx awake. plugd writes the target level at once (with five levels an
//! interpolation has at most four steps) and registers a 500 ms keepalive that re-sends the last
//! packet — the Pearl gets the same repeat of its current level, which changes nothing. Being a
//! keepalive protocol, the Pearl is also stopped (`0,\n`) right after connecting.
//!
//! ref (settings only): the v4 database entry `kiiroo-v1` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "kiiroo-v1";

/// How often buttplug-csharp pinged the Onyx with its current level.
pub const KEEPALIVE: Duration = Duration::from_millis(500);

/// The highest level.
const TOP_LEVEL: i32 = 4;
/// "Mode select", written to `command` at init.
const MODE_SELECT: [u8; 2] = [0x01, 0x00];
/// "Set to start position" (`0,`), written to `tx` at init.
const START_POSITION: [u8; 2] = *b"0,";

/// Init: round 0 subscribes to `rx` and writes the mode select and start position (both with
/// response); then done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![
            InitStep::Send(HardwareCommand::Subscribe {
                endpoint: Endpoint::Rx,
            }),
            InitStep::Send(HardwareCommand::write_with_response(
                Endpoint::Command,
                MODE_SELECT.to_vec(),
            )),
            InitStep::Send(HardwareCommand::write_with_response(
                Endpoint::Tx,
                START_POSITION.to_vec(),
            )),
        ]),
        _ => InitRound::Done,
    })
}

/// `<level>,\n` per changed output (see the module table).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and
/// hw_position_with_duration; [`ProtocolError::Definition`] for a value outside 0–4.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let value = context.value(feature, kind);
            if !(0..=TOP_LEVEL).contains(&value) {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} {kind} value {value} is outside 0-{TOP_LEVEL}"
                )));
            }
            let level = match kind {
                OutputKind::Vibrate => value,
                OutputKind::HwPositionWithDuration => TOP_LEVEL - value,
                other => {
                    return Err(ProtocolError::UnsupportedOutput {
                        protocol: NAME,
                        kind: other,
                    })
                }
            };
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                format!("{level},\n").into_bytes(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, write_with_response, Harness};
    use crate::ProtocolSession;
    use OutputKind::{HwPositionWithDuration, Rotate, Vibrate};

    fn tx(text: &str) -> HardwareCommand {
        write(Endpoint::Tx, text.as_bytes())
    }

    #[test]
    fn init_subscribes_selects_the_mode_and_sets_the_start_position() {
        let pearl = Harness::builtin(NAME, Some("PEARL"));
        let session = ProtocolSession::default();
        let context = |round| InitContext {
            definition: &pearl.definition,
            session: &session,
            replies: &[],
            round,
        };
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![
                InitStep::Send(HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }),
                InitStep::Send(write_with_response(Endpoint::Command, &[0x01, 0x00])),
                InitStep::Send(write_with_response(Endpoint::Tx, &[0x30, 0x2c])),
            ]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn pearl_vibrates_at_the_level() {
        let mut pearl = Harness::builtin(NAME, Some("PEARL"));
        assert_eq!(pearl.definition.name, "Kiiroo Pearl");
        assert_eq!(pearl.set(&[(0, Vibrate, 0)]), vec![tx("0,\n")]);
        assert_eq!(pearl.set(&[(0, Vibrate, 2)]), vec![tx("2,\n")]);
        assert_eq!(pearl.set(&[(0, Vibrate, 4)]), vec![tx("4,\n")]);
        assert_eq!(pearl.stop(), vec![tx("0,\n")]);
    }

    #[test]
    fn onyx_positions_are_inverted() {
        let mut onyx = Harness::builtin(NAME, Some("ONYX"));
        assert_eq!(onyx.definition.name, "Kiiroo Onyx");
        let moves = [(0, "4,\n"), (1, "3,\n"), (2, "2,\n"), (4, "0,\n")];
        for (position, text) in moves {
            assert_eq!(
                onyx.set_with_duration(&[(0, HwPositionWithDuration, position, Some(300))]),
                vec![tx(text)]
            );
        }
        assert_eq!(onyx.stop(), vec![]);
    }

    #[test]
    fn other_kinds_and_levels_outside_the_range_are_refused() {
        let mut pearl = Harness::builtin(NAME, Some("PEARL"));
        assert!(matches!(
            pearl.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        for value in [-1, 5, i32::MAX] {
            assert!(matches!(
                pearl.try_set(&[(0, Vibrate, value)]),
                Err(ProtocolError::Definition(_))
            ));
        }
    }
}

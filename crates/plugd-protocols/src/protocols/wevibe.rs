//! WeVibe (4-bit): the older We-Vibe toys (4 Plus, Sync, Nova, Gala, Pivot, Bloom, Ditto, Jive,
//! Rave, Verge, Wish), over a BLE service with `tx` (writes, all with response) and `rx`.
//!
//! **Init.** Two writes before the device is announced: `0f 03 00 99 00 03 00 00`, then the
//! all-off packet `0f 00 00 00 00 00 00 00`.
//!
//! **Wire format.** One packet holds both motors, whatever changed. With an internal speed `i`
//! and an external speed `e` (database steps 0–15):
//!
//! ```text
//! both 0:    0f 00 00 00 00 00 00 00
//! otherwise: 0f 03 00 <e | i << 4> 00 03 00 00
//! ```
//!
//! The internal motor is the first vibrator in feature order, the external one the second; a
//! one-motor toy sends its speed as both (Pivot at half speed: `0f 03 00 88 00 03 00 00`).
//!
//! The 8-bit (`wevibe-8bit`) and Chorus (`wevibe-chorus`) protocols share the motor pairing
//! (`motor_speeds`) and the all-off packet, with their own byte layouts.
//!
//! **Differences from upstream.** Upstream keeps the two speeds in atomics indexed by feature
//! index; here they come from the current values of the first two vibrate features, which is the
//! same pairing for every database device. Speeds beyond a nibble are an error instead of
//! spilling into the other motor.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/wevibe.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "wevibe";

/// The first init write.
const INIT: [u8; 8] = [0x0f, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00];
/// Both motors off (also the second init write).
pub(crate) const ALL_OFF: [u8; 8] = [0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

/// Round 0 writes the two init packets with response; then init is done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![
            InitStep::Send(HardwareCommand::write_with_response(Endpoint::Tx, INIT)),
            InitStep::Send(HardwareCommand::write_with_response(Endpoint::Tx, ALL_OFF)),
        ]),
        _ => InitRound::Done,
    })
}

/// The (internal, external) motor speeds of a WeVibe packet: the current values of the first
/// and second vibrate features in feature order; a one-motor toy gives its speed for both.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] (naming `protocol`) for a changed output that is not a
/// vibrator; [`ProtocolError::Definition`] when a changed output is not in the definition, is a
/// third vibrator, or a speed does not fit a byte.
pub(crate) fn motor_speeds(
    protocol: &'static str,
    context: &EncodeContext<'_>,
) -> Result<(u8, u8), ProtocolError> {
    let vibrators: Vec<_> = context
        .definition
        .outputs_of(OutputKind::Vibrate)
        .map(|(feature, _)| feature.index)
        .collect();
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Vibrate {
            return Err(ProtocolError::UnsupportedOutput { protocol, kind });
        }
        match vibrators.iter().position(|&index| index == feature) {
            Some(0 | 1) => {}
            Some(_) => {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} is a third vibrator; packets carry two"
                )))
            }
            None => {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} has no {kind} output"
                )))
            }
        }
    }
    let speed = |position: usize| {
        let value = vibrators
            .get(position)
            .map_or(0, |&feature| context.value(feature, OutputKind::Vibrate));
        u8::try_from(value)
            .map_err(|_| ProtocolError::Definition(format!("speed {value} does not fit a byte")))
    };
    let internal = speed(0)?;
    let external = if vibrators.len() > 1 {
        speed(1)?
    } else {
        internal
    };
    Ok((internal, external))
}

/// One packet with both motors (see the module doc).
///
/// # Errors
/// As `motor_speeds`, and [`ProtocolError::Definition`] for a speed above 15.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let (internal, external) = motor_speeds(NAME, context)?;
    let data = if internal == 0 && external == 0 {
        ALL_OFF
    } else {
        if internal > 0x0f || external > 0x0f {
            return Err(ProtocolError::Definition(format!(
                "speeds {internal} and {external} do not fit a nibble"
            )));
        }
        [
            0x0f,
            0x03,
            0x00,
            external | (internal << 4),
            0x00,
            0x03,
            0x00,
            0x00,
        ]
    };
    Ok(vec![HardwareCommand::write_with_response(
        Endpoint::Tx,
        data,
    )])
}

#[cfg(test)]
mod tests {
    use super::initialize;
    use crate::testing::{write_with_response, Harness};
    use crate::{InitContext, InitRound, InitStep, ProtocolError};
    use plugd_core::{Endpoint, HardwareCommand, OutputKind};
    use OutputKind::Vibrate;

    fn packet(bytes: &[u8]) -> Vec<HardwareCommand> {
        vec![write_with_response(Endpoint::Tx, bytes)]
    }

    #[test]
    fn init_writes_the_two_packets_of_the_cases() {
        let pivot = Harness::builtin(super::NAME, Some("Pivot"));
        let round = |round| {
            initialize(&InitContext {
                definition: &pivot.definition,
                session: &pivot.session,
                replies: &[],
                round,
            })
        };
        assert_eq!(
            round(0),
            Ok(InitRound::Steps(vec![
                InitStep::Send(write_with_response(
                    Endpoint::Tx,
                    &[0x0f, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00]
                )),
                InitStep::Send(write_with_response(
                    Endpoint::Tx,
                    &[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
                )),
            ]))
        );
        assert_eq!(round(1), Ok(InitRound::Done));
    }

    #[test]
    fn four_plus_packs_internal_high_and_external_low_as_in_its_case() {
        let mut four_plus = Harness::builtin(super::NAME, Some("4plus"));
        assert_eq!(four_plus.definition.name, "WeVibe 4 Plus");
        assert_eq!(
            four_plus.set(&[(0, Vibrate, 8), (1, Vibrate, 4)]),
            packet(&[0x0f, 0x03, 0x00, 0x84, 0x00, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            four_plus.set(&[(0, Vibrate, 12), (1, Vibrate, 8)]),
            packet(&[0x0f, 0x03, 0x00, 0xc8, 0x00, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            four_plus.set(&[(0, Vibrate, 0)]),
            packet(&[0x0f, 0x03, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            four_plus.set(&[(0, Vibrate, 15), (1, Vibrate, 15)]),
            packet(&[0x0f, 0x03, 0x00, 0xff, 0x00, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            four_plus.stop(),
            packet(&[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        );
    }

    #[test]
    fn pivot_sends_its_one_speed_as_both_motors_as_in_its_case() {
        let mut pivot = Harness::builtin(super::NAME, Some("Pivot"));
        assert_eq!(
            pivot.set(&[(0, Vibrate, 8)]),
            packet(&[0x0f, 0x03, 0x00, 0x88, 0x00, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            pivot.set(&[(0, Vibrate, 12)]),
            packet(&[0x0f, 0x03, 0x00, 0xcc, 0x00, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            pivot.stop(),
            packet(&[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        );
    }

    #[test]
    fn other_kinds_missing_outputs_and_oversized_speeds_are_errors() {
        let mut pivot = Harness::builtin(super::NAME, None);
        assert!(matches!(
            pivot.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            pivot.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            pivot.try_set(&[(0, Vibrate, 16)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

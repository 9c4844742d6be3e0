//! Amorelie Joy (Shimmer, Move, Grow, Shuffle, Cha-Cha, Boogie, Salsa; advertised as `4D01` …
//! `4D09`): one vibrator. Init writes `03` to `tx` (without response) once, before anything
//! else; after that every speed is `01 01 <speed>` on `tx` without response — `01` a fixed
//! header, `01` the "steady" pattern, speed 0–100 (0 stops).
//!
//! Stateless: one write per changed vibrate output. Same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/amorelie_joy.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "amorelie-joy";

/// What init writes before the toy accepts speeds.
const INIT: u8 = 0x03;
/// Header of every speed packet.
const HEADER: u8 = 0x01;
/// The "steady" pattern (the toy has others; plugd drives the speed only).
const STEADY: u8 = 0x01;

/// Round 0 writes `03` to `tx`; then init is done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![InitStep::Send(HardwareCommand::write(
            Endpoint::Tx,
            vec![INIT],
        ))]),
        _ => InitRound::Done,
    })
}

/// `01 01 <speed>` per changed vibrate output.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any other kind; [`ProtocolError::Definition`] for
/// a speed that does not fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let value = context.value(feature, kind);
                let speed = u8::try_from(value).map_err(|_| {
                    ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
                })?;
                Ok(HardwareCommand::write(
                    Endpoint::Tx,
                    vec![HEADER, STEADY, speed],
                ))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn shimmer() -> Harness {
        Harness::builtin(NAME, Some("4D01"))
    }

    fn round(device: &Harness, round: u32) -> Result<InitRound, ProtocolError> {
        initialize(&InitContext {
            definition: &device.definition,
            session: &device.session,
            replies: &[],
            round,
        })
    }

    #[test]
    fn init_writes_03_once_without_response() {
        let device = shimmer();
        assert_eq!(
            round(&device, 0),
            Ok(InitRound::Steps(vec![InitStep::Send(write(
                Endpoint::Tx,
                &[0x03]
            ))]))
        );
        assert_eq!(round(&device, 1), Ok(InitRound::Done));
    }

    #[test]
    fn speed_follows_the_steady_pattern_header() {
        let mut device = shimmer();
        for (speed, expected) in [(0, 0x00), (50, 0x32), (100, 0x64)] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, &[0x01, 0x01, expected])],
                "{speed}"
            );
        }
    }

    #[test]
    fn shared_case_amorelie_joy_protocol_bytes() {
        // test_amorelie_joy_protocol.yaml: init `03`, 0.5 → 50, 1.0 → 100, stop.
        let mut device = shimmer();
        assert_eq!(
            device.set(&[(0, Vibrate, 50)]),
            vec![write(Endpoint::Tx, &[0x01, 0x01, 0x32])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 100)]),
            vec![write(Endpoint::Tx, &[0x01, 0x01, 0x64])]
        );
        assert_eq!(
            device.stop(),
            vec![write(Endpoint::Tx, &[0x01, 0x01, 0x00])]
        );
    }

    #[test]
    fn unknown_models_fall_back_to_one_vibrator() {
        let mut device = Harness::builtin(NAME, Some("4D09"));
        assert_eq!(device.definition.name, "Amorelie Joy Device");
        assert_eq!(
            device.set(&[(0, Vibrate, 7)]),
            vec![write(Endpoint::Tx, &[0x01, 0x01, 0x07])]
        );
    }

    #[test]
    fn other_kinds_and_oversized_speeds_are_errors() {
        let mut device = shimmer();
        assert_eq!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 300)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

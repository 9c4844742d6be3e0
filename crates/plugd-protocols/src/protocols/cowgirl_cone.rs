//! The Cowgirl Cone ("CG-CONE"): one vibrator, speeds 0–128.
//!
//! **Wire format.** Init writes `AA 56 00 00` to `tx` (without response) and then gives the toy
//! three seconds before anything else: upstream sleeps 3 s inside its initializer, plugd asks
//! the Device for the same pause (`InitStep::Wait`). A speed is `F1 01 <speed> 00`, one write
//! per changed vibrator, without response; `F1 01 00 00` stops it.
//!
//! **The shared case.** test_cowgirl_cone_protocol.yaml expects `F1 01 32 00` for half speed
//! and `F1 01 40 00` for 0.75: it was written for a 0–100 range (and even then 0.75 would be
//! 75), while the database says 0–128, where half speed is 64 (`F1 01 40 00`). Upstream never
//! runs the case (its 3 s init pause also outlasts the runner's wait for the device); the unit
//! tests below check its byte sequences as device values 50 and 64.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/cowgirl_cone.rs` of
//! buttplugio/buttplug; same bytes and pause as upstream.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "cowgirl-cone";

/// The init write.
const INIT: [u8; 4] = [0xAA, 0x56, 0x00, 0x00];
/// How long the toy needs after the init write.
const INIT_PAUSE: Duration = Duration::from_secs(3);

/// One round: write `AA 56 00 00`, then wait 3 s.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![
            InitStep::Send(HardwareCommand::write(Endpoint::Tx, INIT)),
            InitStep::Wait(INIT_PAUSE),
        ]),
        _ => InitRound::Done,
    })
}

/// One `F1 01 <speed> 00` write per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate;
/// [`ProtocolError::Definition`] for a feature the device lacks or a speed beyond a byte.
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
            let speed = context.value(feature, kind);
            let speed = u8::try_from(speed).map_err(|_| {
                ProtocolError::Definition(format!("speed {speed} does not fit in a byte"))
            })?;
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                vec![0xF1, 0x01, speed, 0x00],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::Vibrate;

    fn cone() -> Harness {
        Harness::builtin(NAME, Some("CG-CONE"))
    }

    #[test]
    fn init_writes_aa_56_then_waits_three_seconds() {
        let device = cone();
        assert_eq!(device.definition.name, "The Cowgirl Cone");
        let context = |round| InitContext {
            definition: &device.definition,
            session: &device.session,
            replies: &[],
            round,
        };
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![
                InitStep::Send(write(Endpoint::Tx, &[0xAA, 0x56, 0x00, 0x00])),
                InitStep::Wait(Duration::from_secs(3)),
            ]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn speed_is_the_third_byte() {
        let mut device = cone();
        for (speed, byte) in [(0, 0x00), (64, 0x40), (128, 0x80)] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, &[0xF1, 0x01, byte, 0x00])],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn the_shared_case_byte_sequences_come_out_for_their_device_values() {
        // test_cowgirl_cone_protocol.yaml (stale, see the module doc): 50, 64, then Stop.
        let mut device = cone();
        assert_eq!(
            device.set(&[(0, Vibrate, 50)]),
            vec![write(Endpoint::Tx, &[0xF1, 0x01, 0x32, 0x00])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 64)]),
            vec![write(Endpoint::Tx, &[0xF1, 0x01, 0x40, 0x00])]
        );
        assert_eq!(
            device.stop(),
            vec![write(Endpoint::Tx, &[0xF1, 0x01, 0x00, 0x00])]
        );
    }

    #[test]
    fn other_outputs_are_errors() {
        let mut device = cone();
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

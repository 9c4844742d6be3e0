//! wetoy: the WeToy MiNa (advertised as `WeToy`), one vibrator with 3 speeds.
//!
//! **Wire format.** Two bytes per command, on `tx` **with** response: `b2 <speed − 1>` for
//! speeds 1–3 (`b2 00` … `b2 02`), `80 03` for off.
//!
//! **Init.** `80 03` (off) is written once before the device is announced, as upstream does; the
//! shared case expects it during `device_init`.
//!
//! **Quirks.** None beyond the off-by-one speed; same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/wetoy.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "wetoy";

/// Off; also the init write.
const OFF: [u8; 2] = [0x80, 0x03];
/// First byte of a running command.
const SPEED: u8 = 0xb2;

/// Round 0 writes `80 03` with response; then init is done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![InitStep::Send(HardwareCommand::write_with_response(
            Endpoint::Tx,
            OFF.to_vec(),
        ))]),
        _ => InitRound::Done,
    })
}

/// One command per changed vibrator, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any output but vibrate;
/// [`ProtocolError::Definition`] for a speed outside 0–256.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let packet = packet(context.value(feature, kind))?;
                Ok(HardwareCommand::write_with_response(Endpoint::Tx, packet))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

/// `80 03` for 0, else `b2 <speed − 1>`.
fn packet(speed: i32) -> Result<Vec<u8>, ProtocolError> {
    if speed == 0 {
        return Ok(OFF.to_vec());
    }
    let level = speed
        .checked_sub(1)
        .and_then(|level| u8::try_from(level).ok())
        .ok_or_else(|| {
            ProtocolError::Definition(format!("{NAME} speed {speed} is out of range"))
        })?;
    Ok(vec![SPEED, level])
}

#[cfg(test)]
mod tests {
    use crate::testing::{write_with_response, Harness};
    use crate::{InitContext, InitRound, InitStep, ProtocolSession};
    use plugd_core::{Endpoint, HardwareCommand, OutputKind};

    fn check(device: &mut Harness, steps: &[(i32, [u8; 2])]) {
        for &(speed, bytes) in steps {
            assert_eq!(
                device.set(&[(0, OutputKind::Vibrate, speed)]),
                vec![write_with_response(Endpoint::Tx, &bytes)],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn vibrate_sends_speed_minus_one_and_off_as_80_03() {
        check(
            &mut Harness::builtin(super::NAME, None),
            &[
                (0, [0x80, 0x03]),
                (1, [0xb2, 0x00]),
                (2, [0xb2, 0x01]),
                (3, [0xb2, 0x02]),
            ],
        );
    }

    #[test]
    fn init_writes_off_with_response_once() {
        let device = Harness::builtin(super::NAME, None);
        let session = ProtocolSession::default();
        let round = |round| {
            super::initialize(&InitContext {
                definition: &device.definition,
                session: &session,
                replies: &[],
                round,
            })
        };
        assert_eq!(
            round(0),
            Ok(InitRound::Steps(vec![InitStep::Send(
                HardwareCommand::write_with_response(Endpoint::Tx, vec![0x80, 0x03])
            )]))
        );
        assert_eq!(round(1), Ok(InitRound::Done));
    }

    #[test]
    fn shared_case_half_three_quarters_then_stop() {
        // test_wetoy_protocol.yaml: 0.5 and 0.75 of 3 steps are 2 and 3.
        let mut device = Harness::builtin(super::NAME, Some("WeToy"));
        assert_eq!(device.definition.name, "WeToy MiNa");
        check(&mut device, &[(2, [0xb2, 0x01]), (3, [0xb2, 0x02])]);
        assert_eq!(
            device.stop(),
            vec![write_with_response(Endpoint::Tx, &[0x80, 0x03])]
        );
    }

    #[test]
    fn bad_speeds_and_other_outputs_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(0, OutputKind::Vibrate, -1)]).is_err());
        assert!(device.try_set(&[(0, OutputKind::Vibrate, 257)]).is_err());
        assert!(device
            .try_set(&[(0, OutputKind::Vibrate, i32::MIN)])
            .is_err());
        assert!(device.try_set(&[(0, OutputKind::Rotate, 1)]).is_err());
    }
}

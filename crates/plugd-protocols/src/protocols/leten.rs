//! Leten: vibrators advertised as "T528-LT", "F537-LT", "F520A-LT", "F520B-LT"; one vibrator,
//! speeds 0–25.
//!
//! **Wire format.** Everything is written to `tx` *with* response. Init writes `04 01` (upstream
//! notes that the vendor app sometimes first sends `04 00` and waits for `01` on `rx`; like
//! upstream, plugd goes straight to `04 01`). A speed is `02 <speed>`, `02 00` stops.
//!
//! **Keepalive.** The toy stops on its own when it hears nothing for a while, so the last
//! command is repeated after 1 s of silence (upstream's
//! `RepeatLastPacketStrategyWithTiming(1000 ms)`). The Device also stops it right after init, so
//! a connection starts with `04 01` then `02 00` (test_leten_protocol.yaml).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/leten.rs` of buttplugio/buttplug; same
//! bytes as upstream.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "leten";

/// How long the toy may go without hearing from us.
pub const KEEPALIVE: Duration = Duration::from_millis(1000);

/// The init write.
const INIT: [u8; 2] = [0x04, 0x01];
/// The command byte before a speed.
const VIBRATE: u8 = 0x02;

/// One round: write `04 01` with response.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![InitStep::Send(HardwareCommand::write_with_response(
            Endpoint::Tx,
            INIT,
        ))]),
        _ => InitRound::Done,
    })
}

/// One `02 <speed>` write (with response) per changed vibrator.
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
            Ok(HardwareCommand::write_with_response(
                Endpoint::Tx,
                vec![VIBRATE, speed],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::Vibrate;

    fn leten() -> Harness {
        Harness::builtin(NAME, Some("F520A-LT"))
    }

    #[test]
    fn init_writes_04_01_with_response_once() {
        let device = leten();
        let context = |round| InitContext {
            definition: &device.definition,
            session: &device.session,
            replies: &[],
            round,
        };
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![InitStep::Send(write_with_response(
                Endpoint::Tx,
                &[0x04, 0x01]
            ))]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn speeds_are_written_with_response() {
        // test_leten_protocol.yaml: the stop on connect, 0.5 → 13, 0.75 → 19, then Stop.
        let mut device = leten();
        for (speed, expected) in [(0, [0x02, 0x00]), (13, [0x02, 0x0D]), (19, [0x02, 0x13])] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![write_with_response(Endpoint::Tx, &expected)],
                "speed {speed}"
            );
        }
        assert_eq!(
            device.set(&[(0, Vibrate, 25)]),
            vec![write_with_response(Endpoint::Tx, &[0x02, 25])]
        );
        assert_eq!(
            device.stop(),
            vec![write_with_response(Endpoint::Tx, &[0x02, 0x00])]
        );
    }

    #[test]
    fn the_keepalive_is_one_second() {
        assert_eq!(
            crate::find(NAME).and_then(|protocol| protocol.keepalive),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn other_outputs_are_errors() {
        let mut device = leten();
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Constrict, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 1000)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

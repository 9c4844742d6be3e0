//! Lioness: the Lioness smart vibrator, advertised as "Lioness" or "Lioness2"; one vibrator,
//! speeds 0–100.
//!
//! **Init.** Subscribe to `rx` (`d973f2e6-…`), then write `01 aa aa bb cc 10` to `tx`
//! (`d973f2f4-…`) *with* response. The toy refuses that write until it is paired with the
//! operating system: upstream then fails the connection telling the user to pair with PIN
//! 6496 (or 006496). In plugd the failed write fails the connection the same way (the
//! hardware's write error is what the log shows), so that hint lives here.
//!
//! **Wire format.** One six-byte write to `tx`, without response, per changed vibrator:
//! `02 aa bb cc cc <speed>`; `02 aa bb cc cc 00` stops. No keepalive, stateless.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/lioness.rs` of buttplugio/buttplug (no
//! device case upstream); same bytes as upstream.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "lioness";

/// The init write (with response).
const INIT: [u8; 6] = [0x01, 0xAA, 0xAA, 0xBB, 0xCC, 0x10];
/// The five bytes before a speed.
const VIBRATE: [u8; 5] = [0x02, 0xAA, 0xBB, 0xCC, 0xCC];

/// One round: subscribe to `rx`, then write the init packet with response.
///
/// # Errors
/// Never (a refused write fails the connection in the Device).
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![
            InitStep::Send(HardwareCommand::Subscribe {
                endpoint: Endpoint::Rx,
            }),
            InitStep::Send(HardwareCommand::write_with_response(Endpoint::Tx, INIT)),
        ]),
        _ => InitRound::Done,
    })
}

/// One `02 aa bb cc cc <speed>` write per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a feature without a vibrator or a speed beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = speed_byte(context, feature, kind)?;
            let mut data = VIBRATE.to_vec();
            data.push(speed);
            Ok(HardwareCommand::write(Endpoint::Tx, data))
        })
        .collect()
}

/// The vibrator's current speed as a byte, after checking the feature has a vibrator.
fn speed_byte(
    context: &EncodeContext<'_>,
    feature: FeatureIndex,
    kind: OutputKind,
) -> Result<u8, ProtocolError> {
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
    u8::try_from(speed)
        .map_err(|_| ProtocolError::Definition(format!("speed {speed} does not fit in a byte")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, write_with_response, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn lioness() -> Harness {
        Harness::builtin(NAME, Some("Lioness"))
    }

    fn tx(bytes: &[u8]) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, bytes)]
    }

    #[test]
    fn init_subscribes_then_writes_the_init_packet_with_response() {
        let device = lioness();
        let context = |round| InitContext {
            definition: &device.definition,
            session: &device.session,
            replies: &[],
            round,
        };
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![
                InitStep::Send(HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }),
                InitStep::Send(write_with_response(
                    Endpoint::Tx,
                    &[0x01, 0xaa, 0xaa, 0xbb, 0xcc, 0x10]
                )),
            ]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn both_advertised_names_are_the_lioness() {
        assert_eq!(lioness().definition.name, "Lioness");
        assert_eq!(
            Harness::builtin(NAME, Some("Lioness2")).definition.name,
            "Lioness"
        );
    }

    #[test]
    fn speeds_follow_a_fixed_prefix() {
        let mut device = lioness();
        assert_eq!(
            device.set(&[(0, Vibrate, 50)]),
            tx(&[0x02, 0xaa, 0xbb, 0xcc, 0xcc, 50])
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 100)]),
            tx(&[0x02, 0xaa, 0xbb, 0xcc, 0xcc, 100])
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 1)]),
            tx(&[0x02, 0xaa, 0xbb, 0xcc, 0xcc, 1])
        );
        assert_eq!(device.stop(), tx(&[0x02, 0xaa, 0xbb, 0xcc, 0xcc, 0x00]));
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = lioness();
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Lelo F1s (first version), advertised as "F1s": two vibrators (features 0 and 1), speeds
//! 0–100.
//!
//! **Init.** Subscribe to `rx` (`0aa4`), nothing else. The toy then waits for a press of its
//! power button before it accepts commands; upstream notes that without listening to the
//! button's notification a command is more likely to switch the toy off. What the toy sends on
//! `rx` is not used.
//!
//! **Wire format.** One three-byte write to `tx` (`fff1`), without response, carrying both
//! motors: `01 <feature 0> <feature 1>`. Whichever motor changes, the packet repeats the
//! other's current speed (0 if never set), so one command — both motors, or a Stop — is one
//! write: `01 4b 32`, `01 00 00`. Upstream keeps the speeds in atomics; plugd reads them from
//! the current output values. No keepalive.
//!
//! The F1s V2 (`lelo-f1sv2`) shares this packet but writes it with response after a pairing
//! handshake; it has its own module.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/lelof1s.rs` of buttplugio/buttplug and
//! its `test_lelo_f1sv1.yaml`; same bytes as upstream.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "lelo-f1s";

/// The first byte of every packet.
const HEADER: u8 = 0x01;
/// The two motors, in packet order.
const MOTORS: [FeatureIndex; 2] = [FeatureIndex(0), FeatureIndex(1)];

/// One round: subscribe to `rx`.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![InitStep::Send(HardwareCommand::Subscribe {
            endpoint: Endpoint::Rx,
        })]),
        _ => InitRound::Done,
    })
}

/// One `01 <speed 0> <speed 1>` write.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a vibrator other than features 0 and 1, one the definition lacks, or a speed beyond a
/// byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Vibrate {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        let declared = context
            .definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !declared || !MOTORS.contains(&feature) {
            return Err(ProtocolError::Definition(format!(
                "the packet has no slot for a vibrator at feature {feature}"
            )));
        }
    }
    let mut data = vec![HEADER];
    for motor in MOTORS {
        let speed = context.value(motor, OutputKind::Vibrate);
        data.push(u8::try_from(speed).map_err(|_| {
            ProtocolError::Definition(format!(
                "feature {motor} speed {speed} does not fit in a byte"
            ))
        })?);
    }
    Ok(vec![HardwareCommand::write(Endpoint::Tx, data)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn f1s() -> Harness {
        Harness::builtin(NAME, Some("F1s"))
    }

    fn tx(bytes: &[u8]) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, bytes)]
    }

    #[test]
    fn init_subscribes_to_rx_and_nothing_else() {
        // test_lelo_f1sv1.yaml: device_init expects one Subscribe rx.
        let device = f1s();
        let context = |round| InitContext {
            definition: &device.definition,
            session: &device.session,
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
    fn both_motors_travel_in_every_packet() {
        // test_lelo_f1sv1.yaml: motor 0 at 0.5 → 50, then 0.75 → 75 and motor 1 at 0.5 → 50 in
        // one command, then Stop.
        let mut device = f1s();
        assert_eq!(device.definition.name, "Lelo F1s");
        assert_eq!(device.set(&[(0, Vibrate, 50)]), tx(&[0x01, 0x32, 0x00]));
        assert_eq!(
            device.set(&[(0, Vibrate, 75), (1, Vibrate, 50)]),
            tx(&[0x01, 0x4b, 0x32])
        );
        assert_eq!(device.stop(), tx(&[0x01, 0x00, 0x00]));
    }

    #[test]
    fn the_second_motor_alone_and_full_speed() {
        let mut device = f1s();
        assert_eq!(device.set(&[(1, Vibrate, 100)]), tx(&[0x01, 0x00, 0x64]));
        assert_eq!(device.set(&[(0, Vibrate, 1)]), tx(&[0x01, 0x01, 0x64]));
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = f1s();
        assert!(matches!(
            device.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

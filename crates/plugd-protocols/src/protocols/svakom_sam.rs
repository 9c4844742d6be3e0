//! svakom-sam: Svakom Sam Neo (the first one; the Sam Neo 2 is `svakom-sam2`) — a vibrator
//! (10 speeds) and a suction motor switched on or off.
//!
//! Wire: one frame per changed output on `tx`, without response. Unlike the rest of the Svakom
//! family, frames start with `12` (18), not `55`:
//!
//! | output | frame |
//! |---|---|
//! | vibrate, speed-controlled model | `12 01 03 00 <04 while running, else 00> <speed>` |
//! | vibrate, one-speed model | `12 01 03 00 05 <speed>` |
//! | constrict (suction) | `12 06 01 <level>` |
//!
//! **Variant by endpoints.** The database lists a `txmode` characteristic (service `ae00`) and
//! a `firmware` one (service `ffac`). Upstream takes the speed-controlled frame when the
//! connected toy has `txmode`, and also when it lacks `txmode` but has `firmware` (logging that
//! such a Sam Neo only vibrates at one speed); only a toy with neither gets the one-speed
//! frame. plugd reads the same from the endpoints the hardware really has
//! ([`ProtocolSession::endpoints`](crate::ProtocolSession)).
//!
//! **Init:** subscribe to `rx` (upstream does, and reads nothing from it).
//!
//! Upstream declares `HardwareRequiredRepeatLastPacketStrategy` (repeat only where the
//! transport demands keepalives, i.e. iOS); plugd registers no keepalive, as for the rest of the
//! family.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/svakom/svakom_sam.rs`.

use crate::protocols::svakom::{byte, check_changed};
use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-sam";

/// The first byte of every Sam Neo frame.
const HEADER: u8 = 0x12;
/// The vibrate frame's mode byte on a speed-controlled model while the vibrator runs.
const SPEED_CONTROLLED_RUNNING: u8 = 0x04;
/// The vibrate frame's mode byte on a one-speed model, running or not.
const ONE_SPEED_MODE: u8 = 0x05;

/// Init: round 0 subscribes to `rx`; then done.
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

/// One frame per changed output, in feature order; the vibrate frame's variant comes from the
/// connected endpoints (see the module doc).
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or its value
/// does not fit a byte; [`ProtocolError::UnsupportedOutput`] for anything but vibrate and
/// constrict.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(context, NAME, &[OutputKind::Vibrate, OutputKind::Constrict])?;
    let endpoints = &context.session.endpoints;
    let speed_controlled =
        endpoints.contains(&Endpoint::TxMode) || endpoints.contains(&Endpoint::Firmware);
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let value = byte(context, feature, kind)?;
            let frame = if kind == OutputKind::Constrict {
                vec![HEADER, 0x06, 0x01, value]
            } else {
                let mode = match (speed_controlled, value) {
                    (false, _) => ONE_SPEED_MODE,
                    (true, 0) => 0x00,
                    (true, _) => SPEED_CONTROLLED_RUNNING,
                };
                vec![HEADER, 0x01, 0x03, 0x00, mode, value]
            };
            Ok(HardwareCommand::write(Endpoint::Tx, frame))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use crate::ProtocolSession;
    use OutputKind::{Constrict, Oscillate, Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    fn sam_with(endpoints: &[Endpoint]) -> Harness {
        let mut sam = Harness::builtin(NAME, None);
        sam.session.endpoints = endpoints.to_vec();
        sam
    }

    #[test]
    fn init_subscribes_to_rx_then_is_done() {
        let sam = Harness::builtin(NAME, None);
        let session = ProtocolSession::default();
        let context = |round| InitContext {
            definition: &sam.definition,
            session: &session,
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
        let protocol = crate::find(NAME).expect("registered");
        assert!(protocol.initialize.is_some());
        assert!(protocol.keepalive.is_none());
        assert!(protocol.read_input.is_none());
    }

    #[test]
    fn a_toy_with_txmode_vibrates_with_the_speed_controlled_frame() {
        let mut sam = sam_with(&[
            Endpoint::Tx,
            Endpoint::Rx,
            Endpoint::TxMode,
            Endpoint::Firmware,
        ]);
        assert_eq!(sam.definition.name, "Svakom Sam Neo");
        for (speed, expected) in [
            (5, [0x12, 0x01, 0x03, 0x00, 0x04, 0x05]),
            (10, [0x12, 0x01, 0x03, 0x00, 0x04, 0x0a]),
            (0, [0x12, 0x01, 0x03, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(sam.set(&[(0, Vibrate, speed)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn a_toy_with_firmware_but_no_txmode_also_gets_the_speed_controlled_frame() {
        let mut sam = sam_with(&[Endpoint::Tx, Endpoint::Rx, Endpoint::Firmware]);
        assert_eq!(
            sam.set(&[(0, Vibrate, 3)]),
            vec![tx(&[0x12, 0x01, 0x03, 0x00, 0x04, 0x03])]
        );
    }

    #[test]
    fn a_toy_with_neither_gets_the_one_speed_frame_even_at_zero() {
        let mut sam = sam_with(&[Endpoint::Tx, Endpoint::Rx]);
        for (speed, expected) in [
            (5, [0x12, 0x01, 0x03, 0x00, 0x05, 0x05]),
            (10, [0x12, 0x01, 0x03, 0x00, 0x05, 0x0a]),
            (0, [0x12, 0x01, 0x03, 0x00, 0x05, 0x00]),
        ] {
            assert_eq!(sam.set(&[(0, Vibrate, speed)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn suction_switches_on_and_off_on_every_variant() {
        for endpoints in [vec![Endpoint::Tx, Endpoint::TxMode], vec![Endpoint::Tx]] {
            let mut sam = sam_with(&endpoints);
            assert_eq!(
                sam.set(&[(1, Constrict, 1)]),
                vec![tx(&[0x12, 0x06, 0x01, 0x01])]
            );
            assert_eq!(
                sam.set(&[(1, Constrict, 0)]),
                vec![tx(&[0x12, 0x06, 0x01, 0x00])]
            );
        }
    }

    #[test]
    fn both_outputs_at_once_then_stop_write_one_frame_each_in_feature_order() {
        let mut sam = sam_with(&[Endpoint::Tx, Endpoint::Rx, Endpoint::TxMode]);
        assert_eq!(
            sam.set(&[(1, Constrict, 1), (0, Vibrate, 7)]),
            vec![
                tx(&[0x12, 0x01, 0x03, 0x00, 0x04, 0x07]),
                tx(&[0x12, 0x06, 0x01, 0x01]),
            ]
        );
        assert_eq!(
            sam.stop(),
            vec![
                tx(&[0x12, 0x01, 0x03, 0x00, 0x00, 0x00]),
                tx(&[0x12, 0x06, 0x01, 0x00]),
            ]
        );
    }

    #[test]
    fn undeclared_outputs_unsupported_kinds_and_oversized_values_write_nothing() {
        let mut sam = sam_with(&[Endpoint::Tx, Endpoint::TxMode]);
        assert!(matches!(
            sam.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            sam.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut oscillator = sam.definition.features[0].outputs[0].clone();
        oscillator.kind = Oscillate;
        sam.definition.features[0].outputs.push(oscillator);
        assert_eq!(
            sam.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
    }
}

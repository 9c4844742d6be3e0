//! Kiiroo v2.1 "initialized" (Onyx 2.1, Onyx+, Keon, the Realm editions): the Kiiroo v2.1
//! packets (`kiiroo_v21`: `01 <speed>` to vibrate, `03 00 <speed> <position>` to move, to `tx`
//! without response), after an init that the strokers need before they accept moves.
//!
//! **Init:** two writes to `tx` with response, `03 00 64 19` then `03 00 64 00` (move to 25 at
//! speed 100, then to 0: the toy wakes up and homes).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/kiiroo_v21_initialized.rs` of
//! buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand};

/// Database key.
pub const NAME: &str = "kiiroo-v21-initialized";

/// The two init writes, in order.
const INIT_WRITES: [[u8; 4]; 2] = [[0x03, 0x00, 0x64, 0x19], [0x03, 0x00, 0x64, 0x00]];

/// Init: round 0 writes the two init packets (with response); then done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(
            INIT_WRITES
                .iter()
                .map(|data| {
                    InitStep::Send(HardwareCommand::write_with_response(
                        Endpoint::Tx,
                        data.to_vec(),
                    ))
                })
                .collect(),
        ),
        _ => InitRound::Done,
    })
}

/// The Kiiroo v2.1 packets.
///
/// # Errors
/// As `kiiroo_v21::encode`.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    super::kiiroo_v21::encode_for(NAME, context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, write_with_response, Harness};
    use crate::ProtocolSession;
    use plugd_core::OutputKind::{HwPositionWithDuration, Rotate};

    #[test]
    fn init_wakes_the_stroker_with_two_acknowledged_moves() {
        let keon = Harness::builtin(NAME, Some("KEON"));
        assert_eq!(keon.definition.name, "Kiiroo Keon");
        let session = ProtocolSession::default();
        let context = |round| InitContext {
            definition: &keon.definition,
            session: &session,
            replies: &[],
            round,
        };
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![
                InitStep::Send(write_with_response(Endpoint::Tx, &[0x03, 0x00, 0x64, 0x19])),
                InitStep::Send(write_with_response(Endpoint::Tx, &[0x03, 0x00, 0x64, 0x00])),
            ]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn moves_carry_the_launch_speed() {
        let mut onyx = Harness::builtin(NAME, Some("Onyx+"));
        assert_eq!(onyx.definition.name, "Kiiroo Onyx+");
        assert_eq!(
            onyx.set_with_duration(&[(0, HwPositionWithDuration, 99, Some(500))]),
            vec![write(Endpoint::Tx, &[0x03, 0x00, 40, 99])]
        );
        assert_eq!(
            onyx.set_with_duration(&[(0, HwPositionWithDuration, 50, Some(300))]),
            vec![write(Endpoint::Tx, &[0x03, 0x00, 33, 50])]
        );
        assert_eq!(
            onyx.set_with_duration(&[(0, HwPositionWithDuration, 0, Some(0))]),
            vec![write(Endpoint::Tx, &[0x03, 0x00, 255, 0])]
        );
    }

    #[test]
    fn errors_name_this_protocol() {
        let mut keon = Harness::builtin(NAME, Some("KEON"));
        assert_eq!(
            keon.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
    }
}

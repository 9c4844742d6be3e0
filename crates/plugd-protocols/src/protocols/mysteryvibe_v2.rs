//! MysteryVibe second generation (Tenuto Mini, Crescendo 2, Tenuto 2, Legato, Molto; advertised
//! as `69xx MV1`): the first generation's protocol ([`super::mysteryvibe`]) with another init
//! packet, `03 02 40` to `txmode` with response. The same packed `txvibrate` packet (one byte
//! per motor, speeds 0–56) and the same 93 ms keepalive with a stop on connect.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/mysteryvibe_v2.rs` of
//! buttplugio/buttplug.

use super::mysteryvibe;
use crate::{EncodeContext, InitContext, InitRound, ProtocolError};
use plugd_core::HardwareCommand;
use std::time::Duration;

/// Database key.
pub const NAME: &str = "mysteryvibe-v2";

/// How often the last packet is repeated (as the first generation).
pub const KEEPALIVE: Duration = mysteryvibe::KEEPALIVE;

/// What init writes to `txmode`.
const INIT: [u8; 3] = [0x03, 0x02, 0x40];

/// Round 0 writes `03 02 40` to `txmode` with response; then init is done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(mysteryvibe::init_with(context, &INIT))
}

/// The first generation's packet: every motor's current speed on `txvibrate`.
///
/// # Errors
/// As [`mysteryvibe::encode`].
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    mysteryvibe::encode(context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, write_with_response, Harness};
    use crate::InitStep;
    use plugd_core::{Endpoint, OutputKind::Vibrate};

    #[test]
    fn init_writes_03_02_40_once() {
        let device = Harness::builtin(NAME, Some("6908 MV1"));
        let round = |round| {
            initialize(&InitContext {
                definition: &device.definition,
                session: &device.session,
                replies: &[],
                round,
            })
        };
        assert_eq!(
            round(0),
            Ok(InitRound::Steps(vec![InitStep::Send(write_with_response(
                Endpoint::TxMode,
                &[0x03, 0x02, 0x40]
            ))]))
        );
        assert_eq!(round(1), Ok(InitRound::Done));
    }

    #[test]
    fn packet_has_one_byte_per_motor_of_the_model() {
        let cases: [(&str, &[u8]); 4] = [
            ("6908 MV1", &[0, 0, 56, 0, 0, 0]),
            ("6909 MV2", &[0, 0, 56, 0]),
            ("6914 MV1", &[0, 0, 56, 0]),
            ("6907 MV1", &[0, 0, 56]),
        ];
        for (identifier, expected) in cases {
            let mut device = Harness::builtin(NAME, Some(identifier));
            assert_eq!(
                device.set(&[(2, Vibrate, 56)]),
                vec![write(Endpoint::TxVibrate, expected)],
                "{identifier}"
            );
            assert_eq!(
                device.stop(),
                vec![write(Endpoint::TxVibrate, &vec![0; expected.len()])],
                "{identifier}"
            );
        }
    }

    #[test]
    fn molto_has_a_single_motor() {
        let mut molto = Harness::builtin(NAME, Some("6915 MV1"));
        assert_eq!(
            molto.set(&[(0, Vibrate, 12)]),
            vec![write(Endpoint::TxVibrate, &[12])]
        );
    }

    #[test]
    fn keepalive_matches_the_first_generation() {
        let protocol = crate::find(NAME).expect("registered");
        assert_eq!(protocol.keepalive, Some(Duration::from_millis(93)));
        assert!(protocol.initialize.is_some());
    }
}

//! Sistalk MonsterPub / MonsterHub and Tracy's Dog BLE toys: one to three motors, identified by a
//! model string, unlocked by a read-and-XOR handshake.
//!
//! **Identification.** Every toy advertises `MonsterPub`, `MonsterHub` or `TracyDog`; the
//! configurations are keyed by the model string read from `rxblemodel` (up to 32 bytes, UTF-8,
//! NUL padding removed: `MP2_JK_N_P1`). A reply that is not UTF-8 selects the defaults (upstream
//! fails the connection instead); a toy whose read yields nothing gets `Unknown`, upstream's
//! fallback for a failed read.
//!
//! **Init (the handshake).** Read 16 bytes from `rx`; the first byte picks one of four 15-byte
//! keys, the other 15 bytes XORed with it are the answer, written back to `rx` with response.
//! A challenge shorter than 16 bytes or with a key number above 3 fails init (upstream would
//! panic).
//!
//! **Wire format.** One packet per change holding every motor: one byte per feature with an
//! output, in feature order, its speed (0–100), written to `txvibrate` without response.
//!
//! **Not here: the endpoint-dependent variants.** Upstream looks at which characteristics the
//! connected toy really has, and the database lists them all (`tx`, `txmode`, `txvibrate`,
//! `generic0`, `rx`, `rxblemodel`), so a protocol needs the hardware's endpoint set to choose:
//! - the handshake runs only when the toy has `rx`;
//! - motors go to `txvibrate` when present; else to `tx`, except that an all-zero packet goes to
//!   `txmode` with response instead; else (Tracy's Dog Craybit Pro, three motors) to
//!   `generic0` with a leading `03` byte;
//! - a failed `rxblemodel` read means `Unknown` rather than a failed connection.
//!
//! plugd's Device gives protocols neither the endpoint set nor an optional read yet, so this file
//! implements the layout the database declares — every endpoint present, as the simulated
//! devices and the reference test runner have it, where upstream too takes `txvibrate` and runs
//! the handshake. Toys lacking `rx` or `txvibrate` need that Device support: the endpoint set
//! in `InitContext` and `EncodeContext` (or the session), and a read step whose failure is a
//! reply rather than an error.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/monsterpub.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitReply, InitRound, InitStep, ProtocolError};
use plugd_config::DeviceIdentity;
use plugd_core::{Endpoint, HardwareCommand};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "monsterpub";

/// The model-string read: length and timeout as upstream.
const MODEL_READ_LENGTH: u32 = 32;
const MODEL_READ_TIMEOUT: Duration = Duration::from_millis(500);
/// The identifier when the model read gave nothing.
const UNKNOWN_MODEL: &str = "Unknown";
/// The handshake challenge read from `rx`: key number + 15 bytes.
const CHALLENGE_LENGTH: usize = 16;
const CHALLENGE_TIMEOUT: Duration = Duration::from_millis(200);
/// The handshake keys, picked by the challenge's first byte ("2IPO", "LSBB", "SIS6", "TALK"
/// repeated to 15 bytes).
const KEYS: [[u8; 15]; 4] = [
    *b"2IPO2IPO2IPO2IP",
    *b"LSBBLSBBLSBBLSB",
    *b"SIS6SIS6SIS6SIS",
    *b"TALKTALKTALKTAL",
];
/// Where motor packets go on the database's endpoint layout.
const MOTOR_ENDPOINT: Endpoint = Endpoint::TxVibrate;

/// Identification: read the model string from `rxblemodel`.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    vec![InitStep::Read {
        endpoint: Endpoint::RxBleModel,
        length: MODEL_READ_LENGTH,
        timeout: MODEL_READ_TIMEOUT,
    }]
}

/// The model string without NULs; `Unknown` without a reply; `None` (defaults) when it is not
/// UTF-8.
pub fn resolve_identifier(_identity: &DeviceIdentity, replies: &[InitReply]) -> Option<String> {
    match replies
        .iter()
        .find(|reply| reply.endpoint == Endpoint::RxBleModel)
    {
        Some(reply) => std::str::from_utf8(&reply.data)
            .ok()
            .map(|model| model.replace('\0', "")),
        None => Some(UNKNOWN_MODEL.to_owned()),
    }
}

/// Init: round 0 reads the challenge from `rx`; round 1 writes the XORed answer back with
/// response; then done.
///
/// # Errors
/// [`ProtocolError::BadReply`] when the challenge is missing, shorter than 16 bytes, or names a
/// key other than 0–3.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    match context.round {
        0 => Ok(InitRound::Steps(vec![InitStep::Read {
            endpoint: Endpoint::Rx,
            length: CHALLENGE_LENGTH as u32,
            timeout: CHALLENGE_TIMEOUT,
        }])),
        1 => {
            let challenge = context
                .replies
                .iter()
                .find(|reply| reply.endpoint == Endpoint::Rx)
                .map(|reply| reply.data.as_slice())
                .unwrap_or_default();
            let answer = answer(challenge)?;
            Ok(InitRound::Steps(vec![InitStep::Send(
                HardwareCommand::write_with_response(Endpoint::Rx, answer),
            )]))
        }
        _ => Ok(InitRound::Done),
    }
}

/// The challenge's bytes 1–15 XORed with the key its byte 0 names.
fn answer(challenge: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    let bad =
        || ProtocolError::BadReply(format!("monsterpub handshake challenge {challenge:02x?}"));
    if challenge.len() < CHALLENGE_LENGTH {
        return Err(bad());
    }
    let (&key_number, rest) = challenge.split_first().ok_or_else(bad)?;
    let key = KEYS.get(usize::from(key_number)).ok_or_else(bad)?;
    Ok(rest
        .iter()
        .zip(key.iter())
        .map(|(byte, key)| byte ^ key)
        .collect())
}

/// One packet with every motor's current speed, to `txvibrate`.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or a speed does
/// not fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let definition = context.definition;
    for &(feature, kind) in context.changed {
        let present = definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !present {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
    }
    let mut packet = Vec::with_capacity(definition.features.len());
    for feature in &definition.features {
        let Some(output) = feature.outputs.first() else {
            continue;
        };
        let value = context.value(feature.index, output.kind);
        packet.push(u8::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
        })?);
    }
    Ok(vec![HardwareCommand::write(MOTOR_ENDPOINT, packet)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, write_with_response, Harness};
    use crate::ProtocolSession;
    use plugd_config::Transport;
    use plugd_core::OutputKind::{Oscillate, Vibrate};

    fn identity() -> DeviceIdentity {
        DeviceIdentity::named(Transport::Btle, "MonsterPub", "AA:BB")
    }

    fn reply(endpoint: Endpoint, data: &[u8]) -> InitReply {
        InitReply {
            endpoint,
            data: data.to_vec(),
        }
    }

    fn motors(data: &[u8]) -> HardwareCommand {
        write(Endpoint::TxVibrate, data)
    }

    #[test]
    fn identification_reads_the_model_string() {
        assert_eq!(
            identify_steps(&identity()),
            vec![InitStep::Read {
                endpoint: Endpoint::RxBleModel,
                length: 32,
                timeout: Duration::from_millis(500),
            }]
        );
    }

    #[test]
    fn model_string_loses_its_nul_padding() {
        let cases: [(&[u8], Option<&str>); 5] = [
            (b"MP2_JK_N_P1\0\0\0\0\0", Some("MP2_JK_N_P1")),
            (b"TDG_CRAYBIT_PT", Some("TDG_CRAYBIT_PT")),
            (b"\0MP_SUCKBANG_P5\0", Some("MP_SUCKBANG_P5")),
            (b"", Some("")),
            (&[0xff, 0xfe, b'M'], None),
        ];
        for (data, expected) in cases {
            assert_eq!(
                resolve_identifier(&identity(), &[reply(Endpoint::RxBleModel, data)]).as_deref(),
                expected,
                "{data:?}"
            );
        }
        assert_eq!(
            resolve_identifier(&identity(), &[]).as_deref(),
            Some("Unknown")
        );
    }

    #[test]
    fn model_string_selects_the_configuration() {
        let device = Harness::builtin(NAME, Some("MP2_JK_N_P1"));
        assert_eq!(device.definition.name, "Sistalk MonsterPub 2 Doctor Whale");
        let unknown = Harness::builtin(NAME, Some("Unknown"));
        assert_eq!(unknown.definition.name, "Sistalk MonsterPub Device");
    }

    fn init_round(round: u32, replies: &[InitReply]) -> Result<InitRound, ProtocolError> {
        let device = Harness::builtin(NAME, Some("MP2_JK_N_P1"));
        let session = ProtocolSession::default();
        initialize(&InitContext {
            definition: &device.definition,
            session: &session,
            replies,
            round,
        })
    }

    #[test]
    fn handshake_reads_the_challenge_then_writes_the_xored_answer_to_rx() {
        assert_eq!(
            init_round(0, &[]),
            Ok(InitRound::Steps(vec![InitStep::Read {
                endpoint: Endpoint::Rx,
                length: 16,
                timeout: Duration::from_millis(200),
            }]))
        );
        // Key 1 is "LSBB…"; a challenge of key 1 and the key itself answers all zeros.
        let mut challenge = vec![1];
        challenge.extend_from_slice(b"LSBBLSBBLSBBLSB");
        assert_eq!(
            init_round(1, &[reply(Endpoint::Rx, &challenge)]),
            Ok(InitRound::Steps(vec![InitStep::Send(write_with_response(
                Endpoint::Rx,
                &[0; 15]
            ))]))
        );
        // Key 0 is "2IPO…" = 32 49 50 4f.
        let challenge = [
            0, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
            0x0e, 0xaa,
        ];
        assert_eq!(
            init_round(1, &[reply(Endpoint::Rx, &challenge)]),
            Ok(InitRound::Steps(vec![InitStep::Send(write_with_response(
                Endpoint::Rx,
                &[
                    0x32, 0x48, 0x52, 0x4c, 0x36, 0x4c, 0x56, 0x48, 0x3a, 0x40, 0x5a, 0x44, 0x3e,
                    0x44, 0x5e
                ]
            ))]))
        );
        assert_eq!(init_round(2, &[]), Ok(InitRound::Done));
    }

    #[test]
    fn handshake_key_3_is_talk() {
        let mut challenge = vec![3];
        challenge.extend([0; 15]);
        assert_eq!(answer(&challenge), Ok(b"TALKTALKTALKTAL".to_vec()));
        let mut challenge = vec![2];
        challenge.extend([0xff; 15]);
        assert_eq!(
            answer(&challenge),
            Ok(b"SIS6SIS6SIS6SIS".iter().map(|byte| byte ^ 0xff).collect())
        );
    }

    #[test]
    fn bad_challenge_fails_init() {
        let short = [0_u8; 15];
        let mut bad_key = vec![4];
        bad_key.extend([0; 15]);
        for challenge in [&[][..], &short, &bad_key] {
            assert!(
                matches!(
                    init_round(1, &[reply(Endpoint::Rx, challenge)]),
                    Err(ProtocolError::BadReply(_))
                ),
                "{challenge:?}"
            );
        }
        assert!(matches!(
            init_round(1, &[]),
            Err(ProtocolError::BadReply(_))
        ));
    }

    #[test]
    fn two_motor_toy_packs_both_speeds() {
        let mut device = Harness::builtin(NAME, Some("MP2_JK_N_P1"));
        assert_eq!(device.set(&[(0, Vibrate, 50)]), vec![motors(&[50, 0])]);
        assert_eq!(
            device.set(&[(0, Vibrate, 100), (1, Vibrate, 1)]),
            vec![motors(&[100, 1])]
        );
        assert_eq!(device.set(&[(1, Vibrate, 0)]), vec![motors(&[100, 0])]);
        assert_eq!(device.stop(), vec![motors(&[0, 0])]);
    }

    #[test]
    fn pop_oscillates_in_the_first_byte() {
        let mut device = Harness::builtin(NAME, Some("MP_SUCKBANG_P5"));
        assert_eq!(device.definition.name, "Sistalk MonsterPub Pop");
        assert_eq!(
            device.set(&[(0, Oscillate, 40), (1, Vibrate, 60)]),
            vec![motors(&[40, 60])]
        );
        assert_eq!(device.stop(), vec![motors(&[0, 0])]);
    }

    #[test]
    fn craybit_pro_packs_three_and_defaults_pack_one() {
        let mut craybit = Harness::builtin(NAME, Some("TDG_CRAYBIT_PT"));
        assert_eq!(craybit.set(&[(2, Vibrate, 3)]), vec![motors(&[0, 0, 3])]);
        assert_eq!(craybit.stop(), vec![motors(&[0, 0, 0])]);
        let mut kinicat = Harness::builtin(NAME, Some("MP_MXY_N_P1"));
        assert_eq!(kinicat.set(&[(0, Vibrate, 100)]), vec![motors(&[100])]);
    }

    #[test]
    fn output_missing_or_too_large_is_a_definition_error() {
        let mut device = Harness::builtin(NAME, Some("MP_MXY_N_P1"));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

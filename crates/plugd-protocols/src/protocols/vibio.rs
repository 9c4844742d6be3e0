//! vibio: Vibio toys (Clara, Dodson: one motor; Elle, Frida, Rivera: two; v5 database), speeds
//! 0–99. ASCII commands AES-128-ECB encrypted (PKCS#7 padding) with a key baked into the app,
//! written to `tx` (`53300022-…`) without response; answers come on `rx` (`53300023-…`). The
//! cipher is the one VibCrafter and Fluffer use, with Vibio's own key.
//!
//! **Motors.** `MtInt:<motor 1><motor 2>;`, each speed two decimal digits (`MtInt:0700;`).
//! Upstream tags each motor's packet with that motor's feature id, so a command that changes
//! both motors writes two packets, and the first still carries the second motor's *old* speed
//! (upstream updates its speed table one motor at a time). plugd writes the same sequence: the
//! k-th packet holds the new values of the first k changed motors and the previous values of
//! the rest (device-config.md §6.3). A one-motor model's second slot is always `00`.
//!
//! **Authentication** (challenge/response, in init rounds): subscribe to `rx`, send
//! `Auth:<8 random letters or digits>;`; the toy answers either `OK;` (done) or a challenge
//! `<4 hex digits>:<token>;` (the token: anything but `;`), to which the server replies
//! `Auth:<hex of the first two bytes of SHA-256(token)>;` and waits for the next answer.
//! Anything else — including an answer that does not decrypt to text — fails the connection.
//! The random letters come from the connection's entropy. Upstream waits for each answer
//! indefinitely; plugd waits 5 s, then fails the connection.
//!
//! ref: `src/device/protocol_impl/vibio.rs` of the `buttplug_server` 12 crate.

use super::fluffer::{decrypt, encrypt};
use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "vibio";

/// The app's AES-128 key.
const KEY: [u8; 16] = *b"jdk#vib%y5fir21a";
/// The alphabet of the opening request's random part.
const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Letters in the opening request.
const OPENING_LENGTH: usize = 8;
/// How long each answer may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// Motors in the packet.
const MOTORS: usize = 2;
/// The highest speed two decimal digits hold.
const MAX_SPEED: i32 = 99;

/// Init rounds. Round 0: subscribe to `rx` and send `Auth:<random>;`, awaiting the answer.
/// Round n ≥ 1 reads the n-th answer: `OK;` → done; a challenge → send its response and await
/// the next answer.
///
/// # Errors
/// [`ProtocolError::BadReply`] when an answer is missing, cannot be decrypted, or is neither
/// `OK;` nor a challenge.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    let Some(answer_index) = context.round.checked_sub(1) else {
        return Ok(InitRound::Steps(vec![
            InitStep::Send(HardwareCommand::Subscribe {
                endpoint: Endpoint::Rx,
            }),
            send_and_await(&opening_request(&context.session.entropy)),
        ]));
    };
    let answer = usize::try_from(answer_index)
        .ok()
        .and_then(|index| context.replies.get(index))
        .ok_or_else(|| ProtocolError::BadReply("Vibio did not answer".to_owned()))?;
    let text = decrypt(&KEY, &answer.data)
        .and_then(|plain| String::from_utf8(plain).ok())
        .ok_or_else(|| {
            ProtocolError::BadReply(format!(
                "Vibio answer does not decrypt: {:02x?}",
                answer.data
            ))
        })?;
    if text == "OK;" {
        return Ok(InitRound::Done);
    }
    let token = challenge_token(&text).ok_or_else(|| {
        ProtocolError::BadReply(format!("Vibio answered {text:?}, not a challenge"))
    })?;
    Ok(InitRound::Steps(vec![send_and_await(&challenge_response(
        token,
    ))]))
}

/// `Auth:<eight letters or digits>;`, the letters picked by the entropy's first eight bytes.
fn opening_request(entropy: &[u8; 32]) -> String {
    let letters: String = entropy
        .iter()
        .take(OPENING_LENGTH)
        .map(|byte| {
            let index = usize::from(*byte) % ALPHANUMERIC.len();
            char::from(ALPHANUMERIC.get(index).copied().unwrap_or(b'A'))
        })
        .collect();
    format!("Auth:{letters};")
}

/// The token of a challenge `<4 hex digits>:<anything but ;>;` (upstream's
/// `^([0-9A-Fa-f]{4}):([^;]+);$`).
fn challenge_token(text: &str) -> Option<&str> {
    let body = text.strip_suffix(';')?;
    let (prefix, token) = body.split_once(':')?;
    (prefix.len() == 4
        && prefix.bytes().all(|byte| byte.is_ascii_hexdigit())
        && !token.is_empty()
        && !token.contains(';'))
    .then_some(token)
}

/// `Auth:<hex of SHA-256(token)[0..2]>;`.
fn challenge_response(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    format!("Auth:{:02x}{:02x};", digest[0], digest[1])
}

/// Send an encrypted line to `tx` and wait for the `rx` answer.
fn send_and_await(text: &str) -> InitStep {
    InitStep::SendAwaitNotification {
        command: tx(text),
        endpoint: Some(Endpoint::Rx),
        timeout: ANSWER_TIMEOUT,
        attempts: 1,
    }
}

/// One `MtInt:` packet per changed motor (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a motor the definition lacks, one other than features 0 and 1, or a speed outside 0–99.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mut speeds = [0i32; MOTORS];
    for (slot, speed) in speeds.iter_mut().enumerate() {
        *speed = context
            .previous_value(motor_feature(slot), OutputKind::Vibrate)
            .unwrap_or(0);
    }
    let mut commands = Vec::with_capacity(context.changed.len());
    for &(feature, kind) in context.changed {
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
        let slot = usize::try_from(feature.0)
            .ok()
            .and_then(|slot| speeds.get_mut(slot))
            .ok_or_else(|| {
                ProtocolError::Definition(format!("Vibio toys have no motor {feature}"))
            })?;
        *slot = context.value(feature, kind);
        if let Some(speed) = speeds
            .iter()
            .find(|speed| !(0..=MAX_SPEED).contains(*speed))
        {
            return Err(ProtocolError::Definition(format!(
                "speed {speed} is outside 0-99"
            )));
        }
        commands.push(tx(&format!("MtInt:{:02}{:02};", speeds[0], speeds[1])));
    }
    Ok(commands)
}

/// The feature of packet slot `slot` (slot = feature index).
fn motor_feature(slot: usize) -> FeatureIndex {
    FeatureIndex(u32::try_from(slot).unwrap_or(u32::MAX))
}

/// An encrypted line to `tx`, without response.
fn tx(text: &str) -> HardwareCommand {
    HardwareCommand::write(Endpoint::Tx, encrypt(&KEY, text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use crate::{InitReply, ProtocolSession};
    use plugd_config::DeviceDefinition;
    use OutputKind::{Oscillate, Vibrate};

    fn line(text: &str) -> HardwareCommand {
        write(Endpoint::Tx, &encrypt(&KEY, text.as_bytes()))
    }

    fn answer(text: &str) -> InitReply {
        InitReply {
            endpoint: Endpoint::Rx,
            data: encrypt(&KEY, text.as_bytes()),
        }
    }

    fn round(
        definition: &DeviceDefinition,
        session: &ProtocolSession,
        replies: &[InitReply],
        round: u32,
    ) -> Result<InitRound, ProtocolError> {
        initialize(&InitContext {
            definition,
            session,
            replies,
            round,
        })
    }

    fn awaiting(text: &str) -> InitStep {
        InitStep::SendAwaitNotification {
            command: line(text),
            endpoint: Some(Endpoint::Rx),
            timeout: ANSWER_TIMEOUT,
            attempts: 1,
        }
    }

    #[test]
    fn the_advertised_names_select_one_and_two_motor_models() {
        let clara = Harness::builtin(NAME, Some("Clara_Vibio"));
        assert_eq!(clara.definition.name, "Vibio Clara");
        assert_eq!(clara.definition.outputs_of(Vibrate).count(), 1);
        let rivera = Harness::builtin(NAME, Some("Rivera_Vibio"));
        assert_eq!(rivera.definition.name, "Vibio Rivera");
        assert_eq!(rivera.definition.outputs_of(Vibrate).count(), 2);
    }

    #[test]
    fn the_cipher_is_aes_128_ecb_with_pkcs7_under_the_vibio_key() {
        // One block: "MtInt:5000;" padded with five 0x05 bytes, encrypted under
        // "jdk#vib%y5fir21a" (computed independently with OpenSSL's aes-128-ecb).
        let sent = encrypt(&KEY, b"MtInt:5000;");
        assert_eq!(sent.len(), 16);
        assert_eq!(decrypt(&KEY, &sent).as_deref(), Some(&b"MtInt:5000;"[..]));
        assert_eq!(sent, EXPECTED_MTINT_5000.to_vec());
    }

    /// `MtInt:5000;` under the Vibio key (see the test above).
    const EXPECTED_MTINT_5000: [u8; 16] = [
        0x31, 0xBA, 0x03, 0x44, 0x18, 0x20, 0x43, 0xAA, 0x58, 0x5B, 0xF2, 0x58, 0x1F, 0x1B, 0x95,
        0x22,
    ];

    #[test]
    fn each_changed_motor_writes_both_speeds_as_updated_so_far() {
        let mut device = Harness::builtin(NAME, Some("Elle_Vibio"));
        assert_eq!(device.set(&[(0, Vibrate, 50)]), vec![line("MtInt:5000;")]);
        assert_eq!(device.set(&[(1, Vibrate, 99)]), vec![line("MtInt:5099;")]);
        assert_eq!(
            device.set(&[(0, Vibrate, 7), (1, Vibrate, 1)]),
            vec![line("MtInt:0799;"), line("MtInt:0701;")]
        );
        assert_eq!(
            device.stop(),
            vec![line("MtInt:0001;"), line("MtInt:0000;")]
        );
    }

    #[test]
    fn a_one_motor_model_drives_the_first_slot_only() {
        let mut clara = Harness::builtin(NAME, Some("Clara_Vibio"));
        assert_eq!(clara.set(&[(0, Vibrate, 99)]), vec![line("MtInt:9900;")]);
        assert_eq!(clara.set(&[(0, Vibrate, 1)]), vec![line("MtInt:0100;")]);
        assert_eq!(clara.stop(), vec![line("MtInt:0000;")]);
        assert!(matches!(
            clara.try_set(&[(1, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn other_kinds_and_speeds_beyond_two_digits_are_refused() {
        let mut device = Harness::builtin(NAME, None);
        assert_eq!(device.definition.name, "Vibio Device");
        assert_eq!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 100)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn init_opens_with_eight_random_letters_from_the_entropy() {
        let device = Harness::builtin(NAME, None);
        let mut session = ProtocolSession::default();
        session.entropy[..8].copy_from_slice(&[0, 1, 25, 26, 51, 52, 61, 62]);
        assert_eq!(
            round(&device.definition, &session, &[], 0),
            Ok(InitRound::Steps(vec![
                InitStep::Send(HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }),
                awaiting("Auth:ABZaz09A;"),
            ]))
        );
    }

    #[test]
    fn ok_answer_completes_init() {
        let device = Harness::builtin(NAME, None);
        let session = ProtocolSession::default();
        assert_eq!(
            round(&device.definition, &session, &[answer("OK;")], 1),
            Ok(InitRound::Done)
        );
    }

    #[test]
    fn challenge_is_answered_with_the_hash_prefix_then_ok_completes() {
        let device = Harness::builtin(NAME, None);
        let session = ProtocolSession::default();
        // SHA-256("hello") = 2cf24dba…
        let replies = [answer("1a2B:hello;")];
        assert_eq!(
            round(&device.definition, &session, &replies, 1),
            Ok(InitRound::Steps(vec![awaiting("Auth:2cf2;")]))
        );
        let replies = [answer("1a2B:hello;"), answer("OK;")];
        assert_eq!(
            round(&device.definition, &session, &replies, 2),
            Ok(InitRound::Done)
        );
    }

    #[test]
    fn missing_garbled_or_unexpected_answers_fail_init() {
        let device = Harness::builtin(NAME, None);
        let session = ProtocolSession::default();
        let fails = |replies: &[InitReply], number: u32| {
            matches!(
                round(&device.definition, &session, replies, number),
                Err(ProtocolError::BadReply(_))
            )
        };
        assert!(fails(&[], 1));
        assert!(fails(&[answer("1a2B:hello;")], 2));
        assert!(fails(
            &[InitReply {
                endpoint: Endpoint::Rx,
                data: vec![1, 2, 3]
            }],
            1
        ));
        assert!(fails(
            &[InitReply {
                endpoint: Endpoint::Rx,
                data: vec![0xAB; 16]
            }],
            1
        ));
        assert!(fails(&[answer("NO;")], 1));
        assert!(fails(&[answer("zz12:token;")], 1));
    }

    #[test]
    fn challenge_grammar_matches_upstream() {
        assert_eq!(challenge_token("ab12:Token9;"), Some("Token9"));
        assert_eq!(
            challenge_token("AB12:with space:and-colon;"),
            Some("with space:and-colon")
        );
        assert_eq!(challenge_token("ab12:Token9"), None);
        assert_eq!(challenge_token("ab1:Token9;"), None);
        assert_eq!(challenge_token("ab12x:Token9;"), None);
        assert_eq!(challenge_token("gh12:Token9;"), None);
        assert_eq!(challenge_token("ab12:;"), None);
        assert_eq!(challenge_token("ab12:to;ken;"), None);
    }
}

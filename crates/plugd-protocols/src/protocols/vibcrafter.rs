//! VibCrafter (Harlow, Hayden, Nidalee, Janna): ASCII commands AES-128-ECB encrypted with a key
//! baked into the app (the Fluffer cipher with another key), written to `tx` without response.
//!
//! **Motors.** `MtInt:<motor 1><motor 2>;`, each speed two decimal digits (0–99). Upstream tags
//! each motor's packet with that motor's feature id, so a command that changes both motors
//! writes two packets, and the first still carries the second motor's *old* speed (upstream
//! updates its speed table one motor at a time). plugd writes the same sequence: the k-th packet
//! holds the new values of the first k changed motors and the previous values of the rest
//! (device-config.md §6.3).
//!
//! **Authentication** (challenge/response, in init rounds): subscribe to `rx`, send
//! `Auth:<6 random letters or digits>;`; the toy answers either `OK;` (done) or a challenge
//! `<4 letters or digits>:<token>;`, to which the server replies `Auth:<hex of the first two
//! bytes of SHA-256(token)>;` and waits for the next answer. Anything else fails the connection.
//! The random letters come from the connection's entropy. Upstream waits for each answer
//! indefinitely; plugd waits 5 s, then fails the connection.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/vibcrafter.rs` of buttplugio/buttplug.

use super::fluffer::{decrypt, encrypt};
use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "vibcrafter";

/// The app's AES-128 key.
const KEY: [u8; 16] = *b"jdk#Cra%f5Vib28r";
/// The alphabet of the opening request's random part.
const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Letters in the opening request.
const OPENING_LENGTH: usize = 6;
/// How long each answer may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// Motors in the packet.
const MOTORS: usize = 2;

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
        .ok_or_else(|| ProtocolError::BadReply("VibCrafter did not answer".to_owned()))?;
    let text = decrypt(&KEY, &answer.data)
        .and_then(|plain| String::from_utf8(plain).ok())
        .ok_or_else(|| {
            ProtocolError::BadReply(format!(
                "VibCrafter answer does not decrypt: {:02x?}",
                answer.data
            ))
        })?;
    if text == "OK;" {
        return Ok(InitRound::Done);
    }
    let token = challenge_token(&text).ok_or_else(|| {
        ProtocolError::BadReply(format!("VibCrafter answered {text:?}, not a challenge"))
    })?;
    Ok(InitRound::Steps(vec![send_and_await(&challenge_response(
        token,
    ))]))
}

/// `Auth:<six letters or digits>;`, the letters picked by the entropy's first six bytes.
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

/// The token of a challenge `<4 letters or digits>:<letters or digits>;` (upstream's
/// `^[a-zA-Z0-9]{4}:([a-zA-Z0-9]+);$`).
fn challenge_token(text: &str) -> Option<&str> {
    let body = text.strip_suffix(';')?;
    let (prefix, token) = body.split_once(':')?;
    let alphanumeric = |part: &str| part.bytes().all(|byte| byte.is_ascii_alphanumeric());
    (prefix.len() == 4 && alphanumeric(prefix) && !token.is_empty() && alphanumeric(token))
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
/// for a motor other than features 0 and 1 or a speed outside 0–99.
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
        let slot = usize::try_from(feature.0)
            .ok()
            .and_then(|slot| speeds.get_mut(slot))
            .ok_or_else(|| {
                ProtocolError::Definition(format!("VibCrafter toys have no motor {feature}"))
            })?;
        *slot = context.value(feature, kind);
        if let Some(speed) = speeds.iter().find(|speed| !(0..=99).contains(*speed)) {
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

/// An encrypted line to `tx`.
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

    #[test]
    fn each_changed_motor_writes_both_speeds_as_updated_so_far() {
        let mut harlow = Harness::builtin(NAME, Some("be gentle"));
        assert_eq!(harlow.definition.name, "VibCrafter Harlow");
        assert_eq!(harlow.set(&[(0, Vibrate, 5)]), vec![line("MtInt:0500;")]);
        assert_eq!(
            harlow.set(&[(0, Vibrate, 50), (1, Vibrate, 99)]),
            vec![line("MtInt:5000;"), line("MtInt:5099;")]
        );
        assert_eq!(
            harlow.stop(),
            vec![line("MtInt:0099;"), line("MtInt:0000;")]
        );
    }

    #[test]
    fn janna_drives_the_first_motor_only() {
        let mut janna = Harness::builtin(NAME, Some("Janna"));
        assert_eq!(janna.definition.name, "VibCrafter Janna");
        assert_eq!(janna.set(&[(0, Vibrate, 99)]), vec![line("MtInt:9900;")]);
        assert_eq!(janna.stop(), vec![line("MtInt:0000;")]);
    }

    #[test]
    fn packets_decrypt_to_the_ascii_line() {
        let mut device = Harness::builtin(NAME, None);
        let sent = device.set(&[(1, Vibrate, 7)]);
        let HardwareCommand::Write { data, .. } = &sent[0] else {
            panic!("a write");
        };
        assert_eq!(decrypt(&KEY, data), Some(b"MtInt:0007;".to_vec()));
    }

    #[test]
    fn other_kinds_motors_and_speeds_are_refused() {
        let mut device = Harness::builtin(NAME, None);
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 100)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn init_opens_with_six_random_letters_from_the_entropy() {
        let device = Harness::builtin(NAME, None);
        let mut session = ProtocolSession::default();
        session.entropy[..6].copy_from_slice(&[0, 25, 26, 61, 62, 255]);
        assert_eq!(
            round(&device.definition, &session, &[], 0),
            Ok(InitRound::Steps(vec![
                InitStep::Send(HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }),
                InitStep::SendAwaitNotification {
                    command: line("Auth:AZa9AH;"),
                    endpoint: Some(Endpoint::Rx),
                    timeout: Duration::from_secs(5),
                    attempts: 1,
                },
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
        let digest = Sha256::digest(b"abc123");
        let expected = format!("Auth:{:02x}{:02x};", digest[0], digest[1]);
        let replies = [answer("x1Y2:abc123;"), answer("OK;")];
        assert_eq!(
            round(&device.definition, &session, &replies[..1], 1),
            Ok(InitRound::Steps(vec![send_and_await(&expected)]))
        );
        assert_eq!(
            round(&device.definition, &session, &replies, 2),
            Ok(InitRound::Done)
        );
    }

    #[test]
    fn missing_garbled_or_unexpected_answers_fail_init() {
        let device = Harness::builtin(NAME, None);
        let session = ProtocolSession::default();
        let garbled = InitReply {
            endpoint: Endpoint::Rx,
            data: vec![1, 2, 3],
        };
        let cases: [(Vec<InitReply>, u32); 6] = [
            (vec![], 1),
            (vec![answer("OK;")], 2),
            (vec![garbled], 1),
            (vec![answer("NO;")], 1),
            (vec![answer("abc:xyz;")], 1),
            (vec![answer("abcd:;")], 1),
        ];
        for (replies, number) in cases {
            assert!(
                matches!(
                    round(&device.definition, &session, &replies, number),
                    Err(ProtocolError::BadReply(_))
                ),
                "{replies:?} round {number}"
            );
        }
    }

    #[test]
    fn challenge_grammar_matches_upstream() {
        assert_eq!(challenge_token("ab12:Token9;"), Some("Token9"));
        assert_eq!(challenge_token("ab12:Token9"), None);
        assert_eq!(challenge_token("ab1:Token9;"), None);
        assert_eq!(challenge_token("ab12:Tok-en;"), None);
        assert_eq!(challenge_token("ab12:a:b;"), None);
    }
}

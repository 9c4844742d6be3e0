//! Fluffer (G-Thing, G2G, Rock Hard Power Ring and the MotorBunny Classic/Buck built on the
//! same board): every packet is AES-128-ECB encrypted with a key baked into the app
//! (PKCS#7-padded, so one 16-byte block per packet) and written to `tx` without response.
//!
//! **Motors.** One plain packet holds both motors, `82 0F 05 00 <motor 1> <motor 2> 00 00`:
//! vibrate and oscillate as their value (0–100), rotate as its speed when clockwise and as
//! speed plus 100 when counter-clockwise (the MotorBunny Classic's -100–100). Every command
//! writes the whole packet with both motors' current values (upstream tags it with one
//! protocol-wide id, so its message gap coalesces per-motor packets the same way;
//! device-config.md §2.6).
//!
//! **Matching and authentication.** Toys are recognised by their manufacturer data (company
//! `0x684A`), not their name. When the advertisement has that data, upstream authenticates:
//! four bytes are derived from the advertisement ([`advertisement_code`]), hashed with SHA-256
//! after a 4-byte nonce, and `A5 01 08 <nonce> <first 4 hash bytes>` is sent encrypted; the toy
//! answers (encrypted) `A5 01 01 00`, and the server then writes `82 0E 02 00 01`. Without the
//! data (as in the reference test case, whose fake device has only a name) it only subscribes
//! to `rx`. [`initialize_with_advertisement`] implements both paths, the nonce taken from the
//! connection's entropy.
//!
//! The Device hands the advertisement's manufacturer data to init through the protocol session.
//!
//! **Keepalive.** Upstream asks for an encrypted `80 02 00` ping only where the transport
//! demands keepalives (iOS); plugd registers none.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/fluffer.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitReply, InitRound, InitStep, ProtocolError};
use aes::cipher::{generic_array::GenericArray, BlockDecrypt, BlockEncrypt, KeyInit};
use aes::Aes128;
use plugd_config::ManufacturerData;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "fluffer";

/// The app's AES-128 key.
const KEY: [u8; 16] = *b"jdk#Flu%y6fer32f";
/// The manufacturer-data company id of Fluffer boards.
const COMPANY: u16 = 0x684A;
/// The two motors, in packet order.
const MOTORS: [FeatureIndex; 2] = [FeatureIndex(0), FeatureIndex(1)];
/// Counter-clockwise rotation is sent as speed + this.
const COUNTER_CLOCKWISE: i32 = 100;
/// The authentication request's header; nonce and hash follow.
const AUTH_HEADER: [u8; 3] = [0xA5, 0x01, 0x08];
/// The toy's "authenticated" answer (decrypted).
const AUTH_OK: [u8; 4] = [0xA5, 0x01, 0x01, 0x00];
/// Written once authenticated.
const AFTER_AUTH: [u8; 5] = [0x82, 0x0E, 0x02, 0x00, 0x01];
/// How long the toy may take to answer the authentication (upstream waits indefinitely).
const AUTH_TIMEOUT: Duration = Duration::from_secs(5);

/// Init: authenticate with the advertisement's manufacturer data when the device has it,
/// else only subscribe to `rx` (see the module doc).
///
/// # Errors
/// As [`initialize_with_advertisement`].
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    let advertisement = advertisement(&context.session.manufacturer_data);
    initialize_with_advertisement(context, &advertisement)
}

/// Init for a device whose advertisement is known: `advertisement` is [`advertisement`] of its
/// manufacturer data, empty when it has none.
///
/// - empty: round 0 subscribes to `rx`; done.
/// - otherwise: round 0 subscribes and sends the authentication request, awaiting an `rx`
///   notification; round 1 checks the answer and writes `82 0E 02 00 01`; done.
///
/// # Errors
/// [`ProtocolError::BadReply`] when the toy does not answer or answers anything but "OK".
pub fn initialize_with_advertisement(
    context: &InitContext<'_>,
    advertisement: &[u8],
) -> Result<InitRound, ProtocolError> {
    let subscribe = InitStep::Send(HardwareCommand::Subscribe {
        endpoint: Endpoint::Rx,
    });
    if advertisement.is_empty() {
        return Ok(match context.round {
            0 => InitRound::Steps(vec![subscribe]),
            _ => InitRound::Done,
        });
    }
    match context.round {
        0 => {
            let mut nonce = [0u8; 4];
            nonce.copy_from_slice(&context.session.entropy[..4]);
            Ok(InitRound::Steps(vec![
                subscribe,
                InitStep::SendAwaitNotification {
                    command: tx(&auth_request(nonce, &advertisement_code(advertisement))),
                    endpoint: Some(Endpoint::Rx),
                    timeout: AUTH_TIMEOUT,
                    attempts: 1,
                },
            ]))
        }
        1 => {
            check_auth_reply(context.replies.first())?;
            Ok(InitRound::Steps(vec![InitStep::Send(tx(&AFTER_AUTH))]))
        }
        _ => Ok(InitRound::Done),
    }
}

/// The bytes authentication works from: the company id (little-endian) followed by the data of
/// the first manufacturer-data entry of company `0x684A`; empty when there is none.
pub fn advertisement(manufacturer_data: &[ManufacturerData]) -> Vec<u8> {
    manufacturer_data
        .iter()
        .find(|entry| entry.company == COMPANY)
        .map(|entry| {
            let mut bytes = entry.company.to_le_bytes().to_vec();
            bytes.extend_from_slice(&entry.data);
            bytes
        })
        .unwrap_or_default()
}

/// Up to four bytes derived from the advertisement: from byte 3 on, each byte XOR
/// `byte[1] ^ byte[2]`, except bytes equal to 0 or to that key, which stay. Empty for an
/// advertisement shorter than 3 bytes (upstream would index out of bounds).
pub fn advertisement_code(advertisement: &[u8]) -> Vec<u8> {
    let (Some(first), Some(second)) = (advertisement.get(1), advertisement.get(2)) else {
        return Vec::new();
    };
    let key = first ^ second;
    advertisement
        .iter()
        .skip(3)
        .take(4)
        .map(|&byte| {
            if byte != 0 && byte != key {
                byte ^ key
            } else {
                byte
            }
        })
        .collect()
}

/// `A5 01 08 <nonce> <first 4 bytes of SHA-256(nonce ‖ code)>`, unencrypted.
pub fn auth_request(nonce: [u8; 4], code: &[u8]) -> Vec<u8> {
    let digest = Sha256::new()
        .chain_update(nonce)
        .chain_update(code)
        .finalize();
    let mut request = AUTH_HEADER.to_vec();
    request.extend_from_slice(&nonce);
    request.extend_from_slice(&digest[..4]);
    request
}

/// The toy's answer must decrypt to `A5 01 01 00`.
fn check_auth_reply(reply: Option<&InitReply>) -> Result<(), ProtocolError> {
    let reply = reply.ok_or_else(|| {
        ProtocolError::BadReply("no answer to the Fluffer authentication".to_owned())
    })?;
    match decrypt(&KEY, &reply.data) {
        Some(plain) if plain == AUTH_OK => Ok(()),
        _ => Err(ProtocolError::BadReply(format!(
            "Fluffer authentication refused: {:02x?}",
            reply.data
        ))),
    }
}

/// One encrypted packet with both motors (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate, oscillate and rotate;
/// [`ProtocolError::Definition`] for a motor other than features 0 and 1 or a value that does
/// not fit a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if !matches!(
            kind,
            OutputKind::Vibrate | OutputKind::Oscillate | OutputKind::Rotate
        ) {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        if !MOTORS.contains(&feature) {
            return Err(ProtocolError::Definition(format!(
                "Fluffer boards have no motor {feature}"
            )));
        }
    }
    let mut packet = vec![0x82, 0x0F, 0x05, 0x00, 0, 0, 0x00, 0x00];
    for (slot, feature) in MOTORS.into_iter().enumerate() {
        if let Some(byte) = packet.get_mut(4 + slot) {
            *byte = motor_byte(context, feature)?;
        }
    }
    Ok(vec![tx(&packet)])
}

/// A motor's byte: its vibrate, oscillate or rotate value (0 when it has none or was never
/// set), counter-clockwise rotation offset by 100.
fn motor_byte(context: &EncodeContext<'_>, feature: FeatureIndex) -> Result<u8, ProtocolError> {
    let Some(found) = context.definition.feature(feature) else {
        return Ok(0);
    };
    let value = [
        OutputKind::Vibrate,
        OutputKind::Oscillate,
        OutputKind::Rotate,
    ]
    .into_iter()
    .find(|kind| found.output(*kind).is_some())
    .map_or(0, |kind| {
        let value = context.value(feature, kind);
        if kind == OutputKind::Rotate && value < 0 {
            value.saturating_abs().saturating_add(COUNTER_CLOCKWISE)
        } else {
            value
        }
    });
    u8::try_from(value).map_err(|_| {
        ProtocolError::Definition(format!("motor {feature} value {value} does not fit a byte"))
    })
}

/// An encrypted write to `tx`.
fn tx(plain: &[u8]) -> HardwareCommand {
    HardwareCommand::write(Endpoint::Tx, encrypt(&KEY, plain))
}

/// AES-128-ECB with PKCS#7 padding (shared with `vibcrafter`, same cipher, its own key).
pub(crate) fn encrypt(key: &[u8; 16], plain: &[u8]) -> Vec<u8> {
    let cipher = Aes128::new(&GenericArray::from(*key));
    let padding = 16 - plain.len() % 16;
    let mut data = plain.to_vec();
    data.extend(std::iter::repeat_n(padding as u8, padding));
    for block in data.chunks_exact_mut(16) {
        cipher.encrypt_block(GenericArray::from_mut_slice(block));
    }
    data
}

/// The inverse of [`encrypt`]; `None` when the length or the padding is wrong.
pub(crate) fn decrypt(key: &[u8; 16], encrypted: &[u8]) -> Option<Vec<u8>> {
    if encrypted.is_empty() || !encrypted.len().is_multiple_of(16) {
        return None;
    }
    let cipher = Aes128::new(&GenericArray::from(*key));
    let mut data = encrypted.to_vec();
    for block in data.chunks_exact_mut(16) {
        cipher.decrypt_block(GenericArray::from_mut_slice(block));
    }
    let padding = usize::from(*data.last()?);
    if padding == 0 || padding > 16 || padding > data.len() {
        return None;
    }
    let body = data.len() - padding;
    if data
        .get(body..)?
        .iter()
        .any(|&byte| usize::from(byte) != padding)
    {
        return None;
    }
    data.truncate(body);
    Some(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use crate::ProtocolSession;
    use plugd_config::DeviceDefinition;
    use OutputKind::{Constrict, Oscillate, Rotate, Vibrate};

    fn packet(motor_1: u8, motor_2: u8) -> HardwareCommand {
        write(
            Endpoint::Tx,
            &encrypt(
                &KEY,
                &[0x82, 0x0F, 0x05, 0x00, motor_1, motor_2, 0x00, 0x00],
            ),
        )
    }

    fn context<'a>(
        definition: &'a DeviceDefinition,
        session: &'a ProtocolSession,
        replies: &'a [InitReply],
        round: u32,
    ) -> InitContext<'a> {
        InitContext {
            definition,
            session,
            replies,
            round,
        }
    }

    #[test]
    fn reference_case_bytes_for_full_speed_and_stop() {
        // test_fluffer_protocol.yaml: the defaults (one vibrator) at 1.0, then Stop.
        let mut device = Harness::builtin(NAME, None);
        assert_eq!(device.definition.name, "Fluffer Device");
        assert_eq!(
            device.set(&[(0, Vibrate, 100)]),
            vec![write(
                Endpoint::Tx,
                &[
                    0x34, 0x86, 0x9a, 0x67, 0x7b, 0x8e, 0x6f, 0xa9, 0xe9, 0x2b, 0x53, 0xf8, 0x37,
                    0xc5, 0x25, 0x3c
                ]
            )]
        );
        assert_eq!(
            device.stop(),
            vec![write(
                Endpoint::Tx,
                &[
                    0xd3, 0xaf, 0x8c, 0xb6, 0xb5, 0x05, 0x3c, 0x01, 0x7e, 0xc0, 0xd3, 0x7f, 0x5b,
                    0x06, 0x44, 0x21
                ]
            )]
        );
    }

    #[test]
    fn packets_are_one_encrypted_block_of_the_plain_motor_packet() {
        let mut device = Harness::builtin(NAME, Some("FDGTHING"));
        assert_eq!(device.definition.name, "Fluffer G-Thing");
        let sent = device.set(&[(0, Vibrate, 50)]);
        assert_eq!(sent, vec![packet(50, 0)]);
        let HardwareCommand::Write { data, .. } = &sent[0] else {
            panic!("a write");
        };
        assert_eq!(data.len(), 16);
        assert_eq!(
            decrypt(&KEY, data),
            Some(vec![0x82, 0x0F, 0x05, 0x00, 50, 0, 0, 0])
        );
    }

    #[test]
    fn motorbunny_classic_packs_vibration_and_signed_rotation() {
        let mut bunny = Harness::builtin(NAME, Some("MBO"));
        assert_eq!(
            bunny.definition.name,
            "MotorBunny Classic (Fluffer version)"
        );
        assert_eq!(
            bunny.set(&[(0, Vibrate, 20), (1, Rotate, 30)]),
            vec![packet(20, 30)]
        );
        assert_eq!(bunny.set(&[(1, Rotate, -30)]), vec![packet(20, 130)]);
        assert_eq!(bunny.set(&[(1, Rotate, -100)]), vec![packet(20, 200)]);
        assert_eq!(bunny.set(&[(0, Vibrate, 100)]), vec![packet(100, 200)]);
        assert_eq!(bunny.stop(), vec![packet(0, 0)]);
    }

    #[test]
    fn motorbunny_buck_packs_vibration_and_oscillation() {
        let mut buck = Harness::builtin(NAME, Some("MB Link 201"));
        assert_eq!(buck.definition.name, "MotorBunny Buck (Fluffer version)");
        assert_eq!(buck.set(&[(1, Oscillate, 75)]), vec![packet(0, 75)]);
        assert_eq!(buck.set(&[(0, Vibrate, 1)]), vec![packet(1, 75)]);
    }

    #[test]
    fn other_kinds_motors_and_values_are_refused() {
        let mut bunny = Harness::builtin(NAME, Some("MBO"));
        assert!(matches!(
            bunny.try_set(&[(0, Constrict, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            bunny.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            bunny.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn init_without_manufacturer_data_only_subscribes() {
        // test_fluffer_protocol.yaml's device_init.
        let device = Harness::builtin(NAME, None);
        let session = ProtocolSession::default();
        assert_eq!(
            initialize(&context(&device.definition, &session, &[], 0)),
            Ok(InitRound::Steps(vec![InitStep::Send(
                HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }
            )]))
        );
        assert_eq!(
            initialize(&context(&device.definition, &session, &[], 1)),
            Ok(InitRound::Done)
        );
    }

    #[test]
    fn advertisement_is_the_fluffer_company_and_its_data() {
        let data = [
            ManufacturerData {
                company: 0x004C,
                data: vec![9, 9],
            },
            ManufacturerData {
                company: 0x684A,
                data: vec![0x10, 0x22, 0x33, 0x00, 0x32, 0x44],
            },
        ];
        assert_eq!(
            advertisement(&data),
            vec![0x4A, 0x68, 0x10, 0x22, 0x33, 0x00, 0x32, 0x44]
        );
        assert_eq!(advertisement(&data[..1]), Vec::<u8>::new());
    }

    #[test]
    fn advertisement_code_unmasks_four_bytes_but_not_zero_or_the_key() {
        // key = 0x68 ^ 0x10 = 0x78.
        let advertisement = [0x4A, 0x68, 0x10, 0x22, 0x00, 0x78, 0x44, 0x55];
        assert_eq!(
            advertisement_code(&advertisement),
            vec![0x22 ^ 0x78, 0x00, 0x78, 0x44 ^ 0x78]
        );
        assert_eq!(
            advertisement_code(&[0x4A, 0x68, 0x10, 0x01]),
            vec![0x01 ^ 0x78]
        );
        assert_eq!(advertisement_code(&[0x4A, 0x68]), Vec::<u8>::new());
    }

    #[test]
    fn auth_request_is_header_nonce_and_hash_prefix() {
        let nonce = [1, 2, 3, 4];
        let code = [5, 6, 7, 8];
        let digest = Sha256::digest([1, 2, 3, 4, 5, 6, 7, 8]);
        let request = auth_request(nonce, &code);
        assert_eq!(&request[..7], &[0xA5, 0x01, 0x08, 1, 2, 3, 4]);
        assert_eq!(&request[7..], &digest[..4]);
    }

    #[test]
    fn authenticated_init_sends_the_request_checks_ok_and_confirms() {
        let device = Harness::builtin(NAME, Some("FDG2G"));
        let mut session = ProtocolSession::default();
        session.entropy[..4].copy_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]);
        let advertisement = [0x4A, 0x68, 0x10, 0x22, 0x33, 0x44, 0x55];
        let expected_request = auth_request(
            [0xDE, 0xAD, 0xBE, 0xEF],
            &advertisement_code(&advertisement),
        );
        assert_eq!(
            initialize_with_advertisement(
                &context(&device.definition, &session, &[], 0),
                &advertisement
            ),
            Ok(InitRound::Steps(vec![
                InitStep::Send(HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }),
                InitStep::SendAwaitNotification {
                    command: write(Endpoint::Tx, &encrypt(&KEY, &expected_request)),
                    endpoint: Some(Endpoint::Rx),
                    timeout: Duration::from_secs(5),
                    attempts: 1,
                },
            ]))
        );
        let ok = [InitReply {
            endpoint: Endpoint::Rx,
            data: encrypt(&KEY, &[0xA5, 0x01, 0x01, 0x00]),
        }];
        assert_eq!(
            initialize_with_advertisement(
                &context(&device.definition, &session, &ok, 1),
                &advertisement
            ),
            Ok(InitRound::Steps(vec![InitStep::Send(write(
                Endpoint::Tx,
                &encrypt(&KEY, &[0x82, 0x0E, 0x02, 0x00, 0x01])
            ))]))
        );
        assert_eq!(
            initialize_with_advertisement(
                &context(&device.definition, &session, &ok, 2),
                &advertisement
            ),
            Ok(InitRound::Done)
        );
    }

    #[test]
    fn refused_missing_or_garbled_authentication_fails_init() {
        let device = Harness::builtin(NAME, None);
        let session = ProtocolSession::default();
        let advertisement = [0x4A, 0x68, 0x10, 0x22];
        let replies = |data: Vec<u8>| {
            vec![InitReply {
                endpoint: Endpoint::Rx,
                data,
            }]
        };
        let cases = [
            vec![],
            replies(encrypt(&KEY, &[0xA5, 0x01, 0x01, 0x01])),
            replies(vec![1, 2, 3]),
            replies(vec![0; 16]),
            replies(encrypt(b"0123456789abcdef", &[0xA5, 0x01, 0x01, 0x00])),
        ];
        for replies in cases {
            assert!(
                matches!(
                    initialize_with_advertisement(
                        &context(&device.definition, &session, &replies, 1),
                        &advertisement
                    ),
                    Err(ProtocolError::BadReply(_))
                ),
                "{replies:?}"
            );
        }
    }

    #[test]
    fn cipher_round_trips_and_pads_whole_blocks() {
        for length in [0, 1, 15, 16, 17, 40] {
            let plain: Vec<u8> = (0..length).map(|byte| byte as u8).collect();
            let sealed = encrypt(&KEY, &plain);
            assert_eq!(sealed.len(), (length / 16 + 1) * 16);
            assert_eq!(decrypt(&KEY, &sealed), Some(plain));
        }
        assert_eq!(decrypt(&KEY, &[]), None);
        assert_eq!(decrypt(&KEY, &[0; 15]), None);
    }
}

//! Honey Play Box (Vibrosa, Oly, Cyrus, Joi Thrust, …): framed, signed binary packets over a
//! BLE UART, written to `tx` *with* response; answers arrive as `rx` notifications.
//!
//! **Frames.** `02 | A5 5A 55 AA F0 | <packet id> | <type> <cmd> | <length, u16 BE> | <data> |
//! 03 | <CRC-16/MODBUS of type, cmd, length and data, u16 BE>`. The packet id is a wrapping
//! counter; the CRC does not cover it.
//!
//! **Handshake (init).** Subscribe to `rx`, send frame `B1 01` with data `00 10` and packet id 0,
//! and wait for the answer frame (it may arrive split over several notifications: init rounds
//! keep waiting for more until a whole frame is there). Its data is a response code, `90 00`
//! for success, followed by a 16-byte random token. Any other code fails the connection.
//!
//! **Motors.** Every command sends frame `B1 03` holding one 8-byte group per motor (each
//! feature with an output, in feature order) with every motor's current strength — `<motor
//! position << 4 | mode 1> 00 05 <duration in 100 ms, u16 BE: 60> <frequency, u16 BE: 0>
//! <strength 0–100>` — followed by the first 8 bytes of MD5(`B1 03`, the length of groups +
//! signature as u16 BE, the groups, an app secret, the handshake token). Vibrate, oscillate and
//! rotate all give their magnitude as strength. The packet id is 2 for the first command
//! (0 went to the handshake, upstream skips 1) and counts up from there with the Device's
//! per-connection counter.
//!
//! **Keepalive.** A command runs for 6 s on the toy; upstream re-sends the current strengths
//! every 500 ms of silence from its own loop, with a fresh packet id. plugd registers a 500 ms
//! keepalive: the Device repeats the last frame as it was (same packet id — neither the CRC nor
//! the signature covers it) and, being a keepalive protocol, stops the toy right after
//! connecting.
//!
//! **Differs from upstream.** (1) Keepalive frames repeat the last packet id (above). (2) The
//! handshake is re-sent with the same packet id 0 when unanswered (upstream counts up per
//! attempt); the first command's id is 2 in both. (3) A Stop zeroing two motors is one frame
//! here; upstream calls its handler once per motor and so writes two (the reference test case
//! `test_honeyplaybox_protocol.yaml`, which upstream never runs, expects the two). (4) The
//! stop-on-connect frame takes packet id 2, so the first client command has id 3.
//!
//! Battery: the default read of `rxblebattery`, byte 0 a percentage (the Device does it).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/honeyplaybox.rs` of
//! buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitReply, InitRound, InitStep, ProtocolError};
use crc::{Crc, CRC_16_MODBUS};
use md5::{Digest, Md5};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "honeyplaybox";

/// Silence after which the last frame is repeated (upstream's resend delay).
pub const KEEPALIVE: Duration = Duration::from_millis(500);

/// Start of every frame: STX and the five flag bytes.
const HEADER: [u8; 6] = [0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0];
/// End of the data.
const ETX: u8 = 0x03;
/// Bytes before the data: header, packet id, type, cmd, length.
const DATA_START: usize = 11;
/// Bytes after the data: ETX and the CRC.
const TRAILER: usize = 3;
/// The frame type of every packet.
const TYPE: u8 = 0xB1;
/// The handshake command and its data.
const HANDSHAKE: u8 = 0x01;
const HANDSHAKE_DATA: [u8; 2] = [0x00, 0x10];
/// The motor command.
const VIBRATE: u8 = 0x03;
/// The handshake's success code.
const SUCCESS: u16 = 0x9000;
/// Length of the handshake token.
const TOKEN_LENGTH: usize = 16;
/// Packet id of the first command: the handshake used 0, upstream skips 1.
const FIRST_COMMAND_ID: u32 = 2;
/// A motor group's fixed parts: work mode 1, `00 05`, 6.0 s, 0 Hz.
const WORK_MODE: u8 = 0x01;
const DURATION_100MS: u16 = 60;
const FREQUENCY: u16 = 0;
/// Bytes of the MD5 signature kept.
const SIGNATURE_LENGTH: usize = 8;
/// The app's signing secret.
const SECRET: [u8; 16] = [
    0x8b, 0xe3, 0xfd, 0x04, 0x68, 0x35, 0x09, 0x86, 0x12, 0x1a, 0xbf, 0x03, 0x30, 0xe9, 0xe3, 0xc5,
];
/// How long each handshake attempt (and each wait for more of the answer) lasts.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);
/// Handshake sends before giving up.
const HANDSHAKE_ATTEMPTS: u32 = 3;
/// Init rounds that may wait for the rest of a split answer.
const MAX_ANSWER_ROUNDS: u32 = 4;
/// The frame CRC.
const MODBUS: Crc<u16> = Crc::<u16>::new(&CRC_16_MODBUS);

/// Init rounds: round 0 subscribes to `rx` and sends the handshake until answered; later rounds
/// read the answer, waiting for more notifications while the frame is incomplete.
///
/// # Errors
/// [`ProtocolError::BadReply`] when the toy never answers, answers with an error code, or
/// never completes a frame with a token.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    if context.round == 0 {
        return Ok(InitRound::Steps(vec![
            InitStep::Send(HardwareCommand::Subscribe {
                endpoint: Endpoint::Rx,
            }),
            InitStep::SendAwaitNotification {
                command: HardwareCommand::write_with_response(
                    Endpoint::Tx,
                    frame(HANDSHAKE, &HANDSHAKE_DATA, 0),
                ),
                endpoint: Some(Endpoint::Rx),
                timeout: ANSWER_TIMEOUT,
                attempts: HANDSHAKE_ATTEMPTS,
            },
        ]));
    }
    if context.replies.is_empty() {
        return Err(ProtocolError::BadReply(
            "Honey Play Box did not answer the handshake".to_owned(),
        ));
    }
    if handshake_token(context.replies)?.is_some() {
        return Ok(InitRound::Done);
    }
    if context.round >= MAX_ANSWER_ROUNDS {
        return Err(ProtocolError::BadReply(
            "Honey Play Box handshake answer has no token".to_owned(),
        ));
    }
    Ok(InitRound::Steps(vec![InitStep::AwaitNotification {
        endpoint: Some(Endpoint::Rx),
        timeout: ANSWER_TIMEOUT,
    }]))
}

/// One signed `B1 03` frame with every motor's strength (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate, oscillate and rotate;
/// [`ProtocolError::BadReply`] when the session holds no handshake token;
/// [`ProtocolError::Definition`] for a strength that does not fit a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    if let Some(&(_, kind)) = context
        .changed
        .iter()
        .find(|(_, kind)| !MOTOR_KINDS.contains(kind))
    {
        return Err(ProtocolError::UnsupportedOutput {
            protocol: NAME,
            kind,
        });
    }
    let token = handshake_token(&context.session.init_replies)?.ok_or_else(|| {
        ProtocolError::BadReply("no Honey Play Box handshake token in this session".to_owned())
    })?;
    let mut groups = Vec::new();
    for (position, feature) in context
        .definition
        .features
        .iter()
        .filter(|feature| !feature.outputs.is_empty())
        .enumerate()
    {
        let value = MOTOR_KINDS
            .into_iter()
            .find(|kind| feature.output(*kind).is_some())
            .map_or(0, |kind| {
                context.value(feature.index, kind).saturating_abs()
            });
        let strength = u8::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!(
                "motor {} strength {value} does not fit a byte",
                feature.index
            ))
        })?;
        let slot = u8::try_from(position & 0x0F).unwrap_or(0);
        groups.extend_from_slice(&[(slot << 4) | WORK_MODE, 0x00, 0x05]);
        groups.extend_from_slice(&DURATION_100MS.to_be_bytes());
        groups.extend_from_slice(&FREQUENCY.to_be_bytes());
        groups.push(strength);
    }
    let payload = signed(&groups, &token);
    let packet_id = context.session.counter.wrapping_add(FIRST_COMMAND_ID) as u8;
    Ok(vec![HardwareCommand::write_with_response(
        Endpoint::Tx,
        frame(VIBRATE, &payload, packet_id),
    )])
}

/// Output kinds that are a motor strength.
const MOTOR_KINDS: [OutputKind; 3] = [
    OutputKind::Vibrate,
    OutputKind::Oscillate,
    OutputKind::Rotate,
];

/// The groups followed by the first 8 bytes of their MD5 signature.
fn signed(groups: &[u8], token: &[u8; TOKEN_LENGTH]) -> Vec<u8> {
    let signed_length = u16::try_from(groups.len() + SIGNATURE_LENGTH).unwrap_or(u16::MAX);
    let digest = Md5::new()
        .chain_update([TYPE, VIBRATE])
        .chain_update(signed_length.to_be_bytes())
        .chain_update(groups)
        .chain_update(SECRET)
        .chain_update(token)
        .finalize();
    let mut payload = groups.to_vec();
    payload.extend_from_slice(&digest[..SIGNATURE_LENGTH]);
    payload
}

/// A whole frame of type `B1`.
fn frame(command: u8, data: &[u8], packet_id: u8) -> Vec<u8> {
    let length = u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes();
    let mut checked = vec![TYPE, command, length[0], length[1]];
    checked.extend_from_slice(data);
    let crc = MODBUS.checksum(&checked);
    let mut frame = HEADER.to_vec();
    frame.push(packet_id);
    frame.extend_from_slice(&checked);
    frame.push(ETX);
    frame.extend_from_slice(&crc.to_be_bytes());
    frame
}

/// The token of the first successful handshake answer among the `rx` replies, `None` while no
/// complete answer with a token is there.
///
/// # Errors
/// [`ProtocolError::BadReply`] when a complete answer carries a code other than `90 00`.
fn handshake_token(replies: &[InitReply]) -> Result<Option<[u8; TOKEN_LENGTH]>, ProtocolError> {
    let stream: Vec<u8> = replies
        .iter()
        .filter(|reply| reply.endpoint == Endpoint::Rx)
        .flat_map(|reply| reply.data.iter().copied())
        .collect();
    for data in frames(&stream) {
        let Some(code) = data
            .get(..2)
            .map(|code| u16::from_be_bytes([code[0], code[1]]))
        else {
            continue;
        };
        if code != SUCCESS {
            return Err(ProtocolError::BadReply(format!(
                "Honey Play Box handshake failed with code {code:04X}"
            )));
        }
        if let Some(token) = data
            .get(2..2 + TOKEN_LENGTH)
            .and_then(|token| <[u8; TOKEN_LENGTH]>::try_from(token).ok())
        {
            return Ok(Some(token));
        }
    }
    Ok(None)
}

/// The data of every complete frame in a byte stream, as upstream's frame collector finds
/// them: skip to a header, read the length, and take the frame when its ETX is in place (else
/// skip one byte and look again). An incomplete frame at the end is left out.
fn frames(stream: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    let mut rest = stream;
    while let Some(start) = rest
        .windows(HEADER.len())
        .position(|window| window == HEADER)
    {
        rest = rest.get(start..).unwrap_or_default();
        let Some(length) = rest
            .get(DATA_START - 2..DATA_START)
            .map(|length| usize::from(u16::from_be_bytes([length[0], length[1]])))
        else {
            break;
        };
        let etx = DATA_START + length;
        if rest.len() < etx + TRAILER {
            break;
        }
        if rest.get(etx) == Some(&ETX) {
            if let Some(data) = rest.get(DATA_START..etx) {
                found.push(data);
            }
            rest = rest.get(etx + TRAILER..).unwrap_or_default();
        } else {
            rest = rest.get(1..).unwrap_or_default();
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use crate::ProtocolSession;
    use plugd_config::DeviceDefinition;
    use OutputKind::{Constrict, Oscillate, Rotate, Vibrate};

    /// The handshake answer of test_honeyplaybox_protocol.yaml: code 90 00, token 01..10.
    const ANSWER: [u8; 32] = [
        0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x00, 0xB1, 0x01, 0x00, 0x12, 0x90, 0x00, 0x01, 0x02,
        0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x03,
        0xF4, 0x26,
    ];

    fn rx(data: &[u8]) -> InitReply {
        InitReply {
            endpoint: Endpoint::Rx,
            data: data.to_vec(),
        }
    }

    /// A device after the reference handshake.
    fn device(identifier: &str) -> Harness {
        let mut device = Harness::builtin(NAME, Some(identifier));
        device.session.init_replies = vec![rx(&ANSWER)];
        device
    }

    fn round(
        definition: &DeviceDefinition,
        replies: &[InitReply],
        round: u32,
    ) -> Result<InitRound, ProtocolError> {
        initialize(&InitContext {
            definition,
            session: &ProtocolSession::default(),
            replies,
            round,
        })
    }

    #[test]
    fn handshake_frame_matches_the_reference_case() {
        let vibrosa = device("JXT002");
        assert_eq!(
            round(&vibrosa.definition, &[], 0),
            Ok(InitRound::Steps(vec![
                InitStep::Send(HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }),
                InitStep::SendAwaitNotification {
                    command: write_with_response(
                        Endpoint::Tx,
                        &[
                            0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x00, 0xB1, 0x01, 0x00, 0x02, 0x00,
                            0x10, 0x03, 0x36, 0x86
                        ]
                    ),
                    endpoint: Some(Endpoint::Rx),
                    timeout: Duration::from_secs(2),
                    attempts: 3,
                },
            ]))
        );
    }

    #[test]
    fn successful_answer_completes_init() {
        let vibrosa = device("JXT002");
        assert_eq!(
            round(&vibrosa.definition, &[rx(&ANSWER)], 1),
            Ok(InitRound::Done)
        );
    }

    #[test]
    fn answer_split_over_notifications_is_awaited_and_reassembled() {
        let vibrosa = device("JXT002");
        let (first, second) = ANSWER.split_at(20);
        assert_eq!(
            round(&vibrosa.definition, &[rx(first)], 1),
            Ok(InitRound::Steps(vec![InitStep::AwaitNotification {
                endpoint: Some(Endpoint::Rx),
                timeout: Duration::from_secs(2),
            }]))
        );
        assert_eq!(
            round(&vibrosa.definition, &[rx(first), rx(second)], 2),
            Ok(InitRound::Done)
        );
        // Garbage before the frame is skipped, as upstream's collector does.
        let mut noisy = vec![0x55, 0x02, 0xA5];
        noisy.extend_from_slice(&ANSWER);
        assert_eq!(
            handshake_token(&[rx(&noisy)]),
            Ok(Some(core::array::from_fn(|index| index as u8 + 1)))
        );
    }

    #[test]
    fn silence_error_codes_and_endless_fragments_fail_init() {
        let vibrosa = device("JXT002");
        assert!(matches!(
            round(&vibrosa.definition, &[], 1),
            Err(ProtocolError::BadReply(_))
        ));
        let refused = frame(HANDSHAKE, &[0x6A, 0x80], 0);
        assert!(matches!(
            round(&vibrosa.definition, &[rx(&refused)], 1),
            Err(ProtocolError::BadReply(_))
        ));
        assert!(matches!(
            round(&vibrosa.definition, &[rx(&ANSWER[..20])], 4),
            Err(ProtocolError::BadReply(_))
        ));
    }

    #[test]
    fn success_without_a_whole_token_keeps_waiting() {
        let short = frame(HANDSHAKE, &[0x90, 0x00, 0x01, 0x02], 0);
        assert_eq!(handshake_token(&[rx(&short)]), Ok(None));
        // A frame whose ETX is missing is skipped, not taken.
        let mut broken = ANSWER;
        broken[29] = 0x00;
        assert_eq!(handshake_token(&[rx(&broken)]), Ok(None));
        assert_eq!(handshake_token(&[rx(&[])]), Ok(None));
        assert_eq!(handshake_token(&[rx(&ANSWER[..10])]), Ok(None));
    }

    #[test]
    fn reference_case_command_and_stop_frames() {
        // test_honeyplaybox_protocol.yaml: motor 0 at 50, then Stop.
        let mut vibrosa = device("JXT002");
        assert_eq!(vibrosa.definition.name, "Honey Play Box Vibrosa");
        assert_eq!(
            vibrosa.set(&[(0, Vibrate, 50)]),
            vec![write_with_response(
                Endpoint::Tx,
                &[
                    0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x02, 0xB1, 0x03, 0x00, 0x18, 0x01, 0x00,
                    0x05, 0x00, 0x3C, 0x00, 0x00, 0x32, 0x11, 0x00, 0x05, 0x00, 0x3C, 0x00, 0x00,
                    0x00, 0x3C, 0xAB, 0x13, 0x93, 0x4E, 0x4C, 0xB8, 0x57, 0x03, 0x32, 0x91
                ]
            )]
        );
        // The case's two stop frames (ids 3 and 4, one per motor upstream) carry the same
        // bytes; plugd writes the first once.
        assert_eq!(
            vibrosa.stop(),
            vec![write_with_response(
                Endpoint::Tx,
                &[
                    0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x03, 0xB1, 0x03, 0x00, 0x18, 0x01, 0x00,
                    0x05, 0x00, 0x3C, 0x00, 0x00, 0x00, 0x11, 0x00, 0x05, 0x00, 0x3C, 0x00, 0x00,
                    0x00, 0xF8, 0x2D, 0xC3, 0x5B, 0xD6, 0x08, 0x32, 0xE4, 0x03, 0xD6, 0x75
                ]
            )]
        );
        // The case's second stop frame: the same bytes with packet id 4.
        let frame_4 = frame(
            VIBRATE,
            &signed(
                &[
                    0x01, 0x00, 0x05, 0x00, 0x3C, 0x00, 0x00, 0x00, 0x11, 0x00, 0x05, 0x00, 0x3C,
                    0x00, 0x00, 0x00,
                ],
                &core::array::from_fn(|index| index as u8 + 1),
            ),
            4,
        );
        assert_eq!(
            frame_4,
            [
                0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x04, 0xB1, 0x03, 0x00, 0x18, 0x01, 0x00, 0x05,
                0x00, 0x3C, 0x00, 0x00, 0x00, 0x11, 0x00, 0x05, 0x00, 0x3C, 0x00, 0x00, 0x00, 0xF8,
                0x2D, 0xC3, 0x5B, 0xD6, 0x08, 0x32, 0xE4, 0x03, 0xD6, 0x75
            ]
        );
    }

    #[test]
    fn every_motor_is_in_every_frame_and_ids_count_up() {
        let mut vibrosa = device("JXT002");
        let strengths = |commands: &[HardwareCommand]| match commands {
            [HardwareCommand::Write { data, .. }] => (data[6], data[18], data[26]),
            other => panic!("one write expected, got {other:?}"),
        };
        assert_eq!(strengths(&vibrosa.set(&[(1, Vibrate, 100)])), (2, 0, 100));
        assert_eq!(strengths(&vibrosa.set(&[(0, Vibrate, 1)])), (3, 1, 100));
        assert_eq!(
            strengths(&vibrosa.set(&[(0, Vibrate, 0), (1, Vibrate, 0)])),
            (4, 0, 0)
        );
    }

    #[test]
    fn rotation_and_oscillation_are_strengths_too() {
        let mut joi = device("HPB-376-1");
        assert_eq!(joi.definition.name, "Honey Play Box Joi Thrust 2");
        let sent = joi.set(&[(0, Rotate, 40), (1, Oscillate, 70)]);
        let [HardwareCommand::Write { data, .. }] = sent.as_slice() else {
            panic!("one write");
        };
        assert_eq!(
            (data[11], data[18], data[19], data[26]),
            (0x01, 40, 0x11, 70)
        );
    }

    #[test]
    fn single_motor_devices_send_one_group() {
        let mut lili = device("HONEY-835");
        assert_eq!(lili.definition.name, "Honey Play Box Lili");
        let sent = lili.set(&[(0, Vibrate, 100)]);
        let [HardwareCommand::Write { data, .. }] = sent.as_slice() else {
            panic!("one write");
        };
        assert_eq!(&data[9..11], &[0x00, 0x10]);
        assert_eq!(data.len(), DATA_START + 16 + TRAILER);
        assert_eq!(data[18], 100);
    }

    #[test]
    fn commands_without_a_token_or_for_other_kinds_are_refused() {
        let mut untouched = Harness::builtin(NAME, Some("JXT002"));
        assert!(matches!(
            untouched.try_set(&[(0, Vibrate, 10)]),
            Err(ProtocolError::BadReply(_))
        ));
        let mut vibrosa = device("JXT002");
        assert!(matches!(
            vibrosa.try_set(&[(0, Constrict, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            vibrosa.try_set(&[(0, Vibrate, 300)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! The Handy on firmware 4 (Handy 2 Pro `hw4`, Handy 2 Standard `hw3`) and The Oh! (`hw1`):
//! protobuf RPC over BLE (`hdy_rpc`). Every packet is an `RpcMessage` of type `REQUEST` holding
//! one `Request` with a request id and one set of parameters, written to `tx`; answers come back
//! on `rx` and are not needed.
//!
//! | output | request (field number) | written |
//! |---|---|---|
//! | hw_position_with_duration (Handy, 0–100) | `RequestHdspXpTSet` (744): `xp` = position / 100 (float), `t` = duration ms, `stop_on_target` = true | with response |
//! | vibrate (The Oh!, 0–100) | `RequestHvpSet` (900): `amplitude` = speed / 100 (float), `frequency` = 100; at 0 `RequestHvpStop` (901) | with response |
//!
//! The protobuf encoding is written out here (a handful of messages, proto3 rules: fields in
//! field-number order, zero/false/0.0 scalars omitted, set oneof messages always written even
//! when empty), byte-identical to what upstream's prost code produces.
//!
//! **Identification:** the advertised name `OHD_<hardware>_<serial>` gives the identifier
//! `<hardware>` (`OHD_hw4_x` → `hw4`); a name with fewer than three parts gives `unknown` (the
//! defaults).
//!
//! **Init:** subscribe to `rx`; send request 1 `RequestBatteryGet` (710) and wait for an answer;
//! send request 2 `RequestCapabilitiesGet` (713) and wait for an answer (both written without
//! response). Upstream waits for each answer indefinitely and ignores its content; plugd waits
//! 1 s each and goes on either way.
//!
//! **Request ids.** Upstream numbers commands from a counter that its own keepalive-strategy
//! queries also consume, so its ids are not reproducible. plugd continues after the init's 1
//! and 2 with the Device's per-connection packet counter: the k-th write (from 0) of an encode
//! gets id `3 + counter + k`, so ids are unique and increasing. The database's 50 ms message gap
//! is the Device's.
//!
//! **Keepalive.** Upstream pings with a capabilities request only where the transport demands
//! keepalives (iOS); plugd registers none.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/thehandy_v3/` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitReply, InitRound, InitStep, ProtocolError};
use plugd_config::DeviceIdentity;
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "thehandy-v3";

/// The identifier of names that do not follow `OHD_<hardware>_<serial>`.
const UNKNOWN_HARDWARE: &str = "unknown";
/// How long each init request waits for its answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(1);
/// Request ids of the two init requests; commands continue after them.
const BATTERY_REQUEST_ID: u32 = 1;
const CAPABILITIES_REQUEST_ID: u32 = 2;
const FIRST_COMMAND_ID: u32 = 3;

/// `MessageType::MESSAGE_TYPE_REQUEST`.
const MESSAGE_TYPE_REQUEST: u64 = 1;
/// `Request.params` oneof field numbers.
const REQUEST_BATTERY_GET: u32 = 710;
const REQUEST_CAPABILITIES_GET: u32 = 713;
const REQUEST_HDSP_XP_T_SET: u32 = 744;
const REQUEST_HVP_SET: u32 = 900;
const REQUEST_HVP_STOP: u32 = 901;
/// The vibration frequency upstream always asks for (Hz).
const VIBRATION_FREQUENCY: u64 = 100;

/// No identification exchange: the identifier comes from the name alone.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    Vec::new()
}

/// `OHD_hw4_x` → `hw4`; fewer than three `_`-separated parts → `unknown`.
pub fn resolve_identifier(identity: &DeviceIdentity, _replies: &[InitReply]) -> Option<String> {
    let parts: Vec<&str> = identity.name.split('_').collect();
    let hardware = match parts.as_slice() {
        [_, hardware, _, ..] => hardware,
        _ => UNKNOWN_HARDWARE,
    };
    Some(hardware.to_owned())
}

/// Init: round 0 subscribes to `rx` and sends the battery and capabilities requests, each
/// awaiting an answer; then done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    if context.round > 0 {
        return Ok(InitRound::Done);
    }
    let ask = |id, params| InitStep::SendAwaitNotification {
        command: HardwareCommand::write(Endpoint::Tx, request(id, params, &[])),
        endpoint: None,
        timeout: ANSWER_TIMEOUT,
        attempts: 1,
    };
    Ok(InitRound::Steps(vec![
        InitStep::Send(HardwareCommand::Subscribe {
            endpoint: Endpoint::Rx,
        }),
        ask(BATTERY_REQUEST_ID, REQUEST_BATTERY_GET),
        ask(CAPABILITIES_REQUEST_ID, REQUEST_CAPABILITIES_GET),
    ]))
}

/// One request per changed output (see the module table).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than hw_position_with_duration and
/// vibrate; [`ProtocolError::Definition`] for a negative value.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let batch_start = FIRST_COMMAND_ID.wrapping_add(context.session.counter);
    let mut commands = Vec::with_capacity(context.changed.len());
    for (&(feature, kind), offset) in context.changed.iter().zip(0u32..) {
        let id = batch_start.wrapping_add(offset);
        let target = context.current.get(&(feature, kind));
        let value = target.map_or(0, |output| output.value);
        let fraction = u32::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!(
                "feature {feature} {kind} value {value} is negative"
            ))
        })? as f32
            / 100.0;
        let data = match kind {
            OutputKind::HwPositionWithDuration => {
                let duration = target.and_then(|output| output.duration).unwrap_or(0);
                let mut body = Vec::new();
                float_field(&mut body, 1, fraction);
                varint_field(&mut body, 2, u64::from(duration));
                varint_field(&mut body, 3, 1);
                request(id, REQUEST_HDSP_XP_T_SET, &body)
            }
            OutputKind::Vibrate if value == 0 => request(id, REQUEST_HVP_STOP, &[]),
            OutputKind::Vibrate => {
                let mut body = Vec::new();
                float_field(&mut body, 1, fraction);
                varint_field(&mut body, 2, VIBRATION_FREQUENCY);
                request(id, REQUEST_HVP_SET, &body)
            }
            other => {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind: other,
                })
            }
        };
        commands.push(HardwareCommand::write_with_response(Endpoint::Tx, data));
    }
    Ok(commands)
}

/// `RpcMessage { type: REQUEST, request: Request { id, <params field>: <params> } }`.
fn request(id: u32, params_field: u32, params: &[u8]) -> Vec<u8> {
    let mut request = Vec::new();
    varint_field(&mut request, 2, u64::from(id));
    bytes_field(&mut request, params_field, params);
    let mut message = Vec::new();
    varint_field(&mut message, 1, MESSAGE_TYPE_REQUEST);
    bytes_field(&mut message, 2, &request);
    message
}

/// A varint field (wire type 0), left out when 0 (proto3).
fn varint_field(out: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        varint(out, u64::from(field) << 3);
        varint(out, value);
    }
}

/// A float field (wire type 5, little-endian), left out when 0.0 (proto3).
fn float_field(out: &mut Vec<u8>, field: u32, value: f32) {
    if value != 0.0 {
        varint(out, (u64::from(field) << 3) | 5);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

/// A length-delimited field (wire type 2), always written (messages set in a oneof).
fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    varint(out, (u64::from(field) << 3) | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A base-128 varint.
fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7F) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, write_with_response, Harness};
    use crate::ProtocolSession;
    use plugd_config::Transport;
    use OutputKind::{HwPositionWithDuration, Rotate, Vibrate};

    fn identity(name: &str) -> DeviceIdentity {
        DeviceIdentity::named(Transport::Btle, name, "AA:BB")
    }

    #[test]
    fn identifier_is_the_hardware_part_of_the_name() {
        let cases = [
            ("OHD_hw4_123", "hw4"),
            ("OHD_hw1_abc_def", "hw1"),
            ("OHD__x", ""),
            ("OHD_hw4", "unknown"),
            ("Handy", "unknown"),
            ("", "unknown"),
        ];
        for (name, expected) in cases {
            assert_eq!(
                resolve_identifier(&identity(name), &[]).as_deref(),
                Some(expected),
                "{name}"
            );
        }
        assert!(identify_steps(&identity("OHD_hw4_1")).is_empty());
    }

    #[test]
    fn init_asks_battery_then_capabilities() {
        let handy = Harness::builtin(NAME, Some("hw4"));
        assert_eq!(handy.definition.name, "The Handy 2 Pro");
        let session = ProtocolSession::default();
        let context = |round| InitContext {
            definition: &handy.definition,
            session: &session,
            replies: &[],
            round,
        };
        let ask = |bytes: &[u8]| InitStep::SendAwaitNotification {
            command: write(Endpoint::Tx, bytes),
            endpoint: None,
            timeout: Duration::from_secs(1),
            attempts: 1,
        };
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![
                InitStep::Send(HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }),
                // type 1; request { id 1; field 710 = {} }
                ask(&[0x08, 0x01, 0x12, 0x05, 0x10, 0x01, 0xB2, 0x2C, 0x00]),
                // type 1; request { id 2; field 713 = {} }
                ask(&[0x08, 0x01, 0x12, 0x05, 0x10, 0x02, 0xCA, 0x2C, 0x00]),
            ]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn moves_are_hdsp_xp_t_requests_with_counting_ids() {
        let mut handy = Harness::builtin(NAME, Some("hw3"));
        assert_eq!(handy.definition.name, "The Handy 2 Standard");
        let half = 0.5f32.to_le_bytes();
        assert_eq!(
            handy.set_with_duration(&[(0, HwPositionWithDuration, 50, Some(500))]),
            vec![write_with_response(
                Endpoint::Tx,
                &[
                    0x08, 0x01, 0x12, 0x0F, 0x10, 0x03, 0xC2, 0x2E, 0x0A, 0x0D, half[0], half[1],
                    half[2], half[3], 0x10, 0xF4, 0x03, 0x18, 0x01
                ]
            )]
        );
        let full = 1.0f32.to_le_bytes();
        assert_eq!(
            handy.set_with_duration(&[(0, HwPositionWithDuration, 100, Some(100))]),
            vec![write_with_response(
                Endpoint::Tx,
                &[
                    0x08, 0x01, 0x12, 0x0E, 0x10, 0x04, 0xC2, 0x2E, 0x09, 0x0D, full[0], full[1],
                    full[2], full[3], 0x10, 0x64, 0x18, 0x01
                ]
            )]
        );
        // Position 0 in 0 ms: both proto3 defaults are left out.
        assert_eq!(
            handy.set_with_duration(&[(0, HwPositionWithDuration, 0, Some(0))]),
            vec![write_with_response(
                Endpoint::Tx,
                &[0x08, 0x01, 0x12, 0x07, 0x10, 0x05, 0xC2, 0x2E, 0x02, 0x18, 0x01]
            )]
        );
        assert_eq!(handy.stop(), vec![]);
    }

    #[test]
    fn the_oh_vibrates_with_hvp_set_and_stops_with_hvp_stop() {
        let mut oh = Harness::builtin(NAME, Some("hw1"));
        assert_eq!(oh.definition.name, "The Oh!");
        let amplitude = 0.25f32.to_le_bytes();
        assert_eq!(
            oh.set(&[(0, Vibrate, 25)]),
            vec![write_with_response(
                Endpoint::Tx,
                &[
                    0x08,
                    0x01,
                    0x12,
                    0x0C,
                    0x10,
                    0x03,
                    0xA2,
                    0x38,
                    0x07,
                    0x0D,
                    amplitude[0],
                    amplitude[1],
                    amplitude[2],
                    amplitude[3],
                    0x10,
                    0x64
                ]
            )]
        );
        assert_eq!(
            oh.stop(),
            vec![write_with_response(
                Endpoint::Tx,
                &[0x08, 0x01, 0x12, 0x05, 0x10, 0x04, 0xAA, 0x38, 0x00]
            )]
        );
    }

    #[test]
    fn ids_count_every_write_so_none_repeats() {
        let mut two = Harness::builtin(NAME, Some("hw4"));
        let mut vibrator = two.definition.features[0].clone();
        vibrator.index = plugd_core::FeatureIndex(1);
        vibrator.outputs[0].kind = Vibrate;
        two.definition.features.push(vibrator);
        let ids = |commands: Vec<HardwareCommand>| -> Vec<u8> {
            commands
                .iter()
                .map(|command| match command {
                    HardwareCommand::Write { data, .. } => data[5],
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(
            ids(two.set_with_duration(&[
                (0, HwPositionWithDuration, 10, Some(100)),
                (1, Vibrate, 10, None)
            ])),
            vec![3, 4]
        );
        assert_eq!(ids(two.set(&[(1, Vibrate, 20)])), vec![5]);
        assert_eq!(
            ids(two.set_with_duration(&[
                (0, HwPositionWithDuration, 20, Some(100)),
                (1, Vibrate, 30, None)
            ])),
            vec![6, 7]
        );
    }

    #[test]
    fn other_kinds_and_negative_values_are_refused() {
        let mut handy = Harness::builtin(NAME, Some("hw4"));
        assert!(matches!(
            handy.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            handy.try_set(&[(0, HwPositionWithDuration, -1)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn varints_use_seven_bits_per_byte() {
        let encode = |value| {
            let mut out = Vec::new();
            varint(&mut out, value);
            out
        };
        assert_eq!(encode(0), vec![0x00]);
        assert_eq!(encode(127), vec![0x7F]);
        assert_eq!(encode(128), vec![0x80, 0x01]);
        assert_eq!(encode(5682), vec![0xB2, 0x2C]);
        assert_eq!(
            encode(u64::from(u32::MAX)),
            vec![0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        );
    }
}

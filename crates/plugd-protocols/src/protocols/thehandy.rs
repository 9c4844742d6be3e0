//! The Handy on its BLE firmware before 4 (`thehandy`; firmware 4 is `thehandy-v3`): a
//! stroker driven by protobuf "handyplug" messages, a cut-down Buttplug protocol.
//!
//! Every move is one `handyplug.Payload` written to `tx` **with response**, holding one
//! `Message` whose `LinearCmd` (oneof field 403) has `Id` 2, `DeviceIndex` 0 and one `Vector`:
//! `Index` 0, `Duration` = the move's duration in ms, `Position` = the database position
//! (0–100) / 100 as a double. Field numbers (from upstream's `handyplug.proto`):
//!
//! | message | fields |
//! |---|---|
//! | `Payload` | 1 `Messages` (repeated `Message`) |
//! | `Message` | oneof: 102 `Ping`, 403 `LinearCmd`, … |
//! | `LinearCmd` | 1 `Id` (uint32), 2 `DeviceIndex` (uint32), 3 `Vectors` (repeated `Vector`) |
//! | `Vector` | 1 `Index` (uint32), 2 `Duration` (uint32), 3 `Position` (double) |
//!
//! The encoding is written out here with proto3's rules, byte-identical to upstream's prost
//! code: fields in field-number order, scalars equal to 0 / 0.0 omitted, set messages written
//! even when empty. A move to 50 in 500 ms is
//! `0a 13 9a 19 10 08 02 1a 0c 10 f4 03 19 00 00 00 00 00 00 e0 3f`.
//!
//! No identification exchange (the name is the identifier) and no init: upstream's initializer
//! once meant to open a "protocomm" session on the `firmware` characteristic, but that code
//! never ran and is commented out. The database's 50 ms message gap is the Device's. Stop
//! writes nothing: positions are not stopped (device-config.md §2.6).
//!
//! **Keepalive.** Upstream pings (`Ping` with `Id` 999, with response) only where the transport
//! demands keepalives (iOS); plugd registers none.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/thehandy/` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "thehandy";

/// The `Id` upstream gives every `LinearCmd`.
const LINEAR_CMD_ID: u64 = 2;
/// `Message.LinearCmd`'s oneof field number.
const LINEAR_CMD_FIELD: u32 = 403;
/// The database's positions are 0–100; handyplug's are 0.0–1.0.
const POSITION_SCALE: f64 = 100.0;

/// Protobuf wire types.
const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LENGTH_DELIMITED: u32 = 2;

/// One `LinearCmd` payload per changed position, written with response.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but hw_position_with_duration;
/// [`ProtocolError::Definition`] for a changed output the definition lacks or a negative
/// position.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if kind != OutputKind::HwPositionWithDuration {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind,
                });
            }
            let declared = context
                .definition
                .feature(feature)
                .is_some_and(|found| found.output(kind).is_some());
            if !declared {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} has no {kind} output"
                )));
            }
            let target = context.current.get(&(feature, kind));
            let position = target.map_or(0, |output| output.value);
            let position = u32::try_from(position).map_err(|_| {
                ProtocolError::Definition(format!("feature {feature} position {position} < 0"))
            })?;
            let duration = target.and_then(|output| output.duration).unwrap_or(0);
            Ok(HardwareCommand::write_with_response(
                Endpoint::Tx,
                linear_payload(position, duration),
            ))
        })
        .collect()
}

/// `Payload { Messages: [Message { LinearCmd { Id: 2, DeviceIndex: 0, Vectors: [Vector {
/// Index: 0, Duration: duration, Position: position / 100 }] } }] }`, encoded.
fn linear_payload(position: u32, duration: u32) -> Vec<u8> {
    let mut vector = Vec::new();
    // Index 0 is omitted.
    varint_field(&mut vector, 2, u64::from(duration));
    double_field(&mut vector, 3, f64::from(position) / POSITION_SCALE);

    let mut linear = Vec::new();
    varint_field(&mut linear, 1, LINEAR_CMD_ID);
    // DeviceIndex 0 is omitted.
    message_field(&mut linear, 3, &vector);

    let mut message = Vec::new();
    message_field(&mut message, LINEAR_CMD_FIELD, &linear);

    let mut payload = Vec::new();
    message_field(&mut payload, 1, &message);
    payload
}

/// A varint field; 0 is omitted (proto3).
fn varint_field(out: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        varint(out, u64::from((field << 3) | VARINT));
        varint(out, value);
    }
}

/// A double field; 0.0 is omitted (proto3).
fn double_field(out: &mut Vec<u8>, field: u32, value: f64) {
    if value != 0.0 {
        varint(out, u64::from((field << 3) | FIXED64));
        out.extend_from_slice(&value.to_le_bytes());
    }
}

/// An embedded message, written even when empty.
fn message_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    varint(out, u64::from((field << 3) | LENGTH_DELIMITED));
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Little-endian base-128, seven bits per byte, high bit = more follows.
fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{HwPositionWithDuration, Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write_with_response(Endpoint::Tx, bytes)
    }

    #[test]
    fn a_move_to_the_middle_is_one_linear_cmd_payload() {
        let mut handy = Harness::builtin(NAME, None);
        assert_eq!(handy.definition.name, "The Handy");
        assert_eq!(
            handy.set_with_duration(&[(0, HwPositionWithDuration, 50, Some(500))]),
            vec![tx(&[
                0x0a, 0x13, // Payload.Messages, 19 bytes
                0x9a, 0x19, 0x10, // Message.LinearCmd (403), 16 bytes
                0x08, 0x02, // LinearCmd.Id = 2
                0x1a, 0x0c, // LinearCmd.Vectors, 12 bytes
                0x10, 0xf4, 0x03, // Vector.Duration = 500
                0x19, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f, // Position = 0.5
            ])]
        );
    }

    #[test]
    fn a_move_to_the_top_carries_position_one() {
        let mut handy = Harness::builtin(NAME, None);
        assert_eq!(
            handy.set_with_duration(&[(0, HwPositionWithDuration, 100, Some(100))]),
            vec![tx(&[
                0x0a, 0x12, 0x9a, 0x19, 0x0f, 0x08, 0x02, 0x1a, 0x0b, 0x10, 0x64, 0x19, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f,
            ])]
        );
    }

    #[test]
    fn position_zero_and_duration_zero_are_omitted_like_proto3() {
        let mut handy = Harness::builtin(NAME, None);
        handy.set_with_duration(&[(0, HwPositionWithDuration, 40, Some(10))]);
        // Position 0: the vector keeps only its duration.
        assert_eq!(
            handy.set_with_duration(&[(0, HwPositionWithDuration, 0, Some(300))]),
            vec![tx(&[
                0x0a, 0x0a, 0x9a, 0x19, 0x07, 0x08, 0x02, 0x1a, 0x03, 0x10, 0xac, 0x02,
            ])]
        );
        // Position 0 in 0 ms: an empty vector, still written.
        assert_eq!(
            handy.set_with_duration(&[(0, HwPositionWithDuration, 0, None)]),
            vec![tx(&[0x0a, 0x07, 0x9a, 0x19, 0x04, 0x08, 0x02, 0x1a, 0x00])]
        );
    }

    #[test]
    fn a_fractional_position_is_the_double_of_value_over_one_hundred() {
        let mut handy = Harness::builtin(NAME, None);
        let commands = handy.set_with_duration(&[(0, HwPositionWithDuration, 33, Some(1))]);
        let HardwareCommand::Write { data, .. } = &commands[0] else {
            panic!("a write");
        };
        let position = f64::from_le_bytes(data[data.len() - 8..].try_into().expect("8 bytes"));
        assert_eq!(position, 33.0 / 100.0);
        assert_eq!(data[data.len() - 9], 0x19);
    }

    #[test]
    fn long_durations_use_multi_byte_varints() {
        let mut out = Vec::new();
        varint(&mut out, 100_000);
        assert_eq!(out, [0xa0, 0x8d, 0x06]);
        let mut out = Vec::new();
        varint(&mut out, 127);
        assert_eq!(out, [0x7f]);
    }

    #[test]
    fn stop_writes_nothing_and_no_keepalive_or_init_is_registered() {
        let mut handy = Harness::builtin(NAME, None);
        handy.set_with_duration(&[(0, HwPositionWithDuration, 40, Some(10))]);
        let protocol = crate::find(NAME).expect("registered");
        assert!(protocol.keepalive.is_none());
        assert!(protocol.initialize.is_none());
        assert!(protocol.identify_steps.is_none());
        // The Handy's only feature is a position: the Device's stop has nothing to set.
        assert!(handy
            .definition
            .features
            .iter()
            .all(|feature| OutputKind::STOP_ORDER
                .iter()
                .all(|kind| feature.output(*kind).is_none())));
    }

    #[test]
    fn other_kinds_undeclared_features_and_negative_positions_are_refused() {
        let mut handy = Harness::builtin(NAME, None);
        assert_eq!(
            handy.try_set(&[(0, Vibrate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Vibrate
            })
        );
        assert!(matches!(
            handy.try_set(&[(1, HwPositionWithDuration, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            handy.try_set(&[(0, HwPositionWithDuration, -1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

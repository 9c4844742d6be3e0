//! Galaku (and the Adorime, Secret Lover and Kisstoy toys built on the same firmware): BLE toys
//! with one or two motors and a battery, identified by their four-character advertised name
//! (`GX21`, `G317`, …; 107 configurations).
//!
//! **Frames.** Commands are 10-byte payloads `5a 00 00 01 <command> <args…>` sent as a 12-byte
//! obfuscated frame: prefix `23`, the payload, then a checksum byte (the sum of the prefix and
//! payload, mod 256); then every byte after the first is masked with a key taken from a fixed
//! 4 × 12 table, row = the previous *masked* byte's low two bits, column = the byte's position:
//! `out[i] = ((key ^ 0x23 ^ in[i]) + key) mod 256`. [`obfuscated_frame`] builds them; the
//! `galaku-pump` protocol uses the same frame.
//!
//! **Variants, by the number of features with an output:**
//!
//! | motors | writes on `tx`, without response |
//! |---|---|
//! | one | per change, `5a 00 00 01 31 <speed> 00 00 00 00` framed (`31` = 49: set speed) |
//! | one, named `AC695X_1(BLE)` (Galaku Vision, a "Caiping" pump) | per change, the plain 16-byte `aa 01 0a 03 <speed> <on> 00…00`, `on` = 1 unless speed is 0 |
//! | two | `5a 00 00 01 40 03 <m0> <m1> 00 00` framed (`40` = 64), slot `n` = the output of feature index `n`, every write carrying both |
//!
//! Speeds are 0–100. The two-motor frame does not care which kind a motor is: vibrate,
//! oscillate and constrict all go into their slot, and so does rotate (see below).
//!
//! **Battery.** Subscribe to `rxblebattery`, write the framed `5a 00 00 01 13 00 00 00 00 00`
//! (`13` = 19: report battery) to `tx` with response; the next `rxblebattery` notification's
//! first byte is the percentage.
//!
//! **Differences from upstream.**
//! - Galaku Rhino Prostate Massager (`G339`) declares a rotate output, for which upstream has no
//!   handler (a panic in debug builds, an error in release), so it cannot even be stopped
//!   cleanly there. plugd puts its speed into the two-motor frame's slot like every other
//!   motor of that frame: the toy's second motor is driven by that slot whatever it does.
//! - A value above 255 or a motor outside slots 0–1 is a definition error instead of being
//!   truncated or dropped with a log line.
//! - Upstream picks the Caiping pump by the hardware's advertised name; plugd reads the same
//!   name from the identifier (galaku's identifier is the advertised name).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/galaku.rs` of buttplugio/buttplug;
//! case `test_galaku.yaml` (upstream; not among the shared cases).

use crate::{EncodeContext, InputReadPlan, ProtocolError, ReadSource};
use plugd_config::{DeviceDefinition, FeatureDefinition};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, InputKind};

/// Database key.
pub const NAME: &str = "galaku";

/// The obfuscation keys: row = previous masked byte & 3, column = byte position.
const KEY_TABLE: [[u8; 12]; 4] = [
    [0, 24, 152, 247, 165, 61, 13, 41, 37, 80, 68, 70],
    [0, 69, 110, 106, 111, 120, 32, 83, 45, 49, 46, 55],
    [0, 101, 120, 32, 84, 111, 121, 115, 10, 142, 157, 163],
    [0, 197, 214, 231, 248, 10, 50, 32, 111, 98, 13, 10],
];
/// The first byte of every frame, also mixed into every mask.
const FRAME_PREFIX: u8 = 0x23;
/// Every payload starts `5a 00 00 01`.
const PAYLOAD_HEADER: [u8; 4] = [0x5a, 0x00, 0x00, 0x01];
/// Payload commands.
const SET_SPEED: u8 = 0x31;
const SET_TWO_SPEEDS: u8 = 0x40;
const REPORT_BATTERY: u8 = 0x13;
/// The advertised name of the Galaku Vision, which takes plain pump packets.
const CAIPING_PUMP_NAME: &str = "AC695X_1(BLE)";
/// Motor slots of the two-motor frame.
const TWO_MOTOR_SLOTS: usize = 2;

/// Frames a 10-byte payload: prefix, payload, checksum, then the masking (see the module doc).
pub(crate) fn obfuscated_frame(payload: [u8; 10]) -> Vec<u8> {
    let mut plain = Vec::with_capacity(payload.len() + 2);
    plain.push(FRAME_PREFIX);
    plain.extend(payload);
    let checksum = plain.iter().fold(0_u8, |sum, byte| sum.wrapping_add(*byte));
    plain.push(checksum);
    let mut masked = Vec::with_capacity(plain.len());
    masked.push(FRAME_PREFIX);
    for (position, byte) in plain.iter().enumerate().skip(1) {
        let row = masked
            .last()
            .map_or(0, |previous| usize::from(previous & 3));
        let key = KEY_TABLE
            .get(row)
            .and_then(|keys| keys.get(position))
            .copied()
            .unwrap_or(0);
        masked.push((key ^ FRAME_PREFIX ^ byte).wrapping_add(key));
    }
    masked
}

/// A payload `5a 00 00 01 <command> <arguments…>`, zero-padded to 10 bytes.
fn payload(command: u8, arguments: &[u8]) -> [u8; 10] {
    let mut payload = [0_u8; 10];
    let mut bytes = PAYLOAD_HEADER
        .iter()
        .chain(std::iter::once(&command))
        .chain(arguments);
    for slot in &mut payload {
        if let Some(byte) = bytes.next() {
            *slot = *byte;
        }
    }
    payload
}

/// Features with at least one output, in feature order.
fn motors(definition: &DeviceDefinition) -> impl Iterator<Item = &FeatureDefinition> {
    definition
        .features
        .iter()
        .filter(|feature| !feature.outputs.is_empty())
}

/// Turns the changed outputs into Galaku frames (see the module table).
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition, a speed does
/// not fit in a byte, or a two-motor device has a motor outside feature indices 0–1.
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
    if motors(definition).count() == 1 {
        let caiping = context.session.identifier.as_deref() == Some(CAIPING_PUMP_NAME);
        return context
            .changed
            .iter()
            .map(|&(feature, kind)| {
                let speed = byte(context.value(feature, kind))?;
                let packet = if caiping {
                    caiping_packet(speed)
                } else {
                    obfuscated_frame(payload(SET_SPEED, &[speed]))
                };
                Ok(HardwareCommand::write(Endpoint::Tx, packet))
            })
            .collect();
    }
    let mut slots = [0_u8; TWO_MOTOR_SLOTS];
    for feature in motors(definition) {
        let Some(output) = feature.outputs.first() else {
            continue;
        };
        let value = context.value(feature.index, output.kind);
        let slot = usize::try_from(feature.index.0)
            .ok()
            .and_then(|index| slots.get_mut(index));
        match slot {
            Some(slot) => *slot = byte(value)?,
            None if context
                .changed
                .iter()
                .any(|(changed, _)| *changed == feature.index) =>
            {
                return Err(ProtocolError::Definition(format!(
                    "feature {}: a two-motor Galaku drives features 0 and 1 only",
                    feature.index
                )))
            }
            None => {}
        }
    }
    let [first, second] = slots;
    Ok(vec![HardwareCommand::write(
        Endpoint::Tx,
        obfuscated_frame(payload(SET_TWO_SPEEDS, &[0x03, first, second])),
    )])
}

/// The Galaku Vision's plain packet.
fn caiping_packet(speed: u8) -> Vec<u8> {
    let mut packet = vec![0xaa, 0x01, 0x0a, 0x03, speed, u8::from(speed != 0)];
    packet.resize(16, 0);
    packet
}

/// A speed as one byte.
fn byte(value: i32) -> Result<u8, ProtocolError> {
    u8::try_from(value.saturating_abs()).map_err(|_| {
        ProtocolError::Definition(format!("speed {value} does not fit in a Galaku byte"))
    })
}

/// Battery: subscribe to `rxblebattery`, ask with the framed report-battery payload (write with
/// response), take the next `rxblebattery` notification.
///
/// # Errors
/// [`ProtocolError::UnsupportedInput`] for any other input kind.
pub fn read_input(
    _definition: &DeviceDefinition,
    feature: FeatureIndex,
    kind: InputKind,
) -> Result<InputReadPlan, ProtocolError> {
    match kind {
        InputKind::Battery => Ok(InputReadPlan {
            send: vec![
                HardwareCommand::Subscribe {
                    endpoint: Endpoint::RxBleBattery,
                },
                HardwareCommand::write_with_response(
                    Endpoint::Tx,
                    obfuscated_frame(payload(REPORT_BATTERY, &[])),
                ),
            ],
            source: ReadSource::Notification {
                endpoint: Endpoint::RxBleBattery,
            },
            parse: parse_battery,
        }),
        other => Err(ProtocolError::UnsupportedInput {
            protocol: NAME,
            what: format!("{other} on feature {feature}"),
        }),
    }
}

/// The notification's first byte is the percentage (0–100).
///
/// # Errors
/// [`ProtocolError::BadReply`] for an empty notification or a first byte above 100.
fn parse_battery(reply: &[u8]) -> Result<i32, ProtocolError> {
    match reply.first() {
        Some(&percent) if percent <= 100 => Ok(i32::from(percent)),
        _ => Err(ProtocolError::BadReply(format!(
            "galaku battery notification {reply:02x?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, write_with_response, Harness};
    use plugd_core::OutputKind::{self, Constrict, Oscillate, Rotate, Vibrate};

    fn tx(data: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, data)
    }

    #[test]
    fn frames_match_the_published_bytes() {
        let cases: [([u8; 10], [u8; 12]); 4] = [
            (
                [0x5a, 0, 0, 1, 0x31, 0, 0, 0, 0, 0],
                [
                    0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x3b, 0x23, 0xbb, 0xa3, 0x3b, 0x90,
                ],
            ),
            (
                [0x5a, 0, 0, 1, 0x31, 100, 0, 0, 0, 0],
                [
                    0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x57, 0x23, 0xbb, 0xa3, 0x3b, 0x44,
                ],
            ),
            (
                [0x5a, 0, 0, 1, 0x60, 3, 0, 50, 0, 0],
                [
                    0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x33, 0xed, 0x43, 0x3b, 0x44,
                ],
            ),
            (
                [0x5a, 0, 0, 1, 0x60, 3, 75, 50, 0, 0],
                [
                    0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x6a, 0x25, 0x43, 0x3b, 0x81,
                ],
            ),
        ];
        for (payload, frame) in cases {
            assert_eq!(obfuscated_frame(payload), frame, "{payload:02x?}");
        }
    }

    #[test]
    fn checksum_wraps_and_every_byte_value_frames_to_12_bytes() {
        for speed in 0..=u8::MAX {
            let frame =
                obfuscated_frame([0xff, 0xff, 0xff, 0xff, 0xff, speed, 0xff, 0xff, 0xff, 0xff]);
            assert_eq!(frame.len(), 12);
            assert_eq!(frame[0], 0x23);
        }
    }

    #[test]
    fn vitality_cat_sets_its_one_speed_with_command_31() {
        // test_galaku.yaml (upstream): 0 %, 100 %, 0 %, 100 %, stop.
        let mut device = Harness::builtin(NAME, Some("GX21"));
        assert_eq!(device.definition.name, "Galaku Vitality Cat");
        let off = [
            0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x3b, 0x23, 0xbb, 0xa3, 0x3b, 0x90,
        ];
        let full = [
            0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x57, 0x23, 0xbb, 0xa3, 0x3b, 0x44,
        ];
        assert_eq!(device.set(&[(0, Vibrate, 0)]), vec![tx(&off)]);
        assert_eq!(device.set(&[(0, Vibrate, 100)]), vec![tx(&full)]);
        assert_eq!(device.stop(), vec![tx(&off)]);
        assert_eq!(
            device.set(&[(0, Vibrate, 50)]),
            vec![tx(&obfuscated_frame([0x5a, 0, 0, 1, 0x31, 50, 0, 0, 0, 0]))]
        );
    }

    #[test]
    fn two_motor_toys_pack_both_speeds_with_command_40() {
        let mut device = Harness::builtin(NAME, Some("G317"));
        assert_eq!(device.definition.name, "Galaku Zaku Aircraft Cup");
        let frame = |first, second| obfuscated_frame([0x5a, 0, 0, 1, 0x40, 3, first, second, 0, 0]);
        assert_eq!(device.set(&[(0, Oscillate, 50)]), vec![tx(&frame(50, 0))]);
        assert_eq!(device.set(&[(1, Vibrate, 100)]), vec![tx(&frame(50, 100))]);
        assert_eq!(
            device.set(&[(0, Oscillate, 1), (1, Vibrate, 2)]),
            vec![tx(&frame(1, 2))]
        );
        assert_eq!(device.stop(), vec![tx(&frame(0, 0))]);
    }

    #[test]
    fn constrict_and_rotate_take_the_second_slot() {
        let frame = |first, second| obfuscated_frame([0x5a, 0, 0, 1, 0x40, 3, first, second, 0, 0]);
        let mut aurora = Harness::builtin(NAME, Some("TFG1"));
        assert_eq!(aurora.set(&[(1, Constrict, 30)]), vec![tx(&frame(0, 30))]);
        let mut rhino = Harness::builtin(NAME, Some("G339"));
        assert_eq!(
            rhino.set(&[(0, Vibrate, 10), (1, Rotate, 20)]),
            vec![tx(&frame(10, 20))]
        );
        assert_eq!(rhino.stop(), vec![tx(&frame(0, 0))]);
    }

    #[test]
    fn repeated_identifier_takes_the_later_configuration() {
        // TFF1 is listed twice; the second (two vibrators) wins.
        let device = Harness::builtin(NAME, Some("TFF1"));
        let kinds: Vec<OutputKind> = device
            .definition
            .features
            .iter()
            .filter_map(|feature| feature.outputs.first().map(|output| output.kind))
            .collect();
        assert_eq!(kinds, [Vibrate, Vibrate]);
    }

    #[test]
    fn galaku_vision_takes_plain_pump_packets() {
        let mut device = Harness::builtin(NAME, Some("AC695X_1(BLE)"));
        assert_eq!(device.definition.name, "Galaku Vision");
        let packet = |speed, on| {
            let mut packet = vec![0xaa, 0x01, 0x0a, 0x03, speed, on];
            packet.extend([0; 10]);
            tx(&packet)
        };
        assert_eq!(device.set(&[(0, Vibrate, 60)]), vec![packet(60, 1)]);
        assert_eq!(device.set(&[(0, Vibrate, 100)]), vec![packet(100, 1)]);
        assert_eq!(device.stop(), vec![packet(0, 0)]);
    }

    #[test]
    fn unknown_name_drives_the_single_motor_defaults() {
        let mut device = Harness::builtin(NAME, Some("GZZZ"));
        assert_eq!(device.definition.name, "Galaku Device");
        assert_eq!(
            device.set(&[(0, Vibrate, 100)]),
            vec![tx(&[
                0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x57, 0x23, 0xbb, 0xa3, 0x3b, 0x44
            ])]
        );
    }

    #[test]
    fn every_configuration_encodes_full_speed_and_stops() {
        let database = plugd_config::DeviceDatabase::builtin();
        let entry = database.protocol(NAME).expect("galaku in the database");
        let identifiers: Vec<&str> = entry.identifiers().collect();
        assert!(identifiers.len() >= 107, "{}", identifiers.len());
        for identifier in identifiers {
            let mut device = Harness::builtin(NAME, Some(identifier));
            let outputs: Vec<(u32, OutputKind, i32)> = device
                .definition
                .features
                .iter()
                .filter_map(|feature| {
                    feature
                        .outputs
                        .first()
                        .map(|output| (feature.index.0, output.kind, output.value.1))
                })
                .collect();
            let written = device.try_set(&outputs);
            assert!(
                written.as_ref().is_ok_and(|commands| !commands.is_empty()),
                "{identifier}: {written:?}"
            );
            assert!(!device.stop().is_empty(), "{identifier}");
        }
    }

    #[test]
    fn output_missing_or_too_large_is_a_definition_error() {
        let mut device = Harness::builtin(NAME, Some("GX21"));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn battery_subscribes_asks_with_response_and_waits_for_a_notification() {
        let device = Harness::builtin(NAME, Some("G317"));
        let plan =
            read_input(&device.definition, FeatureIndex(2), InputKind::Battery).expect("battery");
        assert_eq!(
            plan.send,
            vec![
                HardwareCommand::Subscribe {
                    endpoint: Endpoint::RxBleBattery
                },
                write_with_response(
                    Endpoint::Tx,
                    &[0x23, 0x81, 0xbb, 0xab, 0xd2, 0xce, 0xd3, 0x23, 0xbb, 0xa3, 0x3b, 0xc2]
                ),
            ]
        );
        assert_eq!(
            plan.source,
            ReadSource::Notification {
                endpoint: Endpoint::RxBleBattery
            }
        );
        assert_eq!((plan.parse)(&[87]), Ok(87));
        assert_eq!((plan.parse)(&[100, 0xff, 3]), Ok(100));
        assert_eq!((plan.parse)(&[0]), Ok(0));
    }

    #[test]
    fn battery_notification_that_is_not_a_percentage_is_a_bad_reply() {
        for data in [&[][..], &[101], &[0xff, 50]] {
            assert!(
                matches!(parse_battery(data), Err(ProtocolError::BadReply(_))),
                "{data:?}"
            );
        }
    }

    #[test]
    fn inputs_other_than_battery_are_unsupported() {
        let device = Harness::builtin(NAME, Some("GX21"));
        assert!(matches!(
            read_input(&device.definition, FeatureIndex(1), InputKind::Pressure),
            Err(ProtocolError::UnsupportedInput { protocol: NAME, .. })
        ));
    }
}

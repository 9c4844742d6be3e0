//! Sensee v2: the newer Sensee and Easylive toys (Capsule, Astronaut, No8, Vader, Moonlight,
//! Little Seahorse, Dream Stick, Markel, Gamer, Qingnan #16, …), over a BLE service with `tx`
//! (read once, then written without response) and `rx` (unused).
//!
//! **Init.** One read of `tx` (128 bytes, 500 ms): a frame whose byte 6 is the toy's device type
//! (`66` for the Capsule). A reply too short to have byte 6, or a 0 there, means `65`. A failed
//! read fails the connection, as upstream.
//!
//! **Wire format.** One frame holds every motor, whatever changed:
//!
//! ```text
//! 55 aa f0 02 00 <4 + data length> <device type> f1 <data> 00 00
//! data = <group count> { <group> <motor count> { <motor number> <value> }… }…
//! ```
//!
//! Groups are vibrate (`00`), oscillate/thrust (`01`) and constrict/suction (`02`), in that
//! order, each present when the device has an output of that kind; within a group the motors
//! are numbered from 1 in feature order. Values are the database's 0–100 steps. The two bytes at
//! the end are a CRC slot upstream leaves at `00 00`; the toys accept it. Capsule vibrating at
//! half speed: `55 aa f0 02 00 0d 66 f1 02 00 01 01 32 02 01 01 00 00 00`.
//!
//! **Differences from upstream.** Upstream keeps each group's motors in a hash map, so a group
//! with two motors would be sent in arbitrary order (device-config.md §6.18); plugd uses feature
//! order (no database device has two motors of one kind). Upstream reads byte 6 of a 6-byte
//! reply (a panic); plugd treats it as too short. Values that do not fit a byte are an error
//! instead of being truncated.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/sensee_v2.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitReply, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "sensee-v2";

/// How many bytes the init read asks for.
const MODEL_READ_LENGTH: u32 = 128;
/// How long the init read may take.
const MODEL_READ_TIMEOUT: Duration = Duration::from_millis(500);
/// Where the device type sits in the init reply.
const DEVICE_TYPE_OFFSET: usize = 6;
/// The device type when the reply does not say.
const DEFAULT_DEVICE_TYPE: u8 = 0x65;
/// Start code and protocol version of every frame, then the package number.
const FRAME_HEADER: [u8; 5] = [0x55, 0xaa, 0xf0, 0x02, 0x00];
/// The bytes the length counts besides the data: device type, function, and the CRC slot.
const FRAME_OVERHEAD: usize = 4;
/// Function code: set motors.
const SET_MOTORS: u8 = 0xf1;
/// The unused CRC slot.
const CRC_SLOT: [u8; 2] = [0x00, 0x00];
/// The motor groups, in frame order: (group id, output kind).
const GROUPS: [(u8, OutputKind); 3] = [
    (0x00, OutputKind::Vibrate),
    (0x01, OutputKind::Oscillate),
    (0x02, OutputKind::Constrict),
];

/// Round 0 reads `tx` (the reply names the device type); then init is done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![InitStep::Read {
            endpoint: Endpoint::Tx,
            length: MODEL_READ_LENGTH,
            timeout: MODEL_READ_TIMEOUT,
        }]),
        _ => InitRound::Done,
    })
}

/// The device type from the init replies: byte 6 of the last `tx` reply, unless it is missing
/// or 0, then `65`.
pub fn device_type(replies: &[InitReply]) -> u8 {
    replies
        .iter()
        .rev()
        .find(|reply| reply.endpoint == Endpoint::Tx)
        .and_then(|reply| reply.data.get(DEVICE_TYPE_OFFSET).copied())
        .filter(|device_type| *device_type != 0)
        .unwrap_or(DEFAULT_DEVICE_TYPE)
}

/// One frame with every motor (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate, oscillate and constrict;
/// [`ProtocolError::Definition`] when a changed output is not in the definition, a value does
/// not fit a byte, or the device has too many motors for one frame.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if !GROUPS.iter().any(|&(_, group_kind)| group_kind == kind) {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        let present = context
            .definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !present {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
    }

    let too_many = || ProtocolError::Definition("too many motors for one frame".to_owned());
    let mut data = vec![0];
    let mut group_count: u8 = 0;
    for (group, kind) in GROUPS {
        let features: Vec<_> = context
            .definition
            .outputs_of(kind)
            .map(|(feature, _)| feature.index)
            .collect();
        if features.is_empty() {
            continue;
        }
        group_count += 1;
        data.push(group);
        data.push(u8::try_from(features.len()).map_err(|_| too_many())?);
        for (position, feature) in features.into_iter().enumerate() {
            let number = u8::try_from(position + 1).map_err(|_| too_many())?;
            let value = context.value(feature, kind);
            let value = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("{kind} value {value} does not fit a byte"))
            })?;
            data.extend_from_slice(&[number, value]);
        }
    }
    data[0] = group_count;

    let length = u8::try_from(data.len() + FRAME_OVERHEAD).map_err(|_| too_many())?;
    let mut frame = FRAME_HEADER.to_vec();
    frame.push(length);
    frame.push(device_type(&context.session.init_replies));
    frame.push(SET_MOTORS);
    frame.extend_from_slice(&data);
    frame.extend_from_slice(&CRC_SLOT);
    Ok(vec![HardwareCommand::write(Endpoint::Tx, frame)])
}

#[cfg(test)]
mod tests {
    use super::{device_type, initialize};
    use crate::testing::{write, Harness};
    use crate::{InitContext, InitReply, InitRound, InitStep, ProtocolError};
    use plugd_core::{Endpoint, HardwareCommand, OutputKind};
    use std::time::Duration;
    use OutputKind::{Constrict, Oscillate, Vibrate};

    /// The model frame of upstream's `test_sensee_capsule` case (device type `66`).
    const CAPSULE_MODEL: [u8; 15] = [
        0x55, 0xaa, 0xf0, 0x02, 0x01, 0x0a, 0x66, 0xfa, 0x01, 0x00, 0x00, 0x01, 0xff, 0x05, 0xa6,
    ];

    fn reply(data: &[u8]) -> InitReply {
        InitReply {
            endpoint: Endpoint::Tx,
            data: data.to_vec(),
        }
    }

    fn packet(bytes: &[u8]) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, bytes)]
    }

    fn harness(identifier: Option<&str>, model: &[u8]) -> Harness {
        let mut device = Harness::builtin(super::NAME, identifier);
        device.session.init_replies = vec![reply(model)];
        device
    }

    #[test]
    fn init_reads_128_bytes_of_tx_once() {
        let capsule = Harness::builtin(super::NAME, Some("CCPA10S2"));
        let round = |round| {
            initialize(&InitContext {
                definition: &capsule.definition,
                session: &capsule.session,
                replies: &[],
                round,
            })
        };
        assert_eq!(
            round(0),
            Ok(InitRound::Steps(vec![InitStep::Read {
                endpoint: Endpoint::Tx,
                length: 128,
                timeout: Duration::from_millis(500),
            }]))
        );
        assert_eq!(round(1), Ok(InitRound::Done));
    }

    #[test]
    fn the_device_type_is_byte_6_unless_missing_or_zero() {
        assert_eq!(device_type(&[reply(&CAPSULE_MODEL)]), 0x66);
        assert_eq!(device_type(&[reply(&CAPSULE_MODEL[..7])]), 0x66);
        assert_eq!(device_type(&[reply(&CAPSULE_MODEL[..6])]), 0x65);
        assert_eq!(device_type(&[reply(&[0, 0, 0, 0, 0, 0, 0, 9])]), 0x65);
        assert_eq!(device_type(&[reply(&[])]), 0x65);
        assert_eq!(device_type(&[]), 0x65);
        let elsewhere = InitReply {
            endpoint: Endpoint::Rx,
            data: CAPSULE_MODEL.to_vec(),
        };
        assert_eq!(device_type(&[elsewhere]), 0x65);
    }

    #[test]
    fn capsule_writes_the_bytes_of_upstreams_case() {
        let mut capsule = harness(Some("CCPA10S2"), &CAPSULE_MODEL);
        assert_eq!(capsule.definition.name, "Sensee Capsule");
        let frame = |vibrate: u8, suck: u8| {
            packet(&[
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x0d, 0x66, 0xf1, 0x02, 0x00, 0x01, 0x01, vibrate,
                0x02, 0x01, 0x01, suck, 0x00, 0x00,
            ])
        };
        assert_eq!(capsule.set(&[(0, Vibrate, 50)]), frame(0x32, 0));
        assert_eq!(
            capsule.set(&[(0, Vibrate, 90), (1, Constrict, 50)]),
            frame(0x5a, 0x32)
        );
        assert_eq!(capsule.set(&[(0, Vibrate, 0)]), frame(0, 0x32));
        assert_eq!(capsule.set(&[(1, Constrict, 100)]), frame(0, 0x64));
        assert_eq!(capsule.stop(), frame(0, 0));
    }

    #[test]
    fn markel_sends_three_groups_in_kind_order_with_the_default_type() {
        let mut markel = harness(Some("CCPB22S5"), &[0x55, 0xaa]);
        assert_eq!(
            markel.set(&[(0, Vibrate, 1), (1, Oscillate, 2), (2, Constrict, 3)]),
            packet(&[
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x11, 0x65, 0xf1, 0x03, 0x00, 0x01, 0x01, 0x01, 0x01,
                0x01, 0x01, 0x02, 0x02, 0x01, 0x01, 0x03, 0x00, 0x00,
            ])
        );
    }

    #[test]
    fn dream_stick_lists_vibration_first_though_its_thruster_is_feature_0() {
        let mut dream_stick = harness(Some("CTY916S4"), &CAPSULE_MODEL);
        assert_eq!(
            dream_stick.set(&[(0, Oscillate, 100)]),
            packet(&[
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x0d, 0x66, 0xf1, 0x02, 0x00, 0x01, 0x01, 0x00, 0x01,
                0x01, 0x01, 0x64, 0x00, 0x00,
            ])
        );
    }

    #[test]
    fn qingnan_sends_one_suction_group() {
        let mut qingnan = harness(Some("qingnan#16"), &CAPSULE_MODEL);
        assert_eq!(
            qingnan.set(&[(0, Constrict, 40)]),
            packet(&[
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x09, 0x66, 0xf1, 0x01, 0x02, 0x01, 0x01, 0x28, 0x00,
                0x00,
            ])
        );
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut capsule = harness(None, &CAPSULE_MODEL);
        assert!(matches!(
            capsule.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            capsule.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Fredorch ("YXlinksSPP"): a stroking machine driven like a Modbus RTU device over a BLE UART
//! (`tx` to write, `rx` for notifications). Its one output is a position, 0–15, reached over a
//! duration.
//!
//! **Frames.** Every frame ends in its CRC-16/MODBUS, low byte first. `01 06 <register>
//! <value>` sets one register; `01 10 00 6B 00 05 0A <5 registers>` programs a move:
//! `00 <speed> 00 <speed> 00 <from> 00 <to> 00 01`, positions in tenths of the travel (0–150),
//! speeds 1–20.
//!
//! **Connecting.** The machine announces itself with a notification (`00 01 00 01 01`) once
//! `rx` is subscribed, but upstream goes on after 500 ms without it, and so does plugd. Then five
//! frames, each echoed on `rx` within 500 ms — a missing echo fails the connection, as
//! upstream:
//! 1. `01 06 00 64 00 01` program mode;
//! 2. `01 06 00 69 00 00` record;
//! 3. the move program "to 0 at speed 5";
//! 4. `01 06 00 69 00 01` run the program;
//! 5. `01 06 00 6A 00 01` repeat it.
//!
//! The subscription and the optional announcement run as identification steps (the identifier
//! stays the advertised name): their reply then lives in the session's identification replies,
//! and the five init rounds see only the echoes, so "one echo per frame" is a plain count.
//!
//! **Moves.** The machine has no duration, only a speed: the speed is looked up from the
//! distance to travel (from the position at the previous command, 0 at first — init parks it
//! there) and the wanted duration in upstream's table of measured travel times: the slowest
//! speed that is faster than the duration, 20 when none is, 0 when there is nothing to travel.
//! Both `<from>` and `<to>` are the target, so the program holds it. A Stop writes nothing: the
//! machine only has a position, and the Device zeroes no position on Stop.
//!
//! **The shared case.** test_fredorch_protocol.yaml's init is reproduced byte for byte. Its two
//! moves (`… 00 07 00 07 00 4B 00 4B …`, `… 00 0F 00 0F 00 96 00 96 …`) do not follow from the
//! database's 0–15 range (75 is not a multiple of 10; 0.51 of 15 is 7, which the table gives
//! speed 12 for 200 ms); upstream never runs the case. The unit tests check that the frame
//! builder reproduces those bytes and checksums for the speeds and positions they carry.
//!
//! Upstream also has an oscillate handler for this machine; the database gives it no oscillate
//! output, so plugd has none.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/fredorch.rs` of buttplugio/buttplug
//! (which remembers the last position in an atomic; plugd reads the previous value).

use crate::{EncodeContext, InitContext, InitReply, InitRound, InitStep, ProtocolError};
use crc::{Crc, CRC_16_MODBUS};
use plugd_config::DeviceIdentity;
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "fredorch";

/// How long the announcement and each echo may take.
const REPLY_TIMEOUT: Duration = Duration::from_millis(500);
/// The frame checksum.
const MODBUS: Crc<u16> = Crc::<u16>::new(&CRC_16_MODBUS);
/// Positions are sent in tenths of the travel.
const POSITION_SCALE: i32 = 10;
/// The highest position the speed table knows.
const MAX_DISTANCE: u32 = 15;
/// The fastest speed.
const MAX_SPEED: u8 = 20;

/// The init frames (without their checksums), in order.
const INIT_FRAMES: [&[u8]; 5] = [
    // Program mode.
    &[0x01, 0x06, 0x00, 0x64, 0x00, 0x01],
    // Record.
    &[0x01, 0x06, 0x00, 0x69, 0x00, 0x00],
    // Move to 0 at speed 5.
    &[
        0x01, 0x10, 0x00, 0x6B, 0x00, 0x05, 0x0A, 0x00, 0x05, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x01,
    ],
    // Run the program.
    &[0x01, 0x06, 0x00, 0x69, 0x00, 0x01],
    // Repeat it.
    &[0x01, 0x06, 0x00, 0x6A, 0x00, 0x01],
];

/// Measured travel times in ms: row = distance 1–15, column = speed 1–20 (upstream's table).
const TRAVEL_MS: [[u32; 20]; 15] = [
    [
        1000, 800, 400, 235, 200, 172, 155, 92, 60, 45, 38, 34, 32, 28, 27, 26, 25, 24, 23, 22,
    ],
    [
        1500, 1000, 800, 680, 600, 515, 425, 265, 165, 115, 80, 70, 50, 48, 45, 35, 34, 33, 32, 30,
    ],
    [
        2500, 2310, 1135, 925, 792, 695, 565, 380, 218, 155, 105, 82, 70, 68, 65, 60, 48, 45, 43,
        40,
    ],
    [
        3000, 2800, 1500, 1155, 965, 810, 690, 465, 260, 195, 140, 110, 85, 75, 74, 73, 70, 65, 60,
        55,
    ],
    [
        3400, 3232, 2305, 1380, 1200, 1165, 972, 565, 328, 235, 162, 132, 98, 78, 75, 74, 73, 72,
        71, 70,
    ],
    [
        3500, 3350, 2500, 1640, 1250, 1210, 1010, 645, 385, 275, 175, 160, 115, 95, 91, 90, 85, 80,
        77, 75,
    ],
    [
        3600, 3472, 2980, 2060, 1560, 1275, 1132, 738, 430, 310, 230, 170, 128, 122, 110, 108, 105,
        103, 101, 100,
    ],
    [
        3800, 3500, 3055, 2105, 1740, 1370, 1290, 830, 490, 355, 235, 195, 150, 140, 135, 132, 130,
        125, 120, 119,
    ],
    [
        3900, 3518, 3190, 2315, 2045, 1510, 1442, 1045, 552, 392, 280, 225, 172, 145, 140, 138,
        135, 134, 132, 130,
    ],
    [
        6000, 5755, 3240, 2530, 2135, 1605, 1500, 1200, 595, 425, 285, 245, 175, 170, 160, 155,
        150, 145, 142, 140,
    ],
    [
        6428, 5872, 3335, 2780, 2270, 1782, 1590, 1310, 648, 470, 315, 255, 182, 180, 175, 172,
        170, 162, 160, 155,
    ],
    [
        6730, 5950, 3490, 2995, 2395, 1890, 1650, 1350, 700, 500, 350, 290, 220, 190, 185, 180,
        175, 170, 165, 160,
    ],
    [
        6962, 6122, 3880, 3205, 2465, 1900, 1700, 1400, 835, 545, 375, 310, 228, 195, 190, 185,
        182, 181, 180, 175,
    ],
    [
        7945, 6365, 4130, 3470, 2505, 1910, 1755, 1510, 855, 580, 400, 330, 235, 210, 205, 200,
        195, 190, 185, 180,
    ],
    [
        8048, 7068, 4442, 3708, 2668, 1930, 1800, 1520, 878, 618, 428, 365, 260, 255, 250, 240,
        230, 220, 210, 200,
    ],
];

/// Identification: subscribe to `rx`, then give the machine 500 ms to announce itself.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    vec![
        InitStep::Send(HardwareCommand::Subscribe {
            endpoint: Endpoint::Rx,
        }),
        InitStep::AwaitNotification {
            endpoint: Some(Endpoint::Rx),
            timeout: REPLY_TIMEOUT,
        },
    ]
}

/// The advertised name, as for any protocol without its own identification (the
/// announcement carries no model).
pub fn resolve_identifier(identity: &DeviceIdentity, _replies: &[InitReply]) -> Option<String> {
    Some(identity.name.clone())
}

/// Rounds 0–4 send init frame `round` and await its echo; every round first checks that each
/// frame sent so far was echoed.
///
/// # Errors
/// [`ProtocolError::BadReply`] when a frame got no echo within 500 ms.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    let sent = usize::try_from(context.round).unwrap_or(usize::MAX);
    let echoed = context
        .replies
        .iter()
        .filter(|reply| reply.endpoint == Endpoint::Rx)
        .count();
    if echoed < sent.min(INIT_FRAMES.len()) {
        return Err(ProtocolError::BadReply(format!(
            "init frame {} was not echoed within {REPLY_TIMEOUT:?}",
            echoed + 1
        )));
    }
    Ok(match INIT_FRAMES.get(sent) {
        Some(frame) => InitRound::Steps(vec![InitStep::SendAwaitNotification {
            command: HardwareCommand::write(Endpoint::Tx, with_checksum(frame)),
            endpoint: Some(Endpoint::Rx),
            timeout: REPLY_TIMEOUT,
            attempts: 1,
        }]),
        None => InitRound::Done,
    })
}

/// One move program per changed position.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but hw_position_with_duration;
/// [`ProtocolError::Definition`] for a feature the device lacks or a position beyond the frame.
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
            let target = context.current.get(&(feature, kind));
            let position = target.map_or(0, |target| target.value);
            let duration = target.and_then(|target| target.duration).unwrap_or(0);
            let previous = context.previous_value(feature, kind).unwrap_or(0);
            let speed = speed_for(position.abs_diff(previous), duration);
            let scaled = position
                .checked_mul(POSITION_SCALE)
                .and_then(|scaled| u8::try_from(scaled).ok())
                .ok_or_else(|| {
                    ProtocolError::Definition(format!("position {position} does not fit a frame"))
                })?;
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                move_frame(speed, scaled),
            ))
        })
        .collect()
}

/// The slowest speed whose measured travel time over `distance` is below `duration` ms; 20
/// when none is; 0 for no travel. Distances beyond the table count as its longest.
fn speed_for(distance: u32, duration: u32) -> u8 {
    let Some(row) = distance
        .min(MAX_DISTANCE)
        .checked_sub(1)
        .and_then(|row| TRAVEL_MS.get(usize::try_from(row).ok()?))
    else {
        return 0;
    };
    (1..=MAX_SPEED)
        .zip(row.iter())
        .find(|(_, travel)| **travel < duration)
        .map_or(MAX_SPEED, |(speed, _)| speed)
}

/// `01 10 00 6B 00 05 0A 00 <speed> 00 <speed> 00 <to> 00 <to> 00 01` and its checksum.
fn move_frame(speed: u8, position: u8) -> Vec<u8> {
    with_checksum(&[
        0x01, 0x10, 0x00, 0x6B, 0x00, 0x05, 0x0A, 0x00, speed, 0x00, speed, 0x00, position, 0x00,
        position, 0x00, 0x01,
    ])
}

/// The frame followed by its CRC-16/MODBUS, low byte first.
fn with_checksum(frame: &[u8]) -> Vec<u8> {
    let mut data = frame.to_vec();
    data.extend(MODBUS.checksum(frame).to_le_bytes());
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use plugd_config::Transport;
    use OutputKind::HwPositionWithDuration;

    fn fredorch() -> Harness {
        Harness::builtin(NAME, Some("YXlinksSPP"))
    }

    fn echo(data: &[u8]) -> InitReply {
        InitReply {
            endpoint: Endpoint::Rx,
            data: data.to_vec(),
        }
    }

    fn round(
        device: &Harness,
        round: u32,
        replies: &[InitReply],
    ) -> Result<InitRound, ProtocolError> {
        initialize(&InitContext {
            definition: &device.definition,
            session: &device.session,
            replies,
            round,
        })
    }

    /// The shared case's init writes, checksums included.
    const CASE_INIT: [&[u8]; 5] = [
        &[0x01, 0x06, 0x00, 0x64, 0x00, 0x01, 0x09, 0xD5],
        &[0x01, 0x06, 0x00, 0x69, 0x00, 0x00, 0x59, 0xD6],
        &[
            0x01, 0x10, 0x00, 0x6B, 0x00, 0x05, 0x0A, 0x00, 0x05, 0x00, 0x05, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x01, 0xC0, 0xC3,
        ],
        &[0x01, 0x06, 0x00, 0x69, 0x00, 0x01, 0x98, 0x16],
        &[0x01, 0x06, 0x00, 0x6A, 0x00, 0x01, 0x68, 0x16],
    ];

    #[test]
    fn identification_subscribes_and_waits_for_the_announcement() {
        let identity = DeviceIdentity::named(Transport::Btle, "YXlinksSPP", "address");
        assert_eq!(
            identify_steps(&identity),
            vec![
                InitStep::Send(HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }),
                InitStep::AwaitNotification {
                    endpoint: Some(Endpoint::Rx),
                    timeout: Duration::from_millis(500),
                },
            ]
        );
        let announcement = [echo(&[0x00, 0x01, 0x00, 0x01, 0x01])];
        for replies in [&announcement[..], &[]] {
            assert_eq!(
                resolve_identifier(&identity, replies).as_deref(),
                Some("YXlinksSPP")
            );
        }
    }

    #[test]
    fn init_sends_the_five_frames_of_the_shared_case_each_awaiting_its_echo() {
        // test_fredorch_protocol.yaml.
        let device = fredorch();
        let mut replies = Vec::new();
        for (index, frame) in CASE_INIT.iter().enumerate() {
            let index = u32::try_from(index).expect("five frames");
            assert_eq!(
                round(&device, index, &replies),
                Ok(InitRound::Steps(vec![InitStep::SendAwaitNotification {
                    command: write(Endpoint::Tx, frame),
                    endpoint: Some(Endpoint::Rx),
                    timeout: Duration::from_millis(500),
                    attempts: 1,
                }]))
            );
            replies.push(echo(frame));
        }
        assert_eq!(round(&device, 5, &replies), Ok(InitRound::Done));
    }

    #[test]
    fn a_missing_echo_fails_init() {
        let device = fredorch();
        let replies = [echo(CASE_INIT[0])];
        assert!(matches!(
            round(&device, 2, &replies),
            Err(ProtocolError::BadReply(_))
        ));
        assert!(matches!(
            round(&device, 5, &replies),
            Err(ProtocolError::BadReply(_))
        ));
    }

    #[test]
    fn the_frame_builder_reproduces_the_shared_case_moves() {
        assert_eq!(
            move_frame(0x07, 0x4B),
            vec![
                0x01, 0x10, 0x00, 0x6B, 0x00, 0x05, 0x0A, 0x00, 0x07, 0x00, 0x07, 0x00, 0x4B, 0x00,
                0x4B, 0x00, 0x01, 0x2E, 0x7B
            ]
        );
        assert_eq!(
            move_frame(0x0F, 0x96),
            vec![
                0x01, 0x10, 0x00, 0x6B, 0x00, 0x05, 0x0A, 0x00, 0x0F, 0x00, 0x0F, 0x00, 0x96, 0x00,
                0x96, 0x00, 0x01, 0xBC, 0x52
            ]
        );
    }

    #[test]
    fn speed_comes_from_distance_and_duration() {
        // Distance 7 from the parked position: 170 ms is the first time under 200 → speed 12.
        assert_eq!(speed_for(7, 200), 12);
        assert_eq!(speed_for(1, 2000), 1);
        assert_eq!(speed_for(1, 1000), 2);
        assert_eq!(speed_for(15, 50), 20);
        assert_eq!(speed_for(40, 8049), 1);
        assert_eq!(speed_for(0, 500), 0);
    }

    #[test]
    fn moves_are_programmed_from_the_previous_position() {
        let mut device = fredorch();
        assert_eq!(
            device.set_with_duration(&[(0, HwPositionWithDuration, 7, Some(200))]),
            vec![write(Endpoint::Tx, &move_frame(12, 70))]
        );
        // From 7 to 15 is a distance of 8; 50 ms is faster than any measured time.
        assert_eq!(
            device.set_with_duration(&[(0, HwPositionWithDuration, 15, Some(50))]),
            vec![write(Endpoint::Tx, &move_frame(20, 150))]
        );
        // Back to 0 (distance 15) over 2.6 s: speed 4 (3708 ms) is too slow, 5 (2668) too,
        // 6 (1930) is the first under 2600.
        assert_eq!(
            device.set_with_duration(&[(0, HwPositionWithDuration, 0, Some(2600))]),
            vec![write(Endpoint::Tx, &move_frame(6, 0))]
        );
    }

    #[test]
    fn stop_writes_nothing() {
        let mut device = fredorch();
        device.set_with_duration(&[(0, HwPositionWithDuration, 7, Some(200))]);
        assert_eq!(device.stop(), vec![]);
    }

    #[test]
    fn other_outputs_and_positions_beyond_the_frame_are_errors() {
        let mut device = fredorch();
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set_with_duration(&[(0, HwPositionWithDuration, 26, Some(10))]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set_with_duration(&[(0, HwPositionWithDuration, -1, Some(10))]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

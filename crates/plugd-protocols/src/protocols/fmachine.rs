//! fmachine: F-Machine Gigolo BT-R, Tremblr BT-R and Alpha (advertised `FM-*`, v5 database) —
//! a fucking machine whose stroke speed (oscillate, 0–28) is driven by pressing its remote's
//! buttons over BLE. The machine tells nothing back: no speed, no on/off state.
//!
//! **Wire format.** Every button event is an 18-byte packet to `tx` (`fff1` of service `fff0`),
//! **with** response: `<command> 64 00 00 00 00 31 32 33 34 00 00 00 00 00 00 00 <crc>` — `1234`
//! is the pairing password. The CRC counts the set bits `n` of the first 17 bytes and is
//! `222 − n` when `n % 3 == 0`, `n / 2 + 111` when it is 1, `n / 3 + 177` when it is 2. A button
//! press is two packets, the press and its release:
//!
//! | button | press | release |
//! |---|---|---|
//! | on/off | `01` | `02` |
//! | speed up | `05` | `03` |
//! | speed down | `06` | `03` |
//!
//! **Speed model.** The machine remembers a speed from 1 up, and on/off starts or stops it at
//! that speed; speed down stops at 1. Init subscribes to `rx` (upstream only logs what comes
//! there) and presses speed down 55 times, 60 ms apart — the official app's remote-start
//! sequence — so the remembered speed is 1 and the machine is off. From then on the value is
//! the model: 0 is off, `n` is running at speed `n`. Going from `p` to `v`:
//! - off → `v`: on/off, then `v − 1` × speed up;
//! - `p` → off: on/off, then `p − 1` × speed down, so the remembered speed is 1 again;
//! - `p` → `v` (both running): `|v − p|` × speed up or speed down.
//!
//! **Where plugd differs.**
//! - Pacing. The machine takes one speed step per 200 ms; upstream runs a loop that presses at
//!   most one step (plus on/off) every 200 ms towards the target. plugd has no timer of its own
//!   here: one command's presses are written back to back, each acknowledged (write with
//!   response), so a big jump may outrun the machine and lose steps. Pacing them needs Device
//!   support (a pause between the packets of one command, or encode returning waits). The init
//!   sequence is paced, with `Wait` steps.
//! - Off → `v ≥ 2`: upstream's loop presses speed up `v` times (its first step counts the start
//!   from off as a speed step), leaving the machine one step above the target; plugd presses
//!   `v − 1` times, which is what upstream's comments describe.
//! - The Tremblr's and Alpha's second function (suction, stroke length) has no feature, as
//!   upstream.
//!
//! ref: `src/device/protocol_impl/fmachine.rs` of the `buttplug_server` 12 crate.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "fmachine";

/// Button press: on/off.
const ON_OFF_PRESS: u8 = 0x01;
/// Button release: on/off.
const ON_OFF_RELEASE: u8 = 0x02;
/// Button release: either speed button.
const SPEED_RELEASE: u8 = 0x03;
/// Button press: speed up.
const SPEED_UP: u8 = 0x05;
/// Button press: speed down.
const SPEED_DOWN: u8 = 0x06;
/// Speed-down presses at init: enough to bring the remembered speed from its top to 1.
const INIT_PRESSES: usize = 55;
/// Pause after each init press.
const INIT_STEP: Duration = Duration::from_millis(60);
/// The stroke speed feature.
const SPEED_FEATURE: FeatureIndex = FeatureIndex(0);

/// Init: subscribe to `rx`, then 55 paced speed-down presses (one round).
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    if context.round > 0 {
        return Ok(InitRound::Done);
    }
    let mut steps = Vec::with_capacity(1 + INIT_PRESSES * 3);
    steps.push(InitStep::Send(HardwareCommand::Subscribe {
        endpoint: Endpoint::Rx,
    }));
    for _ in 0..INIT_PRESSES {
        let [press, release] = button(SPEED_DOWN, SPEED_RELEASE);
        steps.push(InitStep::Send(press));
        steps.push(InitStep::Send(release));
        steps.push(InitStep::Wait(INIT_STEP));
    }
    Ok(InitRound::Steps(steps))
}

/// The button presses that take the machine from the previous speed to the current one (see
/// the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but oscillate; [`ProtocolError::Definition`]
/// for a feature other than the speed or a value outside its range.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Oscillate {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        if feature != SPEED_FEATURE {
            return Err(ProtocolError::Definition(format!(
                "F-Machine has no function at feature {feature}"
            )));
        }
    }
    let top = context
        .definition
        .feature(SPEED_FEATURE)
        .and_then(|feature| feature.output(OutputKind::Oscillate))
        .map(|output| output.value.1)
        .ok_or_else(|| ProtocolError::Definition("no speed output at feature 0".to_owned()))?;
    let check = |speed: i32| {
        u32::try_from(speed)
            .ok()
            .filter(|_| speed <= top)
            .ok_or_else(|| ProtocolError::Definition(format!("speed {speed} is outside 0-{top}")))
    };
    let previous = check(
        context
            .previous_value(SPEED_FEATURE, OutputKind::Oscillate)
            .unwrap_or(0),
    )?;
    let target = check(context.value(SPEED_FEATURE, OutputKind::Oscillate))?;
    Ok(presses(previous, target)
        .into_iter()
        .flat_map(|(press, release)| button(press, release))
        .collect())
}

/// The (press, release) buttons from `previous` to `target`, 0 meaning off.
fn presses(previous: u32, target: u32) -> Vec<(u8, u8)> {
    let mut presses = Vec::new();
    let (from, to) = match (previous, target) {
        (0, 0) => return presses,
        (0, target) => {
            presses.push((ON_OFF_PRESS, ON_OFF_RELEASE));
            (1, target)
        }
        (previous, 0) => {
            presses.push((ON_OFF_PRESS, ON_OFF_RELEASE));
            (previous, 1)
        }
        (previous, target) => (previous, target),
    };
    let button = if to > from { SPEED_UP } else { SPEED_DOWN };
    for _ in 0..from.abs_diff(to) {
        presses.push((button, SPEED_RELEASE));
    }
    presses
}

/// A press and its release, both written with response.
fn button(press: u8, release: u8) -> [HardwareCommand; 2] {
    [
        HardwareCommand::write_with_response(Endpoint::Tx, packet(press)),
        HardwareCommand::write_with_response(Endpoint::Tx, packet(release)),
    ]
}

/// `<command> 64 00 00 00 00 31 32 33 34 00 00 00 00 00 00 00 <crc>`.
fn packet(command: u8) -> Vec<u8> {
    let mut packet = vec![
        command, 0x64, 0x00, 0x00, 0x00, 0x00, 0x31, 0x32, 0x33, 0x34, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00,
    ];
    packet.push(crc(&packet));
    packet
}

/// The packet CRC: from the count `n` of set bits, `222 − n`, `n / 2 + 111` or `n / 3 + 177`
/// by `n % 3` (wrapping to a byte, as upstream's cast does).
fn crc(data: &[u8]) -> u8 {
    let bits: u32 = data.iter().map(|byte| byte.count_ones()).sum();
    let crc = match bits % 3 {
        0 => 222_u32.wrapping_sub(bits),
        1 => bits / 2 + 111,
        _ => bits / 3 + 177,
    };
    crc.to_le_bytes()[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use crate::ProtocolSession;
    use OutputKind::{Oscillate, Vibrate};

    fn frame(command: u8, crc: u8) -> Vec<u8> {
        vec![
            command, 0x64, 0x00, 0x00, 0x00, 0x00, 0x31, 0x32, 0x33, 0x34, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, crc,
        ]
    }

    /// The packets of one button, with the CRCs worked out by hand: 16 bits are set besides the
    /// command byte, so `01`/`02` (17 bits) give 17 / 3 + 177 = 182 and `03`/`05`/`06`
    /// (18 bits) give 222 − 18 = 204.
    fn press(button: &str) -> Vec<HardwareCommand> {
        let (press, release) = match button {
            "on/off" => (frame(0x01, 0xB6), frame(0x02, 0xB6)),
            "up" => (frame(0x05, 0xCC), frame(0x03, 0xCC)),
            "down" => (frame(0x06, 0xCC), frame(0x03, 0xCC)),
            _ => unreachable!("test button"),
        };
        vec![
            write_with_response(Endpoint::Tx, &press),
            write_with_response(Endpoint::Tx, &release),
        ]
    }

    fn presses(buttons: &[&str]) -> Vec<HardwareCommand> {
        buttons.iter().flat_map(|button| press(button)).collect()
    }

    fn gigolo() -> Harness {
        Harness::builtin(NAME, Some("FM-G"))
    }

    #[test]
    fn the_crc_follows_the_bit_count_rule() {
        assert_eq!(crc(&[]), 222);
        assert_eq!(crc(&[0x01]), 111);
        assert_eq!(crc(&[0x03]), 177);
        assert_eq!(crc(&[0xFF; 3]), 198);
        assert_eq!(crc(&[0xFF, 0xFF, 0x01]), 182);
        assert_eq!(crc(&[0xFF; 17]), 179);
        assert_eq!(crc(&[0xFF; 30]), 238, "222 - 240 wraps");
        assert_eq!(packet(0x01), frame(0x01, 0xB6));
        assert_eq!(packet(0x03), frame(0x03, 0xCC));
    }

    #[test]
    fn the_models_share_one_speed_output() {
        for (identifier, name) in [
            ("FM-G", "F-Machine Gigolo BT-R"),
            ("FM-T", "F-Machine Tremblr BT-R"),
            ("FM-A", "F-Machine Alpha"),
        ] {
            let device = Harness::builtin(NAME, Some(identifier));
            assert_eq!(device.definition.name, name);
            assert_eq!(device.definition.outputs_of(Oscillate).count(), 1);
        }
    }

    #[test]
    fn init_subscribes_then_presses_speed_down_fifty_five_times_sixty_ms_apart() {
        let device = gigolo();
        let session = ProtocolSession::default();
        let context = |round| InitContext {
            definition: &device.definition,
            session: &session,
            replies: &[],
            round,
        };
        let Ok(InitRound::Steps(steps)) = initialize(&context(0)) else {
            panic!("init has one round of steps");
        };
        assert_eq!(steps.len(), 1 + 55 * 3);
        assert_eq!(
            steps[0],
            InitStep::Send(HardwareCommand::Subscribe {
                endpoint: Endpoint::Rx
            })
        );
        let down = press("down");
        for chunk in steps[1..].chunks(3) {
            assert_eq!(
                chunk,
                &[
                    InitStep::Send(down[0].clone()),
                    InitStep::Send(down[1].clone()),
                    InitStep::Wait(Duration::from_millis(60)),
                ]
            );
        }
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn starting_presses_on_off_then_speed_up_to_the_target() {
        let mut device = gigolo();
        assert_eq!(device.set(&[(0, Oscillate, 1)]), presses(&["on/off"]));
        let mut device = gigolo();
        assert_eq!(
            device.set(&[(0, Oscillate, 4)]),
            presses(&["on/off", "up", "up", "up"])
        );
    }

    #[test]
    fn changing_speed_while_running_presses_the_difference() {
        let mut device = gigolo();
        device.set(&[(0, Oscillate, 14)]);
        assert_eq!(device.set(&[(0, Oscillate, 16)]), presses(&["up", "up"]));
        assert_eq!(device.set(&[(0, Oscillate, 15)]), presses(&["down"]));
        assert_eq!(
            device.set(&[(0, Oscillate, 28)]).len(),
            13 * 2,
            "thirteen presses up to the top speed"
        );
    }

    #[test]
    fn stopping_presses_on_off_then_speed_down_to_one() {
        let mut device = gigolo();
        device.set(&[(0, Oscillate, 3)]);
        assert_eq!(
            device.set(&[(0, Oscillate, 0)]),
            presses(&["on/off", "down", "down"])
        );
        assert_eq!(device.set(&[(0, Oscillate, 2)]), presses(&["on/off", "up"]));
        assert_eq!(device.stop(), presses(&["on/off", "down"]));
    }

    #[test]
    fn stop_before_any_command_presses_nothing() {
        assert!(gigolo().stop().is_empty());
    }

    #[test]
    fn other_kinds_features_and_speeds_are_refused() {
        let mut device = gigolo();
        assert_eq!(
            device.try_set(&[(0, Vibrate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Vibrate
            })
        );
        assert!(matches!(
            device.try_set(&[(1, Oscillate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut device = gigolo();
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 29)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut device = gigolo();
        assert!(matches!(
            device.try_set(&[(0, Oscillate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

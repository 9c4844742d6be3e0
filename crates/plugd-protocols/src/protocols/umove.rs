//! umove: Umove (and the Alove-branded) toys over the Nordic UART service (v5 database): Mira
//! (`Mi`: vibrator 0–10000, a linear axis 0–632, heating 37–42), Vero (`Vx`: axis 0–732 only),
//! Nexo (`Nx`: axis 0–1232 only). The axis takes both `position` and
//! `hw_position_with_duration`.
//!
//! **Identification.** The identifier is the advertised name's third and fourth characters
//! (`UMVxB…` → `Vx`, `ALMiB…` → `Mi`); a name too short for that gets the defaults (upstream
//! would panic slicing it).
//!
//! **Wire format** (`tx`, without response). Vibration and the axis share one 16-byte motion
//! packet holding both: `5a a5 55 00 <vibrate u16> 01 00 <packet id u32> <position u32>`, all
//! little-endian. The packet id counts motion packets; plugd takes it from the session counter,
//! which the Device advances by every packet written (so a heating packet also uses up an id
//! and the ids have gaps where upstream's do not). Heating is its own packet, on/off by level:
//! `5a a5 55 06 ff ff 00 00 ff ff ff ff <level> ff`. One client frame changing vibration and
//! the axis gives one motion packet (upstream tags motion packets with one fixed command id, so
//! its message gap keeps the newest); a heating change adds its packet after it.
//!
//! **Keepalive.** Upstream repeats the last packet after 500 ms of silence, which plugd's
//! Device does (and stops the toy right after connecting: a motion packet with everything 0,
//! so the axis goes to 0, as upstream's).
//!
//! **Where plugd differs.**
//! - `hw_position_with_duration`: upstream moves the axis there in steps from a spawned loop
//!   (duration / 100 steps, a packet every 50 ms). plugd writes the target once and the toy
//!   moves at its own pace, like `position` (which upstream also writes at once). Timed moves
//!   need a Device timer calling this encoder with intermediate positions.
//! - The motion packet also carries the axis position when only vibration changes. The axis has
//!   two output kinds and the Device does not say which one was written last, so when both
//!   have values and neither changed now, plugd takes the `hw_position_with_duration` target.
//!
//! ref: `src/device/protocol_impl/umove.rs` of the `buttplug_server` 12 crate.

use crate::{EncodeContext, InitReply, InitStep, ProtocolError};
use plugd_config::{DeviceDefinition, DeviceIdentity};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "umove";

/// Re-send the last packet after this much silence.
pub const KEEPALIVE: Duration = Duration::from_millis(500);

/// The motion packet's first four bytes.
const MOTION_HEADER: [u8; 4] = [0x5A, 0xA5, 0x55, 0x00];
/// The constant between the vibration and the packet id.
const MOTION_MODE: [u8; 2] = [0x01, 0x00];

/// No identification exchange: the name holds the model.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    Vec::new()
}

/// The advertised name's third and fourth characters (`UMVxB01` → `Vx`); `None` (the defaults)
/// when the name is too short.
pub fn resolve_identifier(identity: &DeviceIdentity, _replies: &[InitReply]) -> Option<String> {
    let model: String = identity.name.chars().skip(2).take(2).collect();
    (model.chars().count() == 2).then_some(model)
}

/// A motion packet when vibration or the axis changed, then a heating packet when heating
/// changed.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds the toys lack; [`ProtocolError::Definition`]
/// for a changed output the definition lacks or a value that does not fit its field.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mut motion = false;
    let mut heating = None;
    for &(feature, kind) in context.changed {
        match kind {
            OutputKind::Vibrate | OutputKind::Position | OutputKind::HwPositionWithDuration => {
                motion = true;
            }
            OutputKind::Temperature => heating = Some(feature),
            _ => {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind,
                })
            }
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
    }
    let mut commands = Vec::with_capacity(2);
    if motion {
        let vibrate = find_output(context.definition, OutputKind::Vibrate)
            .map(|feature| context.value(feature, OutputKind::Vibrate))
            .unwrap_or(0);
        let vibrate = u16::try_from(vibrate).map_err(|_| {
            ProtocolError::Definition(format!("vibration {vibrate} does not fit in 16 bits"))
        })?;
        let position = axis_position(context);
        let position = u32::try_from(position).map_err(|_| {
            ProtocolError::Definition(format!("axis position {position} is negative"))
        })?;
        commands.push(HardwareCommand::write(
            Endpoint::Tx,
            motion_packet(vibrate, context.session.counter, position),
        ));
    }
    if let Some(feature) = heating {
        let level = context.value(feature, OutputKind::Temperature);
        let level = u8::try_from(level).map_err(|_| {
            ProtocolError::Definition(format!("heating level {level} does not fit in a byte"))
        })?;
        commands.push(HardwareCommand::write(Endpoint::Tx, heating_packet(level)));
    }
    Ok(commands)
}

/// The first feature with an output of `kind`.
fn find_output(definition: &DeviceDefinition, kind: OutputKind) -> Option<FeatureIndex> {
    definition
        .features
        .iter()
        .find(|feature| feature.output(kind).is_some())
        .map(|feature| feature.index)
}

/// Where the axis should be: the axis output changed now (a timed move wins over a direct one
/// in the same frame), else the timed target, else the direct position, else 0.
fn axis_position(context: &EncodeContext<'_>) -> i32 {
    let kinds = [OutputKind::HwPositionWithDuration, OutputKind::Position];
    let changed_now = kinds.iter().find_map(|kind| {
        context
            .changed
            .iter()
            .find(|(_, changed)| changed == kind)
            .map(|&(feature, kind)| context.value(feature, kind))
    });
    changed_now
        .or_else(|| {
            kinds.iter().find_map(|kind| {
                find_output(context.definition, *kind)
                    .and_then(|feature| context.current.get(&(feature, *kind)))
                    .map(|output| output.value)
            })
        })
        .unwrap_or(0)
}

/// `5a a5 55 00 <vibrate u16 LE> 01 00 <id u32 LE> <position u32 LE>`.
fn motion_packet(vibrate: u16, id: u32, position: u32) -> Vec<u8> {
    let mut packet = MOTION_HEADER.to_vec();
    packet.extend_from_slice(&vibrate.to_le_bytes());
    packet.extend_from_slice(&MOTION_MODE);
    packet.extend_from_slice(&id.to_le_bytes());
    packet.extend_from_slice(&position.to_le_bytes());
    packet
}

/// `5a a5 55 06 ff ff 00 00 ff ff ff ff <level> ff`.
fn heating_packet(level: u8) -> Vec<u8> {
    vec![
        0x5A, 0xA5, 0x55, 0x06, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, level, 0xFF,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use plugd_config::Transport;
    use OutputKind::{HwPositionWithDuration, Oscillate, Position, Temperature, Vibrate};

    fn motion(vibrate: u16, id: u32, position: u32) -> HardwareCommand {
        write(Endpoint::Tx, &motion_packet(vibrate, id, position))
    }

    fn heat(level: u8) -> HardwareCommand {
        write(
            Endpoint::Tx,
            &[
                0x5A, 0xA5, 0x55, 0x06, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, level, 0xFF,
            ],
        )
    }

    fn mira() -> Harness {
        Harness::builtin(NAME, Some("Mi"))
    }

    fn identifier(name: &str) -> Option<String> {
        resolve_identifier(&DeviceIdentity::named(Transport::Btle, name, "addr"), &[])
    }

    #[test]
    fn the_model_is_the_third_and_fourth_characters_of_the_name() {
        assert_eq!(identifier("UMVxB0123").as_deref(), Some("Vx"));
        assert_eq!(identifier("ALMiB").as_deref(), Some("Mi"));
        assert_eq!(identifier("UMNxB").as_deref(), Some("Nx"));
        assert_eq!(identifier("UMV"), None);
        assert_eq!(identifier(""), None);
        assert_eq!(identifier("ééMiB").as_deref(), Some("Mi"));
        assert!(identify_steps(&DeviceIdentity::named(Transport::Btle, "UMMiB", "a")).is_empty());
        assert_eq!(mira().definition.name, "Umove Mira");
        assert_eq!(
            Harness::builtin(NAME, Some("Vx")).definition.name,
            "Umove Vero"
        );
        assert_eq!(
            Harness::builtin(NAME, Some("Nx")).definition.name,
            "Umove Nexo"
        );
    }

    #[test]
    fn the_motion_packet_is_little_endian() {
        assert_eq!(
            motion_packet(0x1234, 0x0102_0304, 0x0000_0278),
            vec![
                0x5A, 0xA5, 0x55, 0x00, 0x34, 0x12, 0x01, 0x00, 0x04, 0x03, 0x02, 0x01, 0x78, 0x02,
                0x00, 0x00
            ]
        );
    }

    #[test]
    fn vibration_carries_the_axis_position_and_ids_count_packets() {
        let mut device = mira();
        assert_eq!(device.set(&[(0, Vibrate, 5000)]), vec![motion(5000, 0, 0)]);
        assert_eq!(
            device.set(&[(1, Position, 300)]),
            vec![motion(5000, 1, 300)]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 10000)]),
            vec![motion(10000, 2, 300)]
        );
        assert_eq!(device.set(&[(0, Vibrate, 1)]), vec![motion(1, 3, 300)]);
        assert_eq!(device.set(&[(0, Vibrate, 0)]), vec![motion(0, 4, 300)]);
    }

    #[test]
    fn a_timed_move_is_written_once_with_its_target() {
        let mut device = mira();
        assert_eq!(
            device.set_with_duration(&[(1, HwPositionWithDuration, 632, Some(1000))]),
            vec![motion(0, 0, 632)]
        );
        assert_eq!(
            device.set_with_duration(&[(1, HwPositionWithDuration, 0, Some(0))]),
            vec![motion(0, 1, 0)]
        );
    }

    #[test]
    fn with_both_axis_kinds_set_the_changed_one_then_the_timed_target_wins() {
        let mut device = mira();
        device.set_with_duration(&[(1, HwPositionWithDuration, 100, Some(500))]);
        assert_eq!(device.set(&[(1, Position, 200)]), vec![motion(0, 1, 200)]);
        assert_eq!(device.set(&[(0, Vibrate, 7)]), vec![motion(7, 2, 100)]);
    }

    #[test]
    fn vibration_and_axis_in_one_frame_make_one_packet_and_heating_follows() {
        let mut device = mira();
        assert_eq!(
            device.set(&[(0, Vibrate, 2500), (1, Position, 316), (2, Temperature, 40)]),
            vec![motion(2500, 0, 316), heat(40)]
        );
        assert_eq!(device.session.counter, 2);
        assert_eq!(device.set(&[(2, Temperature, 42)]), vec![heat(42)]);
        assert_eq!(device.set(&[(2, Temperature, 0)]), vec![heat(0)]);
    }

    #[test]
    fn stop_writes_a_still_motion_packet_and_turns_heating_off() {
        let mut device = mira();
        device.set(&[(0, Vibrate, 2500), (1, Position, 316), (2, Temperature, 40)]);
        assert_eq!(device.stop(), vec![motion(0, 2, 316), heat(0)]);
        let mut fresh = mira();
        assert_eq!(fresh.stop(), vec![motion(0, 0, 0), heat(0)]);
    }

    #[test]
    fn axis_only_models_have_no_vibration_and_nothing_to_stop() {
        let mut vero = Harness::builtin(NAME, Some("Vx"));
        assert_eq!(vero.set(&[(1, Position, 732)]), vec![motion(0, 0, 732)]);
        assert!(vero.stop().is_empty());
        assert!(matches!(
            vero.try_set(&[(0, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut nexo = Harness::builtin(NAME, Some("Nx"));
        assert_eq!(
            nexo.set_with_duration(&[(1, HwPositionWithDuration, 1232, Some(200))]),
            vec![motion(0, 0, 1232)]
        );
    }

    #[test]
    fn other_kinds_and_oversized_values_are_errors() {
        let mut device = mira();
        assert_eq!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        let mut device = mira();
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 70000)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut device = mira();
        assert!(matches!(
            device.try_set(&[(2, Temperature, 300)]),
            Err(ProtocolError::Definition(_))
        ));
        let protocol = crate::find(NAME).expect("registered");
        assert_eq!(protocol.keepalive, Some(KEEPALIVE));
    }
}

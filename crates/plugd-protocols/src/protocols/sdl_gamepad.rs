//! sdl-gamepad: game controllers with rumble motors (v5 database, transport `sdl-gamepad`),
//! driven upstream through SDL3. Every motor is a vibrator with a 16-bit range (0–65535), and a
//! battery feature reports the pad's charge.
//!
//! **Layouts.** The pad's motors live in four logical slots, always in this order: 0 low-frequency
//! (the large, "strong" motor), 1 high-frequency (the small, "weak" one), 2 left trigger, 3 right
//! trigger. Which slots a definition's features drive comes from its `protocol_variant`, never
//! from the feature count (two features are ambiguous):
//!
//! | definition | `protocol_variant` | features → slots |
//! |---|---|---|
//! | defaults ("SDL Gamepad") | none | 0 → low, 1 → high |
//! | `__sdl-triggers-only` | `sdl-triggers-only` | 0 → left trigger, 1 → right trigger |
//! | `__sdl-rumble-and-triggers` | `sdl-rumble-and-triggers` | 0–3 → slots 0–3 |
//!
//! Upstream's SDL manager picks the `__sdl-…` configuration from what the pad can do; in plugd
//! the identifier is the hardware name, so a DCM selects a layout by reporting the pad with that
//! selector as its name, and any other name gets the defaults (main motors only).
//!
//! **Wire format.** One write to `tx` per changed motor, without response, carrying all four
//! slots as little-endian u16: `<low> <high> <left trigger> <right trigger>` (8 bytes); slots the
//! layout does not drive stay 0. Upstream tags each write with the motor's feature id, so a
//! command that changes two motors writes twice, the first packet still carrying the second
//! motor's old value; plugd writes the same sequence (device-config.md §6.3). Stop zeroes each
//! motor in turn, the last packet all zeros.
//!
//! **Battery.** A read of `rx`, one byte: the charge in percent (upstream reads 1 byte of `rx`
//! and takes byte 0).
//!
//! **On Linux.** The transport is not part of this module, and plugd has no gamepad DCM yet. A
//! Linux one would enumerate pads through evdev (`/dev/input/event*` with force feedback,
//! `EV_FF` / `FF_RUMBLE`), for instance with the `gilrs` crate, and expose each as hardware with
//! `tx` and `rx`. A `tx` write becomes one rumble effect: slot 0 as the strong magnitude and
//! slot 1 as the weak one (`struct ff_rumble_effect { strong_magnitude, weak_magnitude }`;
//! in gilrs, an `ff::EffectBuilder` with a `BaseEffectType::Strong` and a
//! `BaseEffectType::Weak` base effect, repeated until the next write replaces it, all zeros
//! stopping it). evdev has no trigger-rumble effect, so such a DCM reports pads with the default
//! layout and slots 2–3 stay 0. A `rx` read answers the battery percentage from the kernel's
//! power supply for the pad (`/sys/class/power_supply/*/capacity`; gilrs:
//! `Gamepad::power_info`).
//!
//! ref: `src/device/protocol_impl/sdl_gamepad.rs` of the `buttplug_server` 12 crate and
//! `src/sdl_layout.rs` of `buttplug_server_device_config` 12.

use crate::{EncodeContext, InputReadPlan, ProtocolError, ReadSource};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, InputKind, OutputKind};

/// Database key.
pub const NAME: &str = "sdl-gamepad";

/// `protocol_variant` of the layout driving all four slots.
const RUMBLE_AND_TRIGGERS: &str = "sdl-rumble-and-triggers";
/// `protocol_variant` of the layout driving the trigger motors only.
const TRIGGERS_ONLY: &str = "sdl-triggers-only";
/// Logical slots in a packet.
const SLOTS: usize = 4;

/// Which logical slot each feature index drives, by layout.
fn layout(definition: &DeviceDefinition) -> &'static [usize] {
    match definition.protocol_variant.as_deref() {
        Some(RUMBLE_AND_TRIGGERS) => &[0, 1, 2, 3],
        Some(TRIGGERS_ONLY) => &[2, 3],
        _ => &[0, 1],
    }
}

/// One packet per changed motor, in feature order (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a motor the definition or its layout lacks, or a value beyond 16 bits.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let slots_of = layout(context.definition);
    let slot_of = |feature: FeatureIndex| {
        usize::try_from(feature.0)
            .ok()
            .and_then(|index| slots_of.get(index).copied())
    };
    let mut slots = [0u16; SLOTS];
    for (index, &slot) in slots_of.iter().enumerate() {
        let feature = FeatureIndex(u32::try_from(index).unwrap_or(u32::MAX));
        let value = context
            .previous_value(feature, OutputKind::Vibrate)
            .unwrap_or(0);
        if let Some(target) = slots.get_mut(slot) {
            *target = magnitude(value)?;
        }
    }
    let mut commands = Vec::with_capacity(context.changed.len());
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Vibrate {
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
        let slot = slot_of(feature)
            .and_then(|slot| slots.get_mut(slot))
            .ok_or_else(|| {
                ProtocolError::Definition(format!(
                    "the gamepad layout has {} motors, not a motor at feature {feature}",
                    slots_of.len()
                ))
            })?;
        *slot = magnitude(context.value(feature, kind))?;
        let packet: Vec<u8> = slots.iter().flat_map(|value| value.to_le_bytes()).collect();
        commands.push(HardwareCommand::write(Endpoint::Tx, packet));
    }
    Ok(commands)
}

/// A motor value as a rumble magnitude.
fn magnitude(value: i32) -> Result<u16, ProtocolError> {
    u16::try_from(value).map_err(|_| {
        ProtocolError::Definition(format!("rumble value {value} does not fit in 16 bits"))
    })
}

/// Battery: read one byte of `rx`, the percentage.
///
/// # Errors
/// [`ProtocolError::UnsupportedInput`] for anything but a declared battery.
pub fn read_input(
    definition: &DeviceDefinition,
    feature: FeatureIndex,
    kind: InputKind,
) -> Result<InputReadPlan, ProtocolError> {
    let declared = definition
        .feature(feature)
        .and_then(|found| found.input(kind))
        .is_some();
    if kind != InputKind::Battery || !declared {
        return Err(ProtocolError::UnsupportedInput {
            protocol: NAME,
            what: format!("{kind} of feature {feature}"),
        });
    }
    Ok(InputReadPlan {
        send: Vec::new(),
        source: ReadSource::Read {
            endpoint: Endpoint::Rx,
            length: 1,
        },
        parse: parse_battery,
    })
}

/// Byte 0 is the percentage (at most 100).
///
/// # Errors
/// [`ProtocolError::BadReply`] for an empty answer.
pub fn parse_battery(bytes: &[u8]) -> Result<i32, ProtocolError> {
    bytes
        .first()
        .map(|percent| i32::from((*percent).min(100)))
        .ok_or_else(|| ProtocolError::BadReply("empty gamepad battery read".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn packet(slots: [u16; 4]) -> HardwareCommand {
        let bytes: Vec<u8> = slots.iter().flat_map(|value| value.to_le_bytes()).collect();
        write(Endpoint::Tx, &bytes)
    }

    #[test]
    fn the_defaults_drive_the_main_motors() {
        let mut pad = Harness::builtin(NAME, Some("Xbox Wireless Controller"));
        assert_eq!(pad.definition.name, "SDL Gamepad");
        assert_eq!(
            pad.set(&[(0, Vibrate, 0x1234)]),
            vec![packet([0x1234, 0, 0, 0])]
        );
        assert_eq!(
            pad.set(&[(1, Vibrate, 65535)]),
            vec![packet([0x1234, 0xFFFF, 0, 0])]
        );
        assert_eq!(
            pad.set(&[(0, Vibrate, 32768)]),
            vec![packet([0x8000, 0xFFFF, 0, 0])]
        );
        assert_eq!(pad.set(&[(0, Vibrate, 0)]), vec![packet([0, 0xFFFF, 0, 0])]);
    }

    #[test]
    fn bytes_are_little_endian() {
        let mut pad = Harness::builtin(NAME, None);
        assert_eq!(
            pad.set(&[(0, Vibrate, 0x1234)]),
            vec![write(Endpoint::Tx, &[0x34, 0x12, 0, 0, 0, 0, 0, 0])]
        );
    }

    #[test]
    fn triggers_only_drives_slots_two_and_three() {
        let mut pad = Harness::builtin(NAME, Some("__sdl-triggers-only"));
        assert_eq!(pad.definition.name, "SDL Gamepad (Triggers Only)");
        assert_eq!(
            pad.set(&[(0, Vibrate, 0x1234)]),
            vec![packet([0, 0, 0x1234, 0])]
        );
        assert_eq!(
            pad.set(&[(1, Vibrate, 0x5678)]),
            vec![packet([0, 0, 0x1234, 0x5678])]
        );
        assert!(matches!(
            pad.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn rumble_and_triggers_drives_all_four_slots() {
        let mut pad = Harness::builtin(NAME, Some("__sdl-rumble-and-triggers"));
        assert_eq!(pad.definition.name, "SDL Gamepad (Rumble and Triggers)");
        assert_eq!(
            pad.set(&[(2, Vibrate, 0x9ABC)]),
            vec![packet([0, 0, 0x9ABC, 0])]
        );
        assert_eq!(
            pad.set(&[(3, Vibrate, 0xDEF0)]),
            vec![packet([0, 0, 0x9ABC, 0xDEF0])]
        );
        assert_eq!(
            pad.set(&[(0, Vibrate, 0x1234), (1, Vibrate, 0x5678)]),
            vec![
                packet([0x1234, 0, 0x9ABC, 0xDEF0]),
                packet([0x1234, 0x5678, 0x9ABC, 0xDEF0])
            ]
        );
    }

    #[test]
    fn stop_zeroes_motor_by_motor_and_keeps_the_others_meanwhile() {
        let mut pad = Harness::builtin(NAME, Some("__sdl-rumble-and-triggers"));
        pad.set(&[(0, Vibrate, 0x1234), (2, Vibrate, 0x5678)]);
        assert_eq!(
            pad.stop(),
            vec![
                packet([0, 0, 0x5678, 0]),
                packet([0, 0, 0x5678, 0]),
                packet([0, 0, 0, 0]),
                packet([0, 0, 0, 0]),
            ]
        );
    }

    fn bytes(data: &[u8]) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, data)]
    }

    #[test]
    fn upstream_main_only_case() {
        // test_sdl_gamepad.yaml (upstream, after 12.0): low 0.5 → 32768, high 1.0 → 65535, Stop.
        let mut pad = Harness::builtin(NAME, None);
        assert_eq!(
            pad.set(&[(0, Vibrate, 32768)]),
            bytes(&[0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        );
        assert_eq!(
            pad.set(&[(1, Vibrate, 65535)]),
            bytes(&[0x00, 0x80, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00])
        );
        assert_eq!(
            pad.stop(),
            vec![
                write(
                    Endpoint::Tx,
                    &[0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00]
                ),
                write(Endpoint::Tx, &[0x00; 8]),
            ]
        );
    }

    #[test]
    fn upstream_rumble_and_triggers_case() {
        // test_sdl_gamepad_main_trigger.yaml: 0.5, 1.0, 0.25 (16384), 0.75 (49152).
        let mut pad = Harness::builtin(NAME, Some("__sdl-rumble-and-triggers"));
        assert_eq!(
            pad.set(&[(0, Vibrate, 32768)]),
            bytes(&[0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        );
        assert_eq!(
            pad.set(&[(1, Vibrate, 65535)]),
            bytes(&[0x00, 0x80, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00])
        );
        assert_eq!(
            pad.set(&[(2, Vibrate, 16384)]),
            bytes(&[0x00, 0x80, 0xFF, 0xFF, 0x00, 0x40, 0x00, 0x00])
        );
        assert_eq!(
            pad.set(&[(3, Vibrate, 49152)]),
            bytes(&[0x00, 0x80, 0xFF, 0xFF, 0x00, 0x40, 0x00, 0xC0])
        );
    }

    #[test]
    fn upstream_disabled_channel_case_keeps_each_feature_on_its_own_slot() {
        // test_sdl_gamepad_disabled_channel.yaml: the user disables the high-frequency motor
        // (feature 1), so the client's second and third vibrators are features 2 and 3; they
        // still drive the trigger slots.
        let mut pad = Harness::builtin(NAME, Some("__sdl-rumble-and-triggers"));
        assert_eq!(
            pad.set(&[(0, Vibrate, 32768)]),
            bytes(&[0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        );
        assert_eq!(
            pad.set(&[(2, Vibrate, 16384)]),
            bytes(&[0x00, 0x80, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00])
        );
        assert_eq!(
            pad.set(&[(3, Vibrate, 49152)]),
            bytes(&[0x00, 0x80, 0x00, 0x00, 0x00, 0x40, 0x00, 0xC0])
        );
    }

    #[test]
    fn upstream_triggers_only_case() {
        // test_sdl_gamepad_triggers_only.yaml: 0.5 then 1.0 on the two trigger motors.
        let mut pad = Harness::builtin(NAME, Some("__sdl-triggers-only"));
        assert_eq!(
            pad.set(&[(0, Vibrate, 32768)]),
            bytes(&[0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00])
        );
        assert_eq!(
            pad.set(&[(1, Vibrate, 65535)]),
            bytes(&[0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xFF, 0xFF])
        );
    }

    #[test]
    fn other_kinds_missing_features_and_oversized_values_are_errors() {
        let mut pad = Harness::builtin(NAME, None);
        assert_eq!(
            pad.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            pad.try_set(&[(2, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            pad.try_set(&[(0, Vibrate, 65536)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn battery_is_one_byte_read_from_rx() {
        let pad = Harness::builtin(NAME, None);
        let plan =
            read_input(&pad.definition, FeatureIndex(2), InputKind::Battery).expect("battery");
        assert!(plan.send.is_empty());
        assert_eq!(
            plan.source,
            ReadSource::Read {
                endpoint: Endpoint::Rx,
                length: 1
            }
        );
        assert_eq!((plan.parse)(&[77]), Ok(77));
        // test_sdl_gamepad_battery.yaml: a read of rx answering 57 → 0.57.
        assert_eq!((plan.parse)(&[57]), Ok(57));
        assert_eq!((plan.parse)(&[100, 3]), Ok(100));
        assert_eq!((plan.parse)(&[0xFF]), Ok(100));
        assert!(matches!((plan.parse)(&[]), Err(ProtocolError::BadReply(_))));
        assert!(read_input(&pad.definition, FeatureIndex(0), InputKind::Battery).is_err());
        let both = Harness::builtin(NAME, Some("__sdl-rumble-and-triggers"));
        assert!(read_input(&both.definition, FeatureIndex(4), InputKind::Battery).is_ok());
    }
}

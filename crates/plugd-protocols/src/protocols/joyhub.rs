//! JoyHub: the brand's BLE toys (vibrators, rotating heads, thrusters, suction pumps, heaters,
//! lights and a lube pump), all written on one `tx` characteristic without response.
//!
//! **Wire format.** Motors — vibrate, rotate and oscillate outputs — share one packet with four
//! speed slots, `a0 03 <s0> <s1> <s2> <s3> aa`, where slot `n` belongs to the motor of feature
//! index `n` (0–255; rotation is unsigned in the database, its magnitude is written). Every
//! write carries all four slots, so a change to one motor re-sends the others' current speeds
//! (never-set motors are 0). The other outputs each have a packet of their own:
//!
//! | output | packet |
//! |---|---|
//! | constrict on feature index 4 | `a0 07 <on> 00 <level> ff`, `on` = 1 unless level is 0 |
//! | constrict on any other index (5 in the database) | `a0 0d 00 00 <level> ff` |
//! | temperature (heater) | on `a0 04 01 00 01 ff`, off `a0 04 00 00 00 00` |
//! | led | on `a0 14 01 00 01 ff`, off `a0 14 00 00 00 00` |
//! | spray (lube pump) | on `a0 24 01 00 01 ff`, off `a0 24 00 00 00 00` |
//!
//! **Sparse indices.** The feature index is the slot number and picks the constrict packet, so
//! the database keeps gaps and placeholders to put each output where the firmware expects it:
//! Moon Horn is 0 (vibrate), 4 (placeholder), 5 (constrict → `a0 0d`), 6 (temperature); Petalwish
//! 2 is 0 (oscillate), 2 (vibrate → slot 2); RoseLin's rotator sits at 3 and its pump at 4
//! (`a0 07`). A motor on an index above 3 has no slot and is refused as a definition error
//! (upstream would index past its array and panic).
//!
//! **Order.** One command touching several motors gives one motor packet (upstream writes one
//! per motor, all tagged with the protocol's command id, so its message gap keeps only the last,
//! which holds every slot). Writes follow feature order, the motor packet taking the place of the
//! last changed motor — as the upstream gap queue leaves them; with the database's layouts that
//! means motors first, then constrict, temperature, LED and spray.
//!
//! **Not here: the spray's auto-off.** Upstream answers every spray command by also starting a
//! one-second timer that then writes `a0 24 00 00 00 00` (the pump's lube delivery is a
//! squirt, not a state). A protocol here has no clock and the Device has no one-shot timer yet,
//! so plugd writes the on/off packet only: the pump runs until a client sets spray to 0 or stops
//! the device. Doing it needs Device support for "after this encode, in 1 s, set this output
//! to 0" (or an encoder-requested delayed write).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/joyhub.rs` of buttplugio/buttplug;
//! cases `test_joyhub_moonhorn.yaml`, `test_joyhub_petalwish*.yaml`, `test_joyhub_roselin.yaml`.

use crate::{EncodeContext, ProtocolError};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "joyhub";

/// Output kinds that share the four-slot motor packet.
const MOTOR_KINDS: [OutputKind; 3] = [
    OutputKind::Vibrate,
    OutputKind::Rotate,
    OutputKind::Oscillate,
];
/// Slots in the motor packet: feature indices 0 to 3.
const MOTOR_SLOTS: usize = 4;
/// The feature index whose constrict output uses the `a0 07` packet.
const PUMP_FEATURE: FeatureIndex = FeatureIndex(4);

/// Turns the changed outputs into JoyHub packets (see the module doc).
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition, a motor sits on
/// a feature index above 3, or a value does not fit in a byte;
/// [`ProtocolError::UnsupportedOutput`] for position outputs. Nothing is written then.
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
    let last_motor = context
        .changed
        .iter()
        .rposition(|(_, kind)| MOTOR_KINDS.contains(kind));
    let mut commands = Vec::with_capacity(context.changed.len());
    for (position, &(feature, kind)) in context.changed.iter().enumerate() {
        let value = context.value(feature, kind);
        let packet = match kind {
            OutputKind::Vibrate | OutputKind::Rotate | OutputKind::Oscillate => {
                if Some(position) != last_motor {
                    continue;
                }
                motor_packet(context)?
            }
            OutputKind::Constrict => constrict_packet(feature, byte(value)?),
            OutputKind::Temperature => switch_packet(0x04, value),
            OutputKind::Led => switch_packet(0x14, value),
            OutputKind::Spray => switch_packet(0x24, value),
            OutputKind::Position | OutputKind::HwPositionWithDuration => {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind,
                })
            }
        };
        commands.push(HardwareCommand::write(Endpoint::Tx, packet));
    }
    Ok(commands)
}

/// `a0 03 <s0> <s1> <s2> <s3> aa`: every motor's current speed in the slot of its feature index.
fn motor_packet(context: &EncodeContext<'_>) -> Result<Vec<u8>, ProtocolError> {
    let mut slots = [0_u8; MOTOR_SLOTS];
    for (feature, kind) in motors(context.definition) {
        let slot = usize::try_from(feature.0)
            .ok()
            .and_then(|index| slots.get_mut(index))
            .ok_or_else(|| {
                ProtocolError::Definition(format!(
                    "{kind} on feature {feature}: JoyHub motors sit on features 0 to 3"
                ))
            })?;
        *slot = byte(context.value(feature, kind).saturating_abs())?;
    }
    let [first, second, third, fourth] = slots;
    Ok(vec![0xa0, 0x03, first, second, third, fourth, 0xaa])
}

/// Every feature's motor output (the first vibrate, rotate or oscillate it has), in feature
/// order.
fn motors(definition: &DeviceDefinition) -> impl Iterator<Item = (FeatureIndex, OutputKind)> + '_ {
    definition.features.iter().filter_map(|feature| {
        feature
            .outputs
            .iter()
            .find(|output| MOTOR_KINDS.contains(&output.kind))
            .map(|output| (feature.index, output.kind))
    })
}

/// The suction pump: `a0 07` on feature index 4, `a0 0d` elsewhere.
fn constrict_packet(feature: FeatureIndex, level: u8) -> Vec<u8> {
    if feature == PUMP_FEATURE {
        vec![0xa0, 0x07, u8::from(level != 0), 0x00, level, 0xff]
    } else {
        vec![0xa0, 0x0d, 0x00, 0x00, level, 0xff]
    }
}

/// Heater, light and lube pump: on/off packets that differ only in their command byte.
fn switch_packet(command: u8, value: i32) -> Vec<u8> {
    if value == 0 {
        vec![0xa0, command, 0x00, 0x00, 0x00, 0x00]
    } else {
        vec![0xa0, command, 0x01, 0x00, 0x01, 0xff]
    }
}

/// A device value as one byte.
fn byte(value: i32) -> Result<u8, ProtocolError> {
    u8::try_from(value).map_err(|_| {
        ProtocolError::Definition(format!("value {value} does not fit in a JoyHub byte"))
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, HardwareCommand, OutputKind};
    use OutputKind::{Constrict, Led, Oscillate, Rotate, Spray, Temperature, Vibrate};

    fn tx(data: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, data)
    }

    #[test]
    fn moon_horn_packs_its_vibrator_in_slot_0_and_pumps_with_a0_0d() {
        // test_joyhub_moonhorn.yaml: vibrate 0.5 (128), constrict 0.1 on [0,9] (1), vibrate 1.0,
        // both, stop.
        let mut device = Harness::builtin(super::NAME, Some("J-MoonHorn"));
        assert_eq!(device.definition.name, "JoyHub Moon Horn");
        assert_eq!(
            device.set(&[(0, Vibrate, 128)]),
            vec![tx(&[0xa0, 0x03, 0x80, 0x00, 0x00, 0x00, 0xaa])]
        );
        assert_eq!(
            device.set(&[(5, Constrict, 1)]),
            vec![tx(&[0xa0, 0x0d, 0x00, 0x00, 0x01, 0xff])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 255)]),
            vec![tx(&[0xa0, 0x03, 0xff, 0x00, 0x00, 0x00, 0xaa])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 128), (5, Constrict, 5)]),
            vec![
                tx(&[0xa0, 0x03, 0x80, 0x00, 0x00, 0x00, 0xaa]),
                tx(&[0xa0, 0x0d, 0x00, 0x00, 0x05, 0xff]),
            ]
        );
        assert_eq!(
            device.stop(),
            vec![
                tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa]),
                tx(&[0xa0, 0x0d, 0x00, 0x00, 0x00, 0xff]),
                tx(&[0xa0, 0x04, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn moon_horn_keeps_its_placeholder_and_heats_with_a0_04() {
        let mut device = Harness::builtin(super::NAME, Some("J-MoonHorn"));
        let indices: Vec<u32> = device
            .definition
            .features
            .iter()
            .map(|feature| feature.index.0)
            .collect();
        assert_eq!(indices, [0, 4, 5, 6]);
        assert!(device.definition.features[1].is_placeholder());
        assert_eq!(
            device.set(&[(6, Temperature, 1)]),
            vec![tx(&[0xa0, 0x04, 0x01, 0x00, 0x01, 0xff])]
        );
        assert_eq!(
            device.set(&[(6, Temperature, 0)]),
            vec![tx(&[0xa0, 0x04, 0x00, 0x00, 0x00, 0x00])]
        );
        assert_eq!(
            device.set(&[(5, Constrict, 9)]),
            vec![tx(&[0xa0, 0x0d, 0x00, 0x00, 0x09, 0xff])]
        );
    }

    #[test]
    fn petalwish_vibrator_on_feature_2_fills_slot_2() {
        // test_joyhub_petalwish.yaml and _compat: vibrate 0.5 → 128 in slot 2; oscillate 0.5 on
        // feature 0 and vibrate 0.1 (26) together; stop.
        let mut device = Harness::builtin(super::NAME, Some("J-Petalwish2"));
        assert_eq!(device.definition.name, "JoyHub Petalwish 2");
        assert_eq!(
            device.set(&[(2, Vibrate, 128)]),
            vec![tx(&[0xa0, 0x03, 0x00, 0x00, 0x80, 0x00, 0xaa])]
        );
        assert_eq!(
            device.set(&[(0, Oscillate, 128), (2, Vibrate, 26)]),
            vec![tx(&[0xa0, 0x03, 0x80, 0x00, 0x1a, 0x00, 0xaa])]
        );
        assert_eq!(
            device.stop(),
            vec![tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa])]
        );
    }

    #[test]
    fn one_motor_change_resends_the_other_slots() {
        let mut device = Harness::builtin(super::NAME, Some("J-Petalwish2"));
        device.set(&[(0, Oscillate, 200)]);
        assert_eq!(
            device.set(&[(2, Vibrate, 1)]),
            vec![tx(&[0xa0, 0x03, 0xc8, 0x00, 0x01, 0x00, 0xaa])]
        );
        assert_eq!(
            device.set(&[(0, Oscillate, 0)]),
            vec![tx(&[0xa0, 0x03, 0x00, 0x00, 0x01, 0x00, 0xaa])]
        );
    }

    #[test]
    fn roselin_rotates_in_slot_3_and_pumps_with_a0_07_on_feature_4() {
        // test_joyhub_roselin.yaml (upstream): vibrate 0.5; vibrate 0.5, rotate 0.1 (26),
        // constrict 0.8 on [0,4] (4); stop.
        let mut device = Harness::builtin(super::NAME, Some("J-RoseLin"));
        assert_eq!(device.definition.name, "JoyHub RoseLin");
        assert_eq!(
            device.set(&[(0, Vibrate, 128)]),
            vec![tx(&[0xa0, 0x03, 0x80, 0x00, 0x00, 0x00, 0xaa])]
        );
        assert_eq!(
            device.set(&[(3, Rotate, 26), (4, Constrict, 4)]),
            vec![
                tx(&[0xa0, 0x03, 0x80, 0x00, 0x00, 0x1a, 0xaa]),
                tx(&[0xa0, 0x07, 0x01, 0x00, 0x04, 0xff]),
            ]
        );
        assert_eq!(
            device.stop(),
            vec![
                tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa]),
                tx(&[0xa0, 0x07, 0x00, 0x00, 0x00, 0xff]),
            ]
        );
    }

    #[test]
    fn three_motors_at_once_give_one_packet() {
        let mut device = Harness::builtin(super::NAME, Some("J-Vita"));
        assert_eq!(
            device.set(&[(0, Vibrate, 1), (1, Rotate, 128), (2, Oscillate, 255)]),
            vec![tx(&[0xa0, 0x03, 0x01, 0x80, 0xff, 0x00, 0xaa])]
        );
        assert_eq!(
            device.stop(),
            vec![tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa])]
        );
    }

    #[test]
    fn starfish_oscillates_in_slot_3_alone() {
        let mut device = Harness::builtin(super::NAME, Some("J-Ringstar"));
        assert_eq!(
            device.set(&[(3, Oscillate, 100)]),
            vec![tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x64, 0xaa])]
        );
    }

    #[test]
    fn unknown_joyhub_uses_the_single_vibrator_defaults() {
        let mut device = Harness::builtin(super::NAME, Some("J-SomethingNew"));
        assert_eq!(device.definition.name, "JoyHub Device");
        assert_eq!(
            device.set(&[(0, Vibrate, 0)]),
            vec![tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 255)]),
            vec![tx(&[0xa0, 0x03, 0xff, 0x00, 0x00, 0x00, 0xaa])]
        );
    }

    #[test]
    fn rainbow_switches_its_light() {
        let mut device = Harness::builtin(super::NAME, Some("J-Rainbow"));
        assert_eq!(
            device.set(&[(6, Led, 1)]),
            vec![tx(&[0xa0, 0x14, 0x01, 0x00, 0x01, 0xff])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 64), (6, Led, 0)]),
            vec![
                tx(&[0xa0, 0x03, 0x40, 0x00, 0x00, 0x00, 0xaa]),
                tx(&[0xa0, 0x14, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn dodge_sprays_with_a0_24_and_stop_turns_the_pump_off() {
        let mut device = Harness::builtin(super::NAME, Some("J-Dodge"));
        assert_eq!(
            device.set(&[(7, Spray, 1)]),
            vec![tx(&[0xa0, 0x24, 0x01, 0x00, 0x01, 0xff])]
        );
        assert_eq!(
            device.stop(),
            vec![
                tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa]),
                tx(&[0xa0, 0x24, 0x00, 0x00, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn heater_and_motors_in_one_command_write_motors_first() {
        let mut device = Harness::builtin(super::NAME, Some("J-Viball"));
        assert_eq!(
            device.set(&[(0, Vibrate, 10), (2, Vibrate, 20), (6, Temperature, 1)]),
            vec![
                tx(&[0xa0, 0x03, 0x0a, 0x00, 0x14, 0x00, 0xaa]),
                tx(&[0xa0, 0x04, 0x01, 0x00, 0x01, 0xff]),
            ]
        );
    }

    #[test]
    fn every_configuration_encodes_each_output_at_full_and_stops() {
        let database = plugd_config::DeviceDatabase::builtin();
        let entry = database
            .protocol(super::NAME)
            .expect("joyhub in the database");
        let identifiers: Vec<&str> = entry.identifiers().collect();
        assert!(identifiers.len() >= 137, "{}", identifiers.len());
        for identifier in identifiers {
            let mut device = Harness::builtin(super::NAME, Some(identifier));
            let outputs: Vec<(u32, OutputKind, i32)> = device
                .definition
                .features
                .iter()
                .flat_map(|feature| {
                    feature
                        .outputs
                        .iter()
                        .map(move |output| (feature.index.0, output.kind, output.value.1))
                })
                .collect();
            let written = device.try_set(&outputs);
            assert!(
                written.as_ref().is_ok_and(|commands| !commands.is_empty()),
                "{identifier}: {written:?}"
            );
            let stopped = device.stop();
            assert!(
                stopped.iter().any(|command| matches!(
                    command,
                    HardwareCommand::Write { data, .. } if data.get(1) == Some(&0x03)
                        || data.get(1) == Some(&0x07)
                        || data.get(1) == Some(&0x0d)
                )),
                "{identifier}: {stopped:?}"
            );
        }
    }

    #[test]
    fn output_missing_from_the_definition_is_refused() {
        let mut device = Harness::builtin(super::NAME, Some("J-MoonHorn"));
        assert!(matches!(
            device.try_set(&[(4, Constrict, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn motor_beyond_slot_3_or_a_value_beyond_a_byte_is_a_definition_error() {
        let mut device = Harness::builtin(super::NAME, Some("J-Rainbow"));
        if let Some(light) = device
            .definition
            .features
            .iter_mut()
            .find(|feature| feature.index.0 == 6)
        {
            if let Some(output) = light.outputs.first_mut() {
                output.kind = Vibrate;
            }
        }
        assert!(matches!(
            device.try_set(&[(6, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut device = Harness::builtin(super::NAME, Some("J-Rainbow"));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

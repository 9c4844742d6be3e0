//! xinput: XBox-compatible gamepads through Windows' XInput API — the two rumble motors as two
//! vibrators, 0–65535 each (feature 0 the right, light motor; feature 1 the left, heavy one).
//!
//! **What goes where.** XInput is a function call, not a byte pipe: upstream's XInput DCM
//! reads each `tx` payload as two little-endian u16 and calls
//! `XInputSetState(pad, left, right)`. The payload is therefore
//! `<feature 1 lo> <feature 1 hi> <feature 0 lo> <feature 0 hi>`: the left motor's speed first.
//! Written without response.
//!
//! **On Linux** there is no XInput and plugd has no XInput DCM: nothing reports a device with
//! the `xinput` specifier, so this protocol never connects there. Linux gamepads rumble through
//! evdev force feedback, which no database entry describes. The encoder and the database entry
//! exist so a Windows DCM (or a simulated device) can use them.
//!
//! **Packing with per-feature writes.** Upstream keeps both speeds in the handler and writes the
//! whole packet once per *changed motor*, tagged with that motor's feature id (so its message
//! gap keeps both). A command changing both motors therefore writes twice: first with feature
//! 0's new speed and feature 1's old one, then with both new. plugd reproduces that sequence
//! from `current` and `previous`. A motor beyond feature 1 is an error (upstream would index
//! past its two-speed array).
//!
//! Upstream also answers battery reads (the pad's battery level 0–3 as 0/33/66/100), but the
//! database declares no battery input, so plugd reads none.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/xinput.rs` and
//! `crates/buttplug_server_hwmgr_xinput/src/xinput_hardware.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "xinput";

/// The packet has a slot for features 0 and 1.
const MOTORS: u32 = 2;

/// One packet per changed motor, in feature order, each with the speeds as they stood once
/// that motor was applied (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a changed output the definition lacks, a motor beyond feature 1, or a speed outside
/// 0–65535.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mut commands = Vec::with_capacity(context.changed.len());
    for (position, &(feature, kind)) in context.changed.iter().enumerate() {
        if kind != OutputKind::Vibrate {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        let declared = context
            .definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !declared || feature.0 >= MOTORS {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} is not one of the two rumble motors"
            )));
        }
        let not_yet_applied = &context.changed[position + 1..];
        let mut speeds = [0_u16; 2];
        for (slot, speed) in (0..MOTORS).zip(speeds.iter_mut()) {
            let key = (FeatureIndex(slot), OutputKind::Vibrate);
            let value = if not_yet_applied.contains(&key) {
                context.previous_value(key.0, key.1).unwrap_or(0)
            } else {
                context.value(key.0, key.1)
            };
            *speed = u16::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("speed {value} does not fit in 16 bits"))
            })?;
        }
        let [first, second] = speeds;
        let mut packet = Vec::with_capacity(4);
        packet.extend_from_slice(&second.to_le_bytes());
        packet.extend_from_slice(&first.to_le_bytes());
        commands.push(HardwareCommand::write(Endpoint::Tx, packet));
    }
    Ok(commands)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use plugd_config::FeatureDefinition;
    use OutputKind::{Rotate, Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn each_motor_at_zero_middle_and_full_goes_to_its_slot() {
        let mut pad = Harness::builtin(NAME, None);
        assert_eq!(pad.definition.name, "XBox (XInput) Compatible Gamepad");
        for (speed, expected) in [
            (32768, [0x00, 0x00, 0x00, 0x80]),
            (65535, [0x00, 0x00, 0xff, 0xff]),
            (0, [0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(pad.set(&[(0, Vibrate, speed)]), vec![tx(&expected)]);
        }
        for (speed, expected) in [
            (0x1234, [0x34, 0x12, 0x00, 0x00]),
            (65535, [0xff, 0xff, 0x00, 0x00]),
            (0, [0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(pad.set(&[(1, Vibrate, speed)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn one_motor_changing_carries_the_others_current_speed() {
        let mut pad = Harness::builtin(NAME, None);
        pad.set(&[(1, Vibrate, 0x0102)]);
        assert_eq!(
            pad.set(&[(0, Vibrate, 0x0304)]),
            vec![tx(&[0x02, 0x01, 0x04, 0x03])]
        );
    }

    #[test]
    fn both_motors_changing_write_twice_like_upstream() {
        let mut pad = Harness::builtin(NAME, None);
        pad.set(&[(0, Vibrate, 0x0a0a), (1, Vibrate, 0x0b0b)]);
        assert_eq!(
            pad.set(&[(1, Vibrate, 0x2222), (0, Vibrate, 0x1111)]),
            vec![
                // Feature 0 applied, feature 1 still at its previous speed.
                tx(&[0x0b, 0x0b, 0x11, 0x11]),
                tx(&[0x22, 0x22, 0x11, 0x11]),
            ]
        );
        assert_eq!(
            pad.stop(),
            vec![tx(&[0x22, 0x22, 0x00, 0x00]), tx(&[0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn registers_only_an_encoder() {
        let protocol = crate::find(NAME).expect("registered");
        assert!(protocol.initialize.is_none());
        assert!(protocol.identify_steps.is_none());
        assert!(protocol.keepalive.is_none());
        assert!(protocol.read_input.is_none());
    }

    #[test]
    fn other_kinds_a_third_motor_and_oversized_speeds_are_refused() {
        let mut pad = Harness::builtin(NAME, None);
        assert_eq!(
            pad.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            pad.try_set(&[(0, Vibrate, 65536)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            pad.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        let third = FeatureDefinition {
            index: FeatureIndex(2),
            ..pad.definition.features[1].clone()
        };
        pad.definition.features.push(third);
        assert!(matches!(
            pad.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

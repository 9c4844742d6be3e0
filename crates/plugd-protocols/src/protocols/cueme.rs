//! Cueme (vibrating underwear: Mens, Bra, Womans), advertised as `FUNCODE_<address>_<type>`:
//! eight vibrators (four for the Womans), levels 0–15.
//!
//! **No encoder in today's reference server.** The bytes and the identification come from the
//! reference project's older C# server (`Buttplug/Devices/Protocols/CuemeProtocol.cs` in
//! buttplugio/buttplug-csharp), whose own tests expect `17` for motor 1 at half speed.
//!
//! **Identification.** The advertised name carries the model: its third `_`-separated field is
//! `1` (Mens), `2` (Bra) or `3` (Womans), the database's identifiers. Any other name gets the
//! protocol's defaults (eight vibrators). (The C# server fell back to the Womans' four.)
//!
//! **Wire format.** One byte to `tx`, without response: the motor number (1–8) in the high
//! nibble and the level (1–15) in the low one — `17` runs motor 1 at level 7 — and `00` stops.
//! The toy runs one motor at a time: the C# server took turns between the running motors,
//! switching every 500 ms from a timer.
//!
//! **What plugd writes.** One byte per command: the first changed motor that is now running;
//! when the command only stopped motors, the first motor still running (so a motor left running
//! takes over); when nothing runs, `00`. A Stop is therefore a single `00`.
//!
//! **Missing: taking turns.** With two or more motors running, the C# server alternated between
//! them every 500 ms; plugd drives only the one chosen above. Alternation needs the Device to
//! call the encoder on a timer (every 500 ms while several motors run) with a tick that advances
//! between calls — the keepalive only repeats the last packet, and the session counter only
//! moves when a command is encoded. With that, the motor to drive would be the tick-th running
//! motor.

use crate::{EncodeContext, InitReply, InitStep, ProtocolError};
use plugd_config::DeviceIdentity;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "cueme";

/// The byte that stops every motor.
const STOP: u8 = 0x00;
/// The highest level (the low nibble).
const MAX_LEVEL: i32 = 0x0F;
/// How many motors fit in the high nibble.
const MAX_MOTORS: u32 = 15;

/// No identification exchange: the model is in the advertised name.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    Vec::new()
}

/// The type number of `FUNCODE_<address>_<type>`; `None` (the defaults) for any other name.
pub fn resolve_identifier(identity: &DeviceIdentity, _replies: &[InitReply]) -> Option<String> {
    let fields: Vec<&str> = identity.name.split('_').collect();
    match fields.as_slice() {
        [_, _, model] if !model.is_empty() && model.bytes().all(|byte| byte.is_ascii_digit()) => {
            Some((*model).to_owned())
        }
        _ => None,
    }
}

/// One byte: the motor to run and its level, or `00` when none runs (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate;
/// [`ProtocolError::Definition`] for a feature the device lacks, a level beyond 15 or a motor
/// beyond the fifteenth.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let motors: Vec<FeatureIndex> = context
        .definition
        .outputs_of(OutputKind::Vibrate)
        .map(|(feature, _)| feature.index)
        .collect();
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Vibrate {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        if !motors.contains(&feature) {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
    }
    let running = |feature: &FeatureIndex| context.value(*feature, OutputKind::Vibrate) != 0;
    let driven = context
        .changed
        .iter()
        .map(|(feature, _)| feature)
        .find(|feature| running(feature))
        .or_else(|| motors.iter().find(|feature| running(feature)));
    let byte = match driven {
        None => STOP,
        Some(&feature) => {
            let motor = motors
                .iter()
                .position(|&motor| motor == feature)
                .and_then(|position| u32::try_from(position + 1).ok())
                .filter(|motor| *motor <= MAX_MOTORS)
                .ok_or_else(|| {
                    ProtocolError::Definition(format!("no motor number for feature {feature}"))
                })?;
            let level = context.value(feature, OutputKind::Vibrate);
            if !(0..=MAX_LEVEL).contains(&level) {
                return Err(ProtocolError::Definition(format!(
                    "level {level} is beyond {MAX_LEVEL}"
                )));
            }
            let nibbles = (motor << 4) | level.unsigned_abs();
            u8::try_from(nibbles).map_err(|_| {
                ProtocolError::Definition(format!("motor {motor} level {level} do not fit a byte"))
            })?
        }
    };
    Ok(vec![HardwareCommand::write(Endpoint::Tx, [byte])])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use plugd_config::Transport;
    use OutputKind::Vibrate;

    fn identity(name: &str) -> DeviceIdentity {
        DeviceIdentity::named(Transport::Btle, name, "address")
    }

    fn byte(data: u8) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, &[data])]
    }

    #[test]
    fn the_model_is_the_third_field_of_the_name() {
        assert!(identify_steps(&identity("FUNCODE_A1B2C3D4E5F6_3")).is_empty());
        for (name, identifier) in [
            ("FUNCODE_A1B2C3D4E5F6_1", Some("1")),
            ("FUNCODE_A1B2C3D4E5F6_2", Some("2")),
            ("FUNCODE_A1B2C3D4E5F6_3", Some("3")),
            ("FUNCODE_A1B2C3D4E5F6_7", Some("7")),
            ("FUNCODE_A1B2C3D4E5F6", None),
            ("FUNCODE_A1B2C3D4E5F6_", None),
            ("FUNCODE_A1_B2_3", None),
            ("FUNCODE_A1B2C3D4E5F6_x", None),
        ] {
            assert_eq!(
                resolve_identifier(&identity(name), &[]).as_deref(),
                identifier,
                "{name}"
            );
        }
    }

    #[test]
    fn each_model_gets_its_motors() {
        for (identifier, name, motors) in [
            (Some("1"), "Cueme Mens", 8),
            (Some("2"), "Cueme Bra", 8),
            (Some("3"), "Cueme Womans", 4),
            (None, "Cueme Device", 8),
        ] {
            let device = Harness::builtin(NAME, identifier);
            assert_eq!(device.definition.name, name);
            assert_eq!(
                device.definition.outputs_of(Vibrate).count(),
                motors,
                "{name}"
            );
        }
    }

    #[test]
    fn motor_number_and_level_share_one_byte() {
        let mut device = Harness::builtin(NAME, Some("1"));
        // The C# server's test: motor 1 at half speed is 0x17.
        assert_eq!(device.set(&[(0, Vibrate, 7)]), byte(0x17));
        assert_eq!(device.set(&[(0, Vibrate, 15)]), byte(0x1F));
        assert_eq!(device.set(&[(0, Vibrate, 0)]), byte(0x00));
        assert_eq!(device.set(&[(7, Vibrate, 1)]), byte(0x81));
        assert_eq!(device.set(&[(3, Vibrate, 8)]), byte(0x48));
    }

    #[test]
    fn the_first_running_changed_motor_is_driven() {
        let mut device = Harness::builtin(NAME, Some("3"));
        assert_eq!(
            device.set(&[(0, Vibrate, 0), (1, Vibrate, 4), (2, Vibrate, 9)]),
            byte(0x24)
        );
        assert_eq!(device.set(&[(2, Vibrate, 10)]), byte(0x3A));
    }

    #[test]
    fn stopping_one_motor_hands_over_to_one_still_running() {
        let mut device = Harness::builtin(NAME, Some("3"));
        device.set(&[(1, Vibrate, 4), (3, Vibrate, 9)]);
        assert_eq!(device.set(&[(1, Vibrate, 0)]), byte(0x49));
        assert_eq!(device.set(&[(3, Vibrate, 0)]), byte(0x00));
    }

    #[test]
    fn stop_is_a_single_zero() {
        let mut device = Harness::builtin(NAME, None);
        device.set(&[(0, Vibrate, 7), (5, Vibrate, 3)]);
        assert_eq!(device.stop(), byte(0x00));
    }

    #[test]
    fn other_outputs_and_out_of_range_levels_are_errors() {
        let mut device = Harness::builtin(NAME, Some("3"));
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(4, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut device = Harness::builtin(NAME, Some("3"));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 16)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut device = Harness::builtin(NAME, Some("3"));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, -2)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Patoo (Carrot, Vibrator, Bean Sprout: one vibrator; Devil: two), speeds 0–100. Two writes per
//! command, both **with response**: the speed as one byte on `tx`, then a mode byte on
//! `txmode`. There is one speed slot for both motors:
//!
//! - motor 1 running: speed = motor 1, mode `04` (vibrate);
//! - motor 1 at 0, motor 2 running: speed = motor 2, mode `80` (second motor);
//! - both at 0: speed `00`, mode `00`.
//!
//! Packing: the writes depend on both motors' current values (a never-set motor is 0). Upstream
//! tags the two writes with one fixed command id per endpoint, so its message gap leaves one
//! pair per command as well.
//!
//! **Identification.** The toys advertise a model prefix followed by a serial number
//! (`PBT12`); the configurations are keyed by the prefix, the name up to its first digit.
//! Upstream derives the same prefix but files it under the protocol name `Patoo` (capital P),
//! which finds no configuration, so every Patoo falls back to the defaults there
//! (device-config.md §2.3); plugd files it under the database key, so the Devil gets its two
//! motors.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/patoo.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitReply, InitStep, ProtocolError};
use plugd_config::DeviceIdentity;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "patoo";

/// Mode byte: motor 1 vibrates.
const MODE_VIBRATE: u8 = 0x04;
/// Mode byte: stopped.
const MODE_OFF: u8 = 0x00;
/// Mode byte: motor 2 vibrates (upstream sets this flag on the "off" mode).
const MODE_SECOND_MOTOR: u8 = 0x80;

/// Identification needs no exchange: the identifier comes from the name alone.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    Vec::new()
}

/// The advertised name up to its first ASCII digit (`PBT12` → `PBT`); `None` (the defaults)
/// when that leaves nothing.
pub fn resolve_identifier(identity: &DeviceIdentity, _replies: &[InitReply]) -> Option<String> {
    let prefix: String = identity
        .name
        .chars()
        .take_while(|character| !character.is_ascii_digit())
        .collect();
    (!prefix.is_empty()).then_some(prefix)
}

/// The speed byte on `tx`, then the mode byte on `txmode`, both with response (see the module
/// doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate;
/// [`ProtocolError::Definition`] for a speed that does not fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    if let Some(&(_, kind)) = context
        .changed
        .iter()
        .find(|(_, kind)| *kind != OutputKind::Vibrate)
    {
        return Err(ProtocolError::UnsupportedOutput {
            protocol: NAME,
            kind,
        });
    }
    let speed = |motor: u32| {
        let value = context.value(FeatureIndex(motor), OutputKind::Vibrate);
        u8::try_from(value)
            .map_err(|_| ProtocolError::Definition(format!("speed {value} does not fit in a byte")))
    };
    let (first, second) = (speed(0)?, speed(1)?);
    let (speed, mode) = match (first, second) {
        (0, 0) => (0, MODE_OFF),
        (0, second) => (second, MODE_SECOND_MOTOR),
        (first, _) => (first, MODE_VIBRATE),
    };
    Ok(vec![
        HardwareCommand::write_with_response(Endpoint::Tx, vec![speed]),
        HardwareCommand::write_with_response(Endpoint::TxMode, vec![mode]),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use plugd_config::Transport;
    use OutputKind::{Rotate, Vibrate};

    fn writes(speed: u8, mode: u8) -> Vec<HardwareCommand> {
        vec![
            write_with_response(Endpoint::Tx, &[speed]),
            write_with_response(Endpoint::TxMode, &[mode]),
        ]
    }

    fn identity(name: &str) -> DeviceIdentity {
        DeviceIdentity::named(Transport::Btle, name, "AA:BB:CC:DD:EE:FF")
    }

    #[test]
    fn identifier_is_the_name_up_to_its_first_digit() {
        assert!(identify_steps(&identity("PBT12")).is_empty());
        let cases = [
            ("PBT12", Some("PBT")),
            ("PTVEA3", Some("PTVEA")),
            ("PCS", Some("PCS")),
            ("PHT0A1", Some("PHT")),
            ("PBT-7", Some("PBT-")),
            ("9PBT", None),
            ("", None),
        ];
        for (name, expected) in cases {
            assert_eq!(
                resolve_identifier(&identity(name), &[]).as_deref(),
                expected,
                "{name:?}"
            );
        }
    }

    #[test]
    fn single_motor_toys_write_speed_then_vibrate_mode() {
        let mut carrot = Harness::builtin(NAME, Some("PTVEA"));
        assert_eq!(carrot.definition.name, "Patoo Carrot");
        assert_eq!(carrot.set(&[(0, Vibrate, 50)]), writes(50, 0x04));
        assert_eq!(carrot.set(&[(0, Vibrate, 100)]), writes(100, 0x04));
        assert_eq!(carrot.stop(), writes(0, 0x00));
    }

    #[test]
    fn devil_runs_its_second_motor_only_while_the_first_is_stopped() {
        let mut devil = Harness::builtin(NAME, Some("PBT"));
        assert_eq!(devil.definition.name, "Patoo Devil");
        assert_eq!(devil.set(&[(1, Vibrate, 30)]), writes(30, 0x80));
        assert_eq!(devil.set(&[(0, Vibrate, 60)]), writes(60, 0x04));
        assert_eq!(
            devil.set(&[(0, Vibrate, 10), (1, Vibrate, 90)]),
            writes(10, 0x04)
        );
        assert_eq!(devil.set(&[(0, Vibrate, 0)]), writes(90, 0x80));
        assert_eq!(devil.stop(), writes(0, 0x00));
    }

    #[test]
    fn other_kinds_and_oversized_speeds_are_errors() {
        let mut devil = Harness::builtin(NAME, Some("PBT"));
        assert_eq!(
            devil.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            devil.try_set(&[(1, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

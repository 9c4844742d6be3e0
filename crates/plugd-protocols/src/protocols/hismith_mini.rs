//! Hismith Mini (the newer Hismith, Sinloli, Eropair, Auxfun and Kiiroo PleasureDrive machines):
//! four-byte packets written to `tx` without response, `CC <motor> <value> <checksum>`, the
//! checksum being `motor + value` (wrapping). Values are the database values, 0–100.
//!
//! | output | packets |
//! |---|---|
//! | oscillate | `CC 03 <v> <v+3>` |
//! | vibrate | `CC 05 <v> <v+5>`; on a device with two or more vibrators (Eropair Rabbit) the vibrator of feature 1 uses `05` and the others `03` |
//! | constrict | `CC 03 <v> <v+3>`, or `CC 05 …` when the device's first constrictor is its second feature (Sinloli Cosima) |
//! | rotate (signed) | `CC 03 <\|v\|> <\|v\|+3>`, then the direction `CC 01 C0 C1` (≥ 0) or `CC 01 C1 C2` (< 0) |
//! | spray | `CC 0B 01 0C` (one squirt) |
//!
//! One command per changed output, in feature order (rotation is two packets).
//!
//! **Identification** is `hismith`'s: read `rxblemodel`, identifier = its bytes as lower-case hex
//! (`22 05` → `2205`, the Sinloli Aston). Devices advertising a `hismith` name arrive here when
//! their model id is not a legacy one.
//!
//! **Differs from upstream.** Upstream writes the spray packet for *any* spray value, so a Stop
//! — which zeroes a spray-only feature (device-config.md §2.6) — makes the Piupiu squirt. plugd
//! writes the spray packet for a non-zero value only; 0 writes nothing, and the Device's dedup
//! means a client squirts again by setting 0, then 1.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/hismith_mini.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

pub use super::hismith::{identify_steps, resolve_identifier};

/// Database key.
pub const NAME: &str = "hismith-mini";

/// First byte of every packet.
const HEADER: u8 = 0xCC;
/// Motor byte of the oscillator, the rotator, a first vibrator or a first constrictor.
const FIRST_MOTOR: u8 = 0x03;
/// Motor byte of a lone or second vibrator and of a second-feature constrictor.
const SECOND_MOTOR: u8 = 0x05;
/// Motor byte of the rotation direction.
const DIRECTION: u8 = 0x01;
/// Direction value for clockwise (non-negative) rotation; counter-clockwise is one more.
const CLOCKWISE: u8 = 0xC0;
/// The whole spray packet.
const SPRAY: [u8; 4] = [HEADER, 0x0B, 0x01, 0x0C];

/// One or two packets per changed output (see the module table).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds the table lacks; [`ProtocolError::Definition`]
/// for a value that does not fit a byte. Nothing is written then.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let definition = context.definition;
    let mut commands = Vec::with_capacity(context.changed.len());
    for &(feature, kind) in context.changed {
        let value = context.value(feature, kind);
        match kind {
            OutputKind::Oscillate => {
                commands.push(packet(FIRST_MOTOR, byte(feature, kind, value)?));
            }
            OutputKind::Vibrate => {
                let motor = if !dual_vibrator(definition) || feature == FeatureIndex(1) {
                    SECOND_MOTOR
                } else {
                    FIRST_MOTOR
                };
                commands.push(packet(motor, byte(feature, kind, value)?));
            }
            OutputKind::Constrict => {
                let motor = if constrictor_is_second_feature(definition) {
                    SECOND_MOTOR
                } else {
                    FIRST_MOTOR
                };
                commands.push(packet(motor, byte(feature, kind, value)?));
            }
            OutputKind::Rotate => {
                let speed = byte(feature, kind, value.saturating_abs())?;
                let direction = if value >= 0 { CLOCKWISE } else { CLOCKWISE + 1 };
                commands.push(packet(FIRST_MOTOR, speed));
                commands.push(packet(DIRECTION, direction));
            }
            OutputKind::Spray => {
                if value != 0 {
                    commands.push(HardwareCommand::write(Endpoint::Tx, SPRAY.to_vec()));
                }
            }
            other => {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind: other,
                })
            }
        }
    }
    Ok(commands)
}

/// Two or more vibrators: the motor byte then depends on the feature.
fn dual_vibrator(definition: &DeviceDefinition) -> bool {
    definition.outputs_of(OutputKind::Vibrate).count() >= 2
}

/// The first constrictor sits at list position 1 (upstream counts positions, not indexes).
fn constrictor_is_second_feature(definition: &DeviceDefinition) -> bool {
    definition
        .features
        .iter()
        .position(|feature| feature.output(OutputKind::Constrict).is_some())
        == Some(1)
}

/// `CC <motor> <value> <motor + value>` to `tx`.
fn packet(motor: u8, value: u8) -> HardwareCommand {
    HardwareCommand::write(
        Endpoint::Tx,
        vec![HEADER, motor, value, value.wrapping_add(motor)],
    )
}

/// The value as a byte, refusing what does not fit.
fn byte(feature: FeatureIndex, kind: OutputKind, value: i32) -> Result<u8, ProtocolError> {
    u8::try_from(value).map_err(|_| {
        ProtocolError::Definition(format!(
            "feature {feature} {kind} value {value} does not fit a byte"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use crate::InitReply;
    use plugd_config::{DeviceIdentity, Transport};
    use OutputKind::{Constrict, Oscillate, Position, Rotate, Spray, Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn identification_is_the_hex_model_id() {
        let identity = DeviceIdentity::named(Transport::Btle, "Sinloli Aston", "AA:BB");
        let replies = [InitReply {
            endpoint: Endpoint::RxBleModel,
            data: vec![0x22, 0x05],
        }];
        assert_eq!(
            resolve_identifier(&identity, &replies).as_deref(),
            Some("2205")
        );
        assert_eq!(identify_steps(&identity).len(), 1);
    }

    #[test]
    fn auxfun_box_oscillates_on_motor_three() {
        // test_hismith_auxfun_box.yaml.
        let mut auxfun = Harness::builtin(NAME, Some("4001"));
        assert_eq!(auxfun.definition.name, "Auxfun Sex Machine");
        assert_eq!(
            auxfun.set(&[(0, Oscillate, 50)]),
            vec![tx(&[0xCC, 0x03, 0x32, 0x35])]
        );
        assert_eq!(
            auxfun.set(&[(0, Oscillate, 10)]),
            vec![tx(&[0xCC, 0x03, 0x0a, 0x0d])]
        );
        assert_eq!(auxfun.stop(), vec![tx(&[0xCC, 0x03, 0x00, 0x03])]);
        assert_eq!(
            auxfun.set(&[(0, Oscillate, 100)]),
            vec![tx(&[0xCC, 0x03, 0x64, 0x67])]
        );
    }

    #[test]
    fn sinloli_aston_rotates_with_a_direction_packet() {
        // test_hismith_sinloli_aston.yaml.
        let mut aston = Harness::builtin(NAME, Some("2205"));
        assert_eq!(aston.definition.name, "Sinloli Aston");
        assert_eq!(
            aston.set(&[(0, Rotate, 50)]),
            vec![tx(&[0xCC, 0x03, 0x32, 0x35]), tx(&[0xCC, 0x01, 0xc0, 0xc1])]
        );
        assert_eq!(
            aston.set(&[(0, Rotate, -100)]),
            vec![tx(&[0xCC, 0x03, 0x64, 0x67]), tx(&[0xCC, 0x01, 0xc1, 0xc2])]
        );
        assert_eq!(
            aston.stop(),
            vec![tx(&[0xCC, 0x03, 0x00, 0x03]), tx(&[0xCC, 0x01, 0xc0, 0xc1])]
        );
    }

    #[test]
    fn lone_vibrator_uses_motor_five() {
        let mut ethel = Harness::builtin(NAME, Some("2202"));
        assert_eq!(ethel.definition.name, "Sinloli Ethel");
        assert_eq!(
            ethel.set(&[(0, Oscillate, 20), (1, Vibrate, 100)]),
            vec![tx(&[0xCC, 0x03, 0x14, 0x17]), tx(&[0xCC, 0x05, 0x64, 0x69])]
        );
        assert_eq!(
            ethel.stop(),
            vec![tx(&[0xCC, 0x03, 0x00, 0x03]), tx(&[0xCC, 0x05, 0x00, 0x05])]
        );
    }

    #[test]
    fn two_vibrators_use_motor_three_then_five() {
        let mut rabbit = Harness::builtin(NAME, Some("3101"));
        assert_eq!(rabbit.definition.name, "Eropair Rabbit Vibrator");
        assert_eq!(
            rabbit.set(&[(0, Vibrate, 30), (1, Vibrate, 60)]),
            vec![tx(&[0xCC, 0x03, 0x1e, 0x21]), tx(&[0xCC, 0x05, 0x3c, 0x41])]
        );
        assert_eq!(
            rabbit.set(&[(1, Vibrate, 0)]),
            vec![tx(&[0xCC, 0x05, 0x00, 0x05])]
        );
    }

    #[test]
    fn constrictor_motor_depends_on_its_position() {
        let mut doll = Harness::builtin(NAME, Some("2201"));
        assert_eq!(doll.definition.name, "Sinloli Automatic Sex Doll");
        assert_eq!(
            doll.set(&[(0, Constrict, 40), (1, Vibrate, 50)]),
            vec![tx(&[0xCC, 0x03, 0x28, 0x2b]), tx(&[0xCC, 0x05, 0x32, 0x37])]
        );
        let mut cosima = Harness::builtin(NAME, Some("2204"));
        assert_eq!(cosima.definition.name, "Sinloli Cosima");
        assert_eq!(
            cosima.set(&[(0, Oscillate, 50), (1, Constrict, 100)]),
            vec![tx(&[0xCC, 0x03, 0x32, 0x35]), tx(&[0xCC, 0x05, 0x64, 0x69])]
        );
    }

    #[test]
    fn spray_squirts_once_and_stop_does_not_squirt() {
        let mut piupiu = Harness::builtin(NAME, Some("4002"));
        assert_eq!(piupiu.definition.name, "Sinloli Piupiu");
        assert_eq!(
            piupiu.set(&[(0, Spray, 1)]),
            vec![tx(&[0xCC, 0x0B, 0x01, 0x0C])]
        );
        assert_eq!(piupiu.stop(), vec![]);
    }

    #[test]
    fn unsupported_kinds_and_oversized_values_are_refused() {
        let mut machine = Harness::builtin(NAME, None);
        assert_eq!(
            machine.try_set(&[(0, Position, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Position
            })
        );
        assert!(matches!(
            machine.try_set(&[(0, Oscillate, 300)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            machine.try_set(&[(0, Rotate, i32::MIN)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

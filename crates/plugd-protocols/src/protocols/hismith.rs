//! Hismith (the older machines, the Thrusting Cup, Wildolo): four-byte packets written to `tx`
//! without response, `AA <motor> <speed> <checksum>`, the checksum being `motor + speed`
//! (wrapping). Speeds are the database values, 0–100 (the Thrusting Cup's vibrator is on/off,
//! 0–1).
//!
//! | output | motor byte | speed byte |
//! |---|---|---|
//! | oscillate (any feature) | `04` | the value |
//! | vibrate on feature 0 (Wildolo) | `04` | the value |
//! | vibrate on another feature (Thrusting Cup, G011) | `06` | the value; off is `F0`, not `00` |
//!
//! One packet per changed output, in feature order (upstream tags each with its feature, so none
//! is coalesced away).
//!
//! **Identification.** The advertised names (`HISMITH`, `Wildolo`, `\u{7}HISMITH`) say nothing
//! about the model: a read of `rxblemodel` does, and its bytes written as lower-case hex
//! (`20 01` → `2001`) are the identifier the configurations list. Only the models `1001`,
//! `1002`, `1003`, `1006`, `2001` and `3001` speak this protocol; every other model id (`4001`,
//! an Auxfun Box, …) hands the device over to `hismith-mini` (see [`switch_protocol`]), which
//! reads the same identifier from the same reply. A failed read fails the connection, as
//! upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/hismith.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitReply, InitStep, ProtocolError};
use plugd_config::DeviceIdentity;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "hismith";

/// The models that speak this protocol; every other model id goes to `hismith-mini`.
const LEGACY_MODELS: [&str; 6] = ["1001", "1002", "1003", "3001", "2001", "1006"];
/// The protocol the other models speak.
const MINI_PROTOCOL: &str = "hismith-mini";
/// How long the model read may take (upstream's value).
const MODEL_READ_TIMEOUT: Duration = Duration::from_millis(500);
/// First byte of every packet.
const HEADER: u8 = 0xAA;
/// Motor byte of the oscillator and of a vibrator on feature 0.
const MAIN_MOTOR: u8 = 0x04;
/// Motor byte of a vibrator on any other feature.
const SECOND_MOTOR: u8 = 0x06;
/// What the second motor takes for "off".
const SECOND_MOTOR_OFF: u8 = 0xF0;

/// Identification (shared with `hismith-mini`): one read of `rxblemodel`.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    vec![InitStep::Read {
        endpoint: Endpoint::RxBleModel,
        length: 0,
        timeout: MODEL_READ_TIMEOUT,
    }]
}

/// The model id: the first reply's bytes as lower-case hex (`[0x20, 0x01]` → `"2001"`). `None`
/// (the defaults) when there was no reply; an empty reply gives `""`, which no configuration
/// lists, so the defaults apply too.
pub fn resolve_identifier(_identity: &DeviceIdentity, replies: &[InitReply]) -> Option<String> {
    replies.first().map(|reply| {
        reply
            .data
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    })
}

/// Hands every model outside the legacy list to `hismith-mini`.
pub fn switch_protocol(identity: &DeviceIdentity, replies: &[InitReply]) -> Option<&'static str> {
    let model = resolve_identifier(identity, replies)?;
    (!LEGACY_MODELS.contains(&model.as_str())).then_some(MINI_PROTOCOL)
}

/// One packet per changed output (see the module table).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and oscillate;
/// [`ProtocolError::Definition`] for a value that does not fit a byte. Nothing is written then.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let value = speed_byte(feature, kind, context.value(feature, kind))?;
            let (motor, speed) = match kind {
                OutputKind::Oscillate => (MAIN_MOTOR, value),
                OutputKind::Vibrate if feature == FeatureIndex(0) => (MAIN_MOTOR, value),
                OutputKind::Vibrate if value == 0 => (SECOND_MOTOR, SECOND_MOTOR_OFF),
                OutputKind::Vibrate => (SECOND_MOTOR, value),
                other => {
                    return Err(ProtocolError::UnsupportedOutput {
                        protocol: NAME,
                        kind: other,
                    })
                }
            };
            Ok(packet(motor, speed))
        })
        .collect()
}

/// `AA <motor> <speed> <motor + speed>` to `tx`.
fn packet(motor: u8, speed: u8) -> HardwareCommand {
    HardwareCommand::write(
        Endpoint::Tx,
        vec![HEADER, motor, speed, speed.wrapping_add(motor)],
    )
}

/// The value as the speed byte, refusing what does not fit.
fn speed_byte(feature: FeatureIndex, kind: OutputKind, value: i32) -> Result<u8, ProtocolError> {
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
    use plugd_config::Transport;
    use OutputKind::{Oscillate, Rotate, Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    fn identity(name: &str) -> DeviceIdentity {
        DeviceIdentity::named(Transport::Btle, name, "AA:BB:CC:DD:EE:FF")
    }

    fn model(bytes: &[u8]) -> Vec<InitReply> {
        vec![InitReply {
            endpoint: Endpoint::RxBleModel,
            data: bytes.to_vec(),
        }]
    }

    #[test]
    fn identification_reads_the_model_characteristic() {
        assert_eq!(
            identify_steps(&identity("HISMITH")),
            vec![InitStep::Read {
                endpoint: Endpoint::RxBleModel,
                length: 0,
                timeout: Duration::from_millis(500),
            }]
        );
    }

    #[test]
    fn model_bytes_become_lower_case_hex() {
        let name = identity("HISMITH");
        let cases: [(&[u8], &str); 5] = [
            (&[0x20, 0x01], "2001"),
            (&[0x30, 0x01], "3001"),
            (&[0x40, 0x01], "4001"),
            (&[0xAB, 0xCD, 0x0E], "abcd0e"),
            (&[], ""),
        ];
        for (bytes, expected) in cases {
            assert_eq!(
                resolve_identifier(&name, &model(bytes)).as_deref(),
                Some(expected)
            );
        }
        assert_eq!(resolve_identifier(&name, &[]), None);
    }

    #[test]
    fn legacy_models_stay_and_others_go_to_hismith_mini() {
        let name = identity("HISMITH");
        for legacy in [
            [0x10, 0x01],
            [0x10, 0x02],
            [0x10, 0x03],
            [0x10, 0x06],
            [0x20, 0x01],
            [0x30, 0x01],
        ] {
            assert_eq!(switch_protocol(&name, &model(&legacy)), None, "{legacy:?}");
        }
        for other in [
            &[0x40, 0x01][..],
            &[0x22, 0x05],
            &[0x10, 0x04],
            &[0xff],
            &[],
        ] {
            assert_eq!(
                switch_protocol(&name, &model(other)),
                Some("hismith-mini"),
                "{other:?}"
            );
        }
    }

    #[test]
    fn thrusting_cup_oscillates_and_switches_its_vibrator() {
        // test_hismith_thrusting_cup.yaml.
        let mut cup = Harness::builtin(NAME, Some("2001"));
        assert_eq!(cup.definition.name, "Hismith Thrusting Cup");
        assert_eq!(
            cup.set(&[(0, Oscillate, 50)]),
            vec![tx(&[0xAA, 0x04, 0x32, 0x36])]
        );
        assert_eq!(
            cup.set(&[(0, Oscillate, 10), (1, Vibrate, 1)]),
            vec![tx(&[0xAA, 0x04, 0x0a, 0x0e]), tx(&[0xAA, 0x06, 0x01, 0x07])]
        );
        assert_eq!(
            cup.stop(),
            vec![tx(&[0xAA, 0x04, 0x00, 0x04]), tx(&[0xAA, 0x06, 0xf0, 0xf6])]
        );
    }

    #[test]
    fn oscillation_at_off_middle_and_full_speed() {
        let mut machine = Harness::builtin(NAME, Some("1001"));
        assert_eq!(machine.definition.name, "Hismith Sex Machine");
        assert_eq!(
            machine.set(&[(0, Oscillate, 0)]),
            vec![tx(&[0xAA, 0x04, 0x00, 0x04])]
        );
        assert_eq!(
            machine.set(&[(0, Oscillate, 50)]),
            vec![tx(&[0xAA, 0x04, 0x32, 0x36])]
        );
        assert_eq!(
            machine.set(&[(0, Oscillate, 100)]),
            vec![tx(&[0xAA, 0x04, 0x64, 0x68])]
        );
    }

    #[test]
    fn wildolo_vibrates_on_the_main_motor() {
        // test_hismith_wildolo.yaml.
        let mut wildolo = Harness::builtin(NAME, Some("3001"));
        assert_eq!(wildolo.definition.name, "Wildolo Device");
        assert_eq!(
            wildolo.set(&[(0, Vibrate, 50)]),
            vec![tx(&[0xAA, 0x04, 0x32, 0x36])]
        );
        assert_eq!(
            wildolo.set(&[(0, Vibrate, 10)]),
            vec![tx(&[0xAA, 0x04, 0x0a, 0x0e])]
        );
        assert_eq!(
            wildolo.set(&[(0, Vibrate, 100)]),
            vec![tx(&[0xAA, 0x04, 0x64, 0x68])]
        );
        assert_eq!(wildolo.stop(), vec![tx(&[0xAA, 0x04, 0x00, 0x04])]);
    }

    #[test]
    fn unknown_model_gets_the_defaults_oscillator() {
        let mut device = Harness::builtin(NAME, None);
        assert_eq!(device.definition.name, "Hismith device");
        assert_eq!(
            device.set(&[(0, Oscillate, 1)]),
            vec![tx(&[0xAA, 0x04, 0x01, 0x05])]
        );
    }

    #[test]
    fn outputs_without_a_motor_byte_are_refused() {
        let mut cup = Harness::builtin(NAME, Some("2001"));
        assert_eq!(
            cup.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
    }

    #[test]
    fn values_that_do_not_fit_a_byte_are_refused() {
        let mut cup = Harness::builtin(NAME, Some("2001"));
        for value in [256, -1] {
            assert!(matches!(
                cup.try_set(&[(0, Oscillate, value)]),
                Err(ProtocolError::Definition(_))
            ));
        }
    }
}

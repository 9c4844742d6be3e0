//! Vibratissimo (Amor's app-connected toys, all advertised as "Vibratissimo"): one to three
//! vibrators, 0–255 (the Rabbit's third, 0–2), and a battery.
//!
//! **Identification.** The advertised name says nothing about the model, so the Device
//! Information service's model-number characteristic (`rxblemodel`, up to 128 bytes, 500 ms)
//! is read; its text (`Licker`, `Rabbit`, ...) is the identifier. Non-UTF-8 bytes fall back to
//! the advertised name, as upstream; a failed read fails the connection, as upstream.
//!
//! **Wire format.** Each changed vibrator gets two writes, without response: `03 FF` to
//! `txmode` (write mode), then every vibrator's speed in feature order to `txvibrate`
//! (`<speed 1> [<speed 2> [<speed 3>]]`, padded with `00` to two bytes for a single motor).
//!
//! **Several motors in one command.** Upstream handles the motors of one command one after the
//! other, each pair showing the motors handled so far at their new speed and the rest at their
//! old one (`[a, 0]`, then `[a, b]`), and tags each pair with its motor, so every pair reaches
//! the toy. plugd writes the same pairs: it starts from the previous values of the changed
//! motors and updates one motor per pair.
//!
//! **Battery.** The standard battery characteristic (`rxblebattery`), byte 0 as a percentage:
//! the Device's default read, as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/vibratissimo.rs` of buttplugio/buttplug
//! (which keeps the speeds in atomics; plugd reads current and previous values).

use crate::{EncodeContext, InitReply, InitStep, ProtocolError};
use plugd_config::DeviceIdentity;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "vibratissimo";

/// How many bytes the model read asks for.
const MODEL_LENGTH: u32 = 128;
/// How long the model read may take.
const MODEL_TIMEOUT: Duration = Duration::from_millis(500);
/// Written to `txmode` before every speed packet.
const WRITE_MODE: [u8; 2] = [0x03, 0xFF];
/// The shortest speed packet.
const MINIMUM_PACKET: usize = 2;

/// Identification: read the model number.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    vec![InitStep::Read {
        endpoint: Endpoint::RxBleModel,
        length: MODEL_LENGTH,
        timeout: MODEL_TIMEOUT,
    }]
}

/// The model number's text, or the advertised name when it is not UTF-8 (or missing).
pub fn resolve_identifier(identity: &DeviceIdentity, replies: &[InitReply]) -> Option<String> {
    replies
        .iter()
        .find(|reply| reply.endpoint == Endpoint::RxBleModel)
        .and_then(|reply| String::from_utf8(reply.data.clone()).ok())
        .or_else(|| Some(identity.name.clone()))
}

/// `03 FF` to `txmode` and all speeds to `txvibrate`, once per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate;
/// [`ProtocolError::Definition`] for a feature the device lacks or a speed beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let motors: Vec<FeatureIndex> = context
        .definition
        .outputs_of(OutputKind::Vibrate)
        .map(|(feature, _)| feature.index)
        .collect();
    let is_changed = |motor| context.changed.contains(&(motor, OutputKind::Vibrate));
    let mut speeds = motors
        .iter()
        .map(|&motor| {
            let speed = if is_changed(motor) {
                context
                    .previous_value(motor, OutputKind::Vibrate)
                    .unwrap_or(0)
            } else {
                context.value(motor, OutputKind::Vibrate)
            };
            speed_byte(speed)
        })
        .collect::<Result<Vec<u8>, ProtocolError>>()?;
    let mut commands = Vec::with_capacity(context.changed.len() * 2);
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Vibrate {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        let slot = motors
            .iter()
            .position(|&motor| motor == feature)
            .and_then(|position| speeds.get_mut(position))
            .ok_or_else(|| {
                ProtocolError::Definition(format!("feature {feature} has no {kind} output"))
            })?;
        *slot = speed_byte(context.value(feature, kind))?;
        let mut packet = speeds.clone();
        if packet.len() < MINIMUM_PACKET {
            packet.resize(MINIMUM_PACKET, 0x00);
        }
        commands.push(HardwareCommand::write(Endpoint::TxMode, WRITE_MODE));
        commands.push(HardwareCommand::write(Endpoint::TxVibrate, packet));
    }
    Ok(commands)
}

fn speed_byte(speed: i32) -> Result<u8, ProtocolError> {
    u8::try_from(speed)
        .map_err(|_| ProtocolError::Definition(format!("speed {speed} does not fit in a byte")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use plugd_config::Transport;
    use plugd_core::InputKind;
    use OutputKind::Vibrate;

    fn pair(speeds: &[u8]) -> Vec<HardwareCommand> {
        vec![
            write(Endpoint::TxMode, &[0x03, 0xFF]),
            write(Endpoint::TxVibrate, speeds),
        ]
    }

    fn identity() -> DeviceIdentity {
        DeviceIdentity::named(Transport::Btle, "Vibratissimo", "address")
    }

    fn model(data: &[u8]) -> InitReply {
        InitReply {
            endpoint: Endpoint::RxBleModel,
            data: data.to_vec(),
        }
    }

    #[test]
    fn identification_reads_the_model_number() {
        assert_eq!(
            identify_steps(&identity()),
            vec![InitStep::Read {
                endpoint: Endpoint::RxBleModel,
                length: 128,
                timeout: Duration::from_millis(500),
            }]
        );
        assert_eq!(
            resolve_identifier(&identity(), &[model(b"Rabbit")]).as_deref(),
            Some("Rabbit")
        );
        assert_eq!(
            resolve_identifier(&identity(), &[model(&[0xFF, 0xFE, 0x00])]).as_deref(),
            Some("Vibratissimo")
        );
        assert_eq!(
            resolve_identifier(&identity(), &[]).as_deref(),
            Some("Vibratissimo")
        );
    }

    #[test]
    fn the_model_picks_the_configuration() {
        assert_eq!(
            Harness::builtin(NAME, Some("Licker")).definition.name,
            "Vibratissimo Licker"
        );
        assert_eq!(
            Harness::builtin(NAME, Some("Rabbit")).definition.name,
            "Vibratissimo Rabbit"
        );
        assert_eq!(
            Harness::builtin(NAME, Some("Unknown")).definition.name,
            "Vibratissimo Device"
        );
    }

    #[test]
    fn a_single_motor_is_padded_to_two_bytes() {
        let mut device = Harness::builtin(NAME, None);
        assert_eq!(device.set(&[(0, Vibrate, 128)]), pair(&[128, 0]));
        assert_eq!(device.set(&[(0, Vibrate, 255)]), pair(&[255, 0]));
        assert_eq!(device.stop(), pair(&[0, 0]));
    }

    #[test]
    fn every_packet_carries_all_motors() {
        let mut device = Harness::builtin(NAME, Some("Licker"));
        assert_eq!(device.set(&[(1, Vibrate, 10)]), pair(&[0, 10]));
        assert_eq!(device.set(&[(0, Vibrate, 200)]), pair(&[200, 10]));
        assert_eq!(device.set(&[(1, Vibrate, 0)]), pair(&[200, 0]));
    }

    #[test]
    fn several_motors_in_one_command_get_one_pair_each_like_upstream() {
        let mut device = Harness::builtin(NAME, Some("Rabbit"));
        device.set(&[(0, Vibrate, 5)]);
        let mut expected = pair(&[50, 0, 0]);
        expected.extend(pair(&[50, 60, 0]));
        expected.extend(pair(&[50, 60, 2]));
        assert_eq!(
            device.set(&[(0, Vibrate, 50), (1, Vibrate, 60), (2, Vibrate, 2)]),
            expected
        );
        let mut expected = pair(&[0, 60, 2]);
        expected.extend(pair(&[0, 0, 2]));
        expected.extend(pair(&[0, 0, 0]));
        assert_eq!(device.stop(), expected);
    }

    #[test]
    fn the_battery_is_the_default_read() {
        let device = Harness::builtin(NAME, Some("Rabbit"));
        assert!(device
            .definition
            .features
            .iter()
            .any(|feature| feature.input(InputKind::Battery).is_some()));
        assert!(crate::find(NAME).is_some_and(|protocol| protocol.read_input.is_none()));
    }

    #[test]
    fn other_outputs_and_unknown_motors_are_errors() {
        let mut device = Harness::builtin(NAME, None);
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Next Level Racing HF8: a haptic gaming pad on a serial port (115200 baud, 8-N-1) with eight
//! vibration motors (features 0–7), speeds 0–255.
//!
//! **Wire format.** ASCII, one write to `tx` per changed motor: `M`, the motor (the feature
//! index), the speed in decimal, CR — `M0128\r` runs motor 0 at half speed, `M70\r` stops
//! motor 7. The motor and speed digits run together with no separator, as upstream writes them.
//! Several motors changed by one command are written in feature order; a Stop writes a zero
//! line for every motor (the Device leaves out only motors whose last command already was 0).
//! No init, no keepalive, stateless.
//!
//! **Matching.** The database's serial specifier names the port `default`, which no real port
//! has: a user config gives the protocol a serial specifier with the real port, and that port
//! name is the identifier (the defaults apply, there are no configurations). The serial DCM
//! (and the `simulate` greeting's `serial` transport) expose `tx` and `rx`; this protocol only
//! writes `tx`.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/nextlevelracing.rs` of
//! buttplugio/buttplug (no device case upstream); same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "nextlevelracing";

/// One `M<motor><speed>\r` write per changed motor.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a feature without a vibrator or a speed outside 0–255.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
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
            let value = context.value(feature, kind);
            let speed = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
            })?;
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                format!("M{}{speed}\r", feature.0).into_bytes(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use plugd_config::{DeviceConfigStore, DeviceDatabase, DeviceIdentity, Transport, UserConfig};
    use OutputKind::{Oscillate, Vibrate};

    fn pad() -> Harness {
        Harness::builtin(NAME, None)
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn each_motor_gets_its_own_line() {
        let mut device = pad();
        assert_eq!(
            device.definition.name,
            "Next Level Racing HF8 Haptic Gaming Pad"
        );
        assert_eq!(device.set(&[(0, Vibrate, 128)]), vec![tx(b"M0128\r")]);
        assert_eq!(device.set(&[(7, Vibrate, 255)]), vec![tx(b"M7255\r")]);
        assert_eq!(device.set(&[(3, Vibrate, 1)]), vec![tx(b"M31\r")]);
        assert_eq!(device.set(&[(0, Vibrate, 0)]), vec![tx(b"M00\r")]);
    }

    #[test]
    fn several_motors_in_one_command_are_written_in_feature_order() {
        let mut device = pad();
        assert_eq!(
            device.set(&[(5, Vibrate, 20), (2, Vibrate, 10)]),
            vec![tx(b"M210\r"), tx(b"M520\r")]
        );
    }

    #[test]
    fn stop_writes_a_zero_line_per_motor() {
        let mut device = pad();
        let expected: Vec<_> = (0..8)
            .map(|motor| tx(format!("M{motor}0\r").as_bytes()))
            .collect();
        assert_eq!(device.stop(), expected);
    }

    #[test]
    fn a_user_serial_port_reaches_the_pad_with_the_same_bytes() {
        // The database's port is "default"; a user specifier names the real port
        // (device-config.md §2.2), and that port is the identifier.
        let user = UserConfig::from_json(
            r#"{ "version": { "major": 4, "minor": 0 }, "user_configs": { "protocols": {
                   "nextlevelracing": { "communication": [ { "serial": { "port": "COM4",
                     "baud_rate": 115200, "data_bits": 8, "parity": "N", "stop_bits": 1 } } ] } } } }"#,
        )
        .expect("user config parses");
        let store = DeviceConfigStore::new(DeviceDatabase::builtin(), Some(user));
        let serial = DeviceIdentity::named(Transport::Serial, "COM4", "COM4");
        let matched: Vec<String> = store
            .find_protocols(&serial)
            .into_iter()
            .map(|found| found.protocol)
            .collect();
        assert_eq!(matched, [NAME]);
        let definition = store
            .definition(NAME, Some("COM4"), "COM4")
            .expect("defaults");
        assert_eq!(definition.features.len(), 8);
        let mut device = Harness::with_definition(definition);
        assert_eq!(device.set(&[(6, Vibrate, 64)]), vec![tx(b"M664\r")]);
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = pad();
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(8, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

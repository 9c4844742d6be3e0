//! Kizuna Smart: a rotating masturbator on a serial port (19200 baud, 8-N-1); one rotator,
//! speeds 0–9, no direction.
//!
//! **Wire format.** ASCII, one write to `tx` per changed rotator: the speed as one decimal
//! digit, then CR LF — `5\r\n` at speed 5, `0\r\n` stops. No init, no keepalive, stateless.
//! Upstream adds the value to `'0'` without a bound; plugd refuses anything but one digit
//! (the database range ends at 9, so only a hand-edited definition can ask for more).
//!
//! **Matching.** The database's serial specifier names the port `default`, which no real port
//! has: a user config gives the protocol a serial specifier with the real port (for example
//! `/dev/ttyUSB0`), and that port name is the identifier (the defaults apply, there are no
//! configurations). The serial DCM (and the `simulate` greeting's `serial` transport) expose
//! `tx` and `rx`; this protocol only writes `tx`.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/kizuna.rs` of buttplugio/buttplug (no
//! device case upstream); same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "kizuna";

/// The highest speed one digit holds.
const MAX_SPEED: u8 = 9;
/// What ends every command.
const LINE_END: &[u8] = b"\r\n";

/// One `<digit>\r\n` write per changed rotator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but rotate; [`ProtocolError::Definition`]
/// for a feature without a rotator or a speed outside 0–9.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if kind != OutputKind::Rotate {
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
            let speed = u8::try_from(value)
                .ok()
                .filter(|speed| *speed <= MAX_SPEED)
                .ok_or_else(|| {
                    ProtocolError::Definition(format!("speed {value} is not one digit"))
                })?;
            let mut data = vec![b'0' + speed];
            data.extend_from_slice(LINE_END);
            Ok(HardwareCommand::write(Endpoint::Tx, data))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use plugd_config::{DeviceConfigStore, DeviceDatabase, DeviceIdentity, Transport, UserConfig};
    use OutputKind::{Rotate, Vibrate};

    fn kizuna() -> Harness {
        Harness::builtin(NAME, None)
    }

    fn tx(bytes: &[u8]) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, bytes)]
    }

    #[test]
    fn speeds_are_one_ascii_digit_and_a_line_end() {
        let mut device = kizuna();
        assert_eq!(device.definition.name, "Kizuna Smart");
        assert_eq!(device.set(&[(0, Rotate, 5)]), tx(b"5\r\n"));
        assert_eq!(device.set(&[(0, Rotate, 9)]), tx(b"9\r\n"));
        assert_eq!(device.set(&[(0, Rotate, 1)]), tx(b"1\r\n"));
        assert_eq!(device.stop(), tx(b"0\r\n"));
    }

    #[test]
    fn a_user_serial_port_reaches_kizuna_with_the_same_bytes() {
        // The database's port is "default"; a user specifier names the real port
        // (device-config.md §2.2), and that port is the identifier.
        let user = UserConfig::from_json(
            r#"{ "version": { "major": 4, "minor": 0 }, "user_configs": { "protocols": {
                   "kizuna": { "communication": [ { "serial": { "port": "/dev/ttyUSB3",
                     "baud_rate": 19200, "data_bits": 8, "parity": "N", "stop_bits": 1 } } ] } } } }"#,
        )
        .expect("user config parses");
        let store = DeviceConfigStore::new(DeviceDatabase::builtin(), Some(user));
        let serial = DeviceIdentity::named(Transport::Serial, "/dev/ttyUSB3", "/dev/ttyUSB3");
        let matched: Vec<String> = store
            .find_protocols(&serial)
            .into_iter()
            .map(|found| found.protocol)
            .collect();
        assert_eq!(matched, [NAME]);
        let definition = store
            .definition(NAME, Some("/dev/ttyUSB3"), "/dev/ttyUSB3")
            .expect("defaults");
        assert_eq!(definition.name, "Kizuna Smart");
        let mut device = Harness::with_definition(definition);
        assert_eq!(device.set(&[(0, Rotate, 3)]), tx(b"3\r\n"));
    }

    #[test]
    fn other_outputs_missing_features_and_speeds_beyond_one_digit_are_errors() {
        let mut device = kizuna();
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Rotate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Rotate, 10)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Rotate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

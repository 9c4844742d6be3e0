//! nobra: Nobra's Silicone Dreams toys, driven through the Nobra Control box, over BLE
//! (`NobraControl*`, `Nobra Control*`) or a serial port (19200 baud, 8-N-1). One vibrator with
//! 15 steps.
//!
//! **Wire format.** One byte per command, on `tx` without response, the same on both
//! transports: `0x60 + speed` for speeds 1–15 (`0x68` at 8), `0x70` for off.
//!
//! **Init.** The box is sent `0x70` (off) once before the device is announced, as upstream
//! does; the shared case expects it during `device_init`.
//!
//! **Quirks.** The database's serial specifier has port `"default"`, so a real serial box is
//! only matched through a user specifier naming its port (device-config.md §2.2). Same bytes as
//! upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/nobra.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "nobra";

/// Off; also the init write.
const OFF: u8 = 0x70;
/// Added to a running speed.
const SPEED_BASE: u8 = 0x60;

/// Round 0 writes `0x70`; then init is done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![InitStep::Send(HardwareCommand::write(
            Endpoint::Tx,
            vec![OFF],
        ))]),
        _ => InitRound::Done,
    })
}

/// One byte per changed vibrator, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any output but vibrate;
/// [`ProtocolError::Definition`] for a speed outside 0–15 (it would collide with other codes).
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let byte = speed_code(context.value(feature, kind))?;
                Ok(HardwareCommand::write(Endpoint::Tx, vec![byte]))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

/// `0x70` for 0, else `0x60 + speed`. Upstream would wrap a speed past 0x9f into another code;
/// the database range is 0–15, so anything above 15 is refused here.
fn speed_code(value: i32) -> Result<u8, ProtocolError> {
    match u8::try_from(value) {
        Ok(0) => Ok(OFF),
        Ok(speed @ 1..=15) => Ok(SPEED_BASE + speed),
        _ => Err(ProtocolError::Definition(format!(
            "{NAME} speed {value} is outside 0-15"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use crate::{InitContext, InitRound, InitStep, ProtocolSession};
    use plugd_core::{Endpoint, HardwareCommand, OutputKind};

    fn check(steps: &[(i32, u8)]) {
        let mut device = Harness::builtin(super::NAME, None);
        for &(speed, byte) in steps {
            assert_eq!(
                device.set(&[(0, OutputKind::Vibrate, speed)]),
                vec![write(Endpoint::Tx, &[byte])],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn vibrate_adds_the_speed_to_0x60_and_off_is_0x70() {
        check(&[(0, 0x70), (1, 0x61), (8, 0x68), (15, 0x6f)]);
    }

    #[test]
    fn init_writes_off_once_then_is_done() {
        let device = Harness::builtin(super::NAME, None);
        let session = ProtocolSession::default();
        let round = |round| {
            super::initialize(&InitContext {
                definition: &device.definition,
                session: &session,
                replies: &[],
                round,
            })
        };
        assert_eq!(
            round(0),
            Ok(InitRound::Steps(vec![InitStep::Send(
                HardwareCommand::write(Endpoint::Tx, vec![0x70])
            )]))
        );
        assert_eq!(round(1), Ok(InitRound::Done));
    }

    #[test]
    fn shared_case_half_three_quarters_then_stop() {
        // test_nobra_protocol.yaml ("NobraController  " matches `NobraControl*`, no
        // configuration: the defaults): 0.5 and 0.75 of 15 steps are 8 and 12.
        let mut device = Harness::builtin(super::NAME, Some("NobraController  "));
        assert_eq!(device.definition.name, "Nobra's Silicone Dreams Toy");
        assert_eq!(
            device.set(&[(0, OutputKind::Vibrate, 8)]),
            vec![write(Endpoint::Tx, &[0x68])]
        );
        assert_eq!(
            device.set(&[(0, OutputKind::Vibrate, 12)]),
            vec![write(Endpoint::Tx, &[0x6c])]
        );
        assert_eq!(device.stop(), vec![write(Endpoint::Tx, &[0x70])]);
    }

    #[test]
    fn the_ble_name_and_a_user_serial_port_both_reach_nobra() {
        use plugd_config::{
            DeviceConfigStore, DeviceDatabase, DeviceIdentity, Transport, UserConfig,
        };
        // The database's serial specifier names port "default"; a user specifier names the
        // real port (device-config.md §2.2). Both transports then drive the same bytes.
        let user = UserConfig::from_json(
            r#"{ "version": { "major": 4, "minor": 0 }, "user_configs": { "protocols": {
                   "nobra": { "communication": [ { "serial": { "port": "/dev/ttyACM0",
                     "baud_rate": 19200, "data_bits": 8, "parity": "N", "stop_bits": 1 } } ] } } } }"#,
        )
        .expect("user config parses");
        let store = DeviceConfigStore::new(DeviceDatabase::builtin(), Some(user));
        let matched = |identity: &DeviceIdentity| -> Vec<String> {
            store
                .find_protocols(identity)
                .into_iter()
                .map(|found| found.protocol)
                .collect()
        };
        let serial = DeviceIdentity::named(Transport::Serial, "/dev/ttyACM0", "/dev/ttyACM0");
        assert_eq!(matched(&serial), ["nobra"]);
        let other_port = DeviceIdentity::named(Transport::Serial, "/dev/ttyACM1", "/dev/ttyACM1");
        assert!(!matched(&other_port).contains(&"nobra".to_string()));
        let ble = DeviceIdentity::named(Transport::Btle, "Nobra Control 2", "aa:bb");
        assert_eq!(matched(&ble), ["nobra"]);
        let definition = store
            .definition(super::NAME, Some("/dev/ttyACM0"), "/dev/ttyACM0")
            .expect("defaults");
        assert_eq!(definition.name, "Nobra's Silicone Dreams Toy");
        let mut device = Harness::with_definition(definition);
        assert_eq!(
            device.set(&[(0, OutputKind::Vibrate, 15)]),
            vec![write(Endpoint::Tx, &[0x6f])]
        );
    }

    #[test]
    fn speeds_outside_the_range_and_other_outputs_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(0, OutputKind::Vibrate, 16)]).is_err());
        assert!(device.try_set(&[(0, OutputKind::Vibrate, -1)]).is_err());
        assert!(device.try_set(&[(0, OutputKind::Oscillate, 3)]).is_err());
    }
}

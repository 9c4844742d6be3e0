//! ActiveJoy: the IntoYou Remote Egg Vibrator, advertised as "SS-TD-YDTD-001"; one vibrator,
//! speeds 0–255.
//!
//! **Wire format.** One six-byte write to `tx`, without response, per changed vibrator:
//! `b0 01 00 <motor> <on> <speed>` — `b0` a fixed header, `01` the mode (upstream notes the
//! other modes: 5 shock, 6 thrust, 7 suction, 8 rotation, 16 swing; only vibration is in the
//! database), `00` "strong mode" off, the motor (the feature index: 0 unless a second vibrator),
//! `01` while running and `00` at 0, then the speed. `b0 01 00 00 01 80` runs at half speed,
//! `b0 01 00 00 00 00` stops. No init, no keepalive, stateless.
//!
//! The database lists an `rx` endpoint too; nothing reads it.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/activejoy.rs` of buttplugio/buttplug
//! and its `test_activejoy_protocol.yaml`; same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "activejoy";

/// The first byte of every packet.
const HEADER: u8 = 0xB0;
/// The mode byte for vibration.
const MODE_VIBRATE: u8 = 0x01;
/// "Strong mode" (thrust, suction, swing, rotate only): off.
const STRONG_MODE_OFF: u8 = 0x00;

/// One `b0 01 00 <motor> <on> <speed>` write per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a feature without a vibrator, a feature index or speed beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = speed_byte(context, feature, kind)?;
            let motor = u8::try_from(feature.0).map_err(|_| {
                ProtocolError::Definition(format!("no motor byte for feature {feature}"))
            })?;
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                vec![
                    HEADER,
                    MODE_VIBRATE,
                    STRONG_MODE_OFF,
                    motor,
                    u8::from(speed != 0),
                    speed,
                ],
            ))
        })
        .collect()
}

/// The vibrator's current speed as a byte, after checking the feature has a vibrator.
fn speed_byte(
    context: &EncodeContext<'_>,
    feature: FeatureIndex,
    kind: OutputKind,
) -> Result<u8, ProtocolError> {
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
    let speed = context.value(feature, kind);
    u8::try_from(speed)
        .map_err(|_| ProtocolError::Definition(format!("speed {speed} does not fit in a byte")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn egg() -> Harness {
        Harness::builtin(NAME, Some("SS-TD-YDTD-001"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn the_egg_is_found_by_its_advertised_name() {
        assert_eq!(egg().definition.name, "IntoYou Remote Egg Vibrator");
    }

    #[test]
    fn speeds_carry_a_running_flag_and_stop_clears_it() {
        // test_activejoy_protocol.yaml: 0.5 → 128, 0.75 → 192, then Stop.
        let mut device = egg();
        assert_eq!(
            device.set(&[(0, Vibrate, 128)]),
            vec![tx(&[0xb0, 0x01, 0x00, 0x00, 0x01, 0x80])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 192)]),
            vec![tx(&[0xb0, 0x01, 0x00, 0x00, 0x01, 0xc0])]
        );
        assert_eq!(
            device.stop(),
            vec![tx(&[0xb0, 0x01, 0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn the_lowest_and_highest_speeds_are_written_as_they_are() {
        let mut device = egg();
        assert_eq!(
            device.set(&[(0, Vibrate, 1)]),
            vec![tx(&[0xb0, 0x01, 0x00, 0x00, 0x01, 0x01])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 255)]),
            vec![tx(&[0xb0, 0x01, 0x00, 0x00, 0x01, 0xff])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 0)]),
            vec![tx(&[0xb0, 0x01, 0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = egg();
        assert!(matches!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Mu Se (toys driven by the "Mu Se" app: Dream Lover Archer 2 "WB-ZDB-WST", Galaku
//! Panty Vib "WB-TDD"): one vibrator, speeds 0–9.
//!
//! **No reference encoder.** The reference server lists these devices but has no code for
//! them, and none was found in its history nor in buttplug-csharp or buttplug-js. The bytes
//! come from the protocol notes of stpihkal issue #65 ("Add Mu Se protocol documentation",
//! buttplugio/stpihkal): every packet is two bytes to `tx`, `AA BB`:
//! - `AA` = 0 stops the motor;
//! - `BB` = 0 makes `AA` (1–9) a built-in repeating pattern;
//! - any other `BB` makes `AA` (1–15, 9 may be the top) a speed that holds for about a second.
//!
//! plugd uses the speed form, `<speed> 01` (`00 01` stops), one write per changed vibrator,
//! without response. The notes leave `BB` open ("any other value"); `01` is plugd's choice.
//!
//! **Keepalive.** Because a speed lapses after about a second, the last packet is repeated after
//! 500 ms of silence; with a keepalive the Device also stops the toy right after connecting.
//!
//! Unverified on hardware by this project: the byte layout is the notes', the `BB` value and the
//! 500 ms period are plugd's.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "muse";

/// A speed lapses after about a second: repeat it well before.
pub const KEEPALIVE: Duration = Duration::from_millis(500);

/// The second byte: any non-zero value selects the timed speed form.
const SPEED_MODE: u8 = 0x01;

/// One `<speed> 01` write per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate;
/// [`ProtocolError::Definition`] for a feature the device lacks or a speed beyond a byte.
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
            let speed = context.value(feature, kind);
            let speed = u8::try_from(speed).map_err(|_| {
                ProtocolError::Definition(format!("speed {speed} does not fit in a byte"))
            })?;
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                vec![speed, SPEED_MODE],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::Vibrate;

    #[test]
    fn the_advertised_names_pick_the_products() {
        assert_eq!(
            Harness::builtin(NAME, Some("WB-ZDB-WST")).definition.name,
            "Dream Lover Archer 2"
        );
        assert_eq!(
            Harness::builtin(NAME, Some("WB-TDD")).definition.name,
            "Galaku Panty Vib"
        );
    }

    #[test]
    fn speeds_use_the_timed_speed_form() {
        let mut device = Harness::builtin(NAME, Some("WB-TDD"));
        for (speed, expected) in [(1, [0x01, 0x01]), (5, [0x05, 0x01]), (9, [0x09, 0x01])] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, &expected)],
                "speed {speed}"
            );
        }
        assert_eq!(device.stop(), vec![write(Endpoint::Tx, &[0x00, 0x01])]);
        assert_eq!(
            device.set(&[(0, Vibrate, 0)]),
            vec![write(Endpoint::Tx, &[0x00, 0x01])]
        );
    }

    #[test]
    fn the_keepalive_is_half_a_second() {
        assert_eq!(
            crate::find(NAME).and_then(|protocol| protocol.keepalive),
            Some(Duration::from_millis(500))
        );
    }

    #[test]
    fn other_outputs_are_errors() {
        let mut device = Harness::builtin(NAME, None);
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

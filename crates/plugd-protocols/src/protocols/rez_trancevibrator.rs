//! rez-trancevibrator: the Rez Trance Vibrator (USB, VID `0b49`, PID `064f`), the rumble
//! accessory of the game Rez — one vibrator, speeds 0–255.
//!
//! Upstream's Rust server at the reference commit has no encoder for this entry; the bytes
//! here are those of its earlier Rust implementation (`rez_trance_vibrator.rs`, added with the
//! USB manager in 73b4d662 and since dropped) and of the C# server's `RezTranceVibratorDevice`,
//! which agree.
//!
//! **What goes where.** The toy has no data endpoint: every speed is a USB vendor control
//! transfer with no data stage. plugd writes the speed as a one-byte payload `<speed>` to
//! `txvendorcontrol`; the USB DCM (`plugd-dcm-usb`) turns it into the control transfer
//! `bmRequestType` `41` (host-to-device, vendor, interface), `bRequest` `01`, `wValue` = the
//! speed byte, `wIndex` 0, length 0, with upstream's 100 ms timeout. (The endpoint is not in
//! the database: the USB specifier names none, and the DCM always offers `txvendorcontrol`.)
//!
//! One write per changed vibrator; stop is speed 0. No init, no inputs, no keepalive.
//!
//! ref: buttplugio/buttplug `buttplug/src/server/device/protocol/rez_trance_vibrator.rs` and
//! `usb_hardware.rs` at 73b4d662; buttplug-csharp
//! `Buttplug.Server.Managers.WinUSBManager/RezTranceVibratorDevice.cs`.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "rez-trancevibrator";

/// `<speed>` to `txvendorcontrol` per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a changed output the definition lacks or a speed that does not fit a byte.
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
            let declared = context
                .definition
                .feature(feature)
                .is_some_and(|found| found.output(kind).is_some());
            if !declared {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} has no vibrate output"
                )));
            }
            let value = context.value(feature, kind);
            let speed = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!(
                    "feature {feature} speed {value} does not fit in one byte"
                ))
            })?;
            Ok(HardwareCommand::write(Endpoint::TxVendorControl, [speed]))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    #[test]
    fn the_speed_is_the_whole_payload_at_zero_middle_and_full() {
        let mut rez = Harness::builtin(NAME, None);
        assert_eq!(rez.definition.name, "Rez TranceVibrator");
        for speed in [128, 255, 0] {
            assert_eq!(
                rez.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::TxVendorControl, &[speed as u8])]
            );
        }
    }

    #[test]
    fn stop_writes_speed_zero() {
        let mut rez = Harness::builtin(NAME, None);
        rez.set(&[(0, Vibrate, 77)]);
        assert_eq!(rez.stop(), vec![write(Endpoint::TxVendorControl, &[0x00])]);
    }

    #[test]
    fn registers_only_an_encoder() {
        let protocol = crate::find(NAME).expect("registered");
        assert!(protocol.initialize.is_none());
        assert!(protocol.identify_steps.is_none());
        assert!(protocol.keepalive.is_none());
        assert!(protocol.read_input.is_none());
    }

    #[test]
    fn other_kinds_undeclared_features_and_oversized_speeds_are_refused() {
        let mut rez = Harness::builtin(NAME, None);
        assert_eq!(
            rez.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            rez.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            rez.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Magic Motion, fourth generation (Nyx, Umi, Bobi, Lotos, Sundi, Kegel Coach, Funone,
//! Funkegel): one or two motors and a standard BLE battery.
//!
//! **Wire format.** One 17-byte packet on `tx`, **with** response:
//! `10 ff 04 0a 32 32 00 04 08 <m0> 64 00 04 08 <m1> 64 01` (speed 0–100). A toy with one motor
//! gets its speed in both slots; a two-motor toy gets slot `n` = the output of feature index
//! `n`, every write carrying both current speeds. The battery is the standard `rxblebattery`
//! characteristic, read by the Device's default (first byte = percentage).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/magic_motion_v4.rs` of
//! buttplugio/buttplug; cases `test_magic_motion_4_nyx.yaml`, `test_magic_motion_4_bobi.yaml`
//! (upstream; not among the shared cases).

use super::magic_motion_2::slots;
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand};

/// Database key.
pub const NAME: &str = "magic-motion-4";

/// One packet with the motors' current speeds.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition, sits on a
/// feature index above 1, or a speed does not fit in a byte;
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and oscillate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let [first, second] = slots(context, NAME)?;
    let motor_count = context
        .definition
        .features
        .iter()
        .filter(|feature| !feature.outputs.is_empty())
        .count();
    let second = if motor_count == 1 { first } else { second };
    Ok(vec![HardwareCommand::write_with_response(
        Endpoint::Tx,
        [
            0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, first, 0x64, 0x00, 0x04, 0x08,
            second, 0x64, 0x01,
        ],
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use plugd_core::OutputKind::Vibrate;

    fn packet(first: u8, second: u8) -> HardwareCommand {
        write_with_response(
            Endpoint::Tx,
            &[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, first, 0x64, 0x00, 0x04,
                0x08, second, 0x64, 0x01,
            ],
        )
    }

    #[test]
    fn nyx_repeats_its_one_speed_in_both_slots() {
        // test_magic_motion_4_nyx.yaml (upstream): 0.5, 0.75, stop.
        let mut device = Harness::builtin(NAME, Some("nyx"));
        assert_eq!(device.definition.name, "MagicMotion Nyx");
        assert_eq!(device.set(&[(0, Vibrate, 50)]), vec![packet(0x32, 0x32)]);
        assert_eq!(device.set(&[(0, Vibrate, 75)]), vec![packet(0x4b, 0x4b)]);
        assert_eq!(device.stop(), vec![packet(0, 0)]);
    }

    #[test]
    fn bobi_packs_both_motors() {
        // test_magic_motion_4_bobi.yaml (upstream): (50, 25), (75, 50), (0, 50), stop.
        let mut device = Harness::builtin(NAME, Some("bobi2"));
        assert_eq!(device.definition.name, "MagicMotion Bobi");
        assert_eq!(
            device.set(&[(0, Vibrate, 50), (1, Vibrate, 25)]),
            vec![packet(0x32, 0x19)]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 75), (1, Vibrate, 50)]),
            vec![packet(0x4b, 0x32)]
        );
        assert_eq!(device.set(&[(0, Vibrate, 0)]), vec![packet(0, 0x32)]);
        assert_eq!(device.stop(), vec![packet(0, 0)]);
    }

    #[test]
    fn unknown_name_is_the_one_motor_default() {
        let mut device = Harness::builtin(NAME, Some("Magic Something"));
        assert_eq!(device.definition.name, "Magic Motion V4 Device");
        assert_eq!(device.set(&[(0, Vibrate, 100)]), vec![packet(100, 100)]);
    }

    #[test]
    fn output_missing_or_too_large_is_a_definition_error() {
        let mut device = Harness::builtin(NAME, Some("nyx"));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! WeVibe 8-bit: the newer We-Vibe toys (Moxie, Vector, Melt, Wand, Bond, Nova 2, Jive 2), over
//! the same BLE service as the 4-bit ones (`tx`, writes with response; `rx`). No init.
//!
//! **Wire format.** One packet holds both motors, whatever changed. With an internal speed `i`
//! and an external speed `e` (paired as in `wevibe::motor_speeds`: first and second
//! vibrator, a one-motor toy sending its speed as both):
//!
//! ```text
//! both 0:    0f 00 00 00 00 00 00 00
//! otherwise: 0f 03 00 <e + 3> <i + 3> <status> 00 00
//! ```
//!
//! `status` has bit 1 set while the external motor runs and bit 0 while the internal one runs.
//! Speeds are database steps (0–12 up to 0–27 by model). Moxie at half speed:
//! `0f 03 00 09 09 03 00 00`.
//!
//! **Differences from upstream.** Upstream keeps the two speeds in atomics; here they are the
//! current output values. A speed whose offset value overflows a byte is an error instead of
//! wrapping.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/wevibe8bit.rs` of buttplugio/buttplug.

use super::wevibe::{motor_speeds, ALL_OFF};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand};

/// Database key.
pub const NAME: &str = "wevibe-8bit";

/// Added to each speed on the wire.
const SPEED_OFFSET: u8 = 3;
/// Status bits.
const INTERNAL_RUNNING: u8 = 0b01;
const EXTERNAL_RUNNING: u8 = 0b10;

/// One packet with both motors (see the module doc).
///
/// # Errors
/// As `wevibe::motor_speeds`, and [`ProtocolError::Definition`] when a speed plus 3 does not
/// fit a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let (internal, external) = motor_speeds(NAME, context)?;
    let data = if internal == 0 && external == 0 {
        ALL_OFF
    } else {
        let offset = |speed: u8| {
            speed.checked_add(SPEED_OFFSET).ok_or_else(|| {
                ProtocolError::Definition(format!("speed {speed} does not fit a byte"))
            })
        };
        let mut status = 0;
        if external != 0 {
            status |= EXTERNAL_RUNNING;
        }
        if internal != 0 {
            status |= INTERNAL_RUNNING;
        }
        [
            0x0f,
            0x03,
            0x00,
            offset(external)?,
            offset(internal)?,
            status,
            0x00,
            0x00,
        ]
    };
    Ok(vec![HardwareCommand::write_with_response(
        Endpoint::Tx,
        data,
    )])
}

#[cfg(test)]
mod tests {
    use crate::testing::{write_with_response, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, HardwareCommand, OutputKind};
    use OutputKind::Vibrate;

    fn packet(bytes: &[u8]) -> Vec<HardwareCommand> {
        vec![write_with_response(Endpoint::Tx, bytes)]
    }

    #[test]
    fn moxie_sends_its_one_speed_as_both_motors_as_in_its_case() {
        let mut moxie = Harness::builtin(super::NAME, Some("Moxie"));
        assert_eq!(moxie.definition.name, "WeVibe Moxie");
        assert_eq!(
            moxie.set(&[(0, Vibrate, 6)]),
            packet(&[0x0f, 0x03, 0x00, 0x09, 0x09, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            moxie.set(&[(0, Vibrate, 9)]),
            packet(&[0x0f, 0x03, 0x00, 0x0c, 0x0c, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            moxie.set(&[(0, Vibrate, 12)]),
            packet(&[0x0f, 0x03, 0x00, 0x0f, 0x0f, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            moxie.stop(),
            packet(&[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        );
    }

    #[test]
    fn vector_puts_external_first_and_flags_running_motors() {
        // The bytes of upstream's (unshared) test_wevibe_vector case.
        let mut vector = Harness::builtin(super::NAME, Some("Vector"));
        assert_eq!(
            vector.set(&[(0, Vibrate, 6), (1, Vibrate, 3)]),
            packet(&[0x0f, 0x03, 0x00, 0x06, 0x09, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            vector.set(&[(0, Vibrate, 9), (1, Vibrate, 6)]),
            packet(&[0x0f, 0x03, 0x00, 0x09, 0x0c, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            vector.set(&[(0, Vibrate, 0)]),
            packet(&[0x0f, 0x03, 0x00, 0x09, 0x03, 0x02, 0x00, 0x00])
        );
        assert_eq!(
            vector.stop(),
            packet(&[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        );
    }

    #[test]
    fn only_the_internal_motor_running_sets_status_bit_0() {
        let mut vector = Harness::builtin(super::NAME, Some("Vector"));
        assert_eq!(
            vector.set(&[(0, Vibrate, 12)]),
            packet(&[0x0f, 0x03, 0x00, 0x03, 0x0f, 0x01, 0x00, 0x00])
        );
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut moxie = Harness::builtin(super::NAME, None);
        assert!(matches!(
            moxie.try_set(&[(0, OutputKind::Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            moxie.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            moxie.try_set(&[(0, Vibrate, 253)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! WeVibe Chorus: the We-Vibe Chorus, Sync 2, Sync O and Sync Lite, over the WeVibe BLE service
//! (`tx`, writes with response; `rx`). No init.
//!
//! **Wire format.** One packet holds both motors, whatever changed. With an internal speed `i`
//! and an external speed `e` (paired as in `wevibe::motor_speeds`: first and second
//! vibrator, a one-motor toy sending its speed as both), database steps 0–30:
//!
//! ```text
//! both 0:    0f 00 00 00 00 00 00 00
//! otherwise: 0f 03 00 <i> <e> <status> 00 00
//! ```
//!
//! Unlike the 8-bit protocol, the internal motor comes first and speeds carry no offset;
//! `status` has bit 1 set while the external motor runs and bit 0 while the internal one runs.
//! Chorus at half / quarter speed: `0f 03 00 0f 08 03 00 00`.
//!
//! **Differences from upstream.** Upstream keeps the two speeds in atomics; here they are the
//! current output values.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/wevibe_chorus.rs` of buttplugio/buttplug.

use super::wevibe::{motor_speeds, ALL_OFF};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand};

/// Database key.
pub const NAME: &str = "wevibe-chorus";

/// Status bits.
const INTERNAL_RUNNING: u8 = 0b01;
const EXTERNAL_RUNNING: u8 = 0b10;

/// One packet with both motors (see the module doc).
///
/// # Errors
/// As `wevibe::motor_speeds`.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let (internal, external) = motor_speeds(NAME, context)?;
    let data = if internal == 0 && external == 0 {
        ALL_OFF
    } else {
        let mut status = 0;
        if external != 0 {
            status |= EXTERNAL_RUNNING;
        }
        if internal != 0 {
            status |= INTERNAL_RUNNING;
        }
        [0x0f, 0x03, 0x00, internal, external, status, 0x00, 0x00]
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
    fn chorus_puts_internal_first_as_in_its_case() {
        let mut chorus = Harness::builtin(super::NAME, Some("Chorus"));
        assert_eq!(chorus.definition.name, "WeVibe Chorus");
        assert_eq!(
            chorus.set(&[(0, Vibrate, 15), (1, Vibrate, 8)]),
            packet(&[0x0f, 0x03, 0x00, 0x0f, 0x08, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            chorus.set(&[(0, Vibrate, 23), (1, Vibrate, 15)]),
            packet(&[0x0f, 0x03, 0x00, 0x17, 0x0f, 0x03, 0x00, 0x00])
        );
        assert_eq!(
            chorus.set(&[(0, Vibrate, 0)]),
            packet(&[0x0f, 0x03, 0x00, 0x00, 0x0f, 0x02, 0x00, 0x00])
        );
        assert_eq!(
            chorus.stop(),
            packet(&[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        );
    }

    #[test]
    fn only_the_internal_motor_running_sets_status_bit_0_at_full_speed() {
        let mut sync2 = Harness::builtin(super::NAME, Some("Sync 2"));
        assert_eq!(
            sync2.set(&[(0, Vibrate, 30)]),
            packet(&[0x0f, 0x03, 0x00, 0x1e, 0x00, 0x01, 0x00, 0x00])
        );
    }

    #[test]
    fn one_motor_toys_send_their_speed_as_both() {
        let mut sync_lite = Harness::builtin(super::NAME, Some("Sync Lite"));
        assert_eq!(
            sync_lite.set(&[(0, Vibrate, 10)]),
            packet(&[0x0f, 0x03, 0x00, 0x0a, 0x0a, 0x03, 0x00, 0x00])
        );
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut sync_o = Harness::builtin(super::NAME, Some("Sync O"));
        assert!(matches!(
            sync_o.try_set(&[(0, OutputKind::Constrict, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            sync_o.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! mizzzee: the first Mizz Zee vibrators (advertised as `NFY008`), one motor with 68 steps.
//!
//! **Wire format.** One 6-byte packet per changed vibrator, written to `tx` without response:
//! `69 96 03 01 <on> <speed>`, where `<on>` is `01` while the motor runs and `00` for speed 0
//! (`69 96 03 01 01 22` at half speed, `69 96 03 01 00 00` to stop).
//!
//! **Quirks.** None: the bytes depend on the one value, so there is nothing to remember. Same
//! bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/mizzzee.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "mizzzee";

/// Every packet starts with these four bytes.
const HEADER: [u8; 4] = [0x69, 0x96, 0x03, 0x01];

/// One packet per changed vibrator, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any output but vibrate;
/// [`ProtocolError::Definition`] for a speed outside 0–255 (the database range is 0–68).
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let speed = speed_byte(context.value(feature, kind))?;
                Ok(HardwareCommand::write(Endpoint::Tx, packet(speed)))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

/// `69 96 03 01 <on> <speed>`.
fn packet(speed: u8) -> Vec<u8> {
    let mut packet = HEADER.to_vec();
    packet.push(u8::from(speed != 0));
    packet.push(speed);
    packet
}

fn speed_byte(value: i32) -> Result<u8, ProtocolError> {
    u8::try_from(value)
        .map_err(|_| ProtocolError::Definition(format!("{NAME} speed {value} is not a byte")))
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use plugd_core::{Endpoint, OutputKind};

    fn check(steps: &[(i32, &[u8])]) {
        let mut device = Harness::builtin(super::NAME, None);
        for &(speed, bytes) in steps {
            assert_eq!(
                device.set(&[(0, OutputKind::Vibrate, speed)]),
                vec![write(Endpoint::Tx, bytes)],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn vibrate_writes_an_on_flag_and_the_speed() {
        check(&[
            (0, &[0x69, 0x96, 0x03, 0x01, 0x00, 0x00]),
            (1, &[0x69, 0x96, 0x03, 0x01, 0x01, 0x01]),
            (34, &[0x69, 0x96, 0x03, 0x01, 0x01, 0x22]),
            (68, &[0x69, 0x96, 0x03, 0x01, 0x01, 0x44]),
        ]);
    }

    #[test]
    fn shared_case_half_speed_then_stop() {
        // test_mizzzee_protocol.yaml: 0.5 of 68 steps is 34.
        let mut device = Harness::builtin(super::NAME, Some("NFY008"));
        assert_eq!(device.definition.name, "Mizz Zee Device");
        assert_eq!(
            device.set(&[(0, OutputKind::Vibrate, 34)]),
            vec![write(Endpoint::Tx, &[105, 150, 3, 1, 1, 34])]
        );
        assert_eq!(
            device.stop(),
            vec![write(Endpoint::Tx, &[105, 150, 3, 1, 0, 0])]
        );
    }

    #[test]
    fn outputs_other_than_vibrate_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(0, OutputKind::Rotate, 3)]).is_err());
    }

    #[test]
    fn a_speed_beyond_one_byte_is_an_error_not_a_wrap() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(0, OutputKind::Vibrate, 256)]).is_err());
        assert!(device.try_set(&[(0, OutputKind::Vibrate, -1)]).is_err());
    }
}

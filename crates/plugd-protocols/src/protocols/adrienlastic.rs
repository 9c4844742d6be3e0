//! Adrien Lastic (Palpitation, Revelation): one vibrator driven by ASCII over a Nordic-UART-like
//! service: `MotorValue:<speed>;` on `tx`, the speed (0–16) written with at least two digits
//! (`MotorValue:08;`, `MotorValue:16;`), **with response**.
//!
//! The toys advertise themselves as Lovense clones (`LVS-S001`, `LVS-S002`) and are matched by
//! their advertised service `00001320-…` rather than by name; the database's only name is a
//! placeholder that keeps them away from the Lovense entry. Stateless: one write per changed
//! vibrate output. Same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/adrienlastic.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "adrienlastic";

/// `MotorValue:<speed as at least two digits>;` per changed vibrate output, with response.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any other kind; [`ProtocolError::Definition`] for
/// a negative speed.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let value = context.value(feature, kind);
                let speed = u32::try_from(value)
                    .map_err(|_| ProtocolError::Definition(format!("speed {value} is negative")))?;
                Ok(HardwareCommand::write_with_response(
                    Endpoint::Tx,
                    format!("MotorValue:{speed:02};").into_bytes(),
                ))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn device() -> Harness {
        Harness::builtin(NAME, None)
    }

    fn motor_value(text: &str) -> HardwareCommand {
        write_with_response(Endpoint::Tx, text.as_bytes())
    }

    #[test]
    fn speed_is_written_with_two_digits() {
        let mut device = device();
        for (speed, text) in [
            (0, "MotorValue:00;"),
            (8, "MotorValue:08;"),
            (16, "MotorValue:16;"),
        ] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![motor_value(text)],
                "{speed}"
            );
        }
    }

    #[test]
    fn shared_case_adrienlastic_protocol_bytes() {
        // test_adrienlastic_protocol.yaml: 0.5 of 16 → 8, 0.1 → 2, stop.
        let mut device = device();
        assert_eq!(
            device.set(&[(0, Vibrate, 8)]),
            vec![write_with_response(
                Endpoint::Tx,
                &[77, 111, 116, 111, 114, 86, 97, 108, 117, 101, 58, 48, 56, 59]
            )]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 2)]),
            vec![write_with_response(
                Endpoint::Tx,
                &[77, 111, 116, 111, 114, 86, 97, 108, 117, 101, 58, 48, 50, 59]
            )]
        );
        assert_eq!(
            device.stop(),
            vec![write_with_response(
                Endpoint::Tx,
                &[77, 111, 116, 111, 114, 86, 97, 108, 117, 101, 58, 48, 48, 59]
            )]
        );
    }

    #[test]
    fn named_models_use_the_same_vibrator() {
        for identifier in ["LVS-S001", "LVS-S002"] {
            let mut device = Harness::builtin(NAME, Some(identifier));
            assert_eq!(
                device.set(&[(0, Vibrate, 12)]),
                vec![motor_value("MotorValue:12;")],
                "{identifier}"
            );
        }
    }

    #[test]
    fn other_kinds_and_negative_speeds_are_errors() {
        let mut device = device();
        assert_eq!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            device.try_set(&[(0, Vibrate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

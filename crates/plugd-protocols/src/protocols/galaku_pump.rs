//! Galaku pump toys (`V415`, the Galaku Nebula): a thrusting/sucking motor (oscillate) and a
//! vibrator, driven together.
//!
//! **Wire format.** One obfuscated Galaku frame (see [`super::galaku`]) per change, written to
//! `tx` with response, holding both motors: payload `5a 00 00 01 60 03 <oscillate> <vibrate>
//! 00 00` (`60` = 96: set both speeds, 0–100). Every write carries both current speeds.
//!
//! The slot is chosen by output kind, not feature index, as upstream: oscillate is the first
//! speed and vibrate the second wherever they sit.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/galaku_pump.rs` of buttplugio/buttplug;
//! case `test_galaku_nebula.yaml`.

use super::galaku::obfuscated_frame;
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "galaku-pump";

/// Payload command: set both speeds.
const SET_SPEEDS: u8 = 0x60;

/// One frame with the current oscillate and vibrate speeds.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or a speed does
/// not fit in a byte; [`ProtocolError::UnsupportedOutput`] for kinds other than oscillate and
/// vibrate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let definition = context.definition;
    for &(feature, kind) in context.changed {
        let present = definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !present {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
        if !matches!(kind, OutputKind::Oscillate | OutputKind::Vibrate) {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
    }
    let speed_of = |kind| -> Result<u8, ProtocolError> {
        let value = definition
            .outputs_of(kind)
            .next()
            .map_or(0, |(feature, _)| context.value(feature.index, kind));
        u8::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!("speed {value} does not fit in a Galaku byte"))
        })
    };
    let payload = [
        0x5a,
        0x00,
        0x00,
        0x01,
        SET_SPEEDS,
        0x03,
        speed_of(OutputKind::Oscillate)?,
        speed_of(OutputKind::Vibrate)?,
        0x00,
        0x00,
    ];
    Ok(vec![HardwareCommand::write_with_response(
        Endpoint::Tx,
        obfuscated_frame(payload),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn tx(data: &[u8]) -> HardwareCommand {
        write_with_response(Endpoint::Tx, data)
    }

    #[test]
    fn nebula_sends_both_speeds_in_one_obfuscated_frame() {
        // test_galaku_nebula.yaml: vibrate 0.5; oscillate 0.75 + vibrate 0.5; stop.
        let mut device = Harness::builtin(NAME, Some("V415"));
        assert_eq!(device.definition.name, "Galaku Nebula");
        assert_eq!(
            device.set(&[(1, Vibrate, 50)]),
            vec![tx(&[
                0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x33, 0xed, 0x43, 0x3b, 0x44
            ])]
        );
        assert_eq!(
            device.set(&[(0, Oscillate, 75), (1, Vibrate, 50)]),
            vec![tx(&[
                0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x6a, 0x25, 0x43, 0x3b, 0x81
            ])]
        );
        assert_eq!(
            device.stop(),
            vec![tx(&[
                0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x33, 0xbb, 0xa3, 0x3b, 0xd2
            ])]
        );
    }

    #[test]
    fn one_motor_change_keeps_the_other_speed() {
        let mut device = Harness::builtin(NAME, Some("V415"));
        let frame = |oscillate, vibrate| {
            tx(&obfuscated_frame([
                0x5a, 0, 0, 1, 0x60, 3, oscillate, vibrate, 0, 0,
            ]))
        };
        assert_eq!(device.set(&[(0, Oscillate, 100)]), vec![frame(100, 0)]);
        assert_eq!(device.set(&[(1, Vibrate, 1)]), vec![frame(100, 1)]);
        assert_eq!(device.set(&[(0, Oscillate, 0)]), vec![frame(0, 1)]);
    }

    #[test]
    fn unknown_name_uses_the_same_two_motor_defaults() {
        let mut device = Harness::builtin(NAME, Some("V999"));
        assert_eq!(device.definition.name, "Galaku Device");
        assert_eq!(
            device.set(&[(1, Vibrate, 50)]),
            vec![tx(&[
                0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x33, 0xed, 0x43, 0x3b, 0x44
            ])]
        );
    }

    #[test]
    fn output_missing_or_too_large_is_a_definition_error() {
        let mut device = Harness::builtin(NAME, Some("V415"));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

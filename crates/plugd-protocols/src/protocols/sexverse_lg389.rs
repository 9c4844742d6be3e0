//! Sexverse LG389: a vibrating and thrusting toy over a BLE serial service (`tx`, with an `rx`
//! nothing reads), every write with response.
//!
//! **Wire format.** One packet holds both motors, whatever changed:
//!
//! ```text
//! aa 05 <vibration> 14 <anchor> 00 <range> 00 <thrust speed> 00
//! ```
//!
//! Vibration is in 0–3 steps, thrust speed in 0–10. While the thruster runs, `anchor` is 1
//! ("anchored to the base") and `range` is 4 (full stroke); when it is off both are 0. Half
//! vibration alone: `aa 05 02 14 00 00 00 00 00 00`.
//!
//! **Differences from upstream.** Upstream remembers the two speeds in atomics; here they are the
//! current values of the device's vibrate and oscillate outputs. Values that do not fit a byte
//! are an error instead of being truncated.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/sexverse_lg389.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "sexverse-lg389";

/// The first two bytes.
const HEADER: [u8; 2] = [0xaa, 0x05];
/// The constant byte after the vibration.
const VIBRATION_MARKER: u8 = 0x14;
/// Anchor and range while the thruster runs.
const ANCHOR_TO_BASE: u8 = 1;
const FULL_RANGE: u8 = 4;

/// The current value of the device's first output of `kind`, 0 when it has none or it was never
/// set.
fn speed(context: &EncodeContext<'_>, kind: OutputKind) -> Result<u8, ProtocolError> {
    let value = context
        .definition
        .outputs_of(kind)
        .next()
        .map_or(0, |(feature, _)| context.value(feature.index, kind));
    u8::try_from(value)
        .map_err(|_| ProtocolError::Definition(format!("{kind} value {value} does not fit a byte")))
}

/// One packet with both motors (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and oscillate;
/// [`ProtocolError::Definition`] when a changed output is not in the definition or a value does
/// not fit a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if !matches!(kind, OutputKind::Vibrate | OutputKind::Oscillate) {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        let present = context
            .definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !present {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
    }
    let vibration = speed(context, OutputKind::Vibrate)?;
    let thrust = speed(context, OutputKind::Oscillate)?;
    let (anchor, range) = if thrust == 0 {
        (0, 0)
    } else {
        (ANCHOR_TO_BASE, FULL_RANGE)
    };
    let mut packet = HEADER.to_vec();
    packet.extend_from_slice(&[
        vibration,
        VIBRATION_MARKER,
        anchor,
        0x00,
        range,
        0x00,
        thrust,
        0x00,
    ]);
    Ok(vec![HardwareCommand::write_with_response(
        Endpoint::Tx,
        packet,
    )])
}

#[cfg(test)]
mod tests {
    use crate::testing::{write_with_response, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, HardwareCommand, OutputKind};
    use OutputKind::{Oscillate, Vibrate};

    fn packet(bytes: &[u8]) -> Vec<HardwareCommand> {
        vec![write_with_response(Endpoint::Tx, bytes)]
    }

    #[test]
    fn lg389_writes_its_case_bytes() {
        let mut lg389 = Harness::builtin(super::NAME, Some("LG389"));
        assert_eq!(
            lg389.set(&[(0, Vibrate, 2)]),
            packet(&[0xaa, 0x05, 0x02, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        );
        assert_eq!(
            lg389.set(&[(0, Vibrate, 3), (1, Oscillate, 8)]),
            packet(&[0xaa, 0x05, 0x03, 0x14, 0x01, 0x00, 0x04, 0x00, 0x08, 0x00])
        );
        assert_eq!(
            lg389.stop(),
            packet(&[0xaa, 0x05, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        );
    }

    #[test]
    fn thrusting_alone_keeps_the_vibration_it_had() {
        let mut lg389 = Harness::builtin(super::NAME, None);
        lg389.set(&[(0, Vibrate, 1)]);
        assert_eq!(
            lg389.set(&[(1, Oscillate, 10)]),
            packet(&[0xaa, 0x05, 0x01, 0x14, 0x01, 0x00, 0x04, 0x00, 0x0a, 0x00])
        );
        assert_eq!(
            lg389.set(&[(1, Oscillate, 0)]),
            packet(&[0xaa, 0x05, 0x01, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        );
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut lg389 = Harness::builtin(super::NAME, None);
        assert!(matches!(
            lg389.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            lg389.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

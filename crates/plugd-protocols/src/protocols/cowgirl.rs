//! The Cowgirl and The Unicorn (saddle machines): a vibrator and a rotator (both 0–255) set
//! together by one packet on `tx`, **with response**: `00 01 <vibrate> <rotate>`.
//!
//! Packing: whatever changed, the packet carries both outputs' current values (a never-set
//! output is 0), so a command that changes both writes once. Upstream keeps the two speeds in
//! atomics and tags every packet with one fixed command id, so its message gap leaves one write
//! per command as well.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/cowgirl.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "cowgirl";

/// The packet's first two bytes.
const HEADER: [u8; 2] = [0x00, 0x01];

/// One `00 01 <vibrate> <rotate>` packet with both current values, with response.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] when a changed output is neither vibrate nor rotate;
/// [`ProtocolError::Definition`] for a speed that does not fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    if let Some(&(_, kind)) = context
        .changed
        .iter()
        .find(|(_, kind)| !matches!(kind, OutputKind::Vibrate | OutputKind::Rotate))
    {
        return Err(ProtocolError::UnsupportedOutput {
            protocol: NAME,
            kind,
        });
    }
    let vibrate = current(context, OutputKind::Vibrate)?;
    let rotate = current(context, OutputKind::Rotate)?;
    Ok(vec![HardwareCommand::write_with_response(
        Endpoint::Tx,
        vec![HEADER[0], HEADER[1], vibrate, rotate],
    )])
}

/// The current value of the device's first output of `kind` (0 when it has none or it was
/// never set).
fn current(context: &EncodeContext<'_>, kind: OutputKind) -> Result<u8, ProtocolError> {
    let value =
        first_with(context.definition, kind).map_or(0, |feature| context.value(feature, kind));
    u8::try_from(value)
        .map_err(|_| ProtocolError::Definition(format!("speed {value} does not fit in a byte")))
}

fn first_with(definition: &DeviceDefinition, kind: OutputKind) -> Option<FeatureIndex> {
    definition
        .features
        .iter()
        .find(|feature| feature.output(kind).is_some())
        .map(|feature| feature.index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{Oscillate, Rotate, Vibrate};

    fn cowgirl() -> Harness {
        Harness::builtin(NAME, Some("THE COWGIRL"))
    }

    fn packet(vibrate: u8, rotate: u8) -> HardwareCommand {
        write_with_response(Endpoint::Tx, &[0x00, 0x01, vibrate, rotate])
    }

    #[test]
    fn upstream_case_cowgirl_protocol_bytes() {
        // Upstream test_cowgirl_protocol.yaml: vibrate 0.5 of 255 → 128; vibrate 0.75 → 192 with
        // rotate 0.5 → 128 in one packet; stop.
        let mut device = cowgirl();
        assert_eq!(device.set(&[(0, Vibrate, 128)]), vec![packet(0x80, 0x00)]);
        assert_eq!(
            device.set(&[(0, Vibrate, 192), (1, Rotate, 128)]),
            vec![packet(0xc0, 0x80)]
        );
        assert_eq!(device.stop(), vec![packet(0x00, 0x00)]);
    }

    #[test]
    fn each_output_keeps_the_other_ones_value() {
        let mut device = Harness::builtin(NAME, Some("THE UNICORN"));
        assert_eq!(device.set(&[(1, Rotate, 255)]), vec![packet(0x00, 0xff)]);
        assert_eq!(device.set(&[(0, Vibrate, 10)]), vec![packet(0x0a, 0xff)]);
        assert_eq!(device.set(&[(1, Rotate, 0)]), vec![packet(0x0a, 0x00)]);
    }

    #[test]
    fn other_kinds_and_oversized_speeds_are_errors() {
        let mut device = cowgirl();
        assert_eq!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

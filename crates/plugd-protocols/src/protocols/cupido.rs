//! Cupido: vibrators advertised as "MY2607-BLE-V1.0" ("Cupido Device"); one vibrator, speeds
//! 0–255.
//!
//! **Wire format.** One seven-byte write to `tx`, without response, per changed vibrator:
//! `b0 03 00 00 00 <speed> aa`; `b0 03 00 00 00 00 aa` stops. No init, no keepalive, stateless.
//!
//! Upstream carries a commented-out battery reader (a subscription to `rx` waiting for
//! `b0 00 00 00 01 <percent>`), disabled there as too expensive without caching; the database
//! declares no battery input, so plugd has none either.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/cupido.rs` of buttplugio/buttplug and
//! its `test_cupido_protocol.yaml`; same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "cupido";

/// One `b0 03 00 00 00 <speed> aa` write per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a feature without a vibrator or a speed beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = speed_byte(context, feature, kind)?;
            Ok(HardwareCommand::write(Endpoint::Tx, packet(speed)))
        })
        .collect()
}

/// `b0 03 00 00 00 <speed> aa`.
fn packet(speed: u8) -> Vec<u8> {
    vec![0xB0, 0x03, 0x00, 0x00, 0x00, speed, 0xAA]
}

/// The vibrator's current speed as a byte, after checking the feature has a vibrator.
fn speed_byte(
    context: &EncodeContext<'_>,
    feature: FeatureIndex,
    kind: OutputKind,
) -> Result<u8, ProtocolError> {
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
    u8::try_from(speed)
        .map_err(|_| ProtocolError::Definition(format!("speed {speed} does not fit in a byte")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn cupido() -> Harness {
        Harness::builtin(NAME, Some("MY2607-BLE-V1.0"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn the_device_takes_the_defaults_name() {
        assert_eq!(cupido().definition.name, "Cupido Device");
    }

    #[test]
    fn speeds_sit_between_a_fixed_header_and_trailer() {
        // test_cupido_protocol.yaml: 0.5 → 128, 0.75 → 192, then Stop.
        let mut device = cupido();
        assert_eq!(
            device.set(&[(0, Vibrate, 128)]),
            vec![tx(&[0xb0, 0x03, 0x00, 0x00, 0x00, 0x80, 0xaa])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 192)]),
            vec![tx(&[0xb0, 0x03, 0x00, 0x00, 0x00, 0xc0, 0xaa])]
        );
        assert_eq!(
            device.stop(),
            vec![tx(&[0xb0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 255)]),
            vec![tx(&[0xb0, 0x03, 0x00, 0x00, 0x00, 0xff, 0xaa])]
        );
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = cupido();
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
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

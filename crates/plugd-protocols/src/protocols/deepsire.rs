//! DeepSire: the Kuirkish Imp 3, advertised as "IMP 3"; one vibrator, speeds 0–255.
//!
//! **Wire format.** One seven-byte write to `tx`, without response, per changed vibrator:
//! `55 04 01 00 00 <speed> aa`; `55 04 01 00 00 00 aa` stops. No init, no keepalive, stateless.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/deepsire.rs` of buttplugio/buttplug
//! and its `test_deepsire.yaml`; same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "deepsire";

/// One `55 04 01 00 00 <speed> aa` write per changed vibrator.
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

/// `55 04 01 00 00 <speed> aa`.
fn packet(speed: u8) -> Vec<u8> {
    vec![0x55, 0x04, 0x01, 0x00, 0x00, speed, 0xAA]
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
    use OutputKind::{Rotate, Vibrate};

    fn imp() -> Harness {
        Harness::builtin(NAME, Some("IMP 3"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn the_imp_3_has_its_own_configuration() {
        assert_eq!(imp().definition.name, "Kuirkish Imp 3");
        assert_eq!(
            Harness::builtin(NAME, None).definition.name,
            "DeepSire Device"
        );
    }

    #[test]
    fn speeds_sit_between_a_fixed_header_and_trailer() {
        // test_deepsire.yaml: 0.5 → 128, 1.0 → 255, then Stop.
        let mut device = imp();
        assert_eq!(
            device.set(&[(0, Vibrate, 128)]),
            vec![tx(&[0x55, 0x04, 0x01, 0x00, 0x00, 0x80, 0xaa])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 255)]),
            vec![tx(&[0x55, 0x04, 0x01, 0x00, 0x00, 0xff, 0xaa])]
        );
        assert_eq!(
            device.stop(),
            vec![tx(&[0x55, 0x04, 0x01, 0x00, 0x00, 0x00, 0xaa])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 1)]),
            vec![tx(&[0x55, 0x04, 0x01, 0x00, 0x00, 0x01, 0xaa])]
        );
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = imp();
        assert!(matches!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 300)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Realov: vibrators advertised as "REALOV_VIBE" ("Realov Device"); one vibrator, speeds 0–50.
//!
//! **Wire format.** One four-byte write to `tx`, without response, per changed vibrator:
//! `c5 55 <speed> aa`; `c5 55 00 aa` stops. No init, no keepalive, stateless.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/realov.rs` of buttplugio/buttplug (no
//! device case upstream); same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "realov";

/// One `c5 55 <speed> aa` write per changed vibrator.
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

/// `c5 55 <speed> aa`.
fn packet(speed: u8) -> Vec<u8> {
    vec![0xC5, 0x55, speed, 0xAA]
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

    fn realov() -> Harness {
        Harness::builtin(NAME, Some("REALOV_VIBE"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn speeds_sit_between_a_fixed_header_and_trailer() {
        let mut device = realov();
        assert_eq!(device.definition.name, "Realov Device");
        assert_eq!(
            device.set(&[(0, Vibrate, 25)]),
            vec![tx(&[0xc5, 0x55, 25, 0xaa])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 50)]),
            vec![tx(&[0xc5, 0x55, 50, 0xaa])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 1)]),
            vec![tx(&[0xc5, 0x55, 1, 0xaa])]
        );
        assert_eq!(device.stop(), vec![tx(&[0xc5, 0x55, 0x00, 0xaa])]);
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = realov();
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

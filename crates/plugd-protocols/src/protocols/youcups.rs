//! Youcups: the Warrior II masturbator, advertised as "Youcups"; one vibrator, speeds 0–8.
//!
//! **Wire format.** ASCII, one write to `tx` (characteristic `d44bc439-…` of service `fee9`),
//! without response, per changed vibrator: `$SYS,<speed>?` with the speed in decimal —
//! `$SYS,4?` at half speed, `$SYS,0?` stops. No init, no keepalive, stateless.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/youcups.rs` of buttplugio/buttplug (no
//! device case upstream); same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "youcups";

/// One `$SYS,<speed>?` write per changed vibrator.
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

/// `$SYS,<speed>?` in ASCII.
fn packet(speed: u8) -> Vec<u8> {
    format!("$SYS,{speed}?").into_bytes()
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

    fn warrior() -> Harness {
        Harness::builtin(NAME, Some("Youcups"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn speeds_are_written_in_ascii_decimal() {
        let mut device = warrior();
        assert_eq!(device.definition.name, "Youcups Warrior II");
        assert_eq!(device.set(&[(0, Vibrate, 4)]), vec![tx(b"$SYS,4?")]);
        assert_eq!(device.set(&[(0, Vibrate, 8)]), vec![tx(b"$SYS,8?")]);
        assert_eq!(device.set(&[(0, Vibrate, 1)]), vec![tx(b"$SYS,1?")]);
        assert_eq!(device.stop(), vec![tx(b"$SYS,0?")]);
    }

    #[test]
    fn values_beyond_the_database_range_still_print_in_decimal() {
        // A hand-made user range cannot pass the database's 8, but a byte prints as it is.
        let mut device = warrior();
        assert_eq!(device.set(&[(0, Vibrate, 100)]), vec![tx(b"$SYS,100?")]);
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = warrior();
        assert!(matches!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, -3)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! MyMuse Link Plus: advertised as "MM Massager"; one vibrator, speeds 0–3.
//!
//! **Wire format.** One eight-byte write to `tx`, without response, per changed vibrator: a
//! running speed is `aa 55 06 01 01 01 <speed> ff`, while 0 has a packet of its own,
//! `aa 55 06 aa 00 00 00 00`. No init, no keepalive, stateless.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/mymuselinkplus.rs` of
//! buttplugio/buttplug (no device case upstream); same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "mymuselinkplus";

/// One packet per changed vibrator: the stop packet at 0, else the speed packet.
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

/// `aa 55 06 aa 00 00 00 00` for 0, else `aa 55 06 01 01 01 <speed> ff`.
fn packet(speed: u8) -> Vec<u8> {
    if speed == 0 {
        vec![0xAA, 0x55, 0x06, 0xAA, 0x00, 0x00, 0x00, 0x00]
    } else {
        vec![0xAA, 0x55, 0x06, 0x01, 0x01, 0x01, speed, 0xFF]
    }
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
    use OutputKind::{Constrict, Vibrate};

    fn massager() -> Harness {
        Harness::builtin(NAME, Some("MM Massager"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn running_speeds_and_the_separate_stop_packet() {
        let mut device = massager();
        assert_eq!(device.definition.name, "MyMuse Link Plus");
        for speed in 1..=3u8 {
            assert_eq!(
                device.set(&[(0, Vibrate, i32::from(speed))]),
                vec![tx(&[0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, speed, 0xff])]
            );
        }
        assert_eq!(
            device.stop(),
            vec![tx(&[0xaa, 0x55, 0x06, 0xaa, 0x00, 0x00, 0x00, 0x00])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 2)]),
            vec![tx(&[0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x02, 0xff])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 0)]),
            vec![tx(&[0xaa, 0x55, 0x06, 0xaa, 0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = massager();
        assert!(matches!(
            device.try_set(&[(0, Constrict, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

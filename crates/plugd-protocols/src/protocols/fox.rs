//! Fox: the Fox M70 family ("FOX", "FOX M70 Pro", "FoxM70Pro", "FOX M70-2"), one vibrator with
//! four levels, 0–3.
//!
//! **Wire format.** One five-byte write to `tx`, without response, per changed vibrator:
//! `03 01 01 FE <level>` (`03 01 01 FE 00` stops it). No init, no keepalive, no state.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/fox.rs` of buttplugio/buttplug; same
//! bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "fox";

/// What precedes the level in every command.
const VIBRATE_PREFIX: [u8; 4] = [0x03, 0x01, 0x01, 0xFE];

/// One `03 01 01 FE <level>` write per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate;
/// [`ProtocolError::Definition`] for a feature the device lacks or a level beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let level = level_byte(context, feature, kind)?;
            let mut data = VIBRATE_PREFIX.to_vec();
            data.push(level);
            Ok(HardwareCommand::write(Endpoint::Tx, data))
        })
        .collect()
}

/// The vibrator's current level as a byte, after checking the feature has a vibrator.
fn level_byte(
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
    let level = context.value(feature, kind);
    u8::try_from(level)
        .map_err(|_| ProtocolError::Definition(format!("level {level} does not fit in a byte")))
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind};
    use OutputKind::Vibrate;

    /// Each row: a level, then the exact write to `tx`.
    fn check(rows: &[(i32, [u8; 5])]) {
        let mut device = Harness::builtin(super::NAME, Some("FOX"));
        for (level, expected) in rows {
            assert_eq!(
                device.set(&[(0, Vibrate, *level)]),
                vec![write(Endpoint::Tx, expected)],
                "level {level}"
            );
        }
    }

    #[test]
    fn every_level_is_the_last_byte() {
        check(&[
            (1, [0x03, 0x01, 0x01, 0xFE, 0x01]),
            (3, [0x03, 0x01, 0x01, 0xFE, 0x03]),
            (0, [0x03, 0x01, 0x01, 0xFE, 0x00]),
        ]);
    }

    #[test]
    fn the_shared_case_bytes_come_out() {
        // test_fox_protocol.yaml: 0.5 → 2, 0.75 → 3, then Stop.
        check(&[
            (2, [0x03, 0x01, 0x01, 0xFE, 0x02]),
            (3, [0x03, 0x01, 0x01, 0xFE, 0x03]),
        ]);
        let mut device = Harness::builtin(super::NAME, Some("FOX M70 Pro"));
        device.set(&[(0, Vibrate, 3)]);
        assert_eq!(
            device.stop(),
            vec![write(Endpoint::Tx, &[0x03, 0x01, 0x01, 0xFE, 0x00])]
        );
    }

    #[test]
    fn other_outputs_and_unknown_features_are_errors() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Oscillate, 1)]),
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

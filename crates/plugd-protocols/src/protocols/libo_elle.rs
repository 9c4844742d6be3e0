//! Libo Elle: the LiBo Elle and Elle 2, over a BLE service with two characteristics, `tx` and
//! `txmode`, written without response.
//!
//! **Wire format.** One byte per changed vibrator, the motor chosen by the characteristic:
//!
//! | changed output | writes |
//! |---|---|
//! | feature 0 (the database's one vibrator, 0–3) | `txmode` ← `<value>` |
//! | feature 1 (a second motor no database entry declares) | `tx` ← `<mode and level>` |
//!
//! The second motor's byte holds a mode in its low nibble and the level within that mode in
//! its high nibble: speed 0 → `00`, 1–7 → `(speed − 1) << 4 | 1`,
//! 8–23 → `(speed − 8) << 4 | 4`.
//!
//! **Differences from upstream.** Upstream writes every feature index other than 1 to `txmode`;
//! plugd reports an error for indexes above 1 (no database device has one). A second-motor speed
//! above 23, which would overflow the nibble, is an error instead of wrapping.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/libo_elle.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "libo-elle";

/// Mode nibbles of the second motor's byte.
const LOW_MODE: u8 = 1;
const HIGH_MODE: u8 = 4;
/// The first speed of the high mode.
const HIGH_MODE_START: u8 = 8;
/// The last speed the high mode can carry in its level nibble.
const HIGH_MODE_END: u8 = HIGH_MODE_START + 0x0f;

/// The second motor's `tx` byte for a speed (see the module table).
fn second_motor_byte(speed: u8) -> Result<u8, ProtocolError> {
    match speed {
        0 => Ok(0),
        1..=7 => Ok(((speed - 1) << 4) | LOW_MODE),
        HIGH_MODE_START..=HIGH_MODE_END => Ok(((speed - HIGH_MODE_START) << 4) | HIGH_MODE),
        _ => Err(ProtocolError::Definition(format!(
            "second motor speed {speed} is above {HIGH_MODE_END}"
        ))),
    }
}

/// The writes for the changed vibrators, in feature order (see the module table).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for other kinds; [`ProtocolError::Definition`] when a
/// changed output is not in the definition, is on a feature above 1, or its value does not fit.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if kind != OutputKind::Vibrate {
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
            let value = context.value(feature, kind);
            let value = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("{kind} value {value} does not fit a byte"))
            })?;
            match feature.0 {
                0 => Ok(HardwareCommand::write(Endpoint::TxMode, [value])),
                1 => Ok(HardwareCommand::write(
                    Endpoint::Tx,
                    [second_motor_byte(value)?],
                )),
                _ => Err(ProtocolError::Definition(format!(
                    "feature {feature}: the protocol drives features 0 and 1 only"
                ))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::second_motor_byte;
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_config::{FeatureDefinition, OutputDefinition};
    use plugd_core::{Endpoint, FeatureIndex, OutputKind};
    use OutputKind::Vibrate;

    #[test]
    fn elle_writes_its_vibrator_to_txmode() {
        let mut elle = Harness::builtin(super::NAME, Some("PiPiJing"));
        assert_eq!(elle.definition.name, "LiBo Elle");
        for value in [1, 2, 3] {
            assert_eq!(
                elle.set(&[(0, Vibrate, value)]),
                vec![write(Endpoint::TxMode, &[value as u8])]
            );
        }
        assert_eq!(elle.stop(), vec![write(Endpoint::TxMode, &[0])]);
    }

    #[test]
    fn a_second_motor_writes_mode_and_level_to_tx() {
        let mut elle = Harness::builtin(super::NAME, Some("Shuidi"));
        let mut second = elle.definition.features[0].clone();
        second.index = FeatureIndex(1);
        second.id = "second-motor".to_owned();
        second.outputs = vec![OutputDefinition {
            kind: Vibrate,
            value: (0, 23),
            user_range: None,
            duration: None,
            disabled: false,
            reverse: false,
        }];
        let features: Vec<FeatureDefinition> = vec![elle.definition.features[0].clone(), second];
        elle.definition.features = features;
        assert_eq!(
            elle.set(&[(1, Vibrate, 1)]),
            vec![write(Endpoint::Tx, &[0x01])]
        );
        assert_eq!(
            elle.set(&[(1, Vibrate, 7)]),
            vec![write(Endpoint::Tx, &[0x61])]
        );
        assert_eq!(
            elle.set(&[(1, Vibrate, 8)]),
            vec![write(Endpoint::Tx, &[0x04])]
        );
        assert_eq!(
            elle.set(&[(0, Vibrate, 2), (1, Vibrate, 23)]),
            vec![write(Endpoint::TxMode, &[2]), write(Endpoint::Tx, &[0xf4])]
        );
        assert_eq!(
            elle.stop(),
            vec![write(Endpoint::TxMode, &[0]), write(Endpoint::Tx, &[0])]
        );
    }

    #[test]
    fn second_motor_speeds_beyond_the_nibble_are_errors() {
        assert!(matches!(
            second_motor_byte(24),
            Err(ProtocolError::Definition(_))
        ));
        assert_eq!(second_motor_byte(15), Ok(0x74));
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut elle = Harness::builtin(super::NAME, None);
        assert!(matches!(
            elle.try_set(&[(0, OutputKind::Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            elle.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Libo Vibes: most Libo toys (Lottie, LuLu, Lina, Adel, Lily, Lucy, Lara, Feather, and the
//! two-motor LaLa, Carlos and Selina), over a BLE service with two characteristics, `tx` and
//! `txmode`, written without response.
//!
//! **Wire format.** One byte per write, the motor chosen by the characteristic:
//!
//! | changed output | writes |
//! |---|---|
//! | feature 0 (main vibrator, 0–100) | `tx` ← `<value>`; for 0 also `txmode` ← `00` |
//! | feature 1 (second motor, 0–3) | `txmode` ← `<value>` |
//!
//! The extra `txmode` stop makes sure a toy whose second motor is not in the database (or a
//! mode the toy's own button started) is off too. Stopping a two-motor toy therefore writes
//! `tx 00`, `txmode 00`, `txmode 00`, as upstream.
//!
//! **Differences from upstream.** Upstream silently writes nothing for feature indexes above 1;
//! plugd reports an error (no database device has one). Values that do not fit a byte are an
//! error instead of being truncated.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/libo_vibes.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "libo-vibes";

/// The writes for the changed vibrators, in feature order (see the module table).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for other kinds; [`ProtocolError::Definition`] when a
/// changed output is not in the definition, is on a feature above 1, or its value does not fit
/// a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mut commands = Vec::with_capacity(context.changed.len() + 1);
    for &(feature, kind) in context.changed {
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
            0 => {
                commands.push(HardwareCommand::write(Endpoint::Tx, [value]));
                if value == 0 {
                    commands.push(HardwareCommand::write(Endpoint::TxMode, [0]));
                }
            }
            1 => commands.push(HardwareCommand::write(Endpoint::TxMode, [value])),
            _ => {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature}: the protocol drives features 0 and 1 only"
                )))
            }
        }
    }
    Ok(commands)
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind};
    use OutputKind::Vibrate;

    #[test]
    fn lottie_writes_its_speed_to_tx_and_stops_both_characteristics() {
        let mut lottie = Harness::builtin(super::NAME, Some("XiaoLu"));
        assert_eq!(lottie.definition.name, "Libo Lottie");
        assert_eq!(
            lottie.set(&[(0, Vibrate, 50)]),
            vec![write(Endpoint::Tx, &[50])]
        );
        assert_eq!(
            lottie.set(&[(0, Vibrate, 100)]),
            vec![write(Endpoint::Tx, &[100])]
        );
        assert_eq!(
            lottie.stop(),
            vec![write(Endpoint::Tx, &[0]), write(Endpoint::TxMode, &[0])]
        );
    }

    #[test]
    fn lala_writes_its_second_motor_to_txmode() {
        let mut lala = Harness::builtin(super::NAME, Some("BaiHu"));
        assert_eq!(
            lala.set(&[(0, Vibrate, 40), (1, Vibrate, 2)]),
            vec![write(Endpoint::Tx, &[40]), write(Endpoint::TxMode, &[2])]
        );
        assert_eq!(
            lala.set(&[(1, Vibrate, 3)]),
            vec![write(Endpoint::TxMode, &[3])]
        );
        assert_eq!(
            lala.stop(),
            vec![
                write(Endpoint::Tx, &[0]),
                write(Endpoint::TxMode, &[0]),
                write(Endpoint::TxMode, &[0]),
            ]
        );
    }

    #[test]
    fn the_repeated_yuyi_identifier_selects_the_feather() {
        let feather = Harness::builtin(super::NAME, Some("Yuyi"));
        assert_eq!(feather.definition.name, "Libo Feather");
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut lottie = Harness::builtin(super::NAME, None);
        assert!(matches!(
            lottie.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            lottie.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

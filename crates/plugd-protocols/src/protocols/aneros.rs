//! Aneros: the Vivi, which advertises itself as "Massage Demo". Two vibrators (feature 0 the
//! perineum motor, feature 1 the internal one), speeds 0–127.
//!
//! **Wire format.** One two-byte write to `tx`, without response, per changed motor:
//! `[0xF1 + motor, speed]` — `F1 40` runs the perineum motor at half speed, `F2 00` stops the
//! internal one. (`F4 <n>` selects a built-in pattern in the vendor app; plugd does not use it.)
//! No init, no keepalive, no state: every changed motor is written on its own, in feature order,
//! so a Stop is two writes.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/aneros.rs` of buttplugio/buttplug and
//! stpihkal issue #75 (the byte layout); same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "aneros";

/// The command byte of motor 0; motor `n` is `MOTOR_BASE + n`.
const MOTOR_BASE: u8 = 0xF1;

/// One `[0xF1 + motor, speed]` write per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate;
/// [`ProtocolError::Definition`] for a feature the device lacks or a speed beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = speed_byte(context, feature, kind)?;
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                vec![motor_byte(feature)?, speed],
            ))
        })
        .collect()
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

/// `0xF1` for feature 0, `0xF2` for feature 1, ...
fn motor_byte(feature: FeatureIndex) -> Result<u8, ProtocolError> {
    u8::try_from(feature.0)
        .ok()
        .and_then(|motor| MOTOR_BASE.checked_add(motor))
        .ok_or_else(|| ProtocolError::Definition(format!("no motor byte for feature {feature}")))
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind};
    use OutputKind::Vibrate;

    fn vivi() -> Harness {
        Harness::builtin(super::NAME, Some("Massage Demo"))
    }

    /// One output value: feature index, kind, device value.
    type Set = (u32, OutputKind, i32);

    /// Each row: outputs set by one command, then the exact writes to `tx`.
    fn check(rows: &[(&[Set], &[&[u8]])]) {
        let mut device = vivi();
        for (set, expected) in rows {
            let expected: Vec<_> = expected
                .iter()
                .map(|data| write(Endpoint::Tx, data))
                .collect();
            assert_eq!(device.set(set), expected, "set {set:?}");
        }
    }

    #[test]
    fn each_motor_gets_its_own_byte_and_speed() {
        check(&[
            (&[(0, Vibrate, 0)], &[&[0xF1, 0x00]]),
            (&[(0, Vibrate, 64)], &[&[0xF1, 0x40]]),
            (&[(0, Vibrate, 127)], &[&[0xF1, 0x7F]]),
            (&[(1, Vibrate, 1)], &[&[0xF2, 0x01]]),
            (&[(1, Vibrate, 127)], &[&[0xF2, 0x7F]]),
        ]);
    }

    #[test]
    fn the_shared_case_bytes_come_out_in_feature_order() {
        // test_aneros_protocol.yaml: 0.5 → 64, then 0.1 → 13 and 0.5 → 64, then Stop.
        let mut device = vivi();
        assert_eq!(
            device.set(&[(0, Vibrate, 64)]),
            vec![write(Endpoint::Tx, &[0xF1, 0x40])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 13), (1, Vibrate, 64)]),
            vec![
                write(Endpoint::Tx, &[0xF1, 0x0D]),
                write(Endpoint::Tx, &[0xF2, 0x40])
            ]
        );
        assert_eq!(
            device.stop(),
            vec![
                write(Endpoint::Tx, &[0xF1, 0x00]),
                write(Endpoint::Tx, &[0xF2, 0x00])
            ]
        );
    }

    #[test]
    fn other_outputs_and_oversized_speeds_are_errors_not_panics() {
        let mut device = vivi();
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(5, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 300)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

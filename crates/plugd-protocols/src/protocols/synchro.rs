//! Synchro: rotating masturbators advertised as "Shinkuro", "synchro2" (both "Synchro") and
//! "synchro EX" ("Synchro Exchange"); one rotator, −6…6 (six speeds each way).
//!
//! **Wire format.** One five-byte write to `tx` (`ffe1` of service `ffe0`), without response,
//! per changed rotator: `a1 01 <speed> 77 55`, the speed byte the magnitude with bit 7 set for
//! negative (counter-clockwise) values — `a1 01 03 77 55` at +3, `a1 01 86 77 55` at −6,
//! `a1 01 00 77 55` stops. No init, no keepalive, stateless.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/synchro.rs` of buttplugio/buttplug and
//! its `test_synchro_protocol.yaml`; same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "synchro";

/// The two bytes before the speed.
const HEADER: [u8; 2] = [0xA1, 0x01];
/// The two bytes after it.
const TRAILER: [u8; 2] = [0x77, 0x55];
/// Set in the speed byte for the negative direction.
const NEGATIVE: u8 = 0x80;
/// The largest magnitude the seven speed bits hold.
const MAX_MAGNITUDE: u32 = 0x7F;

/// One `a1 01 <speed> 77 55` write per changed rotator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but rotate; [`ProtocolError::Definition`]
/// for a feature without a rotator or a magnitude beyond seven bits.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if kind != OutputKind::Rotate {
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
            let value = context.value(feature, kind);
            let magnitude = u8::try_from(value.unsigned_abs())
                .ok()
                .filter(|magnitude| u32::from(*magnitude) <= MAX_MAGNITUDE)
                .ok_or_else(|| {
                    ProtocolError::Definition(format!(
                        "rotation {value} does not fit in seven bits"
                    ))
                })?;
            let speed = if value < 0 {
                magnitude | NEGATIVE
            } else {
                magnitude
            };
            let mut data = HEADER.to_vec();
            data.push(speed);
            data.extend(TRAILER);
            Ok(HardwareCommand::write(Endpoint::Tx, data))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn synchro() -> Harness {
        Harness::builtin(NAME, Some("Shinkuro"))
    }

    fn tx(speed: u8) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, &[0xa1, 0x01, speed, 0x77, 0x55])]
    }

    #[test]
    fn the_names_pick_synchro_or_the_exchange() {
        assert_eq!(synchro().definition.name, "Synchro");
        assert_eq!(
            Harness::builtin(NAME, Some("synchro2")).definition.name,
            "Synchro"
        );
        assert_eq!(
            Harness::builtin(NAME, Some("synchro EX")).definition.name,
            "Synchro Exchange"
        );
    }

    #[test]
    fn the_shared_case_turns_both_ways_and_stops() {
        // test_synchro_protocol.yaml: 0.5 clockwise → +3, 1.0 counter-clockwise → −6, Stop.
        let mut device = synchro();
        assert_eq!(device.set(&[(0, Rotate, 3)]), tx(0x03));
        assert_eq!(device.set(&[(0, Rotate, -6)]), tx(0x86));
        assert_eq!(device.stop(), tx(0x00));
    }

    #[test]
    fn the_extremes_and_the_smallest_steps() {
        let mut device = synchro();
        assert_eq!(device.set(&[(0, Rotate, 6)]), tx(0x06));
        assert_eq!(device.set(&[(0, Rotate, 1)]), tx(0x01));
        assert_eq!(device.set(&[(0, Rotate, -1)]), tx(0x81));
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_values_are_errors() {
        let mut device = synchro();
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Rotate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Rotate, 128)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Rotate, i32::MIN)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

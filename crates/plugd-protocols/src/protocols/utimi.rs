//! utimi: Utimi toys (prostate massager, KnotVibe ThrustMaster; v5 database), built on the
//! "Benben lightspot" board: a vibrator (feature 0) and a thruster (oscillate, feature 1), both
//! 0–255.
//!
//! **Wire format.** One eight-byte packet to `tx` (`ffa1` of service `ffa0`), without response,
//! carrying five motor slots: `a0 03 <slot 0> <slot 1> <slot 2> <slot 3> <slot 4> aa`. The slot is
//! the feature index, whatever the output kind; Utimi models use slots 0 and 1, the others stay
//! 0. Stop is the packet with every slot 0. No init (upstream's initializer does nothing), no
//! inputs.
//!
//! **Packing.** Upstream keeps the slots in atomics and tags every packet with one fixed command
//! id, so its message gap keeps only the newest packet of a multi-motor command; plugd gets every
//! motor changed by one client frame in one encode call and writes one packet with all current
//! values.
//!
//! ref: `src/device/protocol_impl/utimi.rs` of the `buttplug_server` 12 crate.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "utimi";

/// Motor slots in the packet.
const SLOTS: usize = 5;

/// One packet with every slot's current value.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and oscillate;
/// [`ProtocolError::Definition`] for a changed output the definition lacks, a feature beyond
/// the five slots, or a value beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if !matches!(kind, OutputKind::Vibrate | OutputKind::Oscillate) {
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
        if usize::try_from(feature.0).map_or(true, |slot| slot >= SLOTS) {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no slot in the packet (slots 0-4)"
            )));
        }
    }
    let mut packet = vec![0xA0, 0x03];
    for slot in 0..SLOTS {
        let feature = FeatureIndex(u32::try_from(slot).unwrap_or(u32::MAX));
        let value = context
            .definition
            .feature(feature)
            .and_then(|found| {
                [OutputKind::Vibrate, OutputKind::Oscillate]
                    .into_iter()
                    .find(|kind| found.output(*kind).is_some())
            })
            .map(|kind| context.value(feature, kind))
            .unwrap_or(0);
        packet.push(u8::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!(
                "feature {feature} value {value} does not fit in a byte"
            ))
        })?);
    }
    packet.push(0xAA);
    Ok(vec![HardwareCommand::write(Endpoint::Tx, packet)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Rotate, Vibrate};

    fn packet(vibrate: u8, thrust: u8) -> HardwareCommand {
        write(
            Endpoint::Tx,
            &[0xA0, 0x03, vibrate, thrust, 0x00, 0x00, 0x00, 0xAA],
        )
    }

    fn massager() -> Harness {
        Harness::builtin(NAME, Some("Utimi"))
    }

    #[test]
    fn both_models_have_a_vibrator_and_a_thruster() {
        assert_eq!(massager().definition.name, "Utimi Prostate Massager");
        let thrust_master = Harness::builtin(NAME, Some("Utimi000040"));
        assert_eq!(thrust_master.definition.name, "Utimi KnotVibe ThrustMaster");
        assert_eq!(thrust_master.definition.outputs_of(Oscillate).count(), 1);
    }

    #[test]
    fn each_motor_fills_its_slot_and_keeps_the_other() {
        let mut device = massager();
        assert_eq!(device.set(&[(0, Vibrate, 128)]), vec![packet(128, 0)]);
        assert_eq!(device.set(&[(1, Oscillate, 255)]), vec![packet(128, 255)]);
        assert_eq!(device.set(&[(0, Vibrate, 1)]), vec![packet(1, 255)]);
        assert_eq!(device.set(&[(1, Oscillate, 0)]), vec![packet(1, 0)]);
        assert_eq!(device.set(&[(0, Vibrate, 0)]), vec![packet(0, 0)]);
    }

    #[test]
    fn both_motors_in_one_command_make_one_packet_and_stop_makes_one_too() {
        let mut device = massager();
        assert_eq!(
            device.set(&[(0, Vibrate, 200), (1, Oscillate, 100)]),
            vec![packet(200, 100)]
        );
        assert_eq!(device.stop(), vec![packet(0, 0)]);
    }

    #[test]
    fn other_kinds_missing_outputs_and_oversized_values_are_errors() {
        let mut device = massager();
        assert_eq!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Kiiroo v2 vibrators (Pearl 2, OhMiBod Fuse, Kiiroo Titan, PornHub Virtual Rabbit/Blowbot):
//! one packet holding all three motor speeds, `<motor 1> <motor 2> <motor 3>` (0–100; motors a
//! device lacks stay 0), written to `tx` without response.
//!
//! **One packet per changed motor.** Upstream tags each motor's packet with that motor's feature
//! id, so a command that changes two motors writes two packets, and the first of them still
//! carries the second motor's *old* speed (upstream updates its speed table one motor at a
//! time). plugd reproduces that order: the k-th packet holds the new values of the first k
//! changed motors and the previous values of the rest (device-config.md §6.3).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/kiiroo_v2_vibrator.rs` of
//! buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "kiiroo-v2-vibrator";

/// Motors in the packet.
const MOTORS: usize = 3;

/// One three-speed packet per changed motor, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a vibrator beyond the third or a value that does not fit a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mut speeds = [0u8; MOTORS];
    for (slot, speed) in speeds.iter_mut().enumerate() {
        let feature = motor_feature(slot);
        // Not written yet in this command: what the motor was last sent.
        let value = context
            .previous_value(feature, OutputKind::Vibrate)
            .unwrap_or(0);
        *speed = speed_byte(feature, value)?;
    }
    let mut commands = Vec::with_capacity(context.changed.len());
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Vibrate {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        let slot = usize::try_from(feature.0)
            .ok()
            .filter(|slot| *slot < MOTORS)
            .ok_or_else(|| {
                ProtocolError::Definition(format!("vibrator {feature} is beyond the third"))
            })?;
        if let Some(speed) = speeds.get_mut(slot) {
            *speed = speed_byte(feature, context.value(feature, kind))?;
        }
        commands.push(HardwareCommand::write(Endpoint::Tx, speeds.to_vec()));
    }
    Ok(commands)
}

/// The feature of packet slot `slot` (slot = feature index).
fn motor_feature(slot: usize) -> FeatureIndex {
    FeatureIndex(u32::try_from(slot).unwrap_or(u32::MAX))
}

/// The value as a speed byte, refusing what does not fit.
fn speed_byte(feature: FeatureIndex, value: i32) -> Result<u8, ProtocolError> {
    u8::try_from(value).map_err(|_| {
        ProtocolError::Definition(format!(
            "vibrator {feature} value {value} does not fit a byte"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn single_motor_pearl_fills_the_first_slot() {
        let mut pearl = Harness::builtin(NAME, Some("Pearl2"));
        assert_eq!(pearl.definition.name, "Kiiroo Pearl 2");
        assert_eq!(pearl.set(&[(0, Vibrate, 0)]), vec![tx(&[0, 0, 0])]);
        assert_eq!(pearl.set(&[(0, Vibrate, 50)]), vec![tx(&[50, 0, 0])]);
        assert_eq!(pearl.set(&[(0, Vibrate, 100)]), vec![tx(&[100, 0, 0])]);
        assert_eq!(pearl.stop(), vec![tx(&[0, 0, 0])]);
    }

    #[test]
    fn each_changed_motor_writes_the_table_as_updated_so_far() {
        let mut titan = Harness::builtin(NAME, Some("Titan"));
        assert_eq!(titan.definition.name, "Kiiroo Titan");
        assert_eq!(
            titan.set(&[(0, Vibrate, 10), (2, Vibrate, 30)]),
            vec![tx(&[10, 0, 0]), tx(&[10, 0, 30])]
        );
        assert_eq!(titan.set(&[(1, Vibrate, 20)]), vec![tx(&[10, 20, 30])]);
        assert_eq!(
            titan.set(&[(0, Vibrate, 40), (1, Vibrate, 50), (2, Vibrate, 60)]),
            vec![tx(&[40, 20, 30]), tx(&[40, 50, 30]), tx(&[40, 50, 60])]
        );
        assert_eq!(
            titan.stop(),
            vec![tx(&[0, 50, 60]), tx(&[0, 0, 60]), tx(&[0, 0, 0])]
        );
    }

    #[test]
    fn fuse_uses_two_slots() {
        let mut fuse = Harness::builtin(NAME, Some("Fuse"));
        assert_eq!(fuse.definition.name, "OhMiBod Fuse");
        assert_eq!(
            fuse.set(&[(0, Vibrate, 100), (1, Vibrate, 1)]),
            vec![tx(&[100, 0, 0]), tx(&[100, 1, 0])]
        );
    }

    #[test]
    fn other_kinds_extra_motors_and_oversized_values_are_refused() {
        let mut titan = Harness::builtin(NAME, Some("Titan"));
        assert!(matches!(
            titan.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            titan.try_set(&[(3, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            titan.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Zalo (Queen, King: two vibrators; Jeanne: one), speeds 0–8: one 3-byte packet on `tx`,
//! **with response**, carrying both motors: `<mode> <motor 1> <motor 2>`. `mode` is `02` when
//! both motors are at 0 (off) and `01` otherwise; a motor at 0 is written as `01`, the
//! toy's lowest step, since the mode byte alone switches it off. A one-motor model's second
//! slot is always 0, so `01`.
//!
//! Packing with per-feature writes: upstream keeps both speeds in atomics and sends a packet per
//! *changed motor*, each tagged with that motor's feature id (so its message gap keeps both).
//! A command changing both motors therefore writes twice: first with motor 1's new speed and
//! motor 2's old one, then with both new. plugd reproduces that sequence from `current` and
//! `previous` (for each write, the motors changed later in the same command still have their
//! previous value).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/zalo.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "zalo";

/// Mode byte: at least one motor runs.
const MODE_ON: u8 = 0x01;
/// Mode byte: both motors stopped.
const MODE_OFF: u8 = 0x02;
/// How a stopped motor's slot is written.
const IDLE_SLOT: u8 = 0x01;
/// The packet has a slot for features 0 and 1.
const MOTORS: u32 = 2;

/// One packet per changed motor, in feature order, each with the speeds as they stood once
/// that motor was applied (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate;
/// [`ProtocolError::Definition`] for a feature beyond the second motor or a speed that does not
/// fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mut commands = Vec::with_capacity(context.changed.len());
    for (position, &(feature, kind)) in context.changed.iter().enumerate() {
        if kind != OutputKind::Vibrate {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        if feature.0 >= MOTORS {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} is not one of the two motors"
            )));
        }
        let not_yet_applied = &context.changed[position + 1..];
        let mut speeds = [0_u8; 2];
        for (slot, speed) in (0..MOTORS).zip(speeds.iter_mut()) {
            let key = (FeatureIndex(slot), OutputKind::Vibrate);
            let value = if not_yet_applied.contains(&key) {
                context.previous_value(key.0, key.1).unwrap_or(0)
            } else {
                context.value(key.0, key.1)
            };
            *speed = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
            })?;
        }
        commands.push(HardwareCommand::write_with_response(
            Endpoint::Tx,
            packet(speeds),
        ));
    }
    Ok(commands)
}

fn packet([first, second]: [u8; 2]) -> Vec<u8> {
    let mode = if first == 0 && second == 0 {
        MODE_OFF
    } else {
        MODE_ON
    };
    let slot = |speed: u8| if speed == 0 { IDLE_SLOT } else { speed };
    vec![mode, slot(first), slot(second)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn queen() -> Harness {
        Harness::builtin(NAME, Some("ZALO-Queen"))
    }

    fn packet(bytes: [u8; 3]) -> HardwareCommand {
        write_with_response(Endpoint::Tx, &bytes)
    }

    #[test]
    fn one_motor_keeps_the_other_ones_speed() {
        let mut device = queen();
        assert_eq!(
            device.set(&[(0, Vibrate, 4)]),
            vec![packet([0x01, 4, 0x01])]
        );
        assert_eq!(device.set(&[(1, Vibrate, 8)]), vec![packet([0x01, 4, 8])]);
        assert_eq!(
            device.set(&[(0, Vibrate, 0)]),
            vec![packet([0x01, 0x01, 8])]
        );
        assert_eq!(
            device.set(&[(1, Vibrate, 0)]),
            vec![packet([0x02, 0x01, 0x01])]
        );
    }

    #[test]
    fn two_changed_motors_write_twice_as_upstream_does() {
        let mut device = queen();
        device.set(&[(0, Vibrate, 2), (1, Vibrate, 3)]);
        assert_eq!(
            device.set(&[(0, Vibrate, 5), (1, Vibrate, 6)]),
            vec![packet([0x01, 5, 3]), packet([0x01, 5, 6])]
        );
    }

    #[test]
    fn first_command_for_both_motors_starts_from_zero() {
        let mut device = Harness::builtin(NAME, Some("ZALO-King"));
        assert_eq!(
            device.set(&[(0, Vibrate, 1), (1, Vibrate, 8)]),
            vec![packet([0x01, 1, 0x01]), packet([0x01, 1, 8])]
        );
    }

    #[test]
    fn stop_switches_off_motor_by_motor() {
        let mut device = queen();
        device.set(&[(0, Vibrate, 3), (1, Vibrate, 5)]);
        assert_eq!(
            device.stop(),
            vec![packet([0x01, 0x01, 5]), packet([0x02, 0x01, 0x01])]
        );
    }

    #[test]
    fn jeanne_has_one_motor() {
        let mut device = Harness::builtin(NAME, Some("ZALO-Jeanne"));
        assert_eq!(
            device.set(&[(0, Vibrate, 7)]),
            vec![packet([0x01, 7, 0x01])]
        );
        assert_eq!(device.stop(), vec![packet([0x02, 0x01, 0x01])]);
    }

    #[test]
    fn other_kinds_features_and_oversized_speeds_are_errors() {
        let mut device = queen();
        assert_eq!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 300)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

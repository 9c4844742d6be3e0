//! Lovehoney Desire (Love Egg, Knicker Vibrator: one vibrator; Prostate Vibrator: two), speeds
//! 0–127, packets `f3 <target> <speed>` on `tx`, **with response**. `target` is `00` for "every
//! motor", `01` / `02` for one of two motors:
//!
//! - one motor: `f3 00 <speed>`;
//! - two motors at the same speed: one `f3 00 <speed>`;
//! - two motors at different speeds: `f3 01 <first>` then `f3 02 <second>`.
//!
//! Packing: the packets depend on both motors' current values (a never-set motor is 0), so any
//! change writes what the pair now needs. Upstream holds the speeds in atomics and tags the
//! packets with two fixed command ids, so its message gap also leaves exactly these writes for a
//! command that changes both motors.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/lovehoney_desire.rs` of
//! buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "lovehoney-desire";

/// First byte of every packet.
const HEADER: u8 = 0xf3;
/// Target byte: every motor.
const ALL_MOTORS: u8 = 0x00;
/// Target bytes of the first and second motor.
const FIRST_MOTOR: u8 = 0x01;
const SECOND_MOTOR: u8 = 0x02;

/// The packets for the motors' current speeds (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate;
/// [`ProtocolError::Definition`] for a speed that does not fit in a byte or a device with more
/// than two motors.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    if let Some(&(_, kind)) = context
        .changed
        .iter()
        .find(|(_, kind)| *kind != OutputKind::Vibrate)
    {
        return Err(ProtocolError::UnsupportedOutput {
            protocol: NAME,
            kind,
        });
    }
    let motors: Vec<FeatureIndex> = context
        .definition
        .features
        .iter()
        .filter(|feature| !feature.outputs.is_empty())
        .map(|feature| feature.index)
        .collect();
    let speed = |feature: FeatureIndex| {
        let value = context.value(feature, OutputKind::Vibrate);
        u8::try_from(value)
            .map_err(|_| ProtocolError::Definition(format!("speed {value} does not fit in a byte")))
    };
    let packets = match motors.as_slice() {
        [only] => vec![[HEADER, ALL_MOTORS, speed(*only)?]],
        [first, second] => {
            let (first, second) = (speed(*first)?, speed(*second)?);
            if first == second {
                vec![[HEADER, ALL_MOTORS, first]]
            } else {
                vec![[HEADER, FIRST_MOTOR, first], [HEADER, SECOND_MOTOR, second]]
            }
        }
        other => {
            return Err(ProtocolError::Definition(format!(
                "{} motors; the protocol drives one or two",
                other.len()
            )))
        }
    };
    Ok(packets
        .into_iter()
        .map(|packet| HardwareCommand::write_with_response(Endpoint::Tx, packet.to_vec()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn packet(target: u8, speed: u8) -> HardwareCommand {
        write_with_response(Endpoint::Tx, &[0xf3, target, speed])
    }

    #[test]
    fn shared_case_lovehoney_desire_egg_bytes() {
        // test_lovehoney_desire_egg.yaml: 0.5 of 127 → 64, 0.1 → 13, stop.
        let mut egg = Harness::builtin(NAME, Some("LOVE EGG"));
        assert_eq!(egg.set(&[(0, Vibrate, 64)]), vec![packet(0x00, 0x40)]);
        assert_eq!(egg.set(&[(0, Vibrate, 13)]), vec![packet(0x00, 0x0d)]);
        assert_eq!(egg.stop(), vec![packet(0x00, 0x00)]);
    }

    #[test]
    fn one_motor_models_always_target_every_motor() {
        let mut knicker = Harness::builtin(NAME, Some("KNICKER VIBE"));
        assert_eq!(knicker.set(&[(0, Vibrate, 127)]), vec![packet(0x00, 0x7f)]);
    }

    #[test]
    fn upstream_case_lovehoney_desire_prostate_bytes() {
        // Upstream test_lovehoney_desire_prostate.yaml: motor 1 at 64 (motor 2 still 0) →
        // two packets; (13, 64) → two packets; stop → both at 0, one packet.
        let mut prostate = Harness::builtin(NAME, Some("PROSTATE VIBE"));
        assert_eq!(
            prostate.set(&[(0, Vibrate, 64)]),
            vec![packet(0x01, 0x40), packet(0x02, 0x00)]
        );
        assert_eq!(
            prostate.set(&[(0, Vibrate, 13), (1, Vibrate, 64)]),
            vec![packet(0x01, 0x0d), packet(0x02, 0x40)]
        );
        assert_eq!(prostate.stop(), vec![packet(0x00, 0x00)]);
    }

    #[test]
    fn equal_speeds_share_one_packet() {
        let mut prostate = Harness::builtin(NAME, Some("PROSTATE VIBE"));
        assert_eq!(
            prostate.set(&[(0, Vibrate, 30), (1, Vibrate, 30)]),
            vec![packet(0x00, 30)]
        );
        assert_eq!(
            prostate.set(&[(1, Vibrate, 31)]),
            vec![packet(0x01, 30), packet(0x02, 31)]
        );
    }

    #[test]
    fn other_kinds_and_oversized_speeds_are_errors() {
        let mut prostate = Harness::builtin(NAME, Some("PROSTATE VIBE"));
        assert_eq!(
            prostate.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            prostate.try_set(&[(1, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

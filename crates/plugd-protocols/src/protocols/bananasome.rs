//! Bananasome: the Rocket X7, advertised as "火箭X7". Three motors at features 0–2: feature 0
//! oscillates, features 1 and 2 vibrate; every speed 0–255.
//!
//! **Wire format.** One five-byte write to `tx`, without response, carrying all three motors:
//! `a0 03 <feature 0> <feature 1> <feature 2>`. Whatever changes, the packet repeats the other
//! motors' current speeds (0 for a motor never set), so one command — a multi-motor ScalarCmd
//! or a Stop — is one write: `a0 03 c0 c0 40`, `a0 03 00 00 00`.
//!
//! Upstream keeps the three speeds in atomics; plugd reads them from the current output values.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/bananasome.rs` of buttplugio/buttplug
//! and its `test_bananasome_protocol.yaml`; same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "bananasome";

/// The two bytes before the speeds.
const HEADER: [u8; 2] = [0xA0, 0x03];
/// How many motor slots the packet has (features 0, 1, 2).
const SLOTS: u32 = 3;
/// The kinds a slot can carry.
const KINDS: [OutputKind; 2] = [OutputKind::Oscillate, OutputKind::Vibrate];

/// One `a0 03 <s0> <s1> <s2>` write with every motor's current speed.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and oscillate;
/// [`ProtocolError::Definition`] for an output the definition lacks, a feature beyond the
/// three slots, or a speed beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if !KINDS.contains(&kind) {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        let declared = context
            .definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !declared {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
        if feature.0 >= SLOTS {
            return Err(ProtocolError::Definition(format!(
                "the packet has no slot for feature {feature}"
            )));
        }
    }
    let mut data = HEADER.to_vec();
    for slot in 0..SLOTS {
        data.push(slot_speed(context, FeatureIndex(slot))?);
    }
    Ok(vec![HardwareCommand::write(Endpoint::Tx, data)])
}

/// The current speed of the motor at `feature` (its oscillate or vibrate output), 0 when the
/// definition has none there or it was never set.
fn slot_speed(context: &EncodeContext<'_>, feature: FeatureIndex) -> Result<u8, ProtocolError> {
    let Some(kind) = context
        .definition
        .feature(feature)
        .and_then(|found| KINDS.into_iter().find(|kind| found.output(*kind).is_some()))
    else {
        return Ok(0);
    };
    let speed = context.value(feature, kind);
    u8::try_from(speed).map_err(|_| {
        ProtocolError::Definition(format!(
            "feature {feature} {kind} speed {speed} does not fit in a byte"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Constrict, Oscillate, Vibrate};

    fn rocket() -> Harness {
        Harness::builtin(NAME, Some("火箭X7"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn the_rocket_is_found_by_its_chinese_name() {
        assert_eq!(rocket().definition.name, "Bananasome Rocket X7");
    }

    #[test]
    fn every_write_carries_all_three_motors() {
        // test_bananasome_protocol.yaml: the first vibrator (feature 1) at 0.5, then the second
        // (feature 2) at 0.5, then one ScalarCmd 0.75 / 0.75 / 0.25, then Stop.
        let mut device = rocket();
        assert_eq!(
            device.set(&[(1, Vibrate, 128)]),
            vec![tx(&[0xa0, 0x03, 0x00, 0x80, 0x00])]
        );
        assert_eq!(
            device.set(&[(2, Vibrate, 128)]),
            vec![tx(&[0xa0, 0x03, 0x00, 0x80, 0x80])]
        );
        assert_eq!(
            device.set(&[(0, Oscillate, 192), (1, Vibrate, 192), (2, Vibrate, 64)]),
            vec![tx(&[0xa0, 0x03, 0xc0, 0xc0, 0x40])]
        );
        assert_eq!(device.stop(), vec![tx(&[0xa0, 0x03, 0x00, 0x00, 0x00])]);
    }

    #[test]
    fn the_oscillator_alone_and_full_speed() {
        let mut device = rocket();
        assert_eq!(
            device.set(&[(0, Oscillate, 255)]),
            vec![tx(&[0xa0, 0x03, 0xff, 0x00, 0x00])]
        );
        assert_eq!(
            device.set(&[(0, Oscillate, 1)]),
            vec![tx(&[0xa0, 0x03, 0x01, 0x00, 0x00])]
        );
    }

    #[test]
    fn wrong_kinds_missing_outputs_and_oversized_speeds_are_errors() {
        let mut device = rocket();
        assert!(matches!(
            device.try_set(&[(0, Constrict, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        // Feature 0 oscillates; it has no vibrator.
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(3, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

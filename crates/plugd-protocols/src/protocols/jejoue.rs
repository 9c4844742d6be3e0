//! Je Joue (Nuo and friends, advertised as "Je Joue"): two vibrators, levels 0–5, driven by
//! one command that names a pattern and a single level.
//!
//! **Wire format.** Two bytes to `tx`, without response: `<pattern> <level>`. Pattern 1 runs
//! both vibrators, 2 only vibrator 1 (feature 0, the larger), 3 only vibrator 2 (feature 1);
//! higher patterns alternate them. (stpihkal issue #102 describes the two values as ASCII
//! digits; the reference implementation and its test case send raw bytes, and so does plugd.)
//!
//! **Packing.** The toy has one level for both motors, so the packet is chosen from both
//! current values, exactly as upstream does:
//! - vibrator 1 running → `02 <level 1>` (vibrator 2's value is not used while 1 runs);
//! - else vibrator 2 running → `03 <level 2>`;
//! - both stopped → `01 00`.
//!
//! One packet per command whatever changed, so a Stop is a single `01 00`.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/jejoue.rs` of buttplugio/buttplug
//! (which remembers both motors in atomics; plugd reads the current values); same bytes as
//! upstream. test_jejoue_protocol.yaml is never run upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "jejoue";

/// Both vibrators at one level (only ever sent to stop).
const PATTERN_BOTH: u8 = 1;
/// Vibrator 1 (feature 0) alone.
const PATTERN_FIRST: u8 = 2;
/// Vibrator 2 (feature 1) alone.
const PATTERN_SECOND: u8 = 3;

/// One `<pattern> <level>` packet from both vibrators' current levels.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate;
/// [`ProtocolError::Definition`] for a feature the device lacks or a level beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
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
    }
    let mut levels = context
        .definition
        .outputs_of(OutputKind::Vibrate)
        .map(|(feature, _)| context.value(feature.index, OutputKind::Vibrate));
    let first = levels.next().unwrap_or(0);
    let second = levels.next().unwrap_or(0);
    let (pattern, level) = if first != 0 {
        (PATTERN_FIRST, first)
    } else if second != 0 {
        (PATTERN_SECOND, second)
    } else {
        (PATTERN_BOTH, 0)
    };
    let level = u8::try_from(level)
        .map_err(|_| ProtocolError::Definition(format!("level {level} does not fit in a byte")))?;
    Ok(vec![HardwareCommand::write(
        Endpoint::Tx,
        vec![pattern, level],
    )])
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind};
    use OutputKind::Vibrate;

    /// One output value: feature index, kind, device value.
    type Set = (u32, OutputKind, i32);

    /// Each row: outputs set by one command, then the one packet.
    fn check(rows: &[(&[Set], [u8; 2])]) {
        let mut device = Harness::builtin(super::NAME, Some("Je Joue"));
        for (set, expected) in rows {
            assert_eq!(
                device.set(set),
                vec![write(Endpoint::Tx, expected)],
                "set {set:?}"
            );
        }
    }

    #[test]
    fn the_shared_case_bytes_come_out() {
        // test_jejoue_protocol.yaml: 0.5 → 3, 1.0 → 5, then Stop.
        check(&[
            (&[(0, Vibrate, 3)], [2, 3]),
            (&[(0, Vibrate, 5)], [2, 5]),
            (&[(0, Vibrate, 0), (1, Vibrate, 0)], [1, 0]),
        ]);
        let mut device = Harness::builtin(super::NAME, Some("Je Joue"));
        device.set(&[(0, Vibrate, 3)]);
        assert_eq!(device.stop(), vec![write(Endpoint::Tx, &[1, 0])]);
    }

    #[test]
    fn vibrator_one_wins_while_it_runs_then_vibrator_two_takes_over() {
        check(&[
            (&[(1, Vibrate, 4)], [3, 4]),
            (&[(0, Vibrate, 1)], [2, 1]),
            (&[(1, Vibrate, 5)], [2, 1]),
            (&[(0, Vibrate, 0)], [3, 5]),
            (&[(1, Vibrate, 0)], [1, 0]),
        ]);
    }

    #[test]
    fn both_at_once_is_one_packet() {
        // Spec v0 drives every vibrator with one speed.
        check(&[(&[(0, Vibrate, 3), (1, Vibrate, 3)], [2, 3])]);
    }

    #[test]
    fn other_outputs_are_errors() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

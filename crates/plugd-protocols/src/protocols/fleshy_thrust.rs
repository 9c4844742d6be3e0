//! Fleshy Thrust Sync ("BT05"): a stroker moved to a position (0–180) over a duration.
//!
//! **Wire format.** One three-byte write to `tx`, without response, per move:
//! `<position> <duration ms, big-endian u16>` — test_fleshy_thrust_protocol.yaml moves to 54
//! over 1000 ms with `36 03 E8`. No init, no keepalive, no state. A Stop writes nothing: the
//! stroker only has a position, and the Device zeroes no position on Stop.
//!
//! **Differs from upstream.** Upstream keeps the duration's low 16 bits, so a move over
//! 70 000 ms would become one over 4 464 ms; plugd writes the longest duration the packet can
//! hold (65 535 ms) instead. Moves without a duration take 0 ms, as upstream's missing value.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/fleshy_thrust.rs` of
//! buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "fleshy-thrust";

/// One `<position> <duration hi> <duration lo>` write per changed stroker.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but hw_position_with_duration;
/// [`ProtocolError::Definition`] for a feature the device lacks or a position beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if kind != OutputKind::HwPositionWithDuration {
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
            let target = context.current.get(&(feature, kind));
            let position = target.map_or(0, |target| target.value);
            let position = u8::try_from(position).map_err(|_| {
                ProtocolError::Definition(format!("position {position} does not fit in a byte"))
            })?;
            let duration = target.and_then(|target| target.duration).unwrap_or(0);
            let [high, low] = u16::try_from(duration).unwrap_or(u16::MAX).to_be_bytes();
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                vec![position, high, low],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind};
    use OutputKind::HwPositionWithDuration;

    fn stroker() -> Harness {
        Harness::builtin(super::NAME, Some("BT05"))
    }

    #[test]
    fn position_then_big_endian_duration() {
        let mut device = stroker();
        for (position, duration, expected) in [
            // test_fleshy_thrust_protocol.yaml: 0.3 of 180 over 1000 ms.
            (54, Some(1000), [54, 0x03, 0xE8]),
            (0, Some(250), [0, 0x00, 0xFA]),
            (180, Some(65_535), [180, 0xFF, 0xFF]),
            (90, None, [90, 0x00, 0x00]),
        ] {
            assert_eq!(
                device.set_with_duration(&[(0, HwPositionWithDuration, position, duration)]),
                vec![write(Endpoint::Tx, &expected)],
                "position {position} over {duration:?}"
            );
        }
    }

    #[test]
    fn durations_beyond_two_bytes_saturate() {
        let mut device = stroker();
        assert_eq!(
            device.set_with_duration(&[(0, HwPositionWithDuration, 10, Some(100_000))]),
            vec![write(Endpoint::Tx, &[10, 0xFF, 0xFF])]
        );
    }

    #[test]
    fn stop_writes_nothing() {
        let mut device = stroker();
        device.set_with_duration(&[(0, HwPositionWithDuration, 54, Some(1000))]);
        assert_eq!(device.stop(), vec![]);
    }

    #[test]
    fn other_outputs_and_oversized_positions_are_errors() {
        let mut device = stroker();
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Vibrate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set_with_duration(&[(0, HwPositionWithDuration, 300, Some(10))]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set_with_duration(&[(1, HwPositionWithDuration, 3, Some(10))]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

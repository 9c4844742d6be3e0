//! FeelingSo Flair Feel: a vibrator (feature 0) and an oscillating part (feature 1), both
//! 0–19.
//!
//! **Wire format.** Both motors travel in one 7-byte packet to `tx`, without response:
//! `AA 40 03 <vibrate> <oscillate> 14 19`. `14` is the oscillation range (1 to 4) and `19`
//! looks like a checksum but is constant upstream; plugd keeps both as observed. Whatever
//! changed, one packet carries the current value of both motors (0 for one never set), so a
//! two-motor command or a Stop is a single write.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/feelingso.rs` of buttplugio/buttplug,
//! which remembers the other motor in atomics; plugd reads it from the current values. Same
//! bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "feelingso";

/// Before the two speeds.
const HEADER: [u8; 3] = [0xAA, 0x40, 0x03];
/// After the two speeds: oscillation range 1–4, then the constant trailer.
const TRAILER: [u8; 2] = [0x14, 0x19];

/// One packet with both motors' current speeds.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate and oscillate;
/// [`ProtocolError::Definition`] for a feature the device lacks or a speed beyond a byte.
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
    }
    let mut data = HEADER.to_vec();
    data.push(speed(context, OutputKind::Vibrate)?);
    data.push(speed(context, OutputKind::Oscillate)?);
    data.extend(TRAILER);
    Ok(vec![HardwareCommand::write(Endpoint::Tx, data)])
}

/// The current speed of the device's first output of `kind` (0 when it has none or it was
/// never set).
fn speed(context: &EncodeContext<'_>, kind: OutputKind) -> Result<u8, ProtocolError> {
    let value = context
        .definition
        .outputs_of(kind)
        .next()
        .map_or(0, |(feature, _)| context.value(feature.index, kind));
    u8::try_from(value).map_err(|_| {
        ProtocolError::Definition(format!("{kind} speed {value} does not fit in a byte"))
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind};
    use OutputKind::{Oscillate, Vibrate};

    fn packet(vibrate: u8, oscillate: u8) -> Vec<u8> {
        vec![0xAA, 0x40, 0x03, vibrate, oscillate, 0x14, 0x19]
    }

    /// One output value: feature index, kind, device value.
    type Set = (u32, OutputKind, i32);

    /// Each row: outputs set by one command, then the (vibrate, oscillate) of the one packet.
    fn check(rows: &[(&[Set], (u8, u8))]) {
        let mut device = Harness::builtin(super::NAME, Some("Flair Feel"));
        for (set, (vibrate, oscillate)) in rows {
            assert_eq!(
                device.set(set),
                vec![write(Endpoint::Tx, &packet(*vibrate, *oscillate))],
                "set {set:?}"
            );
        }
    }

    #[test]
    fn one_packet_carries_both_motors() {
        check(&[
            (&[(0, Vibrate, 19)], (19, 0)),
            (&[(1, Oscillate, 1)], (19, 1)),
            (&[(0, Vibrate, 0)], (0, 1)),
            (&[(0, Vibrate, 7), (1, Oscillate, 19)], (7, 19)),
        ]);
    }

    #[test]
    fn the_shared_case_bytes_come_out() {
        // test_feelingso.yaml: 0.5 → 10; 0.75 and 0.5 → 15, 10; 0 and 0.5 → 0, 10; Stop.
        check(&[
            (&[(0, Vibrate, 10)], (0x0A, 0x00)),
            (&[(0, Vibrate, 15), (1, Oscillate, 10)], (0x0F, 0x0A)),
            (&[(0, Vibrate, 0)], (0x00, 0x0A)),
        ]);
        let mut device = Harness::builtin(super::NAME, Some("Flair Feel"));
        device.set(&[(0, Vibrate, 10), (1, Oscillate, 10)]);
        assert_eq!(device.stop(), vec![write(Endpoint::Tx, &packet(0, 0))]);
    }

    #[test]
    fn other_outputs_are_errors() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 999)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

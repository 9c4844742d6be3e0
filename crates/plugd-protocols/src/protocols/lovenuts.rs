//! Love Nuts: the "Love Nut" vibrator, advertised as "Love_Nuts"; one vibrator, speeds 0–15.
//!
//! **Wire format.** One sixteen-byte write to `tx`, without response, per changed vibrator:
//! `45 56 4f 4c` ("EVOL"), then ten copies of the speed in both nibbles of a byte
//! (`88` at speed 8), then `00 ff`. Speed 0 (ten `00` bytes) stops. No init, no keepalive,
//! stateless.
//!
//! The speed must fit a nibble: upstream shifts a byte left by four and silently drops the high
//! bits; plugd refuses a value above 15 instead (the database range ends at 15, so only a
//! hand-edited definition can get there).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/lovenuts.rs` of buttplugio/buttplug (no
//! device case upstream); same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "lovenuts";

/// "EVOL", the first four bytes.
const HEADER: [u8; 4] = [0x45, 0x56, 0x4F, 0x4C];
/// How many copies of the speed byte follow.
const REPEATS: usize = 10;
/// The last two bytes.
const TRAILER: [u8; 2] = [0x00, 0xFF];
/// The highest speed a nibble holds.
const MAX_SPEED: u8 = 0x0F;

/// One packet per changed vibrator (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a feature without a vibrator or a speed outside 0–15.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = speed_nibble(context, feature, kind)?;
            Ok(HardwareCommand::write(Endpoint::Tx, packet(speed)))
        })
        .collect()
}

/// `45 56 4f 4c`, ten `<speed><speed>` bytes, `00 ff`.
fn packet(speed: u8) -> Vec<u8> {
    let doubled = speed | (speed << 4);
    let mut data = HEADER.to_vec();
    data.extend(std::iter::repeat_n(doubled, REPEATS));
    data.extend(TRAILER);
    data
}

/// The vibrator's current speed, after checking the feature has a vibrator and the speed fits
/// a nibble.
fn speed_nibble(
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
        .ok()
        .filter(|speed| *speed <= MAX_SPEED)
        .ok_or_else(|| ProtocolError::Definition(format!("speed {speed} does not fit in a nibble")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn love_nut() -> Harness {
        Harness::builtin(NAME, Some("Love_Nuts"))
    }

    fn expected(doubled: u8) -> Vec<HardwareCommand> {
        let mut data = vec![0x45, 0x56, 0x4f, 0x4c];
        data.extend([doubled; 10]);
        data.extend([0x00, 0xff]);
        vec![write(Endpoint::Tx, &data)]
    }

    #[test]
    fn the_speed_fills_both_nibbles_ten_times() {
        let mut device = love_nut();
        assert_eq!(device.definition.name, "Love Nut");
        assert_eq!(device.set(&[(0, Vibrate, 8)]), expected(0x88));
        assert_eq!(device.set(&[(0, Vibrate, 15)]), expected(0xff));
        assert_eq!(device.set(&[(0, Vibrate, 1)]), expected(0x11));
        assert_eq!(device.stop(), expected(0x00));
    }

    #[test]
    fn a_packet_is_sixteen_bytes() {
        assert_eq!(packet(3).len(), 16);
    }

    #[test]
    fn other_outputs_missing_features_and_speeds_beyond_a_nibble_are_errors() {
        let mut device = love_nut();
        assert!(matches!(
            device.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 16)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Picobong (Blow hole, Diver, Life guard, Surfer; each also under an older name): one vibrator
//! driven by `01 <mode> <speed>` on `tx`, without response. Speed 0–10; `mode` is `01` (steady)
//! while running and `ff` to stop, so 0 is `01 ff 00`.
//!
//! Stateless: one write per changed vibrate output. Same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/picobong.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "picobong";

/// First byte of every packet.
const HEADER: u8 = 0x01;
/// The mode byte while vibrating (steady).
const MODE_STEADY: u8 = 0x01;
/// The mode byte that stops the motor.
const MODE_OFF: u8 = 0xff;

/// `01 <01 | ff at 0> <speed>` per changed vibrate output.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any other kind; [`ProtocolError::Definition`] for
/// a speed that does not fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| match kind {
            OutputKind::Vibrate => {
                let value = context.value(feature, kind);
                let speed = u8::try_from(value).map_err(|_| {
                    ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
                })?;
                let mode = if speed == 0 { MODE_OFF } else { MODE_STEADY };
                Ok(HardwareCommand::write(
                    Endpoint::Tx,
                    vec![HEADER, mode, speed],
                ))
            }
            other => Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: other,
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Vibrate};

    #[test]
    fn running_speeds_use_the_steady_mode() {
        let mut device = Harness::builtin(NAME, Some("Diver"));
        assert_eq!(
            device.set(&[(0, Vibrate, 5)]),
            vec![write(Endpoint::Tx, &[0x01, 0x01, 0x05])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 10)]),
            vec![write(Endpoint::Tx, &[0x01, 0x01, 0x0a])]
        );
    }

    #[test]
    fn zero_switches_the_mode_off() {
        let mut device = Harness::builtin(NAME, Some("Surfer_plug"));
        assert_eq!(
            device.set(&[(0, Vibrate, 0)]),
            vec![write(Endpoint::Tx, &[0x01, 0xff, 0x00])]
        );
        device.set(&[(0, Vibrate, 3)]);
        assert_eq!(
            device.stop(),
            vec![write(Endpoint::Tx, &[0x01, 0xff, 0x00])]
        );
    }

    #[test]
    fn every_model_name_finds_a_vibrator() {
        for identifier in ["Blow hole", "Picobong Egg", "Life guard", "Egg driver"] {
            let mut device = Harness::builtin(NAME, Some(identifier));
            assert_eq!(
                device.set(&[(0, Vibrate, 1)]),
                vec![write(Endpoint::Tx, &[0x01, 0x01, 0x01])],
                "{identifier}"
            );
        }
    }

    #[test]
    fn other_kinds_and_oversized_speeds_are_errors() {
        let mut device = Harness::builtin(NAME, Some("Diver"));
        assert_eq!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            device.try_set(&[(0, Vibrate, -3)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

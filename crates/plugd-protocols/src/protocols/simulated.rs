//! simulated: the reference server's virtual devices (v5 database, `simulated` transport). They
//! have no hardware bytes of their own; plugd gives them a readable text line per changed output
//! on `tx`, `<Kind>:<feature>:<value>;` (HwPositionWithDuration adds `:<duration ms>`), so a
//! person watching the demo log — or a test reading the simulated-device wire — sees exactly
//! what was commanded. This text format is plugd's own.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand};

/// Database key.
pub const NAME: &str = "simulated";

/// One write per changed output.
///
/// # Errors
/// Never: every output kind has a line.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    Ok(context
        .changed
        .iter()
        .map(|(feature, kind)| {
            let value = context.current.get(&(*feature, *kind));
            let line = match value.and_then(|value| value.duration) {
                Some(duration) => format!(
                    "{kind}:{feature}:{}:{duration};",
                    value.map(|value| value.value).unwrap_or(0)
                ),
                None => format!(
                    "{kind}:{feature}:{};",
                    value.map(|value| value.value).unwrap_or(0)
                ),
            };
            HardwareCommand::write(Endpoint::Tx, line.into_bytes())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use plugd_core::{Endpoint, OutputKind};

    #[test]
    fn each_changed_output_gets_its_own_line() {
        let mut device = Harness::builtin(super::NAME, Some("simulated-2vibe"));
        assert_eq!(
            device.set(&[(0, OutputKind::Vibrate, 50), (1, OutputKind::Vibrate, 0)]),
            vec![
                write(Endpoint::Tx, b"Vibrate:0:50;"),
                write(Endpoint::Tx, b"Vibrate:1:0;")
            ]
        );
        assert_eq!(
            device.stop(),
            vec![
                write(Endpoint::Tx, b"Vibrate:0:0;"),
                write(Endpoint::Tx, b"Vibrate:1:0;")
            ]
        );
    }

    #[test]
    fn rotation_keeps_its_sign_and_positions_carry_their_duration() {
        let mut rotator = Harness::builtin(super::NAME, Some("simulated-rotator"));
        assert_eq!(
            rotator.set(&[(0, OutputKind::Rotate, -30)]),
            vec![write(Endpoint::Tx, b"Rotate:0:-30;")]
        );
        let mut stroker = Harness::builtin(super::NAME, Some("simulated-stroker"));
        assert_eq!(
            stroker.set_with_duration(&[(0, OutputKind::HwPositionWithDuration, 900, Some(500))]),
            vec![write(Endpoint::Tx, b"HwPositionWithDuration:0:900:500;")]
        );
    }
}

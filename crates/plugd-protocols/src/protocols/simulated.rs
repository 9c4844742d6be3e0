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
    use super::*;
    use crate::{OutputState, OutputValue, ProtocolSession};
    use plugd_config::{DeviceDefinition, UserDeviceSettings};
    use plugd_core::{FeatureIndex, OutputKind};

    fn check(values: &[(u32, OutputKind, i32, Option<u32>)], expected: &[&str]) {
        let definition = DeviceDefinition {
            protocol: NAME.to_string(),
            identifier: None,
            name: "Simulated".to_string(),
            id: String::new(),
            features: Vec::new(),
            message_gap: None,
            protocol_variant: None,
            user: UserDeviceSettings::default(),
        };
        let mut current = OutputState::new();
        let mut changed = Vec::new();
        for (feature, kind, value, duration) in values {
            current.insert(
                (FeatureIndex(*feature), *kind),
                OutputValue {
                    value: *value,
                    duration: *duration,
                },
            );
            changed.push((FeatureIndex(*feature), *kind));
        }
        let session = ProtocolSession::default();
        let context = EncodeContext {
            definition: &definition,
            current: &current,
            changed: &changed,
            session: &session,
        };
        let written: Vec<HardwareCommand> = encode(&context).unwrap();
        let expected: Vec<HardwareCommand> = expected
            .iter()
            .map(|line| HardwareCommand::write(Endpoint::Tx, line.as_bytes()))
            .collect();
        assert_eq!(written, expected);
    }

    #[test]
    fn each_changed_output_gets_its_own_line() {
        check(
            &[
                (0, OutputKind::Vibrate, 50, None),
                (1, OutputKind::Vibrate, 0, None),
            ],
            &["Vibrate:0:50;", "Vibrate:1:0;"],
        );
    }

    #[test]
    fn rotation_keeps_its_sign_and_positions_carry_their_duration() {
        check(
            &[
                (0, OutputKind::Rotate, -30, None),
                (1, OutputKind::HwPositionWithDuration, 900, Some(500)),
            ],
            &["Rotate:0:-30;", "HwPositionWithDuration:1:900:500;"],
        );
    }
}

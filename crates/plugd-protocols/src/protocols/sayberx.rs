//! SayberX: an output device ("SayberX", one speed 0–4, a vibrate output in the database) and
//! its paired input ring ("X-Ring <id>", no outputs).
//!
//! **No reference encoder.** The reference server lists these devices but has no code for
//! them, and none was found in its history nor in buttplug-csharp or buttplug-js. The bytes
//! come from the protocol notes of stpihkal issue #66 ("Add SayberX protocol documentation",
//! buttplugio/stpihkal): the host writes AT-style ASCII to the device's `tx`, `AT+SPD<nn>`,
//! `nn` a decimal speed from `00` to `40` whose first digit is the only one that varies (the
//! notes give the seventh byte as `0x30`–`0x34` and the eighth as `0x30`). So a speed `s` of
//! 0–4 is the 8 bytes `AT+SPD<s>0`, no terminator, one write per changed output, without
//! response; `AT+SPD00` stops.
//!
//! **Identification.** The ring advertises "X-Ring " plus a per-device suffix
//! (`X-Ring 0F313B`), while its configuration's identifier is `X-Ring`: such names resolve to
//! `X-Ring`; every other name is its own identifier. The ring has no outputs: it reports the
//! same `AT+SPD<nn>` text as notifications on `rx`, which would be an input the database does
//! not define, so plugd reads nothing from it.
//!
//! Unverified on hardware by this project: the bytes are the notes'.

use crate::{EncodeContext, InitReply, InitStep, ProtocolError};
use plugd_config::DeviceIdentity;
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "sayberx";

/// Before the speed digits.
const SPEED_COMMAND: &[u8] = b"AT+SPD";
/// The ring's advertised-name prefix and its configuration's identifier.
const RING: &str = "X-Ring";

/// No identification exchange: the identifier comes from the advertised name alone.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    Vec::new()
}

/// `X-Ring` for any `X-Ring <suffix>` name, else the advertised name.
pub fn resolve_identifier(identity: &DeviceIdentity, _replies: &[InitReply]) -> Option<String> {
    let is_ring = identity
        .name
        .strip_prefix(RING)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '));
    Some(if is_ring {
        RING.to_owned()
    } else {
        identity.name.clone()
    })
}

/// One `AT+SPD<s>0` write per changed output.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate;
/// [`ProtocolError::Definition`] for a feature the device lacks or a speed beyond one digit.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
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
            let digit = u8::try_from(speed)
                .ok()
                .filter(|speed| *speed <= 9)
                .map(|speed| b'0' + speed)
                .ok_or_else(|| {
                    ProtocolError::Definition(format!("speed {speed} is not one digit"))
                })?;
            let mut data = SPEED_COMMAND.to_vec();
            data.extend([digit, b'0']);
            Ok(HardwareCommand::write(Endpoint::Tx, data))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use plugd_config::Transport;
    use OutputKind::Vibrate;

    fn identity(name: &str) -> DeviceIdentity {
        DeviceIdentity::named(Transport::Btle, name, "address")
    }

    #[test]
    fn ring_names_resolve_to_the_ring_configuration() {
        assert!(identify_steps(&identity("X-Ring 0F313B")).is_empty());
        for (name, identifier) in [
            ("X-Ring 0F313B", "X-Ring"),
            ("X-Ring", "X-Ring"),
            ("SayberX", "SayberX"),
            ("X-Ringo", "X-Ringo"),
        ] {
            assert_eq!(
                resolve_identifier(&identity(name), &[]).as_deref(),
                Some(identifier),
                "{name}"
            );
        }
        let ring = Harness::builtin(NAME, Some("X-Ring"));
        assert_eq!(ring.definition.name, "Sayber X-Ring");
        assert!(ring.definition.features.is_empty());
    }

    #[test]
    fn speeds_are_at_spd_with_a_trailing_zero() {
        // stpihkal issue #66: 41 54 2B 53 50 44 <30–34> 30.
        let mut device = Harness::builtin(NAME, Some("SayberX"));
        assert_eq!(device.definition.name, "SayberX");
        for (speed, text) in [(1, b"AT+SPD10"), (2, b"AT+SPD20"), (4, b"AT+SPD40")] {
            assert_eq!(
                device.set(&[(0, Vibrate, speed)]),
                vec![write(Endpoint::Tx, text)],
                "speed {speed}"
            );
        }
        assert_eq!(
            device.stop(),
            vec![write(
                Endpoint::Tx,
                &[0x41, 0x54, 0x2B, 0x53, 0x50, 0x44, 0x30, 0x30]
            )]
        );
    }

    #[test]
    fn other_outputs_and_out_of_range_speeds_are_errors() {
        let mut device = Harness::builtin(NAME, Some("SayberX"));
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 10)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut ring = Harness::builtin(NAME, Some("X-Ring"));
        assert!(matches!(
            ring.try_set(&[(0, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

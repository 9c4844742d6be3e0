//! Hgod: vibrators advertised as "AMN NEO" ("Hgod Device"); one vibrator, speeds 0–10.
//!
//! **Wire format.** A running speed is the six-byte write `55 04 00 00 00 <speed>` to `tx`
//! (`ffe1` of service `ffe3`), without response. The toy stops on its own unless it hears the
//! speed again and again: upstream runs a loop that re-sends the current speed every 100 ms
//! while it is above 0, and writes nothing at all for 0 — the toy stops by going quiet.
//!
//! **plugd.** The loop is the Device's keepalive ([`KEEPALIVE`], 100 ms): `encode` writes the
//! speed packet at once (upstream's first write waits for the loop's next tick, up to 100 ms)
//! and the Device repeats it after 100 ms of silence. Speed 0 encodes to no command, which
//! also ends the repeats — so a Stop writes nothing, as upstream (test_hgod_protocol.yaml
//! expects no bytes after its Stop). The Device's stop right after connecting (for keepalive
//! protocols) likewise writes nothing.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/hgod.rs` of buttplugio/buttplug and its
//! `test_hgod_protocol.yaml`; same bytes as upstream.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "hgod";

/// How often the running speed is repeated (upstream's loop period).
pub const KEEPALIVE: Duration = Duration::from_millis(100);

/// The five bytes before the speed.
const HEADER: [u8; 5] = [0x55, 0x04, 0x00, 0x00, 0x00];

/// One `55 04 00 00 00 <speed>` write per changed vibrator running above 0; nothing for 0.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a feature without a vibrator or a speed beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mut commands = Vec::new();
    for &(feature, kind) in context.changed {
        let speed = speed_byte(context, feature, kind)?;
        if speed != 0 {
            let mut data = HEADER.to_vec();
            data.push(speed);
            commands.push(HardwareCommand::write(Endpoint::Tx, data));
        }
    }
    Ok(commands)
}

/// The vibrator's current speed as a byte, after checking the feature has a vibrator.
fn speed_byte(
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
        .map_err(|_| ProtocolError::Definition(format!("speed {speed} does not fit in a byte")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn neo() -> Harness {
        Harness::builtin(NAME, Some("AMN NEO"))
    }

    fn tx(speed: u8) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, &[0x55, 0x04, 0x00, 0x00, 0x00, speed])]
    }

    #[test]
    fn running_speeds_are_written_at_once_and_stop_writes_nothing() {
        // test_hgod_protocol.yaml: 0.5 → 5, 1.0 → 10, then Stop with no bytes.
        let mut device = neo();
        assert_eq!(device.definition.name, "Hgod Device");
        assert_eq!(device.set(&[(0, Vibrate, 5)]), tx(5));
        assert_eq!(device.set(&[(0, Vibrate, 10)]), tx(10));
        assert_eq!(device.stop(), Vec::new());
        assert_eq!(device.set(&[(0, Vibrate, 1)]), tx(1));
        assert_eq!(device.set(&[(0, Vibrate, 0)]), Vec::new());
    }

    #[test]
    fn the_speed_is_repeated_every_100_ms() {
        assert_eq!(
            crate::find(NAME).and_then(|protocol| protocol.keepalive),
            Some(Duration::from_millis(100))
        );
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = neo();
        assert!(matches!(
            device.try_set(&[(0, Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

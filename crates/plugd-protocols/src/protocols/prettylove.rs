//! Pretty Love: app-controlled vibrators advertised as "Aogu BLE …" (and "AB Shutter3 [Aogu BLE
//! Device]"); one vibrator, speeds 0–3.
//!
//! **Identification.** Every device gets the identifier `Aogu BLE`, whatever its advertised name
//! (upstream's identifier does the same), so user-config entries written by Intiface Central
//! for these devices keep applying. The database has no configurations: the defaults ("Pretty
//! Love Device") apply.
//!
//! **Wire format.** One two-byte write to the control characteristic (`tx`, `ffe9`) *with*
//! response per changed vibrator: `00 <speed>`; `00 00` stops. The stpihkal notes on this line
//! list what the second byte does — `00` all vibration off, `01`–`0c` vibration patterns,
//! `6e`–`71` electro-shock controls, `ff` everything off — so the 0–3 speeds select the first
//! three patterns, as upstream sends them. No init, no keepalive, stateless. (The info
//! characteristic `rx`, `ffe2`, answers battery and product queries; the database declares no
//! input, so nothing reads it.)
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/prettylove.rs` of buttplugio/buttplug
//! (no device case upstream) and buttplugio/stpihkal `protocols/prettylove.md`; same bytes as
//! upstream.

use crate::{EncodeContext, InitReply, InitStep, ProtocolError};
use plugd_config::DeviceIdentity;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "prettylove";

/// The identifier every Pretty Love device gets.
pub const IDENTIFIER: &str = "Aogu BLE";

/// Nothing to ask the device.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    Vec::new()
}

/// Always [`IDENTIFIER`].
pub fn resolve_identifier(_identity: &DeviceIdentity, _replies: &[InitReply]) -> Option<String> {
    Some(IDENTIFIER.to_string())
}

/// One `00 <speed>` write, with response, per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a feature without a vibrator or a speed beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let speed = speed_byte(context, feature, kind)?;
            Ok(HardwareCommand::write_with_response(
                Endpoint::Tx,
                vec![0x00, speed],
            ))
        })
        .collect()
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
    use crate::testing::{write_with_response, Harness};
    use plugd_config::Transport;
    use OutputKind::{Rotate, Vibrate};

    fn pretty_love() -> Harness {
        Harness::builtin(NAME, Some(IDENTIFIER))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write_with_response(Endpoint::Tx, bytes)
    }

    #[test]
    fn every_device_is_identified_as_aogu_ble_without_asking_it() {
        for name in ["Aogu BLE Jefferson", "AB Shutter3 [Aogu BLE Device]"] {
            let identity = DeviceIdentity::named(Transport::Btle, name, "aa:bb");
            assert!(identify_steps(&identity).is_empty());
            assert_eq!(
                resolve_identifier(&identity, &[]),
                Some("Aogu BLE".to_string())
            );
        }
        let registered = crate::find(NAME).expect("registered");
        assert!(registered.identify_steps.is_some());
        assert!(registered.resolve_identifier.is_some());
    }

    #[test]
    fn the_identifier_falls_back_to_the_defaults() {
        assert_eq!(pretty_love().definition.name, "Pretty Love Device");
    }

    #[test]
    fn speeds_are_written_with_response_after_a_zero_byte() {
        let mut device = pretty_love();
        assert_eq!(device.set(&[(0, Vibrate, 1)]), vec![tx(&[0x00, 0x01])]);
        assert_eq!(device.set(&[(0, Vibrate, 2)]), vec![tx(&[0x00, 0x02])]);
        assert_eq!(device.set(&[(0, Vibrate, 3)]), vec![tx(&[0x00, 0x03])]);
        assert_eq!(device.stop(), vec![tx(&[0x00, 0x00])]);
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = pretty_love();
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

//! Youou: the Youou Wand Vibrator, advertised as "VX001_…"; one vibrator, speeds 0–255.
//!
//! **Identification.** Every device gets the identifier `VX001_`, whatever follows that prefix
//! in its advertised name. The database has no configurations, so the defaults apply. Upstream
//! files the identifier under the protocol name `Youou` (capital Y), which is not the database
//! key, so its lookup finds no definition and the device never connects there
//! (device-config.md §2.3); plugd uses the database key.
//!
//! **Wire format.** One seventeen-byte write to `tx`, without response, per changed vibrator:
//!
//! | bytes | meaning |
//! |---|---|
//! | `aa 55` | header |
//! | `<id>` | packet number, +1 per packet, wrapping at 256 |
//! | `02 03 01` | fixed |
//! | `<speed>` | 0–255 (upstream notes that values above about 247 select patterns instead) |
//! | `<on>` | `01` while running, `00` at 0 |
//! | `<xor>` | XOR of the eight bytes before it |
//! | `ff 00 00 00 00 00 00 00` | fixed |
//!
//! The packet number is the Device's session counter (the number of packets written so far on
//! this connection), so the first packet is numbered 0 like upstream's and a deduplicated
//! repeat, which writes nothing, does not advance it. No init, no keepalive.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/youou.rs` of buttplugio/buttplug (no
//! device case upstream); same bytes as upstream.

use crate::{EncodeContext, InitReply, InitStep, ProtocolError};
use plugd_config::DeviceIdentity;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "youou";

/// The identifier every Youou device gets.
pub const IDENTIFIER: &str = "VX001_";

/// The two bytes every packet starts with.
const HEADER: [u8; 2] = [0xAA, 0x55];
/// The three fixed bytes after the packet number.
const COMMAND: [u8; 3] = [0x02, 0x03, 0x01];
/// The fixed tail after the check byte.
const TRAILER: [u8; 8] = [0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

/// Nothing to ask the device.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    Vec::new()
}

/// Always [`IDENTIFIER`].
pub fn resolve_identifier(_identity: &DeviceIdentity, _replies: &[InitReply]) -> Option<String> {
    Some(IDENTIFIER.to_string())
}

/// One numbered packet per changed vibrator (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a feature without a vibrator or a speed beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .enumerate()
        .map(|(position, &(feature, kind))| {
            let speed = speed_byte(context, feature, kind)?;
            Ok(HardwareCommand::write(
                Endpoint::Tx,
                packet(packet_id(context, position), speed),
            ))
        })
        .collect()
}

/// The number of the `position`-th packet of this call: the session counter plus the position,
/// mod 256 (upstream's counter is a wrapping `u8`).
fn packet_id(context: &EncodeContext<'_>, position: usize) -> u8 {
    // Both truncations are the wrap-around of upstream's u8 counter.
    (context.session.counter as u8).wrapping_add(position as u8)
}

/// The seventeen bytes of one packet.
fn packet(id: u8, speed: u8) -> Vec<u8> {
    let mut data = HEADER.to_vec();
    data.push(id);
    data.extend(COMMAND);
    data.push(speed);
    data.push(u8::from(speed != 0));
    let check = data.iter().fold(0u8, |check, byte| check ^ byte);
    data.push(check);
    data.extend(TRAILER);
    data
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
    use plugd_config::Transport;
    use OutputKind::{Oscillate, Vibrate};

    fn wand() -> Harness {
        Harness::builtin(NAME, Some(IDENTIFIER))
    }

    /// The expected write for packet `id` at `speed`, with its check byte worked out by hand.
    fn expected(id: u8, speed: u8, on: u8, check: u8) -> Vec<HardwareCommand> {
        vec![write(
            Endpoint::Tx,
            &[
                0xaa, 0x55, id, 0x02, 0x03, 0x01, speed, on, check, 0xff, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00,
            ],
        )]
    }

    #[test]
    fn every_device_is_identified_by_the_name_prefix_without_asking_it() {
        let identity = DeviceIdentity::named(Transport::Btle, "VX001_A1B2", "aa:bb");
        assert!(identify_steps(&identity).is_empty());
        assert_eq!(
            resolve_identifier(&identity, &[]),
            Some("VX001_".to_string())
        );
        assert_eq!(wand().definition.name, "Youou Wand Vibrator");
    }

    #[test]
    fn packets_are_numbered_from_zero_and_checked_with_xor() {
        // aa ^ 55 = ff; ff ^ 02 ^ 03 ^ 01 = ff; the check is ff ^ id ^ speed ^ running flag.
        let mut device = wand();
        assert_eq!(
            device.set(&[(0, Vibrate, 128)]),
            expected(0, 0x80, 0x01, 0x7e)
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 255)]),
            expected(1, 0xff, 0x01, 0x00)
        );
        assert_eq!(device.stop(), expected(2, 0x00, 0x00, 0xfd));
        assert_eq!(
            device.set(&[(0, Vibrate, 1)]),
            expected(3, 0x01, 0x01, 0xfc)
        );
    }

    #[test]
    fn the_packet_number_wraps_after_255() {
        let mut device = wand();
        device.session.counter = 255;
        assert_eq!(
            device.set(&[(0, Vibrate, 10)]),
            expected(255, 10, 0x01, 0x0b)
        );
        assert_eq!(device.set(&[(0, Vibrate, 11)]), expected(0, 11, 0x01, 0xf5));
    }

    #[test]
    fn other_outputs_missing_features_and_oversized_speeds_are_errors() {
        let mut device = wand();
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 1)]),
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
        // Nothing was written, so the packet number did not move.
        assert_eq!(device.session.counter, 0);
    }
}

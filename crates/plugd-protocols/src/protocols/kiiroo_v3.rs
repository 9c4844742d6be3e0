//! Kiiroo v3: the Kiiroo Keon with Wi-Fi, advertised as "KEON WIFI" or "Keon Wifi" (positions
//! 0–99), and the Keon 2, "KEON2" (positions 0–100). A stroker (feature 0,
//! hw_position_with_duration) and a battery (feature 1).
//!
//! **Moves.** Upstream drives these toys with the Kiiroo v2.1 handler, unchanged and without
//! init, and so does plugd (`kiiroo_v21`): a move is `03 00 <speed> <position>` to `tx` without
//! response, the speed from the Launch curve over the distance from the previous position (0
//! before the first move) and the requested duration. A Stop writes nothing (a Stop never
//! zeroes a position). No keepalive. (The entry maps `tx` twice: `1800` of service `1900`, the
//! one the v4 entry has, and `1801` of service `1400`; which one a BLE transport binds is the
//! transport's business.)
//!
//! **Battery.** Upstream's v2.1 handler reads 20 bytes from `whitelist` and takes byte 5. The
//! v4 entry had no `whitelist`; the current (v5) entry, which plugd's database follows, maps it
//! to `2a19` of service `1400` — the standard BLE Battery Level characteristic, whose value is
//! one byte, the percentage. Upstream's 20-byte check refuses that answer, so its battery read
//! cannot succeed on this entry. plugd reads `whitelist` and accepts both shapes: one byte (the
//! standard Battery Level) or the 20-byte v2.1 block (byte 5); anything else is a bad reply.
//!
//! The protocol's defaults have no features: an unknown name gets a device with nothing to
//! drive.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/kiiroo_v3.rs` (and `kiiroo_v21.rs`) of
//! buttplugio/buttplug, no device case upstream; same move bytes as upstream.

use crate::{EncodeContext, InputReadPlan, ProtocolError, ReadSource};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, InputKind};

/// Database key.
pub const NAME: &str = "kiiroo-v3";

/// The standard BLE Battery Level value: one byte.
const BATTERY_LEVEL_LENGTH: usize = 1;
/// The Kiiroo v2.1 battery block.
const V21_BLOCK_LENGTH: usize = 20;
/// Where the percentage sits in that block.
const V21_BATTERY_BYTE: usize = 5;

/// The Kiiroo v2.1 packets.
///
/// # Errors
/// As `kiiroo_v21::encode`: [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate
/// and hw_position_with_duration, [`ProtocolError::Definition`] for a value beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
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
    super::kiiroo_v21::encode_for(NAME, context)
}

/// Battery: a read of `whitelist`, parsed by [`parse_battery`] (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedInput`] for any other input kind.
pub fn read_input(
    _definition: &DeviceDefinition,
    feature: FeatureIndex,
    kind: InputKind,
) -> Result<InputReadPlan, ProtocolError> {
    match kind {
        InputKind::Battery => Ok(InputReadPlan {
            send: Vec::new(),
            source: ReadSource::Read {
                endpoint: Endpoint::Whitelist,
                length: 0,
            },
            parse: parse_battery,
        }),
        other => Err(ProtocolError::UnsupportedInput {
            protocol: NAME,
            what: format!("{other} on feature {feature}"),
        }),
    }
}

/// One byte (BLE Battery Level) or 20 bytes (Kiiroo v2.1, byte 5): a percentage.
///
/// # Errors
/// [`ProtocolError::BadReply`] for another length or a value above 100.
fn parse_battery(reply: &[u8]) -> Result<i32, ProtocolError> {
    let level = match reply.len() {
        BATTERY_LEVEL_LENGTH => reply.first(),
        V21_BLOCK_LENGTH => reply.get(V21_BATTERY_BYTE),
        other => {
            return Err(ProtocolError::BadReply(format!(
                "battery read of {other} bytes, expected {BATTERY_LEVEL_LENGTH} or \
                 {V21_BLOCK_LENGTH}"
            )))
        }
    };
    match level.copied() {
        Some(percent) if percent <= 100 => Ok(i32::from(percent)),
        other => Err(ProtocolError::BadReply(format!(
            "battery level {other:?} is not a percentage"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use plugd_core::OutputKind;
    use OutputKind::{HwPositionWithDuration, Vibrate};

    fn keon() -> Harness {
        Harness::builtin(NAME, Some("KEON WIFI"))
    }

    fn tx(bytes: &[u8]) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, bytes)]
    }

    #[test]
    fn both_advertised_names_are_the_keon() {
        assert_eq!(keon().definition.name, "Kiiroo Keon");
        assert_eq!(
            Harness::builtin(NAME, Some("Keon Wifi")).definition.name,
            "Kiiroo Keon"
        );
        assert!(Harness::builtin(NAME, None).definition.features.is_empty());
    }

    #[test]
    fn the_keon_2_moves_over_0_to_100() {
        let mut keon2 = Harness::builtin(NAME, Some("KEON2"));
        assert_eq!(keon2.definition.name, "Kiiroo Keon 2");
        assert_eq!(
            keon2.set_with_duration(&[(0, HwPositionWithDuration, 100, Some(500))]),
            tx(&[0x03, 0x00, 40, 100])
        );
    }

    #[test]
    fn moves_carry_the_launch_speed_from_the_previous_position() {
        let mut device = keon();
        // From 0 to 99 in 500 ms, then back to 0 in 100 ms (the Launch curve's 40 and 219).
        assert_eq!(
            device.set_with_duration(&[(0, HwPositionWithDuration, 99, Some(500))]),
            tx(&[0x03, 0x00, 40, 99])
        );
        assert_eq!(
            device.set_with_duration(&[(0, HwPositionWithDuration, 0, Some(100))]),
            tx(&[0x03, 0x00, 219, 0])
        );
        // Half the stroke from 0 in 500 ms: the same curve.
        assert_eq!(
            device.set_with_duration(&[(0, HwPositionWithDuration, 50, Some(500))]),
            tx(&[
                0x03,
                0x00,
                super::super::kiiroo_v2::launch_speed(0, 50, 500),
                50
            ])
        );
    }

    #[test]
    fn stop_writes_nothing_to_a_stroker() {
        let mut device = keon();
        device.set_with_duration(&[(0, HwPositionWithDuration, 30, Some(300))]);
        assert_eq!(device.stop(), Vec::new());
    }

    #[test]
    fn battery_reads_the_whitelist_endpoint() {
        let device = keon();
        let plan =
            read_input(&device.definition, FeatureIndex(1), InputKind::Battery).expect("battery");
        assert!(plan.send.is_empty());
        assert_eq!(
            plan.source,
            ReadSource::Read {
                endpoint: Endpoint::Whitelist,
                length: 0
            }
        );
        assert!(matches!(
            read_input(&device.definition, FeatureIndex(1), InputKind::Pressure),
            Err(ProtocolError::UnsupportedInput { protocol: NAME, .. })
        ));
    }

    #[test]
    fn battery_accepts_the_ble_battery_level_and_the_v21_block() {
        assert_eq!(parse_battery(&[64]), Ok(64));
        assert_eq!(parse_battery(&[0]), Ok(0));
        assert_eq!(parse_battery(&[100]), Ok(100));
        let mut block = [0u8; 20];
        block[5] = 87;
        assert_eq!(parse_battery(&block), Ok(87));
    }

    #[test]
    fn battery_garbage_is_a_bad_reply() {
        let mut too_high = [0u8; 20];
        too_high[5] = 101;
        let cases: [&[u8]; 5] = [&[], &[101], &[50, 50], &[0; 21], &too_high];
        for reply in cases {
            assert!(
                matches!(parse_battery(reply), Err(ProtocolError::BadReply(_))),
                "{reply:?}"
            );
        }
    }

    #[test]
    fn vibration_and_features_the_keon_lacks_are_errors() {
        let mut device = keon();
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set_with_duration(&[(0, HwPositionWithDuration, 300, Some(10))]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

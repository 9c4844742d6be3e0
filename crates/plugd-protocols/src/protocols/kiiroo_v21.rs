//! Kiiroo v2.1 (Pearl 2.1/2+/3, Cliona, Titan 1.1, the OhMiBod 4.0 family, Hot Octopuss Pulse):
//! short packets written to `tx` without response, one per changed output:
//!
//! | output | packet |
//! |---|---|
//! | vibrate | `01 <speed>` (the database value: 0–100, 0–6 for the Pulse) |
//! | hw_position_with_duration (Titan 1.1) | `03 00 <speed> <position>`, position 0–99, speed from the Launch curve (`kiiroo_v2::launch_speed`) over the distance from the previous position |
//!
//! **Battery** (Pearl 2.1): a read of the `whitelist` endpoint returns 20 bytes, byte 5 being the
//! percentage; any other length is refused (upstream: "maybe not the Kiiroo Pearl 2.1?").
//!
//! Upstream also carries an unfinished (commented-out) pressure-sensor subscription for the
//! Pearl 2.1; the database declares no such input and plugd has none.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/kiiroo_v21.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InputReadPlan, ProtocolError, ReadSource};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, InputKind, OutputKind};

/// Database key.
pub const NAME: &str = "kiiroo-v21";

/// Bytes a battery read of `whitelist` returns.
const BATTERY_READ_LENGTH: usize = 20;
/// Where the percentage sits in them.
const BATTERY_BYTE: usize = 5;

/// One packet per changed output (see the module table).
///
/// # Errors
/// See [`encode_for`].
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    encode_for(NAME, context)
}

/// The v2.1 packets, for this protocol and for `kiiroo-v21-initialized` (`protocol` names the
/// one in errors).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and
/// hw_position_with_duration; [`ProtocolError::Definition`] for a value that does not fit a byte.
pub(crate) fn encode_for(
    protocol: &'static str,
    context: &EncodeContext<'_>,
) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let data = match kind {
                OutputKind::Vibrate => {
                    let value = context.value(feature, kind);
                    let speed = u8::try_from(value).map_err(|_| {
                        ProtocolError::Definition(format!(
                            "feature {feature} vibrate value {value} does not fit a byte"
                        ))
                    })?;
                    vec![0x01, speed]
                }
                OutputKind::HwPositionWithDuration => {
                    let (position, speed) = super::kiiroo_v2::move_bytes(context, feature)?;
                    vec![0x03, 0x00, speed, position]
                }
                other => {
                    return Err(ProtocolError::UnsupportedOutput {
                        protocol,
                        kind: other,
                    })
                }
            };
            Ok(HardwareCommand::write(Endpoint::Tx, data))
        })
        .collect()
}

/// Battery: read 20 bytes of `whitelist`, byte 5 is the percentage.
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
                length: BATTERY_READ_LENGTH as u32,
            },
            parse: parse_battery,
        }),
        other => Err(ProtocolError::UnsupportedInput {
            protocol: NAME,
            what: format!("{other} on feature {feature}"),
        }),
    }
}

/// Byte 5 of exactly 20 bytes.
///
/// # Errors
/// [`ProtocolError::BadReply`] for another length or a value above 100.
fn parse_battery(reply: &[u8]) -> Result<i32, ProtocolError> {
    if reply.len() != BATTERY_READ_LENGTH {
        return Err(ProtocolError::BadReply(format!(
            "battery read of {} bytes, expected {BATTERY_READ_LENGTH}",
            reply.len()
        )));
    }
    match reply.get(BATTERY_BYTE).copied() {
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
    use OutputKind::{HwPositionWithDuration, Oscillate, Vibrate};

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn vibration_writes_01_and_the_speed() {
        let mut pearl = Harness::builtin(NAME, Some("Pearl2.1"));
        assert_eq!(pearl.definition.name, "Kiiroo Pearl 2.1");
        assert_eq!(pearl.set(&[(0, Vibrate, 0)]), vec![tx(&[0x01, 0])]);
        assert_eq!(pearl.set(&[(0, Vibrate, 50)]), vec![tx(&[0x01, 50])]);
        assert_eq!(pearl.set(&[(0, Vibrate, 100)]), vec![tx(&[0x01, 100])]);
        assert_eq!(pearl.stop(), vec![tx(&[0x01, 0])]);
    }

    #[test]
    fn pulse_vibrates_in_six_steps() {
        let mut pulse = Harness::builtin(NAME, Some("Pulse Interactive"));
        assert_eq!(pulse.set(&[(0, Vibrate, 6)]), vec![tx(&[0x01, 6])]);
    }

    #[test]
    fn titan_moves_and_vibrates_in_one_command() {
        let mut titan = Harness::builtin(NAME, Some("Titan1.1"));
        assert_eq!(titan.definition.name, "Kiiroo Titan 1.1");
        assert_eq!(
            titan.set_with_duration(&[
                (0, Vibrate, 30, None),
                (1, HwPositionWithDuration, 99, Some(500))
            ]),
            vec![tx(&[0x01, 30]), tx(&[0x03, 0x00, 40, 99])]
        );
        assert_eq!(
            titan.set_with_duration(&[(1, HwPositionWithDuration, 0, Some(100))]),
            vec![tx(&[0x03, 0x00, 219, 0])]
        );
        // Stop zeroes the vibrator and leaves the position alone.
        assert_eq!(titan.stop(), vec![tx(&[0x01, 0])]);
    }

    #[test]
    fn other_kinds_and_oversized_values_are_refused() {
        let mut pearl = Harness::builtin(NAME, Some("Pearl2.1"));
        assert_eq!(
            pearl.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            pearl.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn battery_reads_byte_five_of_the_whitelist_endpoint() {
        let pearl = Harness::builtin(NAME, Some("Pearl2.1"));
        let plan =
            read_input(&pearl.definition, FeatureIndex(1), InputKind::Battery).expect("battery");
        assert!(plan.send.is_empty());
        assert_eq!(
            plan.source,
            ReadSource::Read {
                endpoint: Endpoint::Whitelist,
                length: 20
            }
        );
        let mut reply = [0u8; 20];
        reply[5] = 87;
        assert_eq!((plan.parse)(&reply), Ok(87));
    }

    #[test]
    fn battery_reads_of_the_wrong_shape_are_bad_replies() {
        let mut too_high = [0u8; 20];
        too_high[5] = 101;
        let cases: [&[u8]; 4] = [&[], &[0; 6], &[0; 21], &too_high];
        for reply in cases {
            assert!(
                matches!(parse_battery(reply), Err(ProtocolError::BadReply(_))),
                "{reply:?}"
            );
        }
    }

    #[test]
    fn only_battery_can_be_read() {
        let pearl = Harness::builtin(NAME, Some("Pearl2.1"));
        assert!(matches!(
            read_input(&pearl.definition, FeatureIndex(1), InputKind::Pressure),
            Err(ProtocolError::UnsupportedInput { .. })
        ));
    }
}

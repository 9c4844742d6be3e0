//! yiciyuan: Yiciyuan FJB-01 / FJB-02 masturbation cups (v5 database): a stroker (oscillate,
//! feature 0), a vibrator (feature 1), a third axis "c" (vibrate, feature 2), all 0–100, and a
//! battery.
//!
//! **Wire format.** One sixteen-byte packet to `tx` (`ff41` of service `ff40`), without
//! response, carrying all three axes: `35 12 <stroke> <vibrate> <axis c>` and eleven `00`. The
//! firmware's axes run 0–20 (`0x14`), so each 0–100 value is scaled as upstream does,
//! rounding half up: `(value × 20 + 50) / 100` (50 → 10, 1 → 0, 3 → 1, 100 → 20). Stop is the
//! packet with every axis 0.
//!
//! **Packing.** Upstream keeps the three levels in atomics and tags every packet with one fixed
//! command id, so its message gap keeps only the newest packet of a multi-axis command; plugd
//! gets every axis changed by one client frame in one encode call and writes one packet with all
//! current values.
//!
//! **Battery.** The cup pushes its battery by itself, about once a second, as a notification on
//! `rxblebattery` (`ff42`): `35 13 01 <percent> …`. A read subscribes to `rxblebattery` and
//! parses the next notification there. The same endpoint also carries other frames (uptime ticks
//! `35 14 …`, device info `35 10 …`), which upstream skips while it waits for a battery frame;
//! the Device hands a read plan exactly one notification, so when another frame comes first the
//! read fails (try again) — skipping needs Device support (a read that keeps waiting while the
//! parser rejects the frame). The battery feature declares only `Read`, so there is no
//! subscription to serve.
//!
//! Upstream's repository has moved on past the 12.x crate: its newer FJB-02 test case expects
//! an init (subscribe `rxblebattery`, then write the device-info query `35 10` padded to 16
//! bytes) and it knows an FJB-03. plugd follows the 12.x crate and the 5.57 database, which
//! have neither.
//!
//! ref: `src/device/protocol_impl/yiciyuan.rs` of the `buttplug_server` 12 crate.

use crate::{EncodeContext, InputReadPlan, ProtocolError, ReadSource};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, InputKind, OutputKind};

/// Database key.
pub const NAME: &str = "yiciyuan";

/// The firmware's highest axis level (`0x14`).
const DEVICE_MAX: u32 = 20;
/// The highest value the database gives an axis.
const VALUE_MAX: u32 = 100;
/// Length of a motor packet.
const PACKET_LENGTH: usize = 16;
/// Axes in the packet, by feature index: stroke, vibrate, axis c.
const AXES: u32 = 3;
/// The first two bytes of a battery frame.
const BATTERY_FRAME: [u8; 2] = [0x35, 0x13];

/// One packet with every axis's current level.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and oscillate;
/// [`ProtocolError::Definition`] for a changed output the definition lacks or a feature beyond
/// the three axes.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if !matches!(kind, OutputKind::Vibrate | OutputKind::Oscillate) {
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
        if feature.0 >= AXES {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} is not one of the three axes"
            )));
        }
    }
    let mut packet = vec![0u8; PACKET_LENGTH];
    packet[0] = 0x35;
    packet[1] = 0x12;
    for (axis, byte) in (0..AXES).zip(packet.iter_mut().skip(2)) {
        let feature = FeatureIndex(axis);
        let value = context
            .definition
            .feature(feature)
            .and_then(|found| {
                [OutputKind::Oscillate, OutputKind::Vibrate]
                    .into_iter()
                    .find(|kind| found.output(*kind).is_some())
            })
            .map(|kind| context.value(feature, kind))
            .unwrap_or(0);
        *byte = level(value);
    }
    Ok(vec![HardwareCommand::write(Endpoint::Tx, packet)])
}

/// A 0–100 value as a 0–20 firmware level, rounded half up (negative values count as 0).
fn level(value: i32) -> u8 {
    let value = u32::try_from(value).unwrap_or(0).min(VALUE_MAX);
    u8::try_from((value * DEVICE_MAX + VALUE_MAX / 2) / VALUE_MAX).unwrap_or(u8::MAX)
}

/// Battery: subscribe to `rxblebattery` and parse the next notification there.
///
/// # Errors
/// [`ProtocolError::UnsupportedInput`] for anything but a declared battery.
pub fn read_input(
    definition: &DeviceDefinition,
    feature: FeatureIndex,
    kind: InputKind,
) -> Result<InputReadPlan, ProtocolError> {
    let declared = definition
        .feature(feature)
        .and_then(|found| found.input(kind))
        .is_some();
    if kind != InputKind::Battery || !declared {
        return Err(ProtocolError::UnsupportedInput {
            protocol: NAME,
            what: format!("{kind} of feature {feature}"),
        });
    }
    Ok(InputReadPlan {
        send: vec![HardwareCommand::Subscribe {
            endpoint: Endpoint::RxBleBattery,
        }],
        source: ReadSource::Notification {
            endpoint: Endpoint::RxBleBattery,
        },
        parse: parse_battery,
    })
}

/// `35 13 01 <percent> …` → the percentage (at most 100).
///
/// # Errors
/// [`ProtocolError::BadReply`] for a frame that is not a battery frame.
pub fn parse_battery(bytes: &[u8]) -> Result<i32, ProtocolError> {
    match bytes {
        [first, second, _, percent, ..] if [*first, *second] == BATTERY_FRAME => {
            Ok(i32::from((*percent).min(100)))
        }
        _ => Err(ProtocolError::BadReply(format!(
            "not a Yiciyuan battery frame: {bytes:02x?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Rotate, Vibrate};

    fn packet(stroke: u8, vibrate: u8, axis_c: u8) -> HardwareCommand {
        let mut bytes = vec![0x35, 0x12, stroke, vibrate, axis_c];
        bytes.resize(16, 0x00);
        write(Endpoint::Tx, &bytes)
    }

    fn cup() -> Harness {
        Harness::builtin(NAME, Some("YCY-FJB-01"))
    }

    #[test]
    fn both_models_have_three_axes_and_a_battery() {
        assert_eq!(cup().definition.name, "Yiciyuan FJB-01");
        let second = Harness::builtin(NAME, Some("YCY-FJB-02"));
        assert_eq!(second.definition.name, "Yiciyuan FJB-02");
        assert_eq!(second.definition.outputs_of(Vibrate).count(), 2);
        assert_eq!(second.definition.outputs_of(Oscillate).count(), 1);
    }

    #[test]
    fn values_are_scaled_to_twenty_levels_rounding_half_up() {
        for (value, expected) in [
            (0, 0),
            (1, 0),
            (2, 0),
            (3, 1),
            (50, 10),
            (52, 10),
            (53, 11),
            (99, 20),
            (100, 20),
            (250, 20),
            (-5, 0),
        ] {
            assert_eq!(level(value), expected, "value {value}");
        }
    }

    #[test]
    fn each_axis_fills_its_slot_and_keeps_the_others() {
        let mut device = cup();
        assert_eq!(device.set(&[(0, Oscillate, 50)]), vec![packet(10, 0, 0)]);
        assert_eq!(device.set(&[(1, Vibrate, 100)]), vec![packet(10, 20, 0)]);
        assert_eq!(device.set(&[(2, Vibrate, 25)]), vec![packet(10, 20, 5)]);
        assert_eq!(device.set(&[(0, Oscillate, 0)]), vec![packet(0, 20, 5)]);
    }

    #[test]
    fn several_axes_in_one_command_make_one_packet_and_stop_makes_one_too() {
        let mut device = cup();
        assert_eq!(
            device.set(&[(0, Oscillate, 100), (1, Vibrate, 50), (2, Vibrate, 10)]),
            vec![packet(20, 10, 2)]
        );
        assert_eq!(device.stop(), vec![packet(0, 0, 0)]);
    }

    #[test]
    fn upstream_fjb01_case_stop_then_three_axes_then_stop() {
        // test_yiciyuan_protocol.yaml (upstream, after 12.0): Stop, Scalar 0.5 / 0.75 / 0.25
        // (ceil(0.5 * 100) = 50 → 10, 75 → 15, 25 → 5), Stop.
        let mut device = cup();
        assert_eq!(device.stop(), vec![packet(0, 0, 0)]);
        assert_eq!(
            device.set(&[(0, Oscillate, 50), (1, Vibrate, 75), (2, Vibrate, 25)]),
            vec![packet(0x0A, 0x0F, 0x05)]
        );
        assert_eq!(device.stop(), vec![packet(0, 0, 0)]);
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut device = cup();
        assert_eq!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(3, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn battery_read_subscribes_and_waits_for_a_notification() {
        let device = cup();
        let plan = read_input(&device.definition, FeatureIndex(3), InputKind::Battery)
            .expect("battery plan");
        assert_eq!(
            plan.send,
            vec![HardwareCommand::Subscribe {
                endpoint: Endpoint::RxBleBattery
            }]
        );
        assert_eq!(
            plan.source,
            ReadSource::Notification {
                endpoint: Endpoint::RxBleBattery
            }
        );
        assert_eq!((plan.parse)(&[0x35, 0x13, 0x01, 0x4B, 0x00]), Ok(75));
        assert!(read_input(&device.definition, FeatureIndex(0), InputKind::Battery).is_err());
        assert!(read_input(&device.definition, FeatureIndex(3), InputKind::Pressure).is_err());
    }

    #[test]
    fn battery_frames_parse_and_other_frames_are_refused() {
        assert_eq!(parse_battery(&[0x35, 0x13, 0x01, 0x64]), Ok(100));
        assert_eq!(parse_battery(&[0x35, 0x13, 0x01, 0x00, 0x07]), Ok(0));
        assert_eq!(parse_battery(&[0x35, 0x13, 0x01, 0xFF]), Ok(100));
        for garbage in [
            &[][..],
            &[0x35, 0x13, 0x01][..],
            &[0x35, 0x14, 0x00, 0x10][..],
            &[0x35, 0x10, 0x01, 0x50][..],
            &[0xFF; 8][..],
        ] {
            assert!(
                matches!(parse_battery(garbage), Err(ProtocolError::BadReply(_))),
                "{garbage:02x?}"
            );
        }
    }
}

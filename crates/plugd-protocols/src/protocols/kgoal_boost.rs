//! kgoal-boost: the kGoal Boost, a pelvic-floor trainer with no outputs. Two pressure inputs
//! (feature 0 "Pressure (Normalized)", feature 1 "Pressure (Raw)") that clients subscribe to,
//! and a battery read through the standard BLE battery characteristic (the Device's default
//! `rxblebattery` read: byte 0 is the percentage).
//!
//! Wire format: both pressure inputs come from one characteristic, `rxpressure`. Subscribing to
//! either turns its notifications on; each notification carries both values, 7 bytes or more:
//! `00 01 04 <normalized u16 BE> <raw u16 BE>` (e.g. `00 01 04 00 00 05 d3`: normalized 0, raw
//! 1491). Bytes 0–2 are constant; they are not checked, as upstream does not check them.
//!
//! Where plugd differs from the reference (`kgoal_boost.rs`): upstream keeps a bit set of
//! subscribed features in an atomic, spawns a task reading the notification stream and caches
//! the last value of each sensor. Here the protocol only says which endpoint to subscribe
//! ([`subscribe_input`]) and what a notification holds ([`parse_notification`]); the Device
//! keeps the subscribers, shares the one `rxpressure` subscription between both features (it
//! is turned off when the last subscriber of either is gone) and sends each subscriber only
//! values that changed. Upstream never reports a first reading of 0 (its cache starts at 0);
//! plugd reports a subscriber's first reading whatever it is.

use crate::{EncodeContext, NotifiedReading, ProtocolError, SubscribePlan};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, InputKind};

/// Database key.
pub const NAME: &str = "kgoal-boost";

/// The feature the normalized pressure goes to.
const NORMALIZED: FeatureIndex = FeatureIndex(0);
/// The feature the raw pressure goes to.
const RAW: FeatureIndex = FeatureIndex(1);
/// Bytes a pressure notification needs: 3 constant, two big-endian u16.
const NOTIFICATION_LENGTH: usize = 7;

/// The Boost has no outputs: any output is refused (the Device never asks, as the definition
/// lists none).
///
/// # Errors
/// `UnsupportedOutput` for whatever output was asked.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    match context.changed.first() {
        Some((_, kind)) => Err(ProtocolError::UnsupportedOutput {
            protocol: NAME,
            kind: *kind,
        }),
        None => Ok(Vec::new()),
    }
}

/// Both pressure inputs are turned on and off by subscribing `rxpressure`.
///
/// # Errors
/// `UnsupportedInput` for anything but pressure on feature 0 or 1.
pub fn subscribe_input(
    _definition: &DeviceDefinition,
    feature: FeatureIndex,
    kind: InputKind,
) -> Result<SubscribePlan, ProtocolError> {
    if kind != InputKind::Pressure || (feature != NORMALIZED && feature != RAW) {
        return Err(ProtocolError::UnsupportedInput {
            protocol: NAME,
            what: format!("{kind} on feature {feature}"),
        });
    }
    Ok(SubscribePlan {
        subscribe: vec![HardwareCommand::Subscribe {
            endpoint: Endpoint::RxPressure,
        }],
        unsubscribe: vec![HardwareCommand::Unsubscribe {
            endpoint: Endpoint::RxPressure,
        }],
    })
}

/// A `rxpressure` notification: the normalized pressure for feature 0 and the raw one for
/// feature 1. Other endpoints and notifications shorter than 7 bytes give nothing.
pub fn parse_notification(
    _definition: &DeviceDefinition,
    endpoint: Endpoint,
    bytes: &[u8],
) -> Vec<NotifiedReading> {
    if endpoint != Endpoint::RxPressure || bytes.len() < NOTIFICATION_LENGTH {
        return Vec::new();
    }
    let big_endian = |at: usize| -> Option<i32> {
        let high = bytes.get(at)?;
        let low = bytes.get(at + 1)?;
        Some(i32::from(u16::from_be_bytes([*high, *low])))
    };
    [(NORMALIZED, 3), (RAW, 5)]
        .into_iter()
        .filter_map(|(feature, at)| {
            big_endian(at).map(|value| NotifiedReading {
                feature,
                kind: InputKind::Pressure,
                value,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Harness;
    use plugd_core::{InputCommand, OutputKind};

    fn boost() -> Harness {
        Harness::builtin(NAME, None)
    }

    fn pressure(feature: u32, value: i32) -> NotifiedReading {
        NotifiedReading {
            feature: FeatureIndex(feature),
            kind: InputKind::Pressure,
            value,
        }
    }

    /// Notification bytes in, readings out.
    fn check(endpoint: Endpoint, bytes: &[u8], expected: &[NotifiedReading]) {
        let device = boost();
        assert_eq!(
            parse_notification(&device.definition, endpoint, bytes),
            expected,
            "{endpoint} {bytes:02x?}"
        );
    }

    #[test]
    fn the_builtin_definition_has_two_subscribable_pressures_and_a_readable_battery() {
        let device = boost();
        let input = |feature: u32, kind: InputKind| {
            device
                .definition
                .feature(FeatureIndex(feature))
                .and_then(|found| found.input(kind))
                .map(|input| input.commands.clone())
        };
        assert_eq!(
            input(0, InputKind::Pressure),
            Some(vec![InputCommand::Subscribe])
        );
        assert_eq!(
            input(1, InputKind::Pressure),
            Some(vec![InputCommand::Subscribe])
        );
        assert_eq!(input(2, InputKind::Battery), Some(vec![InputCommand::Read]));
    }

    #[test]
    fn either_pressure_subscribes_and_unsubscribes_rxpressure() {
        let device = boost();
        for feature in [0, 1] {
            assert_eq!(
                subscribe_input(
                    &device.definition,
                    FeatureIndex(feature),
                    InputKind::Pressure
                ),
                Ok(SubscribePlan {
                    subscribe: vec![HardwareCommand::Subscribe {
                        endpoint: Endpoint::RxPressure
                    }],
                    unsubscribe: vec![HardwareCommand::Unsubscribe {
                        endpoint: Endpoint::RxPressure
                    }],
                })
            );
        }
    }

    #[test]
    fn other_inputs_cannot_be_subscribed() {
        let device = boost();
        for (feature, kind) in [
            (2, InputKind::Battery),
            (2, InputKind::Pressure),
            (0, InputKind::Battery),
            (7, InputKind::Pressure),
        ] {
            assert!(
                matches!(
                    subscribe_input(&device.definition, FeatureIndex(feature), kind),
                    Err(ProtocolError::UnsupportedInput { .. })
                ),
                "{kind} on {feature}"
            );
        }
    }

    #[test]
    fn a_notification_carries_the_normalized_and_the_raw_pressure_big_endian() {
        check(
            Endpoint::RxPressure,
            &[0x00, 0x01, 0x04, 0x00, 0x00, 0x05, 0xd3],
            &[pressure(0, 0), pressure(1, 1491)],
        );
        check(
            Endpoint::RxPressure,
            &[0x00, 0x01, 0x04, 0x01, 0x2c, 0x07, 0xd0],
            &[pressure(0, 300), pressure(1, 2000)],
        );
        check(
            Endpoint::RxPressure,
            &[0x00, 0x01, 0x04, 0xff, 0xff, 0xff, 0xff],
            &[pressure(0, 65535), pressure(1, 65535)],
        );
    }

    #[test]
    fn bytes_past_the_seventh_are_ignored() {
        check(
            Endpoint::RxPressure,
            &[0x00, 0x01, 0x04, 0x00, 0x10, 0x00, 0x20, 0x99, 0x98],
            &[pressure(0, 16), pressure(1, 32)],
        );
    }

    #[test]
    fn short_notifications_and_other_endpoints_give_no_reading() {
        check(Endpoint::RxPressure, &[], &[]);
        check(
            Endpoint::RxPressure,
            &[0x00, 0x01, 0x04, 0x00, 0x10, 0x00],
            &[],
        );
        check(
            Endpoint::RxBleBattery,
            &[0x00, 0x01, 0x04, 0x00, 0x10, 0x00, 0x20],
            &[],
        );
        check(
            Endpoint::Rx,
            &[0x00, 0x01, 0x04, 0x00, 0x10, 0x00, 0x20],
            &[],
        );
    }

    #[test]
    fn outputs_are_refused() {
        let mut device = boost();
        assert_eq!(
            device.try_set(&[(0, OutputKind::Vibrate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: OutputKind::Vibrate
            })
        );
    }
}

//! The per-version capability lists of protocol.md §5, computed once per device from its
//! [`DeviceInfo`]: the v3 `ScalarCmd` list, the v1/v2 `VibrateCmd` list, the `RotateCmd` and
//! `LinearCmd` lists, and the readable batteries.
//!
//! **Invariant:** rendering (`DeviceAdded`, `DeviceList`) and conversion (legacy indices, §6)
//! both use [`LegacyLists`], so the n-th entry a client sees is the n-th entry a command
//! addresses. plugd uses the §5.2 type order for both, where the reference's lookup differs
//! (protocol.md §6).

use crate::model::{DeviceInfo, FeatureInfo};
use plugd_core::{FeatureIndex, InputCommand, InputKind, OutputKind};

/// Order of `ScalarCmd` entries within one feature (protocol.md §5.2).
pub(crate) const SCALAR_ORDER: [OutputKind; 8] = [
    OutputKind::Constrict,
    OutputKind::Temperature,
    OutputKind::Led,
    OutputKind::Oscillate,
    OutputKind::Position,
    OutputKind::Rotate,
    OutputKind::Spray,
    OutputKind::Vibrate,
];

/// One entry of a legacy list: an output of a feature and its step count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LegacyEntry {
    /// The feature holding the output.
    pub(crate) feature: FeatureIndex,
    /// The output.
    pub(crate) kind: OutputKind,
    /// Its step count `n` (§7.3).
    pub(crate) steps: u32,
}

/// Everything a v0–v3 client can address on one device, in advertised order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct LegacyLists {
    /// v3 `ScalarCmd`: one entry per (feature, non-positional-with-duration output).
    pub(crate) scalar: Vec<LegacyEntry>,
    /// v1/v2 `VibrateCmd` and `SingleMotorVibrateCmd`: the `scalar` entries of kind Vibrate.
    pub(crate) vibrate: Vec<LegacyEntry>,
    /// v1–v3 `RotateCmd`: Rotate outputs with a direction (range starting below 0).
    pub(crate) rotate: Vec<LegacyEntry>,
    /// v1–v3 `LinearCmd`: every `HwPositionWithDuration` output.
    pub(crate) linear: Vec<LegacyEntry>,
    /// Features with a Battery input that supports Read: v3 `SensorReadCmd` entries; the first
    /// is what `BatteryLevelCmd` and `SensorReadCmd` read.
    pub(crate) batteries: Vec<FeatureIndex>,
}

impl LegacyLists {
    /// The lists for one device.
    pub(crate) fn of(device: &DeviceInfo) -> Self {
        let mut lists = LegacyLists::default();
        for feature in features_by_index(device) {
            for kind in SCALAR_ORDER {
                if let Some(output) = feature.output(kind) {
                    let entry = LegacyEntry {
                        feature: feature.index,
                        kind,
                        steps: output.step_count(),
                    };
                    lists.scalar.push(entry);
                    if kind == OutputKind::Vibrate {
                        lists.vibrate.push(entry);
                    }
                    if kind == OutputKind::Rotate && output.is_signed() {
                        lists.rotate.push(entry);
                    }
                }
            }
            if let Some(output) = feature.output(OutputKind::HwPositionWithDuration) {
                lists.linear.push(LegacyEntry {
                    feature: feature.index,
                    kind: OutputKind::HwPositionWithDuration,
                    steps: output.step_count(),
                });
            }
            let readable_battery = feature.inputs.iter().any(|input| {
                input.kind == InputKind::Battery && input.commands.contains(&InputCommand::Read)
            });
            if readable_battery {
                lists.batteries.push(feature.index);
            }
        }
        lists
    }
}

/// The device's features in index order (they normally already are).
pub(crate) fn features_by_index(device: &DeviceInfo) -> Vec<&FeatureInfo> {
    let mut features: Vec<&FeatureInfo> = device.features.iter().collect();
    features.sort_by_key(|feature| feature.index);
    features
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn entry(feature: u32, kind: OutputKind, steps: u32) -> LegacyEntry {
        LegacyEntry {
            feature: FeatureIndex(feature),
            kind,
            steps,
        }
    }

    #[test]
    fn example_toy_lists_follow_protocol_section_5() {
        let lists = LegacyLists::of(&fixtures::example_toy());
        assert_eq!(
            lists.scalar,
            vec![
                entry(0, OutputKind::Vibrate, 20),
                entry(1, OutputKind::Rotate, 20),
                entry(2, OutputKind::Oscillate, 10),
            ]
        );
        assert_eq!(lists.vibrate, vec![entry(0, OutputKind::Vibrate, 20)]);
        assert_eq!(lists.rotate, vec![entry(1, OutputKind::Rotate, 20)]);
        assert!(lists.linear.is_empty());
        assert_eq!(lists.batteries, vec![FeatureIndex(3)]);
    }

    #[test]
    fn scalar_entries_within_a_feature_use_the_section_5_2_order() {
        let lists = LegacyLists::of(&fixtures::multi_output_toy());
        let kinds: Vec<OutputKind> = lists.scalar.iter().map(|entry| entry.kind).collect();
        assert_eq!(
            kinds,
            vec![
                OutputKind::Constrict,
                OutputKind::Oscillate,
                OutputKind::Vibrate,
                OutputKind::Vibrate,
            ]
        );
        assert_eq!(lists.vibrate.len(), 2);
    }

    #[test]
    fn one_direction_rotators_are_not_rotate_cmd_entries() {
        let lists = LegacyLists::of(&fixtures::one_way_rotator());
        assert!(lists.rotate.is_empty());
        assert_eq!(lists.scalar, vec![entry(0, OutputKind::Rotate, 10)]);
    }

    #[test]
    fn hw_position_with_duration_is_linear_only() {
        let lists = LegacyLists::of(&fixtures::launch());
        assert!(lists.scalar.is_empty());
        assert_eq!(
            lists.linear,
            vec![entry(0, OutputKind::HwPositionWithDuration, 99)]
        );
    }
}

//! Device descriptions in every version (protocol.md §5): the `DeviceList` reply, the v4
//! `DeviceList` event, and the v0–v3 `DeviceAdded` / `DeviceRemoved` events computed by
//! diffing what the session saw before against the new list (§8.5).
//!
//! The v0–v3 capability lists come from `advertised::LegacyLists`, the same lists `convert`
//! resolves legacy indices against. Structs declare their fields alphabetically so the output
//! is alphabetical as the reference's (§1.2); maps keyed by index sort as strings ("10" < "2").

use crate::advertised::{features_by_index, LegacyEntry, LegacyLists};
use crate::model::{DeviceInfo, SpecVersion};
use crate::render::frame;
use plugd_core::{DeviceIndex, Endpoint, FeatureIndex, InputCommand, InputKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// `{}`: a capability without attributes.
#[derive(Serialize)]
struct Empty {}

/// `{"Endpoints": [...]}`: the raw messages' attributes (9.x, the schema's
/// `RawMessageAttributes`), present only with raw access enabled.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RawAttributes<'a> {
    endpoints: &'a [Endpoint],
}

fn raw_attributes(device: &DeviceInfo) -> Option<RawAttributes<'_>> {
    device
        .raw_endpoints
        .as_deref()
        .map(|endpoints| RawAttributes { endpoints })
}

// ---- v4 (§5.1) ----

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeviceListV4<'a> {
    devices: BTreeMap<String, DeviceV4<'a>>,
    id: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeviceV4<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    device_display_name: Option<&'a str>,
    device_features: BTreeMap<String, FeatureV4<'a>>,
    device_index: u32,
    device_message_timing_gap: u32,
    device_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FeatureV4<'a> {
    feature_description: &'a str,
    feature_index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<BTreeMap<&'static str, InputV4<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<BTreeMap<&'static str, OutputV4>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct OutputV4 {
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<(i32, i32)>,
    value: (i32, i32),
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InputV4<'a> {
    command: Vec<&'static str>,
    value: &'a [(i32, i32)],
}

fn device_v4(device: &DeviceInfo) -> DeviceV4<'_> {
    let device_features = device
        .features
        .iter()
        .filter(|feature| !feature.outputs.is_empty() || !feature.inputs.is_empty())
        .map(|feature| {
            let output = (!feature.outputs.is_empty()).then(|| {
                feature
                    .outputs
                    .iter()
                    .map(|output| {
                        let body = OutputV4 {
                            duration: output.duration,
                            value: output.range,
                        };
                        (output.kind.wire_name(), body)
                    })
                    .collect()
            });
            let input = (!feature.inputs.is_empty()).then(|| {
                feature
                    .inputs
                    .iter()
                    .map(|input| {
                        let body = InputV4 {
                            command: input.commands.iter().map(|c| c.wire_name()).collect(),
                            value: &input.ranges,
                        };
                        (input.kind.wire_name(), body)
                    })
                    .collect()
            });
            let body = FeatureV4 {
                feature_description: &feature.description,
                feature_index: feature.index.0,
                input,
                output,
            };
            (feature.index.0.to_string(), body)
        })
        .collect();
    DeviceV4 {
        device_display_name: device.display_name.as_deref(),
        device_features,
        device_index: device.index.0,
        device_message_timing_gap: device.message_timing_gap_ms,
        device_name: &device.name,
    }
}

// ---- v3 (§5.2) ----

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EntryV3<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    device_display_name: Option<&'a str>,
    device_index: u32,
    device_message_timing_gap: u32,
    device_messages: MessagesV3<'a>,
    device_name: &'a str,
    /// Present in `DeviceAdded` (0), absent in `DeviceList` entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MessagesV3<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    linear_cmd: Vec<ActuatorV3<'a>>,
    // The raw messages: with raw access only; v3 lists no RawUnsubscribeCmd (9.x, schema).
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_read_cmd: Option<RawAttributes<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_subscribe_cmd: Option<RawAttributes<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_write_cmd: Option<RawAttributes<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rotate_cmd: Vec<ActuatorV3<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scalar_cmd: Vec<ActuatorV3<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sensor_read_cmd: Vec<SensorV3<'a>>,
    stop_device_cmd: Empty,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ActuatorV3<'a> {
    actuator_type: &'static str,
    feature_descriptor: &'a str,
    step_count: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SensorV3<'a> {
    feature_descriptor: &'a str,
    sensor_range: &'a [(i32, i32)],
    sensor_type: &'static str,
}

fn description(device: &DeviceInfo, feature: FeatureIndex) -> &str {
    device
        .feature(feature)
        .map_or("", |feature| feature.description.as_str())
}

fn messages_v3<'a>(device: &'a DeviceInfo, lists: &LegacyLists) -> MessagesV3<'a> {
    let actuators = |entries: &[LegacyEntry], linear: bool| -> Vec<ActuatorV3<'a>> {
        entries
            .iter()
            .map(|entry| ActuatorV3 {
                // LinearCmd entries are typed "Position" in v3 (§5.2).
                actuator_type: if linear {
                    "Position"
                } else {
                    entry.kind.wire_name()
                },
                feature_descriptor: description(device, entry.feature),
                step_count: entry.steps,
            })
            .collect()
    };
    let sensor_read_cmd = features_by_index(device)
        .into_iter()
        .filter(|feature| lists.batteries.contains(&feature.index))
        .flat_map(|feature| {
            feature
                .inputs
                .iter()
                .filter(|input| {
                    input.kind == InputKind::Battery && input.commands.contains(&InputCommand::Read)
                })
                .map(|input| SensorV3 {
                    feature_descriptor: &feature.description,
                    sensor_range: &input.ranges,
                    sensor_type: input.kind.wire_name(),
                })
        })
        .collect();
    MessagesV3 {
        linear_cmd: actuators(&lists.linear, true),
        raw_read_cmd: raw_attributes(device),
        raw_subscribe_cmd: raw_attributes(device),
        raw_write_cmd: raw_attributes(device),
        rotate_cmd: actuators(&lists.rotate, false),
        scalar_cmd: actuators(&lists.scalar, false),
        sensor_read_cmd,
        stop_device_cmd: Empty {},
    }
}

// ---- v0–v2 (§5.3–5.5) ----

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EntryOld<'a, M> {
    device_index: u32,
    device_messages: M,
    device_name: &'a str,
    /// Present in `DeviceAdded` (0), absent in `DeviceList` entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MessagesV2<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    battery_level_cmd: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    linear_cmd: Option<StepsV2>,
    // The raw messages: with raw access only.
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_read_cmd: Option<RawAttributes<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_subscribe_cmd: Option<RawAttributes<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_unsubscribe_cmd: Option<RawAttributes<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_write_cmd: Option<RawAttributes<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotate_cmd: Option<StepsV2>,
    stop_device_cmd: Empty,
    #[serde(skip_serializing_if = "Option::is_none")]
    vibrate_cmd: Option<StepsV2>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StepsV2 {
    feature_count: u32,
    step_count: Vec<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MessagesV1 {
    #[serde(skip_serializing_if = "Option::is_none")]
    linear_cmd: Option<CountV1>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotate_cmd: Option<CountV1>,
    #[serde(skip_serializing_if = "Option::is_none")]
    single_motor_vibrate_cmd: Option<Empty>,
    stop_device_cmd: Empty,
    #[serde(skip_serializing_if = "Option::is_none")]
    vibrate_cmd: Option<CountV1>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CountV1 {
    feature_count: u32,
}

fn steps_v2(entries: &[LegacyEntry]) -> Option<StepsV2> {
    (!entries.is_empty()).then(|| StepsV2 {
        feature_count: crate::messages::stop::count(entries.len()),
        step_count: entries.iter().map(|entry| entry.steps).collect(),
    })
}

fn count_v1(entries: &[LegacyEntry]) -> Option<CountV1> {
    (!entries.is_empty()).then(|| CountV1 {
        feature_count: crate::messages::stop::count(entries.len()),
    })
}

/// One device as a v0–v3 `DeviceList` entry (`id: None`) or `DeviceAdded` body (`Some(0)`).
#[derive(Serialize)]
#[serde(untagged)]
enum Entry<'a> {
    V3(EntryV3<'a>),
    V2(EntryOld<'a, MessagesV2<'a>>),
    V1(EntryOld<'a, MessagesV1>),
    V0(EntryOld<'a, Vec<&'static str>>),
}

fn entry(version: SpecVersion, device: &DeviceInfo, id: Option<u32>) -> Entry<'_> {
    let lists = LegacyLists::of(device);
    fn old<M>(device: &DeviceInfo, id: Option<u32>, device_messages: M) -> EntryOld<'_, M> {
        EntryOld {
            device_index: device.index.0,
            device_messages,
            device_name: &device.name,
            id,
        }
    }
    match version {
        SpecVersion::V0 => {
            let mut names = Vec::with_capacity(2);
            if !lists.vibrate.is_empty() {
                names.push("SingleMotorVibrateCmd");
            }
            names.push("StopDeviceCmd");
            Entry::V0(old(device, id, names))
        }
        SpecVersion::V1 => Entry::V1(old(
            device,
            id,
            MessagesV1 {
                linear_cmd: count_v1(&lists.linear),
                rotate_cmd: count_v1(&lists.rotate),
                single_motor_vibrate_cmd: (!lists.vibrate.is_empty()).then_some(Empty {}),
                stop_device_cmd: Empty {},
                vibrate_cmd: count_v1(&lists.vibrate),
            },
        )),
        SpecVersion::V2 => Entry::V2(old(
            device,
            id,
            MessagesV2 {
                battery_level_cmd: (!lists.batteries.is_empty()).then_some(Empty {}),
                linear_cmd: steps_v2(&lists.linear),
                raw_read_cmd: raw_attributes(device),
                raw_subscribe_cmd: raw_attributes(device),
                raw_unsubscribe_cmd: raw_attributes(device),
                raw_write_cmd: raw_attributes(device),
                rotate_cmd: steps_v2(&lists.rotate),
                stop_device_cmd: Empty {},
                vibrate_cmd: steps_v2(&lists.vibrate),
            },
        )),
        // v4 renders whole `DeviceList`s only (`device_list`), never entries.
        SpecVersion::V3 | SpecVersion::V4 => Entry::V3(EntryV3 {
            device_display_name: device.display_name.as_deref(),
            device_index: device.index.0,
            device_message_timing_gap: device.message_timing_gap_ms,
            device_messages: messages_v3(device, &lists),
            device_name: &device.name,
            id,
        }),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeviceListOld<'a> {
    devices: Vec<Entry<'a>>,
    id: u32,
}

fn sorted(devices: &[DeviceInfo]) -> Vec<&DeviceInfo> {
    let mut sorted: Vec<&DeviceInfo> = devices.iter().collect();
    sorted.sort_by_key(|device| device.index);
    sorted
}

/// The `DeviceList` frame: v0–v3 an array sorted by `DeviceIndex`, v4 an object keyed by it.
pub(crate) fn device_list(version: SpecVersion, id: u32, devices: &[DeviceInfo]) -> String {
    match version {
        SpecVersion::V4 => frame(
            "DeviceList",
            &DeviceListV4 {
                devices: devices
                    .iter()
                    .map(|device| (device.index.0.to_string(), device_v4(device)))
                    .collect(),
                id,
            },
        ),
        _ => frame(
            "DeviceList",
            &DeviceListOld {
                devices: sorted(devices)
                    .into_iter()
                    .map(|device| entry(version, device, None))
                    .collect(),
                id,
            },
        ),
    }
}

/// The v0–v3 `DeviceAdded` event.
fn device_added(version: SpecVersion, device: &DeviceInfo) -> String {
    frame("DeviceAdded", &entry(version, device, Some(0)))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeviceRemoved {
    device_index: u32,
    id: u32,
}

/// The v0–v3 `DeviceRemoved` event.
fn device_removed(index: DeviceIndex) -> String {
    frame(
        "DeviceRemoved",
        &DeviceRemoved {
            device_index: index.0,
            id: 0,
        },
    )
}

/// True when the two lists do not hold the same devices (in any order): v4 then sends the
/// whole new list.
pub(crate) fn differs(previous: &[DeviceInfo], current: &[DeviceInfo]) -> bool {
    sorted(previous) != sorted(current)
}

/// The events that tell a client the device list went from `previous` to `current` (§8.5).
pub(crate) fn changed(
    version: SpecVersion,
    previous: &[DeviceInfo],
    current: &[DeviceInfo],
) -> Vec<String> {
    if version == SpecVersion::V4 {
        return if differs(previous, current) {
            vec![device_list(SpecVersion::V4, 0, current)]
        } else {
            Vec::new()
        };
    }
    let before = sorted(previous);
    let after = sorted(current);
    let before: BTreeMap<DeviceIndex, &DeviceInfo> = before
        .into_iter()
        .map(|device| (device.index, device))
        .collect();
    let after: BTreeMap<DeviceIndex, &DeviceInfo> = after
        .into_iter()
        .map(|device| (device.index, device))
        .collect();
    // A change this version cannot see (say, an oscillator for a v2 client) is no change.
    let looks_different = |old: &DeviceInfo, new: &DeviceInfo| {
        old != new
            && serde_json::to_string(&entry(version, old, None)).ok()
                != serde_json::to_string(&entry(version, new, None)).ok()
    };
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for (index, old) in &before {
        match after.get(index) {
            None => removed.push(*index),
            Some(new) if looks_different(old, new) => {
                removed.push(*index);
                added.push(*new);
            }
            Some(_) => {}
        }
    }
    added.extend(
        after
            .iter()
            .filter(|(index, _)| !before.contains_key(index))
            .map(|(_, device)| *device),
    );
    added.sort_by_key(|device| device.index);
    removed
        .into_iter()
        .map(device_removed)
        .chain(
            added
                .into_iter()
                .map(|device| device_added(version, device)),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::convert::ReplyShape;
    use crate::fixtures::{self, device, feature, output};
    use crate::model::{DeviceInfo, Reply};
    use crate::{render, SpecVersion};
    use plugd_core::{Endpoint, OutputKind};

    const EXAMPLE_TOY_V4: &str = concat!(
        r#"{"0":{"DeviceFeatures":{"#,
        r#""0":{"FeatureDescription":"Vibrator","FeatureIndex":0,"Output":{"Vibrate":{"Value":[0,20]}}},"#,
        r#""1":{"FeatureDescription":"Rotator","FeatureIndex":1,"Output":{"Rotate":{"Value":[-20,20]}}},"#,
        r#""2":{"FeatureDescription":"","FeatureIndex":2,"Output":{"Oscillate":{"Value":[0,10]}}},"#,
        r#""3":{"FeatureDescription":"Battery Level","FeatureIndex":3,"Input":{"Battery":{"Command":["Read"],"Value":[[0,100]]}}}},"#,
        r#""DeviceIndex":0,"DeviceMessageTimingGap":100,"DeviceName":"Example Toy"}}"#,
    );

    const EXAMPLE_TOY_V3_MESSAGES: &str = concat!(
        r#"{"RotateCmd":[{"ActuatorType":"Rotate","FeatureDescriptor":"Rotator","StepCount":20}],"#,
        r#""ScalarCmd":[{"ActuatorType":"Vibrate","FeatureDescriptor":"Vibrator","StepCount":20},"#,
        r#"{"ActuatorType":"Rotate","FeatureDescriptor":"Rotator","StepCount":20},"#,
        r#"{"ActuatorType":"Oscillate","FeatureDescriptor":"","StepCount":10}],"#,
        r#""SensorReadCmd":[{"FeatureDescriptor":"Battery Level","SensorRange":[[0,100]],"SensorType":"Battery"}],"#,
        r#""StopDeviceCmd":{}}"#,
    );

    const EXAMPLE_TOY_V2_MESSAGES: &str = r#"{"BatteryLevelCmd":{},"RotateCmd":{"FeatureCount":1,"StepCount":[20]},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1,"StepCount":[20]}}"#;
    const EXAMPLE_TOY_V1_MESSAGES: &str = r#"{"RotateCmd":{"FeatureCount":1},"SingleMotorVibrateCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1}}"#;
    const EXAMPLE_TOY_V0_MESSAGES: &str = r#"["SingleMotorVibrateCmd","StopDeviceCmd"]"#;

    fn list(version: SpecVersion, id: u32, devices: Vec<DeviceInfo>) -> String {
        render::reply(
            version,
            id,
            &ReplyShape::DeviceList,
            &Reply::DeviceList(devices),
        )
    }

    fn added(version: SpecVersion, device: DeviceInfo) -> Vec<String> {
        render::device_list_changed(version, &[], &[device])
    }

    #[test]
    fn example_toy_in_v4_is_keyed_by_index() {
        assert_eq!(
            list(SpecVersion::V4, 0, vec![fixtures::example_toy()]),
            format!(r#"[{{"DeviceList":{{"Devices":{EXAMPLE_TOY_V4},"Id":0}}}}]"#)
        );
        assert_eq!(
            added(SpecVersion::V4, fixtures::example_toy()),
            vec![format!(
                r#"[{{"DeviceList":{{"Devices":{EXAMPLE_TOY_V4},"Id":0}}}}]"#
            )]
        );
    }

    #[test]
    fn example_toy_in_v3_lists_scalar_rotate_and_battery() {
        assert_eq!(
            added(SpecVersion::V3, fixtures::example_toy()),
            vec![format!(
                r#"[{{"DeviceAdded":{{"DeviceIndex":0,"DeviceMessageTimingGap":100,"DeviceMessages":{EXAMPLE_TOY_V3_MESSAGES},"DeviceName":"Example Toy","Id":0}}}}]"#
            )]
        );
        assert_eq!(
            list(SpecVersion::V3, 7, vec![fixtures::example_toy()]),
            format!(
                r#"[{{"DeviceList":{{"Devices":[{{"DeviceIndex":0,"DeviceMessageTimingGap":100,"DeviceMessages":{EXAMPLE_TOY_V3_MESSAGES},"DeviceName":"Example Toy"}}],"Id":7}}}}]"#
            )
        );
    }

    #[test]
    fn example_toy_in_v2_hides_the_oscillator() {
        assert_eq!(
            added(SpecVersion::V2, fixtures::example_toy()),
            vec![format!(
                r#"[{{"DeviceAdded":{{"DeviceIndex":0,"DeviceMessages":{EXAMPLE_TOY_V2_MESSAGES},"DeviceName":"Example Toy","Id":0}}}}]"#
            )]
        );
    }

    #[test]
    fn example_toy_in_v1_has_feature_counts_only() {
        assert_eq!(
            list(SpecVersion::V1, 2, vec![fixtures::example_toy()]),
            format!(
                r#"[{{"DeviceList":{{"Devices":[{{"DeviceIndex":0,"DeviceMessages":{EXAMPLE_TOY_V1_MESSAGES},"DeviceName":"Example Toy"}}],"Id":2}}}}]"#
            )
        );
    }

    #[test]
    fn example_toy_in_v0_lists_message_names() {
        assert_eq!(
            added(SpecVersion::V0, fixtures::example_toy()),
            vec![format!(
                r#"[{{"DeviceAdded":{{"DeviceIndex":0,"DeviceMessages":{EXAMPLE_TOY_V0_MESSAGES},"DeviceName":"Example Toy","Id":0}}}}]"#
            )]
        );
        assert_eq!(
            added(SpecVersion::V0, fixtures::launch()),
            vec![r#"[{"DeviceAdded":{"DeviceIndex":1,"DeviceMessages":["StopDeviceCmd"],"DeviceName":"Fleshlight Launch","Id":0}}]"#.to_owned()]
        );
    }

    #[test]
    fn linear_devices_advertise_position_entries_and_durations() {
        assert_eq!(
            added(SpecVersion::V3, fixtures::launch()),
            vec![r#"[{"DeviceAdded":{"DeviceIndex":1,"DeviceMessageTimingGap":100,"DeviceMessages":{"LinearCmd":[{"ActuatorType":"Position","FeatureDescriptor":"Stroker","StepCount":99}],"SensorReadCmd":[{"FeatureDescriptor":"Battery","SensorRange":[[0,100]],"SensorType":"Battery"}],"StopDeviceCmd":{}},"DeviceName":"Fleshlight Launch","Id":0}}]"#.to_owned()]
        );
        assert_eq!(
            added(SpecVersion::V2, fixtures::launch()),
            vec![r#"[{"DeviceAdded":{"DeviceIndex":1,"DeviceMessages":{"BatteryLevelCmd":{},"LinearCmd":{"FeatureCount":1,"StepCount":[99]},"StopDeviceCmd":{}},"DeviceName":"Fleshlight Launch","Id":0}}]"#.to_owned()]
        );
        assert_eq!(
            added(SpecVersion::V4, fixtures::launch()),
            vec![r#"[{"DeviceList":{"Devices":{"1":{"DeviceFeatures":{"0":{"FeatureDescription":"Stroker","FeatureIndex":0,"Output":{"HwPositionWithDuration":{"Duration":[0,100000],"Value":[0,99]}}},"1":{"FeatureDescription":"Battery","FeatureIndex":1,"Input":{"Battery":{"Command":["Read","Subscribe"],"Value":[[0,100]]}}}},"DeviceIndex":1,"DeviceMessageTimingGap":100,"DeviceName":"Fleshlight Launch"}},"Id":0}}]"#.to_owned()]
        );
    }

    #[test]
    fn display_name_and_timing_gap_come_from_the_device_info() {
        let mut toy = device(
            12,
            "Named",
            vec![feature(
                0,
                "V",
                vec![output(OutputKind::Vibrate, 0, 5)],
                vec![],
            )],
        );
        toy.display_name = Some("My Toy".into());
        toy.message_timing_gap_ms = 50;
        assert_eq!(
            list(SpecVersion::V3, 1, vec![toy.clone()]),
            r#"[{"DeviceList":{"Devices":[{"DeviceDisplayName":"My Toy","DeviceIndex":12,"DeviceMessageTimingGap":50,"DeviceMessages":{"ScalarCmd":[{"ActuatorType":"Vibrate","FeatureDescriptor":"V","StepCount":5}],"StopDeviceCmd":{}},"DeviceName":"Named"}],"Id":1}}]"#
        );
        assert_eq!(
            list(SpecVersion::V4, 1, vec![toy.clone()]),
            r#"[{"DeviceList":{"Devices":{"12":{"DeviceDisplayName":"My Toy","DeviceFeatures":{"0":{"FeatureDescription":"V","FeatureIndex":0,"Output":{"Vibrate":{"Value":[0,5]}}}},"DeviceIndex":12,"DeviceMessageTimingGap":50,"DeviceName":"Named"}},"Id":1}}]"#
        );
        assert_eq!(
            list(SpecVersion::V2, 1, vec![toy]),
            r#"[{"DeviceList":{"Devices":[{"DeviceIndex":12,"DeviceMessages":{"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1,"StepCount":[5]}},"DeviceName":"Named"}],"Id":1}}]"#
        );
    }

    #[test]
    fn raw_access_lists_the_raw_messages_with_their_endpoints_in_v2_and_v3_only() {
        let mut toy = device(
            3,
            "Raw Toy",
            vec![feature(
                0,
                "V",
                vec![output(OutputKind::Vibrate, 0, 5)],
                vec![],
            )],
        );
        toy.raw_endpoints = Some(vec![Endpoint::Rx, Endpoint::Tx]);
        assert_eq!(
            list(SpecVersion::V3, 1, vec![toy.clone()]),
            r#"[{"DeviceList":{"Devices":[{"DeviceIndex":3,"DeviceMessageTimingGap":100,"DeviceMessages":{"RawReadCmd":{"Endpoints":["rx","tx"]},"RawSubscribeCmd":{"Endpoints":["rx","tx"]},"RawWriteCmd":{"Endpoints":["rx","tx"]},"ScalarCmd":[{"ActuatorType":"Vibrate","FeatureDescriptor":"V","StepCount":5}],"StopDeviceCmd":{}},"DeviceName":"Raw Toy"}],"Id":1}}]"#
        );
        assert_eq!(
            added(SpecVersion::V2, toy.clone()),
            vec![r#"[{"DeviceAdded":{"DeviceIndex":3,"DeviceMessages":{"RawReadCmd":{"Endpoints":["rx","tx"]},"RawSubscribeCmd":{"Endpoints":["rx","tx"]},"RawUnsubscribeCmd":{"Endpoints":["rx","tx"]},"RawWriteCmd":{"Endpoints":["rx","tx"]},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1,"StepCount":[5]}},"DeviceName":"Raw Toy","Id":0}}]"#.to_owned()]
        );
        let mut without = toy.clone();
        without.raw_endpoints = None;
        for version in [SpecVersion::V0, SpecVersion::V1, SpecVersion::V4] {
            assert_eq!(
                list(version, 1, vec![toy.clone()]),
                list(version, 1, vec![without.clone()]),
                "v{}",
                version.number()
            );
        }
    }

    #[test]
    fn device_lists_order_by_index_as_array_and_as_string_keys() {
        let empty = |index| device(index, "D", vec![]);
        let devices = vec![empty(10), empty(2), empty(1)];
        assert_eq!(
            list(SpecVersion::V0, 3, devices.clone()),
            r#"[{"DeviceList":{"Devices":[{"DeviceIndex":1,"DeviceMessages":["StopDeviceCmd"],"DeviceName":"D"},{"DeviceIndex":2,"DeviceMessages":["StopDeviceCmd"],"DeviceName":"D"},{"DeviceIndex":10,"DeviceMessages":["StopDeviceCmd"],"DeviceName":"D"}],"Id":3}}]"#
        );
        assert_eq!(
            list(SpecVersion::V4, 3, devices),
            r#"[{"DeviceList":{"Devices":{"1":{"DeviceFeatures":{},"DeviceIndex":1,"DeviceMessageTimingGap":100,"DeviceName":"D"},"10":{"DeviceFeatures":{},"DeviceIndex":10,"DeviceMessageTimingGap":100,"DeviceName":"D"},"2":{"DeviceFeatures":{},"DeviceIndex":2,"DeviceMessageTimingGap":100,"DeviceName":"D"}},"Id":3}}]"#
        );
    }

    #[test]
    fn empty_device_lists_are_an_empty_array_or_object() {
        assert_eq!(
            list(SpecVersion::V3, 4, vec![]),
            r#"[{"DeviceList":{"Devices":[],"Id":4}}]"#
        );
        assert_eq!(
            list(SpecVersion::V4, 4, vec![]),
            r#"[{"DeviceList":{"Devices":{},"Id":4}}]"#
        );
    }

    #[test]
    fn old_versions_get_removed_then_added_events() {
        let previous = vec![fixtures::example_toy(), fixtures::launch()];
        let mut renamed = fixtures::launch();
        renamed.name = "Launch 2".into();
        let current = vec![fixtures::vorze(), renamed];
        assert_eq!(
            render::device_list_changed(SpecVersion::V1, &previous, &current),
            vec![
                r#"[{"DeviceRemoved":{"DeviceIndex":0,"Id":0}}]"#.to_owned(),
                r#"[{"DeviceRemoved":{"DeviceIndex":1,"Id":0}}]"#.to_owned(),
                r#"[{"DeviceAdded":{"DeviceIndex":1,"DeviceMessages":{"LinearCmd":{"FeatureCount":1},"StopDeviceCmd":{}},"DeviceName":"Launch 2","Id":0}}]"#.to_owned(),
                r#"[{"DeviceAdded":{"DeviceIndex":2,"DeviceMessages":{"RotateCmd":{"FeatureCount":1},"StopDeviceCmd":{}},"DeviceName":"Vorze SA","Id":0}}]"#.to_owned(),
            ]
        );
    }

    #[test]
    fn unchanged_or_invisible_changes_send_nothing() {
        let devices = vec![fixtures::example_toy()];
        for version in [SpecVersion::V0, SpecVersion::V3, SpecVersion::V4] {
            assert!(render::device_list_changed(version, &devices, &devices).is_empty());
        }
        // A new oscillator range is invisible to v2 but not to v3 and v4.
        let mut changed = fixtures::example_toy();
        changed.features[2].outputs[0].range = (0, 5);
        let changed = vec![changed];
        assert!(render::device_list_changed(SpecVersion::V2, &devices, &changed).is_empty());
        assert_eq!(
            render::device_list_changed(SpecVersion::V3, &devices, &changed).len(),
            2
        );
        assert_eq!(
            render::device_list_changed(SpecVersion::V4, &devices, &changed).len(),
            1
        );
    }

    #[test]
    fn v4_device_list_event_carries_the_whole_new_list() {
        let previous = vec![fixtures::example_toy()];
        let current = vec![fixtures::example_toy(), fixtures::vorze()];
        let events = render::device_list_changed(SpecVersion::V4, &previous, &current);
        assert_eq!(events.len(), 1);
        assert!(events[0].starts_with(r#"[{"DeviceList":{"Devices":{"0":"#));
        assert!(events[0].contains(r#""2":{"DeviceFeatures""#));
        assert!(events[0].ends_with(r#""Id":0}}]"#));
    }
}

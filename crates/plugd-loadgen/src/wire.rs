//! The frames the loadgen writes and reads: Buttplug JSON on the client side (spec v3 `ScalarCmd`
//! or v4 `OutputCmd`), the device WebSocket on the device side (`simulate` greeting with JSON
//! frames, or the upstream raw byte pipe), and the Lovense bytes a simulated Lush speaks.
//!
//! The hot paths (an `Ok` reply, a `Write` frame) are read without building a JSON tree; anything
//! else goes through `serde_json`.

use serde_json::Value;

/// Lovense answers and commands the simulated devices understand.
pub const DEVICE_TYPE_QUERY: &[u8] = b"DeviceType;";
/// The identifier the raw-pipe greeting uses; a user device config gives the Lovense protocol a
/// `websocket` specifier with this name.
pub const RAW_PIPE_IDENTIFIER: &str = "LVSDevice";

/// The vibrator of a device, as a client addresses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vibrator {
    /// v4: the feature index; v3: the position in the device's `ScalarCmd` list.
    pub index: u32,
    /// Highest step (the `[0, n]` range of the output).
    pub steps: u32,
}

/// A device as a client sees it in a device list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEntry {
    pub index: u32,
    pub name: String,
    pub vibrator: Option<Vibrator>,
}

/// One message from the server to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMsg {
    Ok { id: u32 },
    Error { id: u32, code: i64 },
    ServerInfo { id: u32 },
    DeviceList { id: u32, devices: Vec<DeviceEntry> },
    DeviceAdded(DeviceEntry),
    DeviceRemoved { index: u32 },
    Other { name: String },
}

/// `RequestServerInfo` at spec `version` (3 or 4).
pub fn handshake(version: u8, id: u32) -> String {
    if version >= 4 {
        format!(
            r#"[{{"RequestServerInfo":{{"Id":{id},"ClientName":"plugd-loadgen","ProtocolVersionMajor":{version},"ProtocolVersionMinor":0}}}}]"#
        )
    } else {
        format!(
            r#"[{{"RequestServerInfo":{{"Id":{id},"ClientName":"plugd-loadgen","MessageVersion":{version}}}}}]"#
        )
    }
}

/// A message with only an `Id` (`StartScanning`, `RequestDeviceList`, ...).
pub fn simple(name: &str, id: u32) -> String {
    format!(r#"[{{"{name}":{{"Id":{id}}}}}]"#)
}

/// The command that sets `vibrator` of device `device` to step `value`: v4 `OutputCmd` or v3
/// `ScalarCmd`. The v3 scalar is chosen so that the server's `ceil(steps × scalar)` gives back
/// exactly `value` (the middle of the step, away from float edges).
pub fn command(version: u8, id: u32, device: u32, vibrator: Vibrator, value: u32) -> String {
    if version >= 4 {
        format!(
            r#"[{{"OutputCmd":{{"Id":{id},"DeviceIndex":{device},"FeatureIndex":{},"Command":{{"Vibrate":{{"Value":{value}}}}}}}}}]"#,
            vibrator.index
        )
    } else {
        let scalar = scalar_for_step(value, vibrator.steps);
        format!(
            r#"[{{"ScalarCmd":{{"Id":{id},"DeviceIndex":{device},"Scalars":[{{"Index":{},"Scalar":{scalar},"ActuatorType":"Vibrate"}}]}}}}]"#,
            vibrator.index
        )
    }
}

/// The float in the middle of step `value` of `steps`: `ceil(steps × it) == value`.
pub fn scalar_for_step(value: u32, steps: u32) -> f64 {
    if value == 0 || steps == 0 {
        return 0.0;
    }
    (f64::from(value) - 0.5) / f64::from(steps)
}

/// The step the reference computes from a float (`ceil(steps × v)`, 0 under 1e-6).
pub fn step_for_scalar(scalar: f64, steps: u32) -> u32 {
    if scalar < 0.000_001 {
        0
    } else {
        (f64::from(steps) * scalar).ceil() as u32
    }
}

/// Reads a frame from the server. Unknown messages become `Other`; a frame that is not a JSON
/// array of objects is an error.
pub fn parse_server_frame(text: &str) -> Result<Vec<ServerMsg>, String> {
    if let Some(id) = fast_ok(text) {
        return Ok(vec![ServerMsg::Ok { id }]);
    }
    let value: Value = serde_json::from_str(text).map_err(|error| format!("{error}: {text}"))?;
    let items = value
        .as_array()
        .ok_or_else(|| format!("not a JSON array: {text}"))?;
    let mut messages = Vec::with_capacity(items.len());
    for item in items {
        let Some((name, body)) = item.as_object().and_then(|object| object.iter().next()) else {
            return Err(format!("not a Buttplug message: {item}"));
        };
        let id = body.get("Id").and_then(Value::as_u64).unwrap_or(0) as u32;
        messages.push(match name.as_str() {
            "Ok" => ServerMsg::Ok { id },
            "Error" => ServerMsg::Error {
                id,
                code: body.get("ErrorCode").and_then(Value::as_i64).unwrap_or(-1),
            },
            "ServerInfo" => ServerMsg::ServerInfo { id },
            "DeviceList" => ServerMsg::DeviceList {
                id,
                devices: device_list(body.get("Devices")),
            },
            "DeviceAdded" => match device_entry(body) {
                Some(entry) => ServerMsg::DeviceAdded(entry),
                None => ServerMsg::Other { name: name.clone() },
            },
            "DeviceRemoved" => match body.get("DeviceIndex").and_then(Value::as_u64) {
                Some(index) => ServerMsg::DeviceRemoved {
                    index: index as u32,
                },
                None => ServerMsg::Other { name: name.clone() },
            },
            _ => ServerMsg::Other { name: name.clone() },
        });
    }
    Ok(messages)
}

/// `[{"Ok":{"Id":N}}]` without a JSON tree.
fn fast_ok(text: &str) -> Option<u32> {
    text.strip_prefix(r#"[{"Ok":{"Id":"#)?
        .strip_suffix("}}]")?
        .parse()
        .ok()
}

/// v4: an object keyed by index; v0–v3: an array.
fn device_list(devices: Option<&Value>) -> Vec<DeviceEntry> {
    let mut entries: Vec<DeviceEntry> = match devices {
        Some(Value::Object(map)) => map.values().filter_map(device_entry).collect(),
        Some(Value::Array(list)) => list.iter().filter_map(device_entry).collect(),
        _ => Vec::new(),
    };
    entries.sort_by_key(|entry| entry.index);
    entries
}

/// One device of a v3 or v4 description.
fn device_entry(device: &Value) -> Option<DeviceEntry> {
    let index = device.get("DeviceIndex")?.as_u64()? as u32;
    let name = device
        .get("DeviceName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let vibrator = if let Some(features) = device.get("DeviceFeatures").and_then(Value::as_object) {
        // v4: the lowest feature index with a Vibrate output.
        features
            .values()
            .filter_map(|feature| {
                let index = feature.get("FeatureIndex")?.as_u64()? as u32;
                let range = feature.get("Output")?.get("Vibrate")?.get("Value")?;
                let steps = range.as_array()?.get(1)?.as_u64()? as u32;
                Some(Vibrator { index, steps })
            })
            .min_by_key(|vibrator| vibrator.index)
    } else {
        // v3: the first Vibrate entry of the ScalarCmd list.
        device
            .get("DeviceMessages")
            .and_then(|messages| messages.get("ScalarCmd"))
            .and_then(Value::as_array)
            .and_then(|scalars| {
                scalars.iter().enumerate().find_map(|(position, entry)| {
                    let kind = entry.get("ActuatorType")?.as_str()?;
                    if !kind.eq_ignore_ascii_case("vibrate") {
                        return None;
                    }
                    let steps = entry.get("StepCount")?.as_u64()? as u32;
                    Some(Vibrator {
                        index: position as u32,
                        steps,
                    })
                })
            })
    };
    Some(DeviceEntry {
        index,
        name,
        vibrator,
    })
}

/// How a simulated device greets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Greeting {
    /// `{"simulate":{"transport":"btle","name":"LVS-S<n>",...}}`, JSON frames after `Accepted`.
    Simulate,
    /// The upstream-compatible raw byte pipe: `{"identifier":"LVSDevice",...}`, binary frames.
    Raw,
}

/// The address of simulated device `number` (unique per run): `4C:47:xx:xx:xx:xx`.
pub fn device_address(number: u64) -> String {
    let bytes = number.to_be_bytes();
    format!(
        "4C:47:{:02X}:{:02X}:{:02X}:{:02X}",
        bytes[4], bytes[5], bytes[6], bytes[7]
    )
}

/// The greeting device `number` sends.
pub fn device_greeting(greeting: Greeting, number: u64) -> String {
    let address = device_address(number);
    match greeting {
        Greeting::Simulate => format!(
            r#"{{"simulate":{{"transport":"btle","name":"LVS-S{number}","address":"{address}"}}}}"#
        ),
        Greeting::Raw => format!(
            r#"{{"identifier":"{RAW_PIPE_IDENTIFIER}","address":"{}","version":0}}"#,
            address.replace(':', "")
        ),
    }
}

/// The Lovense answer to `DeviceType;`: a Lush (`S`), firmware 37, the device's address.
pub fn device_type_answer(number: u64) -> Vec<u8> {
    format!("S:37:{};", device_address(number).replace(':', "")).into_bytes()
}

/// A notification on `rx` in the simulate wire format.
pub fn notification(data: &[u8]) -> String {
    let bytes: Vec<String> = data.iter().map(u8::to_string).collect();
    format!(
        r#"{{"Notification":{{"endpoint":"rx","data":[{}]}}}}"#,
        bytes.join(",")
    )
}

/// A frame from the server to a simulated device (simulate greeting).
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceFrame {
    Accepted,
    Rejected(String),
    Write(Vec<u8>),
    Read { id: Value },
    Other,
}

/// Reads a device-side frame; `Write` without a JSON tree.
pub fn parse_device_frame(text: &str) -> DeviceFrame {
    if text.starts_with(r#"{"Write":"#) {
        if let Some(data) = fast_write_data(text) {
            return DeviceFrame::Write(data);
        }
    }
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return DeviceFrame::Other;
    };
    if let Some(write) = value.get("Write") {
        let data = write
            .get("data")
            .and_then(Value::as_array)
            .map(|bytes| {
                bytes
                    .iter()
                    .filter_map(Value::as_u64)
                    .map(|byte| byte as u8)
                    .collect()
            })
            .unwrap_or_default();
        DeviceFrame::Write(data)
    } else if let Some(read) = value.get("Read") {
        DeviceFrame::Read {
            id: read.get("id").cloned().unwrap_or(Value::Null),
        }
    } else if value.get("Accepted").is_some() {
        DeviceFrame::Accepted
    } else if let Some(rejected) = value.get("Rejected") {
        DeviceFrame::Rejected(rejected.to_string())
    } else {
        DeviceFrame::Other
    }
}

/// The bytes of `"data":[..]` in a Write frame.
fn fast_write_data(text: &str) -> Option<Vec<u8>> {
    let start = text.find(r#""data":["#)? + r#""data":["#.len();
    let end = start + text[start..].find(']')?;
    let list = &text[start..end];
    if list.is_empty() {
        return Some(Vec::new());
    }
    list.split(',')
        .map(|byte| byte.trim().parse::<u8>().ok())
        .collect()
}

/// What a Lovense write means to the loadgen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LovenseWrite {
    DeviceType,
    Battery,
    Vibrate(u32),
    Other,
}

/// Classifies bytes written to a simulated Lush.
pub fn lovense_write(bytes: &[u8]) -> LovenseWrite {
    if bytes == DEVICE_TYPE_QUERY {
        return LovenseWrite::DeviceType;
    }
    if bytes == b"Battery;" {
        return LovenseWrite::Battery;
    }
    let parsed = bytes
        .strip_prefix(b"Vibrate:")
        .and_then(|rest| rest.strip_suffix(b";"))
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .and_then(|digits| digits.parse().ok());
    match parsed {
        Some(value) => LovenseWrite::Vibrate(value),
        None => LovenseWrite::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_round_trip_through_the_reference_step_function() {
        for steps in [1, 3, 20, 100] {
            for value in 0..=steps {
                assert_eq!(
                    step_for_scalar(scalar_for_step(value, steps), steps),
                    value,
                    "{value}/{steps}"
                );
            }
        }
    }

    #[test]
    fn ok_fast_path_and_full_parse_agree() {
        assert_eq!(
            parse_server_frame(r#"[{"Ok":{"Id":42}}]"#),
            Ok(vec![ServerMsg::Ok { id: 42 }])
        );
        assert_eq!(
            parse_server_frame(r#"[{"Ok": {"Id": 42}}]"#),
            Ok(vec![ServerMsg::Ok { id: 42 }])
        );
        assert_eq!(
            parse_server_frame(r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"x","Id":7}}]"#),
            Ok(vec![ServerMsg::Error { id: 7, code: 4 }])
        );
        assert!(parse_server_frame("nope").is_err());
    }

    #[test]
    fn v4_and_v3_device_lists_give_the_vibrator() {
        let v4 = r#"[{"DeviceList":{"Devices":{"3":{"DeviceFeatures":{
            "0":{"FeatureDescription":"","FeatureIndex":0,"Output":{"Vibrate":{"Value":[0,20]}}},
            "1":{"FeatureDescription":"Battery","FeatureIndex":1,"Input":{"Battery":{"Command":["Read"],"Value":[[0,100]]}}}},
            "DeviceIndex":3,"DeviceMessageTimingGap":0,"DeviceName":"Lovense Lush"}},"Id":0}}]"#;
        let lush = DeviceEntry {
            index: 3,
            name: "Lovense Lush".into(),
            vibrator: Some(Vibrator {
                index: 0,
                steps: 20,
            }),
        };
        assert_eq!(
            parse_server_frame(v4),
            Ok(vec![ServerMsg::DeviceList {
                id: 0,
                devices: vec![lush.clone()]
            }])
        );
        let v3 = r#"[{"DeviceAdded":{"DeviceIndex":3,"DeviceMessageTimingGap":0,"DeviceMessages":{
            "ScalarCmd":[{"ActuatorType":"Vibrate","FeatureDescriptor":"","StepCount":20}],"StopDeviceCmd":{}},
            "DeviceName":"Lovense Lush","Id":0}}]"#;
        assert_eq!(
            parse_server_frame(v3),
            Ok(vec![ServerMsg::DeviceAdded(lush)])
        );
    }

    #[test]
    fn write_frames_fast_and_slow() {
        assert_eq!(
            parse_device_frame(
                r#"{"Write":{"endpoint":"tx","data":[86,105,98],"write_with_response":false}}"#
            ),
            DeviceFrame::Write(b"Vib".to_vec())
        );
        assert_eq!(
            parse_device_frame(r#"{"Write": {"data": [86], "endpoint": "tx"}}"#),
            DeviceFrame::Write(b"V".to_vec())
        );
        assert_eq!(lovense_write(b"Vibrate:17;"), LovenseWrite::Vibrate(17));
        assert_eq!(lovense_write(b"DeviceType;"), LovenseWrite::DeviceType);
        assert_eq!(lovense_write(b"Vibrate:x;"), LovenseWrite::Other);
    }

    #[test]
    fn commands_are_json() {
        let vibrator = Vibrator {
            index: 0,
            steps: 20,
        };
        for version in [3, 4] {
            let text = command(version, 9, 2, vibrator, 7);
            let value: Value = serde_json::from_str(&text).expect("json");
            assert!(value.is_array(), "{text}");
        }
        let greeting: Value =
            serde_json::from_str(&device_greeting(Greeting::Raw, 5)).expect("json");
        assert_eq!(greeting["address"], "4C4700000005");
        let note: Value = serde_json::from_str(&notification(b"S:")).expect("json");
        assert_eq!(note["Notification"]["data"], serde_json::json!([83, 58]));
    }
}

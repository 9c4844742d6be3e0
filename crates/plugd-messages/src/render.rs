//! Rendering server messages in the client's spec version. Every function returns one
//! complete frame, `[{"Name":{...}}]`, ready to send as a WebSocket text frame; replies go out
//! one per frame, as the reference sends them (protocol.md §1.2).
//!
//! Keys come out alphabetically, as the reference's do (§1.2): bodies are structs whose fields
//! are declared in alphabetical order, and maps are `BTreeMap`s. That does not depend on
//! serde_json's `preserve_order` feature, so another crate enabling it changes nothing here.

use crate::convert::ReplyShape;
use crate::error::ButtplugError;
use crate::messages::{device_list, feature, raw, sensor, session};
use crate::model::{DeviceInfo, Event, Reply, SpecVersion};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// The `ServerInfo` frame answering the handshake (§2.2): three shapes; v0–v3 echo the
/// client's version.
pub fn server_info(
    version: SpecVersion,
    id: u32,
    server_name: &str,
    max_ping_time_ms: u32,
) -> String {
    session::server_info(version, id, server_name, max_ping_time_ms)
}

/// `[{"Ok":{"Id":id}}]`.
pub fn ok(id: u32) -> String {
    format!(r#"[{{"Ok":{{"Id":{id}}}}}]"#)
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody {
    error_code: u8,
    error_message: String,
    id: u32,
}

/// The `Error` frame: `ErrorCode` from the error's category, `ErrorMessage` its JSON
/// encoding (§3). Same shape in every version. Id 0 makes it an event (ping timeout).
pub fn error(id: u32, error: &ButtplugError) -> String {
    frame(
        "Error",
        &ErrorBody {
            error_code: error.code() as u8,
            error_message: error.message(),
            id,
        },
    )
}

/// The answer to a converted request, in `shape` (from [`crate::Converted::reply`]).
///
/// The reply decides what is sent: `Reply::Ok` is always `Ok`, `Reply::DeviceList` always the
/// version's `DeviceList`, `Reply::RawReading` always `RawReading`. A `Reply::Reading` takes
/// the shape's form (`BatteryLevelReading`, `SensorReading`, else `InputReading`).
pub fn reply(version: SpecVersion, id: u32, shape: &ReplyShape, reply: &Reply) -> String {
    match (reply, shape) {
        (Reply::Ok, _) => ok(id),
        (Reply::DeviceList(devices), _) => device_list::device_list(version, id, devices),
        (Reply::RawReading(reading), _) => raw::raw_reading(id, reading),
        (Reply::Reading(reading), ReplyShape::BatteryLevelReading) => {
            sensor::battery_level_reading(id, reading)
        }
        (
            Reply::Reading(reading),
            ReplyShape::SensorReading {
                sensor_index,
                sensor_type,
            },
        ) => sensor::sensor_reading(id, *sensor_index, sensor_type, reading),
        (
            Reply::Reading(reading),
            ReplyShape::InputReading
            | ReplyShape::Ok
            | ReplyShape::DeviceList
            | ReplyShape::RawReading,
        ) => feature::input_reading(id, reading),
    }
}

/// The events telling a client that the device list went from `previous` (what this session
/// last saw) to `current` (§5, §8.5):
/// - v0–v3: a `DeviceRemoved` for every index gone, then a `DeviceAdded` for every new index;
///   a device whose description in this version changed gets Removed, then Added;
/// - v4: one `DeviceList` frame with Id 0 holding `current`, if anything changed.
///
/// Nothing when nothing visible changed.
pub fn device_list_changed(
    version: SpecVersion,
    previous: &[DeviceInfo],
    current: &[DeviceInfo],
) -> Vec<String> {
    device_list::changed(version, previous, current)
}

/// Renders each device list's v4 `DeviceList` event once for every v4 session that shows it:
/// with many clients, a device coming or going otherwise rendered the same JSON once per
/// client. Keeps the newest list (its `Arc`, so a new list can never be mistaken for it) and
/// its frame. One per thread (the Session keeps it thread-local); it holds no lock.
#[derive(Debug, Default)]
pub struct SharedDeviceListFrame {
    newest: Option<(std::sync::Arc<Vec<DeviceInfo>>, String)>,
}

impl SharedDeviceListFrame {
    /// What [`device_list_changed`] gives a v4 client going from `previous` to `current`,
    /// with the frame rendered at most once per `current`.
    pub fn changed(
        &mut self,
        previous: &[DeviceInfo],
        current: &std::sync::Arc<Vec<DeviceInfo>>,
    ) -> Vec<String> {
        if !device_list::differs(previous, current) {
            return Vec::new();
        }
        match &self.newest {
            Some((list, frame)) if std::sync::Arc::ptr_eq(list, current) => vec![frame.clone()],
            _ => {
                let frame = device_list::device_list(SpecVersion::V4, 0, current);
                self.newest = Some((current.clone(), frame.clone()));
                vec![frame]
            }
        }
    }
}

/// The frames for a server event, in the client's version:
/// - `ScanningFinished`: one frame, every version;
/// - `Reading`: a v4 `InputReading` with Id 0; nothing below v4 (readings are replies there);
/// - `RawReading`: a v2–v3 `RawReading` with Id 0; nothing in other versions (no raw messages);
/// - `DeviceListChanged`: nothing. It needs the list the session saw before, so the caller
///   renders it with [`device_list_changed`] and remembers the new list.
pub fn event(version: SpecVersion, event: &Event) -> Vec<String> {
    match event {
        Event::ScanningFinished => vec![frame("ScanningFinished", &IdOnly { id: 0 })],
        Event::Reading(reading) if version == SpecVersion::V4 => {
            vec![feature::input_reading(0, reading)]
        }
        Event::RawReading(reading) if matches!(version, SpecVersion::V2 | SpecVersion::V3) => {
            vec![raw::raw_reading(0, reading)]
        }
        Event::Reading(_) | Event::RawReading(_) | Event::DeviceListChanged(_) => Vec::new(),
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct IdOnly {
    id: u32,
}

/// An object with one key: the frame envelope `{"Name": body}`, `Reading: {"Battery": ..}`.
pub(crate) struct SingleKey<'a, T> {
    /// The key.
    pub(crate) key: &'a str,
    /// Its value.
    pub(crate) value: T,
}

impl<T: Serialize> Serialize for SingleKey<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.key, &self.value)?;
        map.end()
    }
}

/// What goes out if a body could not be serialised. Bodies are plain structs with string
/// keys, so this does not happen; it exists so that no input can make rendering panic.
const UNRENDERABLE: &str = r#"[{"Error":{"ErrorCode":0,"ErrorMessage":"{\"ButtplugUnknownError\":{\"Other\":\"reply could not be rendered\"}}","Id":0}}]"#;

/// One frame, `[{"name": body}]`.
pub(crate) fn frame<T: Serialize + ?Sized>(name: &str, body: &T) -> String {
    serde_json::to_string(&[SingleKey {
        key: name,
        value: body,
    }])
    .unwrap_or_else(|_| UNRENDERABLE.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{DeviceError, HandshakeError, PingError, UnknownError};
    use crate::fixtures;

    #[test]
    fn ok_echoes_the_request_id() {
        assert_eq!(ok(5), r#"[{"Ok":{"Id":5}}]"#);
        assert_eq!(
            reply(SpecVersion::V0, 4294967295, &ReplyShape::Ok, &Reply::Ok),
            r#"[{"Ok":{"Id":4294967295}}]"#
        );
    }

    #[test]
    fn errors_carry_code_json_message_and_id() {
        assert_eq!(
            error(12, &DeviceError::DeviceNotAvailable(3).into()),
            r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceNotAvailable\":3}}","Id":12}}]"#
        );
        assert_eq!(
            error(0, &PingError::PingedOut.into()),
            r#"[{"Error":{"ErrorCode":2,"ErrorMessage":"{\"ButtplugPingError\":\"PingedOut\"}","Id":0}}]"#
        );
        assert_eq!(
            error(1, &HandshakeError::RequestServerInfoExpected.into()),
            r#"[{"Error":{"ErrorCode":1,"ErrorMessage":"{\"ButtplugHandshakeError\":\"RequestServerInfoExpected\"}","Id":1}}]"#
        );
        assert_eq!(
            error(2, &UnknownError::NoDeviceManager.into()),
            r#"[{"Error":{"ErrorCode":0,"ErrorMessage":"{\"ButtplugUnknownError\":\"NoDeviceManager\"}","Id":2}}]"#
        );
    }

    #[test]
    fn unrenderable_fallback_is_itself_valid_json() {
        let value: serde_json::Value = serde_json::from_str(UNRENDERABLE).unwrap();
        assert_eq!(value[0]["Error"]["ErrorCode"], 0);
    }

    #[test]
    fn scanning_finished_is_an_id_0_event_in_every_version() {
        for version in [SpecVersion::V0, SpecVersion::V3, SpecVersion::V4] {
            assert_eq!(
                event(version, &Event::ScanningFinished),
                vec![r#"[{"ScanningFinished":{"Id":0}}]"#.to_owned()]
            );
        }
    }

    #[test]
    fn device_list_changed_events_are_left_to_device_list_changed() {
        let event_in = Event::DeviceListChanged(std::sync::Arc::new(vec![fixtures::example_toy()]));
        assert!(event(SpecVersion::V4, &event_in).is_empty());
        assert!(event(SpecVersion::V1, &event_in).is_empty());
    }
}

#[cfg(test)]
mod shared_frame_tests {
    use super::*;
    use crate::fixtures;
    use std::sync::Arc;

    #[test]
    fn a_shared_device_list_frame_is_what_each_session_would_render() {
        let mut shared = SharedDeviceListFrame::default();
        let one = Arc::new(vec![fixtures::example_toy()]);
        let two = Arc::new(vec![fixtures::example_toy(), fixtures::launch()]);
        let two_again = Arc::new(vec![fixtures::launch(), fixtures::example_toy()]);
        for (previous, current) in [
            (&[][..], &one),
            (&[][..], &one),
            (&one[..], &two),
            (&[][..], &two),
            (&two[..], &two_again),
            (&two_again[..], &one),
            (&one[..], &two_again),
        ] {
            assert_eq!(
                shared.changed(previous, current),
                device_list_changed(SpecVersion::V4, previous, current),
                "{} → {} devices",
                previous.len(),
                current.len()
            );
        }
    }
}

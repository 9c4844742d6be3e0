//! Reading client frames: [`parse_handshake`] for a connection's first frame, [`parse_frame`]
//! for every later one, and [`ClientMessage`], the one dispatch enum (mini-redis's `Command`).
//!
//! A frame is read once, as a stream of JSON values (several arrays may follow each other,
//! protocol.md §1.2). Each element is then parsed with the negotiated version's message set
//! (§4.1, §9.2) by its family file under `messages/`. plugd answers every bad input
//! (§1.2 policy): each bad element becomes a [`Rejected`] carrying the element's `Id` when it
//! can be read, and the good elements around it still parse, in order. Nothing here panics on
//! input; serde_json's recursion limit bounds nesting.

use crate::error::{ButtplugError, HandshakeError, MessageError};
use crate::fields::{describe, shorten, Fields};
use crate::model::SpecVersion;
use serde_json::Value;

pub use crate::messages::feature::{InputCmd, OutputCmd};
pub use crate::messages::generic::{
    LinearCmd, LinearVector, RotateCmd, RotateRotation, VibrateCmd, VibrateSpeed,
};
pub use crate::messages::legacy::{
    DeviceStringCmd, FleshlightLaunchFW12Cmd, RequestLog, SingleMotorVibrateCmd, Test,
    VorzeA10CycloneCmd,
};
pub use crate::messages::raw::RawCmd;
pub use crate::messages::scalar::{ScalarCmd, ScalarSubcommand};
pub use crate::messages::sensor::SensorCmd;
pub use crate::messages::session::Handshake;
pub use crate::messages::stop::StopCmd;

use crate::messages::{session, stop};
use plugd_core::DeviceIndex;

/// A client message that could not be parsed: what to answer, and with which Id.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The element's `Id` if it could be read, else 0.
    pub id: u32,
    /// The error to send (ERROR_MSG, or ERROR_INIT for a bad first frame).
    pub error: ButtplugError,
}

impl Rejected {
    /// A problem with the frame itself (not JSON, not an array, empty): Id 0.
    fn frame(text: String) -> Self {
        Rejected {
            id: 0,
            error: MessageError::MessageSerializationError(text).into(),
        }
    }
}

/// Parses a connection's first frame, which must hold exactly one `RequestServerInfo`
/// (protocol.md §2.1). The field shape is checked against the version it asks for.
///
/// # Errors
/// - the frame is not JSON, not an array, or `[]`: ERROR_MSG, Id 0;
/// - it holds another message, or more than one message (also when empty or only
///   whitespace: callers following §1.2 skip such frames before calling): ERROR_INIT
///   `RequestServerInfoExpected`, with the Id of the first element that is not a
///   `RequestServerInfo` (or of the second one), else 0;
/// - the `RequestServerInfo` has a missing, extra or mistyped field: ERROR_MSG with its Id.
///
/// A version above 4 is not an error here: `version` is `None` and the caller answers
/// ERROR_INIT `MessageSpecVersionMismatch` ([`Handshake::check_version`]).
pub fn parse_handshake(text: &str) -> Result<Handshake, Rejected> {
    let mut elements = Vec::with_capacity(1);
    let mut framing = None;
    read_frame(text, |element| match element {
        Ok(value) => elements.push(value),
        Err(rejected) => {
            framing.get_or_insert(rejected);
        }
    });
    if let Some(rejected) = framing {
        return Err(rejected);
    }
    let expected = |id: u32| Rejected {
        id,
        error: HandshakeError::RequestServerInfoExpected.into(),
    };
    if elements.len() != 1 {
        let culprit = elements
            .iter()
            .find(|element| !is_request_server_info(element))
            .or_else(|| elements.get(1));
        return Err(expected(culprit.map_or(0, element_id)));
    }
    let Some(Value::Object(map)) = elements.pop() else {
        return Err(expected(0));
    };
    let id = map.values().find_map(readable_id).unwrap_or(0);
    if map.len() != 1 {
        return Err(expected(id));
    }
    match map.into_iter().next() {
        Some((name, body)) if name == "RequestServerInfo" => Fields::new("RequestServerInfo", body)
            .and_then(Handshake::parse)
            .map_err(|error| Rejected {
                id,
                error: error.into(),
            }),
        _ => Err(expected(id)),
    }
}

/// Parses a frame after the handshake with `version`'s message set: one entry per element,
/// in order, across every array in the frame.
///
/// - not JSON or truncated: one [`Rejected`] (Id 0) after any arrays read before the fault;
/// - a value that is not an array, or `[]`: one [`Rejected`] with Id 0 for it;
/// - a bad element: a [`Rejected`] with its `Id` if readable, else 0; the others still parse;
/// - empty or whitespace-only text: an empty `Vec` (nothing to answer).
///
/// The frames apps send most (only v4 `OutputCmd`s, only v3 `ScalarCmd`s) are read straight
/// into their types by `fast.rs`, with the same result; every other frame takes the general
/// path below.
pub fn parse_frame(text: &str, version: SpecVersion) -> Vec<Result<ClientMessage, Rejected>> {
    crate::fast::parse_hot_frame(text, version)
        .unwrap_or_else(|| parse_frame_in_general(text, version))
}

/// [`parse_frame`] for any frame: read into `serde_json::Value`s, then each element by its
/// family parser. Public so that checks (plugd-fuzz) can compare it with [`parse_frame`]: the
/// two agree on every frame.
pub fn parse_frame_in_general(
    text: &str,
    version: SpecVersion,
) -> Vec<Result<ClientMessage, Rejected>> {
    let mut results = Vec::new();
    read_frame(text, |element| {
        results.push(element.and_then(|value| parse_element(value, version)));
    });
    results
}

/// Reads the JSON stream in `text`, calling `each` once per array element or framing problem.
fn read_frame(text: &str, mut each: impl FnMut(Result<Value, Rejected>)) {
    for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        match value {
            Ok(Value::Array(items)) if items.is_empty() => each(Err(Rejected::frame(
                "the frame holds an empty array; send at least one message".to_owned(),
            ))),
            Ok(Value::Array(items)) => items.into_iter().for_each(|item| each(Ok(item))),
            Ok(other) => each(Err(Rejected::frame(format!(
                "a frame must be a JSON array of messages, got {}",
                describe(&other)
            )))),
            Err(error) => {
                each(Err(Rejected::frame(format!(
                    "the frame is not valid JSON: {error}"
                ))));
                // The stream cannot resynchronise after a syntax error.
                return;
            }
        }
    }
}

/// Parses one array element: `{"Name": {fields}}`.
fn parse_element(element: Value, version: SpecVersion) -> Result<ClientMessage, Rejected> {
    let map = match element {
        Value::Object(map) => map,
        other => {
            return Err(Rejected::frame(format!(
                "each message must be an object keyed by the message name, got {}",
                describe(&other)
            )))
        }
    };
    let id = map.values().find_map(readable_id).unwrap_or(0);
    if map.len() != 1 {
        return Err(Rejected {
            id,
            error: MessageError::MessageSerializationError(format!(
                "each message must be an object with exactly one key, the message name; got {} keys",
                map.len()
            ))
            .into(),
        });
    }
    let parsed = match map.into_iter().next() {
        Some((name, body)) => ClientMessage::parse(&name, body, version),
        None => Err(MessageError::MessageSerializationError(
            "empty message object".to_owned(),
        )),
    };
    parsed.map_err(|error| Rejected {
        id,
        error: error.into(),
    })
}

/// The `Id` of a message body, if it is a u32.
fn readable_id(body: &Value) -> Option<u32> {
    body.get("Id")
        .and_then(Value::as_u64)
        .and_then(|id| u32::try_from(id).ok())
}

/// The `Id` of an element `{"Name": {"Id": ..}}`, else 0.
fn element_id(element: &Value) -> u32 {
    element
        .as_object()
        .and_then(|map| map.values().find_map(readable_id))
        .unwrap_or(0)
}

fn is_request_server_info(element: &Value) -> bool {
    element
        .as_object()
        .is_some_and(|map| map.len() == 1 && map.contains_key("RequestServerInfo"))
}

/// A parsed client message, still in its spec version's shape. `convert` turns it into the
/// internal model; `RequestServerInfo` is the caller's (the handshake).
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// `RequestServerInfo` (v0–v4). After the handshake it is refused (ERROR_INIT).
    RequestServerInfo(Handshake),
    /// `Ping` (v0–v4).
    Ping {
        /// Message Id.
        id: u32,
    },
    /// `StartScanning` (v0–v4).
    StartScanning {
        /// Message Id.
        id: u32,
    },
    /// `StopScanning` (v0–v4).
    StopScanning {
        /// Message Id.
        id: u32,
    },
    /// `RequestDeviceList` (v0–v4).
    RequestDeviceList {
        /// Message Id.
        id: u32,
    },
    /// `StopDeviceCmd` (v0–v3).
    StopDeviceCmd {
        /// Message Id.
        id: u32,
        /// The device to stop.
        device_index: DeviceIndex,
    },
    /// `StopAllDevices` (v0–v3).
    StopAllDevices {
        /// Message Id.
        id: u32,
    },
    /// `SingleMotorVibrateCmd` (v0–v1).
    SingleMotorVibrateCmd(SingleMotorVibrateCmd),
    /// `FleshlightLaunchFW12Cmd` (v0–v1).
    FleshlightLaunchFW12Cmd(FleshlightLaunchFW12Cmd),
    /// `VorzeA10CycloneCmd` (v0–v1).
    VorzeA10CycloneCmd(VorzeA10CycloneCmd),
    /// `KiirooCmd` (v0–v1); refused.
    KiirooCmd(DeviceStringCmd),
    /// `LovenseCmd` (v0–v1); refused.
    LovenseCmd(DeviceStringCmd),
    /// `Test` (v0–v1); refused.
    Test(Test),
    /// `RequestLog` (v0–v2); refused.
    RequestLog(RequestLog),
    /// `VibrateCmd` (v1–v3).
    VibrateCmd(VibrateCmd),
    /// `RotateCmd` (v1–v3).
    RotateCmd(RotateCmd),
    /// `LinearCmd` (v1–v3).
    LinearCmd(LinearCmd),
    /// `BatteryLevelCmd` (v2).
    BatteryLevelCmd {
        /// Message Id.
        id: u32,
        /// The device to read.
        device_index: DeviceIndex,
    },
    /// `RSSILevelCmd` (v2); refused.
    RSSILevelCmd {
        /// Message Id.
        id: u32,
        /// The device asked about.
        device_index: DeviceIndex,
    },
    /// `RawWriteCmd` (v2–v3); runs only with raw access enabled.
    RawWriteCmd(RawCmd),
    /// `RawReadCmd` (v2–v3); runs only with raw access enabled.
    RawReadCmd(RawCmd),
    /// `RawSubscribeCmd` (v2–v3); runs only with raw access enabled.
    RawSubscribeCmd(RawCmd),
    /// `RawUnsubscribeCmd` (v2–v3); runs only with raw access enabled.
    RawUnsubscribeCmd(RawCmd),
    /// `ScalarCmd` (v3).
    ScalarCmd(ScalarCmd),
    /// `SensorReadCmd` (v3; Battery only).
    SensorReadCmd(SensorCmd),
    /// `SensorSubscribeCmd` (v3); always refused.
    SensorSubscribeCmd(SensorCmd),
    /// `SensorUnsubscribeCmd` (v3); always refused.
    SensorUnsubscribeCmd(SensorCmd),
    /// `StopCmd` (v4).
    StopCmd(StopCmd),
    /// `OutputCmd` (v4).
    OutputCmd(OutputCmd),
    /// `InputCmd` (v4).
    InputCmd(InputCmd),
}

/// A family parser: the fields of one message into the message.
type Parser = fn(Fields) -> Result<ClientMessage, MessageError>;

/// One row of the client message catalogue (protocol.md §4.1): the wire name, the first and
/// last spec version plugd parses it in, and its parser.
struct Entry {
    name: &'static str,
    first: SpecVersion,
    last: SpecVersion,
    parse: Parser,
}

impl ClientMessage {
    /// Parses the body of the message called `name` with `version`'s message set.
    fn parse(name: &str, body: Value, version: SpecVersion) -> Result<Self, MessageError> {
        let Some(entry) = catalogue(name) else {
            return Err(unknown(name));
        };
        if version < entry.first || version > entry.last {
            return Err(MessageError::UnexpectedMessageType(format!(
                "{} is not part of spec v{}",
                entry.name,
                version.number()
            )));
        }
        (entry.parse)(Fields::new(entry.name, body)?)
    }

    /// The message's `Id`.
    pub fn id(&self) -> u32 {
        match self {
            ClientMessage::RequestServerInfo(message) => message.id,
            ClientMessage::Ping { id }
            | ClientMessage::StartScanning { id }
            | ClientMessage::StopScanning { id }
            | ClientMessage::RequestDeviceList { id }
            | ClientMessage::StopDeviceCmd { id, .. }
            | ClientMessage::StopAllDevices { id }
            | ClientMessage::BatteryLevelCmd { id, .. }
            | ClientMessage::RSSILevelCmd { id, .. } => *id,
            ClientMessage::SingleMotorVibrateCmd(message) => message.id,
            ClientMessage::FleshlightLaunchFW12Cmd(message) => message.id,
            ClientMessage::VorzeA10CycloneCmd(message) => message.id,
            ClientMessage::KiirooCmd(message) | ClientMessage::LovenseCmd(message) => message.id,
            ClientMessage::Test(message) => message.id,
            ClientMessage::RequestLog(message) => message.id,
            ClientMessage::VibrateCmd(message) => message.id,
            ClientMessage::RotateCmd(message) => message.id,
            ClientMessage::LinearCmd(message) => message.id,
            ClientMessage::RawWriteCmd(message)
            | ClientMessage::RawReadCmd(message)
            | ClientMessage::RawSubscribeCmd(message)
            | ClientMessage::RawUnsubscribeCmd(message) => message.id,
            ClientMessage::ScalarCmd(message) => message.id,
            ClientMessage::SensorReadCmd(message)
            | ClientMessage::SensorSubscribeCmd(message)
            | ClientMessage::SensorUnsubscribeCmd(message) => message.id,
            ClientMessage::StopCmd(message) => message.id,
            ClientMessage::OutputCmd(message) => message.id,
            ClientMessage::InputCmd(message) => message.id,
        }
    }

    /// The message's wire name (`"VibrateCmd"`), for logs and error texts.
    pub fn name(&self) -> &'static str {
        match self {
            ClientMessage::RequestServerInfo(_) => "RequestServerInfo",
            ClientMessage::Ping { .. } => "Ping",
            ClientMessage::StartScanning { .. } => "StartScanning",
            ClientMessage::StopScanning { .. } => "StopScanning",
            ClientMessage::RequestDeviceList { .. } => "RequestDeviceList",
            ClientMessage::StopDeviceCmd { .. } => "StopDeviceCmd",
            ClientMessage::StopAllDevices { .. } => "StopAllDevices",
            ClientMessage::SingleMotorVibrateCmd(_) => "SingleMotorVibrateCmd",
            ClientMessage::FleshlightLaunchFW12Cmd(_) => "FleshlightLaunchFW12Cmd",
            ClientMessage::VorzeA10CycloneCmd(_) => "VorzeA10CycloneCmd",
            ClientMessage::KiirooCmd(_) => "KiirooCmd",
            ClientMessage::LovenseCmd(_) => "LovenseCmd",
            ClientMessage::Test(_) => "Test",
            ClientMessage::RequestLog(_) => "RequestLog",
            ClientMessage::VibrateCmd(_) => "VibrateCmd",
            ClientMessage::RotateCmd(_) => "RotateCmd",
            ClientMessage::LinearCmd(_) => "LinearCmd",
            ClientMessage::BatteryLevelCmd { .. } => "BatteryLevelCmd",
            ClientMessage::RSSILevelCmd { .. } => "RSSILevelCmd",
            ClientMessage::RawWriteCmd(_) => "RawWriteCmd",
            ClientMessage::RawReadCmd(_) => "RawReadCmd",
            ClientMessage::RawSubscribeCmd(_) => "RawSubscribeCmd",
            ClientMessage::RawUnsubscribeCmd(_) => "RawUnsubscribeCmd",
            ClientMessage::ScalarCmd(_) => "ScalarCmd",
            ClientMessage::SensorReadCmd(_) => "SensorReadCmd",
            ClientMessage::SensorSubscribeCmd(_) => "SensorSubscribeCmd",
            ClientMessage::SensorUnsubscribeCmd(_) => "SensorUnsubscribeCmd",
            ClientMessage::StopCmd(_) => "StopCmd",
            ClientMessage::OutputCmd(_) => "OutputCmd",
            ClientMessage::InputCmd(_) => "InputCmd",
        }
    }
}

/// The client message catalogue: protocol.md §4.1, "spec versions" column (messages the
/// reference no longer accepts still parse in their versions, so the refusal can say why).
fn catalogue(name: &str) -> Option<Entry> {
    use SpecVersion::{V0, V1, V2, V3, V4};
    let (name, first, last, parse): (&'static str, _, _, Parser) = match name {
        "RequestServerInfo" => ("RequestServerInfo", V0, V4, |fields| {
            Handshake::parse(fields).map(ClientMessage::RequestServerInfo)
        }),
        "Ping" => ("Ping", V0, V4, |fields| {
            session::parse_id_only(fields).map(|id| ClientMessage::Ping { id })
        }),
        "StartScanning" => ("StartScanning", V0, V4, |fields| {
            session::parse_id_only(fields).map(|id| ClientMessage::StartScanning { id })
        }),
        "StopScanning" => ("StopScanning", V0, V4, |fields| {
            session::parse_id_only(fields).map(|id| ClientMessage::StopScanning { id })
        }),
        "RequestDeviceList" => ("RequestDeviceList", V0, V4, |fields| {
            session::parse_id_only(fields).map(|id| ClientMessage::RequestDeviceList { id })
        }),
        "StopDeviceCmd" => ("StopDeviceCmd", V0, V3, |fields| {
            stop::parse_device_only(fields)
                .map(|(id, device_index)| ClientMessage::StopDeviceCmd { id, device_index })
        }),
        "StopAllDevices" => ("StopAllDevices", V0, V3, |fields| {
            session::parse_id_only(fields).map(|id| ClientMessage::StopAllDevices { id })
        }),
        "SingleMotorVibrateCmd" => ("SingleMotorVibrateCmd", V0, V1, |fields| {
            SingleMotorVibrateCmd::parse(fields).map(ClientMessage::SingleMotorVibrateCmd)
        }),
        "FleshlightLaunchFW12Cmd" => ("FleshlightLaunchFW12Cmd", V0, V1, |fields| {
            FleshlightLaunchFW12Cmd::parse(fields).map(ClientMessage::FleshlightLaunchFW12Cmd)
        }),
        "VorzeA10CycloneCmd" => ("VorzeA10CycloneCmd", V0, V1, |fields| {
            VorzeA10CycloneCmd::parse(fields).map(ClientMessage::VorzeA10CycloneCmd)
        }),
        "KiirooCmd" => ("KiirooCmd", V0, V1, |fields| {
            DeviceStringCmd::parse(fields).map(ClientMessage::KiirooCmd)
        }),
        "LovenseCmd" => ("LovenseCmd", V0, V1, |fields| {
            DeviceStringCmd::parse(fields).map(ClientMessage::LovenseCmd)
        }),
        "Test" => ("Test", V0, V1, |fields| {
            Test::parse(fields).map(ClientMessage::Test)
        }),
        "RequestLog" => ("RequestLog", V0, V2, |fields| {
            RequestLog::parse(fields).map(ClientMessage::RequestLog)
        }),
        "VibrateCmd" => ("VibrateCmd", V1, V3, |fields| {
            VibrateCmd::parse(fields).map(ClientMessage::VibrateCmd)
        }),
        "RotateCmd" => ("RotateCmd", V1, V3, |fields| {
            RotateCmd::parse(fields).map(ClientMessage::RotateCmd)
        }),
        "LinearCmd" => ("LinearCmd", V1, V3, |fields| {
            LinearCmd::parse(fields).map(ClientMessage::LinearCmd)
        }),
        "BatteryLevelCmd" => ("BatteryLevelCmd", V2, V2, |fields| {
            stop::parse_device_only(fields)
                .map(|(id, device_index)| ClientMessage::BatteryLevelCmd { id, device_index })
        }),
        "RSSILevelCmd" => ("RSSILevelCmd", V2, V2, |fields| {
            stop::parse_device_only(fields)
                .map(|(id, device_index)| ClientMessage::RSSILevelCmd { id, device_index })
        }),
        "RawWriteCmd" => ("RawWriteCmd", V2, V3, |fields| {
            RawCmd::parse_write(fields).map(ClientMessage::RawWriteCmd)
        }),
        "RawReadCmd" => ("RawReadCmd", V2, V3, |fields| {
            RawCmd::parse_read(fields).map(ClientMessage::RawReadCmd)
        }),
        "RawSubscribeCmd" => ("RawSubscribeCmd", V2, V3, |fields| {
            RawCmd::parse_subscribe(fields).map(ClientMessage::RawSubscribeCmd)
        }),
        "RawUnsubscribeCmd" => ("RawUnsubscribeCmd", V2, V3, |fields| {
            RawCmd::parse_unsubscribe(fields).map(ClientMessage::RawUnsubscribeCmd)
        }),
        "ScalarCmd" => ("ScalarCmd", V3, V3, |fields| {
            ScalarCmd::parse(fields).map(ClientMessage::ScalarCmd)
        }),
        "SensorReadCmd" => ("SensorReadCmd", V3, V3, |fields| {
            SensorCmd::parse(fields).map(ClientMessage::SensorReadCmd)
        }),
        "SensorSubscribeCmd" => ("SensorSubscribeCmd", V3, V3, |fields| {
            SensorCmd::parse(fields).map(ClientMessage::SensorSubscribeCmd)
        }),
        "SensorUnsubscribeCmd" => ("SensorUnsubscribeCmd", V3, V3, |fields| {
            SensorCmd::parse(fields).map(ClientMessage::SensorUnsubscribeCmd)
        }),
        "StopCmd" => ("StopCmd", V4, V4, |fields| {
            StopCmd::parse(fields).map(ClientMessage::StopCmd)
        }),
        "OutputCmd" => ("OutputCmd", V4, V4, |fields| {
            OutputCmd::parse(fields).map(ClientMessage::OutputCmd)
        }),
        "InputCmd" => ("InputCmd", V4, V4, |fields| {
            InputCmd::parse(fields).map(ClientMessage::InputCmd)
        }),
        _ => return None,
    };
    Some(Entry {
        name,
        first,
        last,
        parse,
    })
}

/// Messages only the server sends (§4.1), so a client sending one gets a clearer text.
const SERVER_MESSAGES: [&str; 14] = [
    "BatteryLevelReading",
    "DeviceAdded",
    "DeviceList",
    "DeviceRemoved",
    "Error",
    "InputReading",
    "Log",
    "Ok",
    "RSSILevelReading",
    "RawReading",
    "ScanningFinished",
    "SensorReading",
    "ServerInfo",
    "TestString",
];

fn unknown(name: &str) -> MessageError {
    let text = if SERVER_MESSAGES.contains(&name) {
        format!("{name} is a server message; clients cannot send it")
    } else {
        format!("unknown message {}", shorten(name))
    };
    MessageError::UnexpectedMessageType(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render;

    /// Parses `text` with `version` and renders each rejection as its exact `Error` frame;
    /// good messages become their name and Id.
    fn check(version: SpecVersion, text: &str, expected: &[&str]) {
        let got: Vec<String> = parse_frame(text, version)
            .into_iter()
            .map(|result| match result {
                Ok(message) => format!("{} {}", message.name(), message.id()),
                Err(rejected) => render::error(rejected.id, &rejected.error),
            })
            .collect();
        assert_eq!(got, expected, "input: {text}");
    }

    fn serialization(id: u32, text: &str) -> String {
        render::error(
            id,
            &MessageError::MessageSerializationError(text.to_owned()).into(),
        )
    }

    #[test]
    fn section_4_2_client_examples_parse_exactly() {
        use plugd_core::{FeatureIndex, InputCommand, InputKind, OutputKind};
        let device = DeviceIndex;
        let cases: Vec<(SpecVersion, &str, ClientMessage)> = vec![
            (
                SpecVersion::V0,
                r#"[{"StopDeviceCmd":{"Id":3,"DeviceIndex":0}}]"#,
                ClientMessage::StopDeviceCmd {
                    id: 3,
                    device_index: device(0),
                },
            ),
            (
                SpecVersion::V0,
                r#"[{"StopAllDevices":{"Id":4}}]"#,
                ClientMessage::StopAllDevices { id: 4 },
            ),
            (
                SpecVersion::V0,
                r#"[{"SingleMotorVibrateCmd":{"Id":5,"DeviceIndex":0,"Speed":0.5}}]"#,
                ClientMessage::SingleMotorVibrateCmd(SingleMotorVibrateCmd {
                    id: 5,
                    device_index: device(0),
                    speed: 0.5,
                }),
            ),
            (
                SpecVersion::V0,
                r#"[{"FleshlightLaunchFW12Cmd":{"Id":6,"DeviceIndex":1,"Position":90,"Speed":50}}]"#,
                ClientMessage::FleshlightLaunchFW12Cmd(FleshlightLaunchFW12Cmd {
                    id: 6,
                    device_index: device(1),
                    position: 90,
                    speed: 50,
                }),
            ),
            (
                SpecVersion::V1,
                r#"[{"VorzeA10CycloneCmd":{"Id":7,"DeviceIndex":2,"Speed":40,"Clockwise":true}}]"#,
                ClientMessage::VorzeA10CycloneCmd(VorzeA10CycloneCmd {
                    id: 7,
                    device_index: device(2),
                    speed: 40,
                    clockwise: true,
                }),
            ),
            (
                SpecVersion::V3,
                r#"[{"VibrateCmd":{"Id":10,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5},{"Index":1,"Speed":0.25}]}}]"#,
                ClientMessage::VibrateCmd(VibrateCmd {
                    id: 10,
                    device_index: device(0),
                    speeds: vec![
                        VibrateSpeed {
                            index: 0,
                            speed: 0.5,
                        },
                        VibrateSpeed {
                            index: 1,
                            speed: 0.25,
                        },
                    ],
                }),
            ),
            (
                SpecVersion::V3,
                r#"[{"RotateCmd":{"Id":11,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.3,"Clockwise":false}]}}]"#,
                ClientMessage::RotateCmd(RotateCmd {
                    id: 11,
                    device_index: device(0),
                    rotations: vec![RotateRotation {
                        index: 0,
                        speed: 0.3,
                        clockwise: false,
                    }],
                }),
            ),
            (
                SpecVersion::V3,
                r#"[{"LinearCmd":{"Id":12,"DeviceIndex":1,"Vectors":[{"Index":0,"Duration":500,"Position":0.9}]}}]"#,
                ClientMessage::LinearCmd(LinearCmd {
                    id: 12,
                    device_index: device(1),
                    vectors: vec![LinearVector {
                        index: 0,
                        duration: 500,
                        position: 0.9,
                    }],
                }),
            ),
            (
                SpecVersion::V3,
                r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":2,"Scalar":0.5,"ActuatorType":"Oscillate"}]}}]"#,
                ClientMessage::ScalarCmd(ScalarCmd {
                    id: 13,
                    device_index: device(0),
                    scalars: vec![ScalarSubcommand {
                        index: 2,
                        scalar: 0.5,
                        actuator_type: OutputKind::Oscillate,
                    }],
                }),
            ),
            (
                SpecVersion::V2,
                r#"[{"BatteryLevelCmd":{"Id":14,"DeviceIndex":0}}]"#,
                ClientMessage::BatteryLevelCmd {
                    id: 14,
                    device_index: device(0),
                },
            ),
            (
                SpecVersion::V3,
                r#"[{"SensorReadCmd":{"Id":15,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}}]"#,
                ClientMessage::SensorReadCmd(SensorCmd {
                    id: 15,
                    device_index: device(0),
                    sensor_index: 0,
                    sensor_type: InputKind::Battery,
                }),
            ),
            (
                SpecVersion::V4,
                r#"[{"StopCmd":{"Id":9,"DeviceIndex":0,"Outputs":true,"Inputs":false}}]"#,
                ClientMessage::StopCmd(StopCmd {
                    id: 9,
                    device_index: Some(device(0)),
                    feature_index: None,
                    inputs: false,
                    outputs: true,
                }),
            ),
            (
                SpecVersion::V4,
                r#"[{"OutputCmd":{"Id":20,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
                ClientMessage::OutputCmd(OutputCmd {
                    id: 20,
                    device_index: device(0),
                    feature_index: FeatureIndex(0),
                    output_type: OutputKind::Vibrate,
                    value: 10,
                    duration: None,
                }),
            ),
            (
                SpecVersion::V4,
                r#"[{"OutputCmd":{"Id":21,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":90,"Duration":500}}}}]"#,
                ClientMessage::OutputCmd(OutputCmd {
                    id: 21,
                    device_index: device(1),
                    feature_index: FeatureIndex(0),
                    output_type: OutputKind::HwPositionWithDuration,
                    value: 90,
                    duration: Some(500),
                }),
            ),
            (
                SpecVersion::V4,
                r#"[{"InputCmd":{"Id":22,"DeviceIndex":0,"FeatureIndex":1,"Type":"Battery","Command":"Read"}}]"#,
                ClientMessage::InputCmd(InputCmd {
                    id: 22,
                    device_index: device(0),
                    feature_index: FeatureIndex(1),
                    input_type: InputKind::Battery,
                    command: InputCommand::Read,
                }),
            ),
        ];
        for (version, text, expected) in cases {
            assert_eq!(parse_frame(text, version), vec![Ok(expected)], "{text}");
        }
    }

    #[test]
    fn empty_and_whitespace_frames_need_no_answer() {
        assert!(parse_frame("", SpecVersion::V3).is_empty());
        assert!(parse_frame(" \n\t ", SpecVersion::V3).is_empty());
    }

    #[test]
    fn malformed_json_is_one_error_msg_with_id_0() {
        let got = parse_frame(r#"[{"Ping":{"Id":1}"#, SpecVersion::V3);
        assert_eq!(got.len(), 1);
        let rejected = got[0].clone().unwrap_err();
        assert_eq!(rejected.id, 0);
        assert_eq!(
            render::error(rejected.id, &rejected.error),
            r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"MessageSerializationError\":\"the frame is not valid JSON: EOF while parsing an object at line 1 column 17\"}}","Id":0}}]"#
        );
        check(
            SpecVersion::V3,
            "not json",
            &[&serialization(
                0,
                "the frame is not valid JSON: expected ident at line 1 column 2",
            )],
        );
    }

    #[test]
    fn object_instead_of_array_and_empty_array_are_error_msg_with_id_0() {
        check(
            SpecVersion::V3,
            r#"{"Ping":{"Id":1}}"#,
            &[
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"MessageSerializationError\":\"a frame must be a JSON array of messages, got an object\"}}","Id":0}}]"#,
            ],
        );
        check(
            SpecVersion::V3,
            "[]",
            &[&serialization(
                0,
                "the frame holds an empty array; send at least one message",
            )],
        );
        check(
            SpecVersion::V3,
            "42",
            &[&serialization(
                0,
                "a frame must be a JSON array of messages, got an integer",
            )],
        );
    }

    #[test]
    fn arrays_back_to_back_are_all_processed() {
        check(
            SpecVersion::V3,
            r#"[{"Ping":{"Id":1}}][{"StartScanning":{"Id":2}}] [{"StopScanning":{"Id":3}}]"#,
            &["Ping 1", "StartScanning 2", "StopScanning 3"],
        );
    }

    #[test]
    fn messages_before_a_syntax_error_still_run() {
        check(
            SpecVersion::V3,
            r#"[{"Ping":{"Id":1}}] oops"#,
            &[
                "Ping 1",
                &serialization(
                    0,
                    "the frame is not valid JSON: expected value at line 1 column 21",
                ),
            ],
        );
    }

    #[test]
    fn unknown_message_is_error_msg_with_its_id() {
        check(
            SpecVersion::V3,
            r#"[{"FooCmd":{"Id":5}}]"#,
            &[
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"UnexpectedMessageType\":\"unknown message FooCmd\"}}","Id":5}}]"#,
            ],
        );
        check(
            SpecVersion::V3,
            r#"[{"ping":{"Id":6}}]"#,
            &[
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"UnexpectedMessageType\":\"unknown message ping\"}}","Id":6}}]"#,
            ],
        );
        check(
            SpecVersion::V4,
            r#"[{"Ok":{"Id":7}}]"#,
            &[
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"UnexpectedMessageType\":\"Ok is a server message; clients cannot send it\"}}","Id":7}}]"#,
            ],
        );
    }

    #[test]
    fn message_from_another_version_is_error_msg_naming_it() {
        check(
            SpecVersion::V1,
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
            &[
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"UnexpectedMessageType\":\"ScalarCmd is not part of spec v1\"}}","Id":13}}]"#,
            ],
        );
        check(
            SpecVersion::V4,
            r#"[{"VibrateCmd":{"Id":10,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5}]}}]"#,
            &[
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"UnexpectedMessageType\":\"VibrateCmd is not part of spec v4\"}}","Id":10}}]"#,
            ],
        );
        check(
            SpecVersion::V3,
            r#"[{"BatteryLevelCmd":{"Id":14,"DeviceIndex":0}}]"#,
            &[
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"UnexpectedMessageType\":\"BatteryLevelCmd is not part of spec v3\"}}","Id":14}}]"#,
            ],
        );
    }

    #[test]
    fn every_message_parses_only_in_its_versions() {
        let table: [(&str, &str, [bool; 5]); 30] = [
            (
                "RequestServerInfo",
                r#"{"Id":1,"ClientName":"A"}"#,
                [true; 5],
            ),
            ("Ping", r#"{"Id":1}"#, [true; 5]),
            ("StartScanning", r#"{"Id":1}"#, [true; 5]),
            ("StopScanning", r#"{"Id":1}"#, [true; 5]),
            ("RequestDeviceList", r#"{"Id":1}"#, [true; 5]),
            (
                "StopDeviceCmd",
                r#"{"Id":1,"DeviceIndex":0}"#,
                [true, true, true, true, false],
            ),
            (
                "StopAllDevices",
                r#"{"Id":1}"#,
                [true, true, true, true, false],
            ),
            (
                "SingleMotorVibrateCmd",
                r#"{"Id":1,"DeviceIndex":0,"Speed":0.5}"#,
                [true, true, false, false, false],
            ),
            (
                "FleshlightLaunchFW12Cmd",
                r#"{"Id":1,"DeviceIndex":0,"Position":9,"Speed":9}"#,
                [true, true, false, false, false],
            ),
            (
                "VorzeA10CycloneCmd",
                r#"{"Id":1,"DeviceIndex":0,"Speed":9,"Clockwise":true}"#,
                [true, true, false, false, false],
            ),
            (
                "KiirooCmd",
                r#"{"Id":1,"DeviceIndex":0,"Command":"1"}"#,
                [true, true, false, false, false],
            ),
            (
                "LovenseCmd",
                r#"{"Id":1,"DeviceIndex":0,"Command":"Vibrate:1;"}"#,
                [true, true, false, false, false],
            ),
            (
                "Test",
                r#"{"Id":1,"TestString":"hi"}"#,
                [true, true, false, false, false],
            ),
            (
                "RequestLog",
                r#"{"Id":1,"LogLevel":"Warn"}"#,
                [true, true, true, false, false],
            ),
            (
                "VibrateCmd",
                r#"{"Id":1,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":1}]}"#,
                [false, true, true, true, false],
            ),
            (
                "RotateCmd",
                r#"{"Id":1,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":1,"Clockwise":true}]}"#,
                [false, true, true, true, false],
            ),
            (
                "LinearCmd",
                r#"{"Id":1,"DeviceIndex":0,"Vectors":[]}"#,
                [false, true, true, true, false],
            ),
            (
                "BatteryLevelCmd",
                r#"{"Id":1,"DeviceIndex":0}"#,
                [false, false, true, false, false],
            ),
            (
                "RSSILevelCmd",
                r#"{"Id":1,"DeviceIndex":0}"#,
                [false, false, true, false, false],
            ),
            (
                "RawWriteCmd",
                r#"{"Id":1,"DeviceIndex":0,"Endpoint":"tx","Data":[1],"WriteWithResponse":false}"#,
                [false, false, true, true, false],
            ),
            (
                "RawReadCmd",
                r#"{"Id":1,"DeviceIndex":0,"Endpoint":"rx","Length":0,"WaitForData":false}"#,
                [false, false, true, true, false],
            ),
            (
                "RawSubscribeCmd",
                r#"{"Id":1,"DeviceIndex":0,"Endpoint":"rx"}"#,
                [false, false, true, true, false],
            ),
            (
                "RawUnsubscribeCmd",
                r#"{"Id":1,"DeviceIndex":0,"Endpoint":"rx"}"#,
                [false, false, true, true, false],
            ),
            (
                "ScalarCmd",
                r#"{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1,"ActuatorType":"Vibrate"}]}"#,
                [false, false, false, true, false],
            ),
            (
                "SensorReadCmd",
                r#"{"Id":1,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}"#,
                [false, false, false, true, false],
            ),
            (
                "SensorSubscribeCmd",
                r#"{"Id":1,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}"#,
                [false, false, false, true, false],
            ),
            (
                "SensorUnsubscribeCmd",
                r#"{"Id":1,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}"#,
                [false, false, false, true, false],
            ),
            ("StopCmd", r#"{"Id":1}"#, [false, false, false, false, true]),
            (
                "OutputCmd",
                r#"{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}"#,
                [false, false, false, false, true],
            ),
            (
                "InputCmd",
                r#"{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Type":"Battery","Command":"Read"}"#,
                [false, false, false, false, true],
            ),
        ];
        let versions = [
            SpecVersion::V0,
            SpecVersion::V1,
            SpecVersion::V2,
            SpecVersion::V3,
            SpecVersion::V4,
        ];
        for (name, body, allowed) in table {
            // RequestServerInfo's v4 shape differs; its field rules are tested in `session`.
            let body = if name == "RequestServerInfo" {
                r#"{"Id":1,"ClientName":"A"}"#
            } else {
                body
            };
            for (version, allowed) in versions.into_iter().zip(allowed) {
                let text = format!(r#"[{{"{name}":{body}}}]"#);
                let parsed = parse_frame(&text, version);
                match (&parsed[..], allowed) {
                    ([Ok(message)], true) => assert_eq!(message.name(), name),
                    ([Err(rejected)], false) => assert_eq!(
                        rejected.error,
                        MessageError::UnexpectedMessageType(format!(
                            "{name} is not part of spec v{}",
                            version.number()
                        ))
                        .into()
                    ),
                    _ => panic!("{name} in v{}: {parsed:?}", version.number()),
                }
            }
        }
    }

    #[test]
    fn missing_extra_and_mistyped_fields_are_error_msg_naming_the_field() {
        check(
            SpecVersion::V3,
            r#"[{"StopDeviceCmd":{"Id":3}}]"#,
            &[&serialization(
                3,
                "StopDeviceCmd: missing field DeviceIndex",
            )],
        );
        check(
            SpecVersion::V3,
            r#"[{"Ping":{"Id":3,"Extra":true}}]"#,
            &[&serialization(3, "Ping: unexpected field Extra")],
        );
        check(
            SpecVersion::V3,
            r#"[{"StopDeviceCmd":{"Id":3,"DeviceIndex":"0"}}]"#,
            &[&serialization(
                3,
                "StopDeviceCmd: DeviceIndex must be an unsigned integer, got a string",
            )],
        );
        check(
            SpecVersion::V3,
            r#"[{"StopDeviceCmd":{"Id":3,"deviceIndex":0}}]"#,
            &[&serialization(
                3,
                "StopDeviceCmd: missing field DeviceIndex",
            )],
        );
        check(
            SpecVersion::V3,
            r#"[{"Ping":[1]}]"#,
            &[&serialization(
                0,
                "Ping: expected an object of fields, got an array",
            )],
        );
    }

    #[test]
    fn floats_and_negatives_in_integer_fields_are_error_msg() {
        check(
            SpecVersion::V3,
            r#"[{"Ping":{"Id":1.0}}]"#,
            &[&serialization(
                0,
                "Ping: Id must be an unsigned integer, got a non-integer number",
            )],
        );
        check(
            SpecVersion::V3,
            r#"[{"Ping":{"Id":-4}}]"#,
            &[&serialization(
                0,
                "Ping: Id must be an unsigned integer, got a negative integer",
            )],
        );
        check(
            SpecVersion::V3,
            r#"[{"StopDeviceCmd":{"Id":2,"DeviceIndex":-1}}]"#,
            &[&serialization(
                2,
                "StopDeviceCmd: DeviceIndex must be an unsigned integer, got a negative integer",
            )],
        );
        check(
            SpecVersion::V4,
            r#"[{"OutputCmd":{"Id":20,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10.0}}}}]"#,
            &[&serialization(
                20,
                "OutputCmd.Command: Value must be an integer, got a non-integer number",
            )],
        );
    }

    #[test]
    fn id_0_from_a_client_is_error_msg_with_id_0() {
        check(
            SpecVersion::V3,
            r#"[{"Ping":{"Id":0}}]"#,
            &[
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"InvalidMessageContents\":\"Ping: Id 0 is reserved for server messages; use 1 or more\"}}","Id":0}}]"#,
            ],
        );
    }

    #[test]
    fn out_of_range_speed_is_invalid_message_contents_with_the_request_id() {
        check(
            SpecVersion::V3,
            r#"[{"VibrateCmd":{"Id":10,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":1.5}]}}]"#,
            &[
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"InvalidMessageContents\":\"VibrateCmd.Speeds[0]: Speed 1.5 is outside 0.0 to 1.0\"}}","Id":10}}]"#,
            ],
        );
    }

    #[test]
    fn several_messages_some_bad_keep_their_order() {
        check(
            SpecVersion::V3,
            r#"[{"Ping":{"Id":1}},{"Nope":{"Id":2}},{"StartScanning":{"Id":3}},{"Ping":{"Id":0}},{"Ping":{}},"text",{"StopScanning":{"Id":7}}]"#,
            &[
                "Ping 1",
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"UnexpectedMessageType\":\"unknown message Nope\"}}","Id":2}}]"#,
                "StartScanning 3",
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"InvalidMessageContents\":\"Ping: Id 0 is reserved for server messages; use 1 or more\"}}","Id":0}}]"#,
                &serialization(0, "Ping: missing field Id"),
                &serialization(
                    0,
                    "each message must be an object keyed by the message name, got a string",
                ),
                "StopScanning 7",
            ],
        );
    }

    #[test]
    fn element_with_two_keys_is_error_msg_with_a_readable_id() {
        check(
            SpecVersion::V3,
            r#"[{"Ping":{"Id":4},"StartScanning":{"Id":5}}]"#,
            &[&serialization(
                4,
                "each message must be an object with exactly one key, the message name; got 2 keys",
            )],
        );
        check(
            SpecVersion::V3,
            r#"[{}]"#,
            &[&serialization(
                0,
                "each message must be an object with exactly one key, the message name; got 0 keys",
            )],
        );
    }

    #[test]
    fn duplicate_keys_do_not_panic() {
        check(
            SpecVersion::V3,
            r#"[{"Ping":{"Id":1,"Id":2}}]"#,
            &["Ping 2"],
        );
        check(
            SpecVersion::V3,
            r#"[{"Ping":{"Id":1},"Ping":{"Id":3}}]"#,
            &["Ping 3"],
        );
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let deep = "[".repeat(10_000);
        let long_name = format!(r#"[{{"{}":{{"Id":1}}}}]"#, "A".repeat(10_000));
        let inputs = [
            deep.as_str(),
            long_name.as_str(),
            "[null]",
            "[[]]",
            "[1e400]",
            r#"[{"Ping":{"Id":18446744073709551616}}]"#,
            r#"[{"VibrateCmd":{"Id":1,"DeviceIndex":0,"Speeds":"x"}}]"#,
            r#"[{"VibrateCmd":{"Id":1,"DeviceIndex":0,"Speeds":[1,2]}}]"#,
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{}}}]"#,
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":[]}}]"#,
            r#"[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1e308,"ActuatorType":"Vibrate"}]}}]"#,
            "\u{feff}[]",
            "[\"\\ud800\"]",
        ];
        for version in [SpecVersion::V0, SpecVersion::V3, SpecVersion::V4] {
            for input in inputs {
                let results = parse_frame(input, version);
                assert!(!results.is_empty() || input.trim().is_empty(), "{input}");
                let _ = parse_handshake(input);
            }
        }
    }
}

//! The hot frames read straight into their types: a frame of only v4 `OutputCmd`s or only v3
//! `ScalarCmd`s (what apps send dozens of times a second) skips the `serde_json::Value` tree
//! that [`crate::parse::parse_frame`] builds for every other frame.
//!
//! **Invariant:** this path accepts a subset of what the general path accepts, and yields the
//! same messages for it. Anything it does not take in its stride (another message, a bad or
//! unusual field, an escaped key, `Id` 0, several arrays, an empty list) returns `None` and the
//! general path reads the frame again, so every error keeps its exact text and Id. The test at
//! the bottom checks the invariant over good frames and many near misses.

use crate::messages::feature::OutputCmd;
use crate::messages::scalar::{actuator_type, ScalarCmd, ScalarSubcommand};
use crate::model::SpecVersion;
use crate::parse::{ClientMessage, Rejected};
use plugd_core::{DeviceIndex, FeatureIndex, OutputKind};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// The frame's messages if it is one of the hot shapes for `version`, else `None`.
pub(crate) fn parse_hot_frame(
    text: &str,
    version: SpecVersion,
) -> Option<Vec<Result<ClientMessage, Rejected>>> {
    match version {
        SpecVersion::V4 => elements::<OutputBody>(text),
        SpecVersion::V3 => elements::<ScalarBody>(text),
        _ => None,
    }
}

/// A non-empty JSON array whose every element is `{B::NAME: body}`, else `None`.
fn elements<B: HotBody>(text: &str) -> Option<Vec<Result<ClientMessage, Rejected>>> {
    let elements: Vec<Element<B>> = serde_json::from_str(text).ok()?;
    if elements.is_empty() {
        return None;
    }
    Some(elements.into_iter().map(|element| Ok(element.0)).collect())
}

/// A message body this path knows: its wire name and how to read it.
trait HotBody: Sized {
    /// The message's name, the one key of each array element.
    const NAME: &'static str;
    /// Reads the body's fields; `Err` sends the frame to the general path.
    fn read<'de, A: MapAccess<'de>>(map: A) -> Result<ClientMessage, A::Error>;
}

/// One `{NAME: body}` object with exactly that one key.
struct Element<B>(ClientMessage, std::marker::PhantomData<B>);

impl<'de, B: HotBody> serde::Deserialize<'de> for Element<B> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Named<B>(std::marker::PhantomData<B>);
        impl<'de, B: HotBody> Visitor<'de> for Named<B> {
            type Value = ClientMessage;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let name: &str = map
                    .next_key()?
                    .ok_or_else(|| de::Error::custom("no message"))?;
                if name != B::NAME {
                    return Err(de::Error::custom("not a hot message"));
                }
                let message = map.next_value::<Body<B>>()?.0;
                if map.next_key::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom("more than one key"));
                }
                Ok(message)
            }
        }
        deserializer
            .deserialize_map(Named::<B>(std::marker::PhantomData))
            .map(|message| Element(message, std::marker::PhantomData))
    }
}

/// A message body, read as an object only (never as an array of field values).
struct Body<B>(ClientMessage, std::marker::PhantomData<B>);

impl<'de, B: HotBody> serde::Deserialize<'de> for Body<B> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields<B>(std::marker::PhantomData<B>);
        impl<'de, B: HotBody> Visitor<'de> for Fields<B> {
            type Value = ClientMessage;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an object of fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                B::read(map)
            }
        }
        deserializer
            .deserialize_map(Fields::<B>(std::marker::PhantomData))
            .map(|message| Body(message, std::marker::PhantomData))
    }
}

/// Sets `slot` once; a second `name` key is left to the general path (it keeps the last).
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(E::custom("duplicate field"));
    }
    Ok(())
}

/// A message `Id`: 0 is reserved for the server, and the general path says so.
fn message_id<E: de::Error>(id: Option<u32>) -> Result<u32, E> {
    match id {
        Some(id) if id > 0 => Ok(id),
        _ => Err(E::custom("missing or reserved Id")),
    }
}

fn required<T, E: de::Error>(value: Option<T>) -> Result<T, E> {
    value.ok_or_else(|| E::custom("missing field"))
}

/// The body of `OutputCmd` (v4).
struct OutputBody;

impl HotBody for OutputBody {
    const NAME: &'static str = "OutputCmd";

    fn read<'de, A: MapAccess<'de>>(mut map: A) -> Result<ClientMessage, A::Error> {
        let (mut id, mut device, mut feature, mut command) = (None, None, None, None);
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "Id" => once(&mut id, map.next_value::<u32>()?)?,
                "DeviceIndex" => once(&mut device, map.next_value::<u32>()?)?,
                "FeatureIndex" => once(&mut feature, map.next_value::<u32>()?)?,
                "Command" => once(&mut command, map.next_value::<OutputCommandBody>()?)?,
                _ => return Err(de::Error::custom("unexpected field")),
            }
        }
        let command = required(command)?;
        Ok(ClientMessage::OutputCmd(OutputCmd {
            id: message_id(id)?,
            device_index: DeviceIndex(required(device)?),
            feature_index: FeatureIndex(required(feature)?),
            output_type: command.kind,
            value: command.value,
            duration: command.duration,
        }))
    }
}

/// `"Command": {"<OutputKind>": {"Value": n}}` (with `"Duration"` for
/// `HwPositionWithDuration`).
struct OutputCommandBody {
    kind: OutputKind,
    value: i32,
    duration: Option<u32>,
}

impl<'de> serde::Deserialize<'de> for OutputCommandBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Command;
        impl<'de> Visitor<'de> for Command {
            type Value = OutputCommandBody;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an output command")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let key: &str = map
                    .next_key()?
                    .ok_or_else(|| de::Error::custom("no output"))?;
                // The command key has no lowercase alias (the general path's rule).
                let kind = OutputKind::from_wire_name(key, false)
                    .map_err(|_| de::Error::custom("unknown output"))?;
                let values = map.next_value::<OutputValues>()?;
                if map.next_key::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom("more than one output"));
                }
                let (value, duration) = if kind == OutputKind::HwPositionWithDuration {
                    let value = i32::try_from(required::<u32, A::Error>(values.unsigned)?)
                        .map_err(|_| de::Error::custom("Value too large"))?;
                    (value, Some(required(values.duration)?))
                } else if values.duration.is_some() {
                    return Err(de::Error::custom("unexpected Duration"));
                } else {
                    (required(values.signed)?, None)
                };
                Ok(OutputCommandBody {
                    kind,
                    value,
                    duration,
                })
            }
        }
        deserializer.deserialize_map(Command)
    }
}

/// `{"Value": n}` or `{"Value": n, "Duration": ms}`; `Value` read as both a signed and an
/// unsigned integer, so that either reading the kind asks for is there.
struct OutputValues {
    signed: Option<i32>,
    unsigned: Option<u32>,
    duration: Option<u32>,
}

impl<'de> serde::Deserialize<'de> for OutputValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Values;
        impl<'de> Visitor<'de> for Values {
            type Value = OutputValues;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("output values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut value, mut duration) = (None, None);
                while let Some(key) = map.next_key::<&str>()? {
                    match key {
                        "Value" => once(&mut value, map.next_value::<i64>()?)?,
                        "Duration" => once(&mut duration, map.next_value::<u32>()?)?,
                        _ => return Err(de::Error::custom("unexpected field")),
                    }
                }
                let value = required::<i64, A::Error>(value)?;
                Ok(OutputValues {
                    signed: i32::try_from(value).ok(),
                    unsigned: u32::try_from(value).ok(),
                    duration,
                })
            }
        }
        deserializer.deserialize_map(Values)
    }
}

/// The body of `ScalarCmd` (v3).
struct ScalarBody;

impl HotBody for ScalarBody {
    const NAME: &'static str = "ScalarCmd";

    fn read<'de, A: MapAccess<'de>>(mut map: A) -> Result<ClientMessage, A::Error> {
        let (mut id, mut device, mut scalars) = (None, None, None);
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "Id" => once(&mut id, map.next_value::<u32>()?)?,
                "DeviceIndex" => once(&mut device, map.next_value::<u32>()?)?,
                "Scalars" => once(&mut scalars, map.next_value::<Vec<Scalar>>()?)?,
                _ => return Err(de::Error::custom("unexpected field")),
            }
        }
        let scalars: Vec<Scalar> = required(scalars)?;
        if scalars.is_empty() {
            return Err(de::Error::custom("empty Scalars"));
        }
        Ok(ClientMessage::ScalarCmd(ScalarCmd {
            id: message_id(id)?,
            device_index: DeviceIndex(required(device)?),
            scalars: scalars.into_iter().map(|scalar| scalar.0).collect(),
        }))
    }
}

/// One `{"Index": i, "Scalar": x, "ActuatorType": "Vibrate"}`.
struct Scalar(ScalarSubcommand);

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Item;
        impl<'de> Visitor<'de> for Item {
            type Value = Scalar;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a scalar")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut index, mut scalar, mut actuator) = (None, None, None);
                while let Some(key) = map.next_key::<&str>()? {
                    match key {
                        "Index" => once(&mut index, map.next_value::<u32>()?)?,
                        "Scalar" => once(&mut scalar, map.next_value::<f64>()?)?,
                        "ActuatorType" => {
                            let name: &str = map.next_value()?;
                            let kind = actuator_type(name)
                                .ok_or_else(|| de::Error::custom("unknown ActuatorType"))?;
                            once(&mut actuator, kind)?;
                        }
                        _ => return Err(de::Error::custom("unexpected field")),
                    }
                }
                Ok(Scalar(ScalarSubcommand {
                    index: required(index)?,
                    scalar: required(scalar)?,
                    actuator_type: required(actuator)?,
                }))
            }
        }
        deserializer.deserialize_map(Item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_frame_in_general;

    /// Good frames of both hot shapes, and near misses of every kind; `true`: the hot path
    /// takes it (odd but valid frames included: a scalar outside 0–1 and a lowercase
    /// ActuatorType parse in both paths; conversion refuses the first later).
    const FRAMES: &[(&str, SpecVersion, bool)] = &[
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
            SpecVersion::V4,
            true,
        ),
        (
            r#" [ {"OutputCmd":{"Command":{"Rotate":{"Value":-5}},"FeatureIndex":1,"DeviceIndex":2,"Id":7}} ,{"OutputCmd":{"Id":8,"DeviceIndex":2,"FeatureIndex":1,"Command":{"Rotate":{"Value":5}}}}] "#,
            SpecVersion::V4,
            true,
        ),
        (
            r#"[{"OutputCmd":{"Id":21,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":90,"Duration":500}}}}]"#,
            SpecVersion::V4,
            true,
        ),
        (
            r#"[{"OutputCmd":{"Id":21,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":-1,"Duration":500}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":21,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":90}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":21,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":3000000000,"Duration":5}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10,"Duration":5}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":3000000000}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":0,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Extra":1,"Command":{"Vibrate":{"Value":10}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10.0}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"vibrate":{"Value":10}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10},"Rotate":{"Value":1}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":[]}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":[1,0,0,{"Vibrate":{"Value":10}}]}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":-1,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}},"StopCmd":{"Id":2}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}},{"StopCmd":{"Id":2}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}][{"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"Output\u0043md":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
            SpecVersion::V3,
            false,
        ),
        ("[]", SpecVersion::V4, false),
        ("", SpecVersion::V4, false),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
            SpecVersion::V3,
            true,
        ),
        (
            r#"[{"ScalarCmd":{"Scalars":[{"ActuatorType":"Rotate","Scalar":1,"Index":1},{"Index":0,"Scalar":0,"ActuatorType":"Vibrate"}],"DeviceIndex":3,"Id":2}}]"#,
            SpecVersion::V3,
            true,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1e308,"ActuatorType":"Vibrate"}]}}]"#,
            SpecVersion::V3,
            true,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":-0.5,"ActuatorType":"Vibrate"}]}}]"#,
            SpecVersion::V3,
            true,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"vibrate"}]}}]"#,
            SpecVersion::V3,
            true,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"HwPositionWithDuration"}]}}]"#,
            SpecVersion::V3,
            false,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Warp"}]}}]"#,
            SpecVersion::V3,
            false,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[]}}]"#,
            SpecVersion::V3,
            false,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":"0.5","ActuatorType":"Vibrate"}]}}]"#,
            SpecVersion::V3,
            false,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"ActuatorType":"Vibrate"}]}}]"#,
            SpecVersion::V3,
            false,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate","X":1}]}}]"#,
            SpecVersion::V3,
            false,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[[0,0.5,"Vibrate"]]}}]"#,
            SpecVersion::V3,
            false,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
            SpecVersion::V4,
            false,
        ),
        (
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
            SpecVersion::V2,
            false,
        ),
    ];

    #[test]
    fn the_hot_path_agrees_with_the_general_path_wherever_it_answers() {
        for (text, version, taken) in FRAMES {
            let general = parse_frame_in_general(text, *version);
            match parse_hot_frame(text, *version) {
                Some(hot) => {
                    assert!(taken, "the hot path took {text} (v{})", version.number());
                    assert_eq!(hot, general, "{text} (v{})", version.number());
                    assert!(hot.iter().all(Result::is_ok), "{text}");
                }
                None => assert!(!taken, "the hot path left {text} (v{})", version.number()),
            }
        }
    }
}

//! The v4 feature commands: `OutputCmd`, `InputCmd` and the `InputReading` they produce
//! (protocol.md §4.2). Values are already steps; here only the feature and the output or input
//! kind are checked against the session's view of the device. Range checks belong to the
//! Device actor, which holds the definition (§7.2).

use crate::convert::SessionDevice;
use crate::error::{ButtplugError, DeviceError, MessageError};
use crate::fields::{shorten, Fields};
use crate::messages::stop::count;
use crate::model::{FeatureInfo, InputReading, InputRequest, OutputCommand};
use crate::render::{frame, SingleKey};
use plugd_core::{DeviceIndex, FeatureIndex, InputCommand, InputKind, OutputKind};
use serde::Serialize;

/// `OutputCmd` (v4): set one output of one feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// The feature.
    pub feature_index: FeatureIndex,
    /// The `Command` key: which output.
    pub output_type: OutputKind,
    /// `Value`, in steps (signed for directional outputs).
    pub value: i32,
    /// `Duration` in ms, for `HwPositionWithDuration` only.
    pub duration: Option<u32>,
}

impl OutputCmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let feature_index = FeatureIndex(fields.u32("FeatureIndex")?);
        let (key, mut command) = fields.single_key_object("Command")?;
        // The command key has no lowercase alias (§9.3).
        let output_type = OutputKind::from_wire_name(&key, false).map_err(|_| {
            command.malformed(format_args!("unknown output type {}", shorten(&key)))
        })?;
        let (value, duration) = if output_type == OutputKind::HwPositionWithDuration {
            let value = command.u32("Value")?;
            let duration = command.u32("Duration")?;
            let value = i32::try_from(value)
                .map_err(|_| command.invalid(format_args!("Value {value} is too large")))?;
            (value, Some(duration))
        } else {
            (command.i32("Value")?, None)
        };
        command.finish()?;
        fields.finish()?;
        Ok(OutputCmd {
            id,
            device_index,
            feature_index,
            output_type,
            value,
            duration,
        })
    }

    /// The command, once the feature and its output are known to the session.
    ///
    /// # Errors
    /// ERROR_DEVICE `DeviceFeatureIndexError(feature count, index)` for an unknown feature,
    /// `MessageNotSupported` when the feature has no such output.
    pub(crate) fn output_command(
        &self,
        device: &SessionDevice,
    ) -> Result<OutputCommand, ButtplugError> {
        let feature = find_feature(device, self.feature_index)?;
        if feature.outputs.is_empty() {
            return Err(DeviceError::MessageNotSupported("OutputCmd".into()).into());
        }
        if feature.output(self.output_type).is_none() {
            return Err(DeviceError::MessageNotSupported(format!(
                "Output type {} is not available on feature {}",
                self.output_type, self.feature_index
            ))
            .into());
        }
        Ok(OutputCommand {
            feature: self.feature_index,
            kind: self.output_type,
            value: self.value,
            duration: self.duration,
        })
    }
}

/// `InputCmd` (v4): read, subscribe to or unsubscribe from one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// The feature.
    pub feature_index: FeatureIndex,
    /// `Type`: which input.
    pub input_type: InputKind,
    /// `Command`: Read, Subscribe or Unsubscribe.
    pub command: InputCommand,
}

impl InputCmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let feature_index = FeatureIndex(fields.u32("FeatureIndex")?);
        let name = fields.string("Type")?;
        let input_type = InputKind::from_wire_name(&name)
            .map_err(|_| fields.malformed(format_args!("unknown Type {}", shorten(&name))))?;
        let name = fields.string("Command")?;
        let command = name
            .parse::<InputCommand>()
            .map_err(|_| fields.malformed(format_args!("unknown Command {}", shorten(&name))))?;
        fields.finish()?;
        Ok(InputCmd {
            id,
            device_index,
            feature_index,
            input_type,
            command,
        })
    }

    /// The input operation, once the feature has that input and supports the command
    /// (plugd checks the command list where the reference leaves it to the protocol, §8.6;
    /// Unsubscribe needs Subscribe).
    ///
    /// # Errors
    /// ERROR_DEVICE `DeviceFeatureIndexError(feature count, index)` for an unknown feature,
    /// `MessageNotSupported("InputCmd")` otherwise.
    pub(crate) fn input_request(
        &self,
        device: &SessionDevice,
    ) -> Result<InputRequest, ButtplugError> {
        let feature = find_feature(device, self.feature_index)?;
        let needed = match self.command {
            InputCommand::Read => InputCommand::Read,
            InputCommand::Subscribe | InputCommand::Unsubscribe => InputCommand::Subscribe,
        };
        let supported = feature
            .inputs
            .iter()
            .any(|input| input.kind == self.input_type && input.commands.contains(&needed));
        if !supported {
            return Err(DeviceError::MessageNotSupported("InputCmd".into()).into());
        }
        Ok(InputRequest {
            device: self.device_index,
            feature: self.feature_index,
            kind: self.input_type,
            command: self.command,
        })
    }
}

fn find_feature(
    device: &SessionDevice,
    index: FeatureIndex,
) -> Result<&FeatureInfo, ButtplugError> {
    device.info.feature(index).ok_or_else(|| {
        DeviceError::DeviceFeatureIndexError(count(device.info.features.len()), index.0).into()
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InputReadingBody {
    device_index: u32,
    feature_index: u32,
    id: u32,
    reading: SingleKey<'static, ReadingValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ReadingValue {
    value: i32,
}

/// The v4 `InputReading` frame: `Reading` holds one key, the input type.
pub(crate) fn input_reading(id: u32, reading: &InputReading) -> String {
    frame(
        "InputReading",
        &InputReadingBody {
            device_index: reading.device.0,
            feature_index: reading.feature.0,
            id,
            reading: SingleKey {
                key: reading.kind.wire_name(),
                value: ReadingValue {
                    value: reading.value,
                },
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::convert::{Converted, ReplyShape};
    use crate::fixtures::{self, convert};
    use crate::model::{
        Event, InputReading, InputRequest, OutputCommand, OutputRequest, Reply, Request,
    };
    use crate::{render, SpecVersion};
    use plugd_core::{DeviceIndex, FeatureIndex, InputCommand, InputKind, OutputKind};

    fn check(text: &str, expected: Result<Converted, &str>) {
        let mut converter = fixtures::converter();
        assert_eq!(
            convert(&mut converter, SpecVersion::V4, text),
            expected.map_err(str::to_owned),
            "{text}"
        );
    }

    fn output(device: u32, command: OutputCommand) -> Converted {
        Converted {
            request: Request::Output(OutputRequest {
                device: DeviceIndex(device),
                commands: vec![command],
            }),
            reply: ReplyShape::Ok,
        }
    }

    #[test]
    fn output_cmd_passes_the_step_through() {
        check(
            r#"[{"OutputCmd":{"Id":20,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
            Ok(output(
                0,
                OutputCommand {
                    feature: FeatureIndex(0),
                    kind: OutputKind::Vibrate,
                    value: 10,
                    duration: None,
                },
            )),
        );
        check(
            r#"[{"OutputCmd":{"Id":21,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":90,"Duration":500}}}}]"#,
            Ok(output(
                1,
                OutputCommand {
                    feature: FeatureIndex(0),
                    kind: OutputKind::HwPositionWithDuration,
                    value: 90,
                    duration: Some(500),
                },
            )),
        );
        // Range is the Device actor's to check: -30 on a [-20,20] rotator still converts.
        check(
            r#"[{"OutputCmd":{"Id":22,"DeviceIndex":0,"FeatureIndex":1,"Command":{"Rotate":{"Value":-30}}}}]"#,
            Ok(output(
                0,
                OutputCommand {
                    feature: FeatureIndex(1),
                    kind: OutputKind::Rotate,
                    value: -30,
                    duration: None,
                },
            )),
        );
    }

    #[test]
    fn output_cmd_checks_feature_and_output() {
        check(
            r#"[{"OutputCmd":{"Id":20,"DeviceIndex":0,"FeatureIndex":5,"Command":{"Vibrate":{"Value":10}}}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureIndexError\":[4,5]}}","Id":20}}]"#,
            ),
        );
        check(
            r#"[{"OutputCmd":{"Id":20,"DeviceIndex":0,"FeatureIndex":3,"Command":{"Vibrate":{"Value":10}}}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"MessageNotSupported\":\"OutputCmd\"}}","Id":20}}]"#,
            ),
        );
        check(
            r#"[{"OutputCmd":{"Id":20,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Rotate":{"Value":10}}}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"MessageNotSupported\":\"Output type Rotate is not available on feature 0\"}}","Id":20}}]"#,
            ),
        );
        check(
            r#"[{"OutputCmd":{"Id":20,"DeviceIndex":8,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceNotAvailable\":8}}","Id":20}}]"#,
            ),
        );
    }

    #[test]
    fn output_cmd_command_key_is_exact_and_single() {
        for (command, text) in [
            (
                r#"{"vibrate":{"Value":1}}"#,
                "OutputCmd.Command: unknown output type vibrate",
            ),
            (
                r#"{"Vibrate":{"Value":1},"Rotate":{"Value":1}}"#,
                "OutputCmd: Command must have exactly one key, got 2",
            ),
            (
                r#"{"Vibrate":{"Value":1,"Duration":5}}"#,
                "OutputCmd.Command: unexpected field Duration",
            ),
            (
                r#"{"HwPositionWithDuration":{"Value":1}}"#,
                "OutputCmd.Command: missing field Duration",
            ),
            (
                r#"{"HwPositionWithDuration":{"Value":-1,"Duration":5}}"#,
                "OutputCmd.Command: Value must be an unsigned integer, got a negative integer",
            ),
            (
                r#"{"Vibrate":{"Value":2147483648}}"#,
                "OutputCmd.Command: Value 2147483648 does not fit in a signed 32-bit integer",
            ),
        ] {
            let text_in = format!(
                r#"[{{"OutputCmd":{{"Id":20,"DeviceIndex":0,"FeatureIndex":0,"Command":{command}}}}}]"#
            );
            check(
                &text_in,
                Err(&format!(
                    r#"[{{"Error":{{"ErrorCode":3,"ErrorMessage":"{{\"ButtplugMessageError\":{{\"MessageSerializationError\":\"{text}\"}}}}","Id":20}}}}]"#
                )),
            );
        }
    }

    #[test]
    fn input_cmd_read_replies_an_input_reading() {
        let read = InputRequest {
            device: DeviceIndex(0),
            feature: FeatureIndex(3),
            kind: InputKind::Battery,
            command: InputCommand::Read,
        };
        check(
            r#"[{"InputCmd":{"Id":22,"DeviceIndex":0,"FeatureIndex":3,"Type":"Battery","Command":"Read"}}]"#,
            Ok(Converted {
                request: Request::Input(read),
                reply: ReplyShape::InputReading,
            }),
        );
        let reading = InputReading {
            device: DeviceIndex(0),
            feature: FeatureIndex(1),
            kind: InputKind::Battery,
            value: 87,
        };
        assert_eq!(
            render::reply(
                SpecVersion::V4,
                22,
                &ReplyShape::InputReading,
                &Reply::Reading(reading)
            ),
            r#"[{"InputReading":{"DeviceIndex":0,"FeatureIndex":1,"Id":22,"Reading":{"Battery":{"Value":87}}}}]"#
        );
        assert_eq!(
            render::event(SpecVersion::V4, &Event::Reading(InputReading { kind: InputKind::Rssi, value: -60, ..reading })),
            vec![r#"[{"InputReading":{"DeviceIndex":0,"FeatureIndex":1,"Id":0,"Reading":{"Rssi":{"Value":-60}}}}]"#.to_owned()]
        );
        assert!(render::event(SpecVersion::V3, &Event::Reading(reading)).is_empty());
    }

    #[test]
    fn input_cmd_subscribe_replies_ok_and_needs_subscribe_support() {
        check(
            r#"[{"InputCmd":{"Id":23,"DeviceIndex":1,"FeatureIndex":1,"Type":"battery","Command":"subscribe"}}]"#,
            Ok(Converted {
                request: Request::Input(InputRequest {
                    device: DeviceIndex(1),
                    feature: FeatureIndex(1),
                    kind: InputKind::Battery,
                    command: InputCommand::Subscribe,
                }),
                reply: ReplyShape::Ok,
            }),
        );
        let not_supported = r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"MessageNotSupported\":\"InputCmd\"}}","Id":23}}]"#;
        check(
            r#"[{"InputCmd":{"Id":23,"DeviceIndex":0,"FeatureIndex":3,"Type":"Battery","Command":"Subscribe"}}]"#,
            Err(not_supported),
        );
        check(
            r#"[{"InputCmd":{"Id":23,"DeviceIndex":0,"FeatureIndex":3,"Type":"Battery","Command":"Unsubscribe"}}]"#,
            Err(not_supported),
        );
        check(
            r#"[{"InputCmd":{"Id":23,"DeviceIndex":0,"FeatureIndex":3,"Type":"Pressure","Command":"Read"}}]"#,
            Err(not_supported),
        );
        check(
            r#"[{"InputCmd":{"Id":23,"DeviceIndex":0,"FeatureIndex":0,"Type":"Battery","Command":"Read"}}]"#,
            Err(not_supported),
        );
        check(
            r#"[{"InputCmd":{"Id":23,"DeviceIndex":0,"FeatureIndex":9,"Type":"Battery","Command":"Read"}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureIndexError\":[4,9]}}","Id":23}}]"#,
            ),
        );
    }

    #[test]
    fn input_cmd_rejects_unknown_type_and_command_names() {
        check(
            r#"[{"InputCmd":{"Id":23,"DeviceIndex":0,"FeatureIndex":3,"Type":"BATTERY","Command":"Read"}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"MessageSerializationError\":\"InputCmd: unknown Type BATTERY\"}}","Id":23}}]"#,
            ),
        );
        check(
            r#"[{"InputCmd":{"Id":23,"DeviceIndex":0,"FeatureIndex":3,"Type":"Battery","Command":"Poll"}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"MessageSerializationError\":\"InputCmd: unknown Command Poll\"}}","Id":23}}]"#,
            ),
        );
    }
}

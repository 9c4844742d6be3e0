//! The v1–v3 generic commands: `VibrateCmd`, `RotateCmd`, `LinearCmd` (protocol.md §4.2,
//! §6.1). Their `Index` is a position in the advertised `VibrateCmd` / `RotateCmd` /
//! `LinearCmd` list (§5), and their floats are bounded to 0–1 by the schema, so an
//! out-of-range value is ERROR_MSG `InvalidMessageContents` at parse time (§7.1).

use crate::convert::{entry_command, linear_step, speed_step, SessionDevice};
use crate::error::{ButtplugError, DeviceError, MessageError};
use crate::fields::Fields;
use crate::messages::stop::count;
use crate::model::OutputCommand;
use plugd_core::DeviceIndex;

/// `VibrateCmd` (v1–v3).
#[derive(Debug, Clone, PartialEq)]
pub struct VibrateCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// `Speeds`, at least one.
    pub speeds: Vec<VibrateSpeed>,
}

/// One `VibrateCmd.Speeds` item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VibrateSpeed {
    /// `Index`: the n-th vibrator.
    pub index: u32,
    /// `Speed`, 0.0–1.0.
    pub speed: f64,
}

impl VibrateCmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let speeds = fields
            .list("Speeds", 1)?
            .map(|item| {
                let mut item = item?;
                let speed = VibrateSpeed {
                    index: item.u32("Index")?,
                    speed: item.unit_interval("Speed")?,
                };
                item.finish()?;
                Ok(speed)
            })
            .collect::<Result<_, MessageError>>()?;
        fields.finish()?;
        Ok(VibrateCmd {
            id,
            device_index,
            speeds,
        })
    }

    /// `Index` k is the k-th Vibrate output (§6.1).
    ///
    /// The reference answers a device without vibrators with
    /// `DeviceFeatureCountMismatch(0, items)` and an index past the end with
    /// `DeviceFeatureCountMismatch(index, items)`; `Index` equal to the count panics there
    /// (§9.8) and gets the same error here.
    pub(crate) fn output_commands(
        &self,
        device: &SessionDevice,
    ) -> Result<Vec<OutputCommand>, ButtplugError> {
        let vibrators = &device.lists.vibrate;
        let items = count(self.speeds.len());
        if vibrators.is_empty() {
            return Err(DeviceError::DeviceFeatureCountMismatch(0, items).into());
        }
        self.speeds
            .iter()
            .map(|speed| {
                let entry = vibrators
                    .get(speed.index as usize)
                    .ok_or(DeviceError::DeviceFeatureCountMismatch(speed.index, items))?;
                Ok(entry_command(entry, speed_step(speed.speed, entry.steps)))
            })
            .collect()
    }
}

/// `RotateCmd` (v1–v3).
#[derive(Debug, Clone, PartialEq)]
pub struct RotateCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// `Rotations`, at least one.
    pub rotations: Vec<RotateRotation>,
}

/// One `RotateCmd.Rotations` item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RotateRotation {
    /// `Index`: the n-th bidirectional rotator.
    pub index: u32,
    /// `Speed`, 0.0–1.0.
    pub speed: f64,
    /// `Clockwise`: the sign of the step.
    pub clockwise: bool,
}

impl RotateCmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let rotations = fields
            .list("Rotations", 1)?
            .map(|item| {
                let mut item = item?;
                let rotation = RotateRotation {
                    index: item.u32("Index")?,
                    speed: item.unit_interval("Speed")?,
                    clockwise: item.bool("Clockwise")?,
                };
                item.finish()?;
                Ok(rotation)
            })
            .collect::<Result<_, MessageError>>()?;
        fields.finish()?;
        Ok(RotateCmd {
            id,
            device_index,
            rotations,
        })
    }

    /// `Index` k is the k-th bidirectional rotator; `Rotate = round(Speed) × ±1` (§6.1).
    pub(crate) fn output_commands(
        &self,
        device: &SessionDevice,
    ) -> Result<Vec<OutputCommand>, ButtplugError> {
        let rotators = &device.lists.rotate;
        if rotators.is_empty() {
            return Err(DeviceError::MessageNotSupported("RotateCmd".into()).into());
        }
        self.rotations
            .iter()
            .map(|rotation| {
                let entry = rotators.get(rotation.index as usize).ok_or(
                    DeviceError::DeviceFeatureIndexError(count(rotators.len()), rotation.index),
                )?;
                let sign = if rotation.clockwise { 1 } else { -1 };
                Ok(entry_command(
                    entry,
                    speed_step(rotation.speed, entry.steps) * sign,
                ))
            })
            .collect()
    }
}

/// `LinearCmd` (v1–v3).
#[derive(Debug, Clone, PartialEq)]
pub struct LinearCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// `Vectors`; may be empty (does nothing).
    pub vectors: Vec<LinearVector>,
}

/// One `LinearCmd.Vectors` item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearVector {
    /// `Index`: the n-th `HwPositionWithDuration` output.
    pub index: u32,
    /// `Duration` of the move in ms.
    pub duration: u32,
    /// `Position`, 0.0–1.0.
    pub position: f64,
}

/// Durations from 2^31 ms on are refused, as the reference does.
const MAX_DURATION_MS: u32 = i32::MAX as u32;

impl LinearCmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let vectors = fields
            .list("Vectors", 0)?
            .map(|item| {
                let mut item = item?;
                let vector = LinearVector {
                    index: item.u32("Index")?,
                    duration: item.u32("Duration")?,
                    position: item.unit_interval("Position")?,
                };
                item.finish()?;
                Ok(vector)
            })
            .collect::<Result<_, MessageError>>()?;
        fields.finish()?;
        Ok(LinearCmd {
            id,
            device_index,
            vectors,
        })
    }

    /// `Index` k is the k-th `HwPositionWithDuration` output;
    /// `Value = floor(Position × steps)` (§6.1, §7.1).
    pub(crate) fn output_commands(
        &self,
        device: &SessionDevice,
    ) -> Result<Vec<OutputCommand>, ButtplugError> {
        let linears = &device.lists.linear;
        if linears.is_empty() {
            return Err(DeviceError::DeviceFeatureMismatch(
                "Device has no PositionWithDuration features".into(),
            )
            .into());
        }
        self.vectors
            .iter()
            .map(|vector| {
                let entry = linears.get(vector.index as usize).ok_or(
                    DeviceError::DeviceFeatureIndexError(count(linears.len()), vector.index),
                )?;
                if vector.duration > MAX_DURATION_MS {
                    return Err(MessageError::InvalidMessageContents(format!(
                        "LinearCmd: Duration {} ms must be under 2^31 ms",
                        vector.duration
                    ))
                    .into());
                }
                Ok(OutputCommand {
                    duration: Some(vector.duration),
                    ..entry_command(entry, linear_step(vector.position, entry.steps))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::convert::{Converted, ReplyShape};
    use crate::fixtures::{self, convert, outputs};
    use crate::model::{OutputCommand, OutputRequest, Request};
    use crate::SpecVersion;
    use plugd_core::{DeviceIndex, FeatureIndex, OutputKind};

    fn check(version: SpecVersion, text: &str, expected: Result<Converted, &str>) {
        let mut converter = fixtures::converter();
        assert_eq!(
            convert(&mut converter, version, text),
            expected.map_err(str::to_owned),
            "{text}"
        );
    }

    #[test]
    fn vibrate_cmd_addresses_the_nth_vibrator_sorted_by_feature() {
        check(
            SpecVersion::V3,
            r#"[{"VibrateCmd":{"Id":10,"DeviceIndex":3,"Speeds":[{"Index":1,"Speed":0.5},{"Index":0,"Speed":0.25}]}}]"#,
            Ok(outputs(
                3,
                &[(0, OutputKind::Vibrate, 3), (1, OutputKind::Vibrate, 10)],
            )),
        );
        check(
            SpecVersion::V1,
            r#"[{"VibrateCmd":{"Id":10,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.14}]}}]"#,
            Ok(outputs(0, &[(0, OutputKind::Vibrate, 3)])),
        );
    }

    #[test]
    fn vibrate_cmd_with_index_equal_to_the_vibrator_count_is_error_device() {
        check(
            SpecVersion::V2,
            r#"[{"VibrateCmd":{"Id":10,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5},{"Index":1,"Speed":0.25}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureCountMismatch\":[1,2]}}","Id":10}}]"#,
            ),
        );
    }

    #[test]
    fn vibrate_cmd_without_vibrators_is_feature_count_mismatch() {
        check(
            SpecVersion::V2,
            r#"[{"VibrateCmd":{"Id":10,"DeviceIndex":1,"Speeds":[{"Index":0,"Speed":0.5}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureCountMismatch\":[0,1]}}","Id":10}}]"#,
            ),
        );
    }

    #[test]
    fn vibrate_cmd_with_no_speeds_or_extra_item_fields_is_error_msg() {
        check(
            SpecVersion::V2,
            r#"[{"VibrateCmd":{"Id":10,"DeviceIndex":0,"Speeds":[]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"MessageSerializationError\":\"VibrateCmd: Speeds needs at least 1 item(s), got 0\"}}","Id":10}}]"#,
            ),
        );
        check(
            SpecVersion::V2,
            r#"[{"VibrateCmd":{"Id":10,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5,"Clockwise":true}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"MessageSerializationError\":\"VibrateCmd.Speeds[0]: unexpected field Clockwise\"}}","Id":10}}]"#,
            ),
        );
    }

    #[test]
    fn one_bad_subcommand_sends_nothing() {
        check(
            SpecVersion::V3,
            r#"[{"RotateCmd":{"Id":11,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.3,"Clockwise":true},{"Index":3,"Speed":0.3,"Clockwise":true}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureIndexError\":[1,3]}}","Id":11}}]"#,
            ),
        );
    }

    #[test]
    fn rotate_cmd_signs_the_step_by_direction() {
        check(
            SpecVersion::V3,
            r#"[{"RotateCmd":{"Id":11,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.3,"Clockwise":false}]}}]"#,
            Ok(outputs(0, &[(1, OutputKind::Rotate, -6)])),
        );
        check(
            SpecVersion::V1,
            r#"[{"RotateCmd":{"Id":11,"DeviceIndex":2,"Rotations":[{"Index":0,"Speed":1,"Clockwise":true}]}}]"#,
            Ok(outputs(2, &[(0, OutputKind::Rotate, 99)])),
        );
    }

    #[test]
    fn rotate_cmd_without_bidirectional_rotators_is_message_not_supported() {
        check(
            SpecVersion::V3,
            r#"[{"RotateCmd":{"Id":11,"DeviceIndex":4,"Rotations":[{"Index":0,"Speed":0.3,"Clockwise":true}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"MessageNotSupported\":\"RotateCmd\"}}","Id":11}}]"#,
            ),
        );
    }

    #[test]
    fn linear_cmd_floors_the_position() {
        check(
            SpecVersion::V2,
            r#"[{"LinearCmd":{"Id":12,"DeviceIndex":1,"Vectors":[{"Index":0,"Duration":500,"Position":0.9}]}}]"#,
            Ok(Converted {
                request: Request::Output(OutputRequest {
                    device: DeviceIndex(1),
                    commands: vec![OutputCommand {
                        feature: FeatureIndex(0),
                        kind: OutputKind::HwPositionWithDuration,
                        value: 89,
                        duration: Some(500),
                    }],
                }),
                reply: ReplyShape::Ok,
            }),
        );
        check(
            SpecVersion::V2,
            r#"[{"LinearCmd":{"Id":12,"DeviceIndex":1,"Vectors":[]}}]"#,
            Ok(outputs(1, &[])),
        );
    }

    #[test]
    fn linear_cmd_rounds_0_57_of_100_steps_down_to_56() {
        let mut converter = crate::convert::Converter::new();
        let mut device = fixtures::launch();
        device.features[0].outputs[0].range = (0, 100);
        converter.set_devices(&[device]);
        let converted = convert(
            &mut converter,
            SpecVersion::V3,
            r#"[{"LinearCmd":{"Id":12,"DeviceIndex":1,"Vectors":[{"Index":0,"Duration":50,"Position":0.57}]}}]"#,
        )
        .unwrap();
        let Request::Output(request) = converted.request else {
            panic!("{converted:?}")
        };
        assert_eq!(request.commands[0].value, 56);
    }

    #[test]
    fn linear_cmd_errors_follow_the_reference() {
        check(
            SpecVersion::V3,
            r#"[{"LinearCmd":{"Id":12,"DeviceIndex":0,"Vectors":[]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureMismatch\":\"Device has no PositionWithDuration features\"}}","Id":12}}]"#,
            ),
        );
        check(
            SpecVersion::V3,
            r#"[{"LinearCmd":{"Id":12,"DeviceIndex":1,"Vectors":[{"Index":1,"Duration":5,"Position":0.5}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureIndexError\":[1,1]}}","Id":12}}]"#,
            ),
        );
        check(
            SpecVersion::V3,
            r#"[{"LinearCmd":{"Id":12,"DeviceIndex":1,"Vectors":[{"Index":0,"Duration":2147483648,"Position":0.5}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"InvalidMessageContents\":\"LinearCmd: Duration 2147483648 ms must be under 2^31 ms\"}}","Id":12}}]"#,
            ),
        );
        check(
            SpecVersion::V3,
            r#"[{"LinearCmd":{"Id":12,"DeviceIndex":1,"Vectors":[{"Index":0,"Duration":500.5,"Position":0.5}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"MessageSerializationError\":\"LinearCmd.Vectors[0]: Duration must be an unsigned integer, got a non-integer number\"}}","Id":12}}]"#,
            ),
        );
        check(
            SpecVersion::V3,
            r#"[{"LinearCmd":{"Id":12,"DeviceIndex":1,"Vectors":[{"Index":0,"Duration":500,"Position":1.01}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"InvalidMessageContents\":\"LinearCmd.Vectors[0]: Position 1.01 is outside 0.0 to 1.0\"}}","Id":12}}]"#,
            ),
        );
    }

    #[test]
    fn unknown_device_is_device_not_available() {
        check(
            SpecVersion::V3,
            r#"[{"VibrateCmd":{"Id":10,"DeviceIndex":42,"Speeds":[{"Index":0,"Speed":0.5}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceNotAvailable\":42}}","Id":10}}]"#,
            ),
        );
    }
}

//! The v0–v1 device commands (protocol.md §4.2, §6): `SingleMotorVibrateCmd` (every
//! vibrator), `FleshlightLaunchFW12Cmd` and `VorzeA10CycloneCmd` (converted as the "plugd"
//! column of §6.2 says), and the messages plugd parses only to refuse: `KiirooCmd`,
//! `LovenseCmd`, `Test`, `RequestLog`.

use crate::convert::{entry_command, linear_step, speed_step, SessionDevice};
use crate::error::{ButtplugError, DeviceError, MessageError};
use crate::fields::Fields;
use crate::model::OutputCommand;
use plugd_core::DeviceIndex;

/// `SingleMotorVibrateCmd` (v0–v1): one speed for every vibrator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SingleMotorVibrateCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// `Speed`, 0.0–1.0.
    pub speed: f64,
}

impl SingleMotorVibrateCmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let speed = fields.unit_interval("Speed")?;
        fields.finish()?;
        Ok(SingleMotorVibrateCmd {
            id,
            device_index,
            speed,
        })
    }

    /// Every feature with a Vibrate output gets `Vibrate = round(Speed)` (§6.1).
    pub(crate) fn output_commands(
        &self,
        device: &SessionDevice,
    ) -> Result<Vec<OutputCommand>, ButtplugError> {
        if device.lists.vibrate.is_empty() {
            return Err(DeviceError::DeviceFeatureMismatch(
                "Device has no Vibrate features".into(),
            )
            .into());
        }
        Ok(device
            .lists
            .vibrate
            .iter()
            .map(|entry| entry_command(entry, speed_step(self.speed, entry.steps)))
            .collect())
    }
}

/// `FleshlightLaunchFW12Cmd` (v0–v1): move to `Position` at `Speed`, both 0–99.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleshlightLaunchFW12Cmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// `Position`, 0–99.
    pub position: u32,
    /// `Speed`, 0–99.
    pub speed: u32,
}

impl FleshlightLaunchFW12Cmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let position = fields.u32("Position")?;
        let speed = fields.u32("Speed")?;
        for (name, value) in [("Position", position), ("Speed", speed)] {
            if value > 99 {
                return Err(fields.invalid(format_args!("{name} {value} is outside 0 to 99")));
            }
        }
        fields.finish()?;
        Ok(FleshlightLaunchFW12Cmd {
            id,
            device_index,
            position,
            speed,
        })
    }

    /// A linear move on the device's first `HwPositionWithDuration` output (what LinearCmd
    /// index 0 addresses), with the duration computed from the distance to the last position
    /// this session sent (§6.2, the reference's `fleshlight_launch_helper`). Updates that
    /// position.
    pub(crate) fn output_commands(
        &self,
        device: &mut SessionDevice,
    ) -> Result<Vec<OutputCommand>, ButtplugError> {
        let Some(entry) = device.lists.linear.first() else {
            return Err(DeviceError::DeviceFeatureMismatch(
                "Device has no PositionWithDuration features".into(),
            )
            .into());
        };
        let goal = f64::from(self.position) / 100.0;
        let distance = (goal - device.linear_goal).abs().min(1.0);
        let speed = (f64::from(self.speed) / 99.0).min(1.0);
        let duration = if distance <= 0.0 || speed <= 0.0 {
            0
        } else {
            // Written exactly as the reference helper, so results match bit for bit.
            let mil = (speed / 250.0).powf(-0.95);
            (mil / (90.0 / (distance * 100.0))) as u32
        };
        let command = OutputCommand {
            duration: Some(duration),
            ..entry_command(entry, linear_step(goal, entry.steps))
        };
        device.linear_goal = goal;
        Ok(vec![command])
    }
}

/// `VorzeA10CycloneCmd` (v0–v1): rotation speed 0–99 and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VorzeA10CycloneCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// `Speed`, 0–99 (the schema allows 100, which counts as 99).
    pub speed: u32,
    /// `Clockwise`.
    pub clockwise: bool,
}

impl VorzeA10CycloneCmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let speed = fields.u32("Speed")?;
        if speed > 100 {
            return Err(fields.invalid(format_args!("Speed {speed} is outside 0 to 99")));
        }
        let clockwise = fields.bool("Clockwise")?;
        fields.finish()?;
        Ok(VorzeA10CycloneCmd {
            id,
            device_index,
            speed,
            clockwise,
        })
    }

    /// The 9.x mapping (§6.2): every bidirectional rotator (the `RotateCmd` list) gets
    /// `round(Speed / 99)`, negative when counter-clockwise.
    pub(crate) fn output_commands(
        &self,
        device: &SessionDevice,
    ) -> Result<Vec<OutputCommand>, ButtplugError> {
        if device.lists.rotate.is_empty() {
            return Err(DeviceError::MessageNotSupported("VorzeA10CycloneCmd".into()).into());
        }
        let speed = (f64::from(self.speed) / 99.0).min(1.0);
        let sign = if self.clockwise { 1 } else { -1 };
        Ok(device
            .lists
            .rotate
            .iter()
            .map(|entry| entry_command(entry, speed_step(speed, entry.steps) * sign))
            .collect())
    }
}

/// `KiirooCmd` and `LovenseCmd` (v0–v1): a raw device command string. Refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceStringCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// `Command`, the device-specific string.
    pub command: String,
}

impl DeviceStringCmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let command = fields.string("Command")?;
        fields.finish()?;
        Ok(DeviceStringCmd {
            id,
            device_index,
            command,
        })
    }
}

/// `Test` (v0–v1): an echo request. Refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Test {
    /// Message Id.
    pub id: u32,
    /// `TestString`.
    pub test_string: String,
}

impl Test {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let test_string = fields.string("TestString")?;
        fields.finish()?;
        Ok(Test { id, test_string })
    }
}

/// `RequestLog` (v0–v2): a log stream request. Refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLog {
    /// Message Id.
    pub id: u32,
    /// `LogLevel`: Off, Fatal, Error, Warn, Info, Debug or Trace.
    pub log_level: String,
}

const LOG_LEVELS: [&str; 7] = ["Off", "Fatal", "Error", "Warn", "Info", "Debug", "Trace"];

impl RequestLog {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let log_level = fields.string("LogLevel")?;
        if !LOG_LEVELS.contains(&log_level.as_str()) {
            return Err(fields.malformed(format_args!(
                "LogLevel must be one of {}",
                LOG_LEVELS.join(", ")
            )));
        }
        fields.finish()?;
        Ok(RequestLog { id, log_level })
    }
}

#[cfg(test)]
mod tests {
    use crate::convert::{Converted, ReplyShape};
    use crate::fixtures::{self, convert, outputs};
    use crate::model::{OutputCommand, OutputRequest, Request};
    use crate::SpecVersion;
    use plugd_core::{DeviceIndex, FeatureIndex, OutputKind};

    fn linear(device: u32, feature: u32, value: i32, duration: u32) -> Converted {
        Converted {
            request: Request::Output(OutputRequest {
                device: DeviceIndex(device),
                commands: vec![OutputCommand {
                    feature: FeatureIndex(feature),
                    kind: OutputKind::HwPositionWithDuration,
                    value,
                    duration: Some(duration),
                }],
            }),
            reply: ReplyShape::Ok,
        }
    }

    #[test]
    fn single_motor_vibrate_sets_every_vibrator() {
        let mut converter = fixtures::converter();
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V0,
                r#"[{"SingleMotorVibrateCmd":{"Id":5,"DeviceIndex":0,"Speed":0.5}}]"#
            ),
            Ok(outputs(0, &[(0, OutputKind::Vibrate, 10)]))
        );
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V1,
                r#"[{"SingleMotorVibrateCmd":{"Id":5,"DeviceIndex":3,"Speed":0.5}}]"#
            ),
            Ok(outputs(
                3,
                &[(0, OutputKind::Vibrate, 5), (1, OutputKind::Vibrate, 10)]
            ))
        );
    }

    #[test]
    fn single_motor_vibrate_without_vibrators_is_device_feature_mismatch() {
        let mut converter = fixtures::converter();
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V0,
                r#"[{"SingleMotorVibrateCmd":{"Id":5,"DeviceIndex":1,"Speed":0.5}}]"#
            ),
            Err(r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureMismatch\":\"Device has no Vibrate features\"}}","Id":5}}]"#.into())
        );
    }

    #[test]
    fn single_motor_vibrate_out_of_range_is_invalid_message_contents() {
        let mut converter = fixtures::converter();
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V0,
                r#"[{"SingleMotorVibrateCmd":{"Id":5,"DeviceIndex":0,"Speed":-0.5}}]"#
            ),
            Err(r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"InvalidMessageContents\":\"SingleMotorVibrateCmd: Speed -0.5 is outside 0.0 to 1.0\"}}","Id":5}}]"#.into())
        );
    }

    #[test]
    fn fleshlight_moves_from_the_last_position_with_the_helper_duration() {
        let mut converter = fixtures::converter();
        // From 0 to 99 at speed 99: 208 ms; value floor(0.99 × 99) = 98.
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V0,
                r#"[{"FleshlightLaunchFW12Cmd":{"Id":6,"DeviceIndex":1,"Position":99,"Speed":99}}]"#
            ),
            Ok(linear(1, 0, 98, 208))
        );
        // Back to 0: same distance, so the same duration at the same speed.
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V0,
                r#"[{"FleshlightLaunchFW12Cmd":{"Id":7,"DeviceIndex":1,"Position":0,"Speed":99}}]"#
            ),
            Ok(linear(1, 0, 0, 208))
        );
        // From 0 to 99 at speed 50: 399 ms.
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V1,
                r#"[{"FleshlightLaunchFW12Cmd":{"Id":8,"DeviceIndex":1,"Position":99,"Speed":50}}]"#
            ),
            Ok(linear(1, 0, 98, 399))
        );
        // Staying put, or speed 0: duration 0.
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V1,
                r#"[{"FleshlightLaunchFW12Cmd":{"Id":9,"DeviceIndex":1,"Position":99,"Speed":50}}]"#
            ),
            Ok(linear(1, 0, 98, 0))
        );
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V1,
                r#"[{"FleshlightLaunchFW12Cmd":{"Id":10,"DeviceIndex":1,"Position":90,"Speed":0}}]"#
            ),
            Ok(linear(1, 0, 89, 0))
        );
    }

    #[test]
    fn fleshlight_needs_a_linear_output_and_values_up_to_99() {
        let mut converter = fixtures::converter();
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V0,
                r#"[{"FleshlightLaunchFW12Cmd":{"Id":6,"DeviceIndex":0,"Position":90,"Speed":50}}]"#
            ),
            Err(r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureMismatch\":\"Device has no PositionWithDuration features\"}}","Id":6}}]"#.into())
        );
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V0,
                r#"[{"FleshlightLaunchFW12Cmd":{"Id":6,"DeviceIndex":1,"Position":100,"Speed":50}}]"#
            ),
            Err(r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"InvalidMessageContents\":\"FleshlightLaunchFW12Cmd: Position 100 is outside 0 to 99\"}}","Id":6}}]"#.into())
        );
    }

    #[test]
    fn vorze_rotates_every_bidirectional_rotator_with_a_sign() {
        let mut converter = fixtures::converter();
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V0,
                r#"[{"VorzeA10CycloneCmd":{"Id":7,"DeviceIndex":2,"Speed":13,"Clockwise":true}}]"#
            ),
            Ok(outputs(2, &[(0, OutputKind::Rotate, 14)]))
        );
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V1,
                r#"[{"VorzeA10CycloneCmd":{"Id":7,"DeviceIndex":0,"Speed":40,"Clockwise":false}}]"#
            ),
            Ok(outputs(0, &[(1, OutputKind::Rotate, -9)]))
        );
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V1,
                r#"[{"VorzeA10CycloneCmd":{"Id":7,"DeviceIndex":2,"Speed":100,"Clockwise":false}}]"#
            ),
            Ok(outputs(2, &[(0, OutputKind::Rotate, -99)]))
        );
    }

    #[test]
    fn vorze_without_bidirectional_rotators_is_error_device() {
        let mut converter = fixtures::converter();
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V0,
                r#"[{"VorzeA10CycloneCmd":{"Id":7,"DeviceIndex":4,"Speed":40,"Clockwise":true}}]"#
            ),
            Err(r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"MessageNotSupported\":\"VorzeA10CycloneCmd\"}}","Id":7}}]"#.into())
        );
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V0,
                r#"[{"VorzeA10CycloneCmd":{"Id":7,"DeviceIndex":9,"Speed":40,"Clockwise":true}}]"#
            ),
            Err(r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceNotAvailable\":9}}","Id":7}}]"#.into())
        );
    }

    #[test]
    fn request_log_checks_its_level() {
        let mut converter = fixtures::converter();
        let error = convert(
            &mut converter,
            SpecVersion::V1,
            r#"[{"RequestLog":{"Id":7,"LogLevel":"Loud"}}]"#,
        )
        .unwrap_err();
        assert!(
            error.contains("LogLevel must be one of Off, Fatal"),
            "{error}"
        );
    }
}

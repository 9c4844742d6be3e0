//! Converting parsed client messages onto the internal model (protocol.md §6): [`Converter`],
//! one per client session, holds that session's view of the devices and turns each
//! [`ClientMessage`] into a [`Request`] plus the [`ReplyShape`] its answer must take.
//!
//! Legacy indices are positions in the per-version lists the session was shown
//! (`advertised::LegacyLists`, §5), never feature indices. Every subcommand is checked before
//! any command is built, so a bad one means nothing is sent. Floats become steps as §7.1 says:
//! f64 `ceil` with a 1e-6 cut-off to 0, `ceil` for `Position`, `floor` for `LinearCmd`.
//! Output ranges of v4 `OutputCmd` are checked later, by the Device actor against the
//! definition.

use crate::advertised::{LegacyEntry, LegacyLists};
use crate::error::{ButtplugError, DeviceError, HandshakeError, MessageError};
use crate::model::{
    DeviceInfo, OutputCommand, OutputRequest, RawCommand, RawRequest, Request, StopRequest,
};
use crate::parse::ClientMessage;
use plugd_core::{DeviceIndex, InputCommand};
use std::collections::BTreeMap;

/// How the answer to a converted request is rendered (its request may come from any version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyShape {
    /// `Ok`.
    Ok,
    /// `DeviceList` in the session's version.
    DeviceList,
    /// v2 `BatteryLevelReading` (percent / 100).
    BatteryLevelReading,
    /// v3 `SensorReading`, echoing the request's sensor fields.
    SensorReading {
        /// `SensorIndex` from the request.
        sensor_index: u32,
        /// `SensorType` from the request, in its PascalCase spelling.
        sensor_type: String,
    },
    /// v4 `InputReading`.
    InputReading,
    /// v2–v3 `RawReading`.
    RawReading,
}

/// A client message on the internal model.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// What to do.
    pub request: Request,
    /// How to render the answer.
    pub reply: ReplyShape,
}

impl Converted {
    fn ok(request: Request) -> Self {
        Converted {
            request,
            reply: ReplyShape::Ok,
        }
    }

    fn output(device: DeviceIndex, mut commands: Vec<OutputCommand>) -> Self {
        // §6.1: subcommands run in feature order. The sort is stable, so a feature addressed
        // twice keeps the client's order and its last value wins.
        commands.sort_by_key(|command| command.feature);
        Converted::ok(Request::Output(OutputRequest { device, commands }))
    }
}

/// One device as this session sees it, with its legacy lists computed once.
#[derive(Debug, Clone)]
pub(crate) struct SessionDevice {
    /// The description the session was shown.
    pub(crate) info: DeviceInfo,
    /// Its v0–v3 lists, for legacy indices.
    pub(crate) lists: LegacyLists,
    /// `FleshlightLaunchFW12Cmd`: the last goal position (0.0–0.99), 0 at first (§6.2).
    pub(crate) linear_goal: f64,
}

impl SessionDevice {
    fn new(info: &DeviceInfo) -> Self {
        SessionDevice {
            lists: LegacyLists::of(info),
            info: info.clone(),
            linear_goal: 0.0,
        }
    }
}

/// Converts one session's client messages onto the internal model. Keeps the session's view
/// of the devices and the per-device state legacy conversions need.
#[derive(Debug, Clone, Default)]
pub struct Converter {
    /// The devices this session knows, by index.
    devices: BTreeMap<DeviceIndex, SessionDevice>,
}

impl Converter {
    /// A converter that knows no device yet.
    pub fn new() -> Self {
        Converter::default()
    }

    /// Replaces the session's view of the devices (after every device list change). A device
    /// that stays keeps its Fleshlight position; a new one starts at 0.
    ///
    /// Updated in place: entries of devices that stay are neither moved nor copied, so a churn
    /// of other devices allocates only for the ones that come and go (every client keeps such
    /// a view).
    pub fn set_devices(&mut self, devices: &[DeviceInfo]) {
        let listed: BTreeMap<DeviceIndex, &DeviceInfo> =
            devices.iter().map(|info| (info.index, info)).collect();
        self.devices.retain(|index, _| listed.contains_key(index));
        for (index, info) in listed {
            match self.devices.get_mut(&index) {
                Some(known) if known.info == *info => {}
                Some(known) => {
                    *known = SessionDevice {
                        linear_goal: known.linear_goal,
                        ..SessionDevice::new(info)
                    }
                }
                None => {
                    self.devices.insert(index, SessionDevice::new(info));
                }
            }
        }
    }

    /// Converts one message (protocol.md §6).
    ///
    /// # Errors
    /// - `RequestServerInfo`: ERROR_INIT `HandshakeAlreadyHappened` (the caller handles the
    ///   first one);
    /// - an unknown device index: ERROR_DEVICE `DeviceNotAvailable(index)`;
    /// - KiirooCmd, LovenseCmd, Test, RequestLog, RSSILevelCmd: ERROR_MSG
    ///   `MessageConversionError`;
    /// - Raw*: not refused here: they become [`Request::Raw`] whatever the device index, and
    ///   the DeviceManager refuses them (ERROR_MSG) unless raw access is enabled;
    /// - SensorSubscribeCmd / SensorUnsubscribeCmd: ERROR_DEVICE `MessageNotSupported`;
    /// - what the device cannot do, per the protocol.md §3 table.
    pub fn to_request(&mut self, message: &ClientMessage) -> Result<Converted, ButtplugError> {
        use ClientMessage as M;
        Ok(match message {
            M::RequestServerInfo(_) => {
                return Err(HandshakeError::HandshakeAlreadyHappened.into());
            }
            M::Ping { .. } => Converted::ok(Request::Ping),
            M::StartScanning { .. } => Converted::ok(Request::StartScanning),
            M::StopScanning { .. } => Converted::ok(Request::StopScanning),
            M::RequestDeviceList { .. } => Converted {
                request: Request::RequestDeviceList,
                reply: ReplyShape::DeviceList,
            },
            M::StopDeviceCmd { device_index, .. } => {
                self.device(*device_index)?;
                Converted::ok(Request::Stop(StopRequest::device(*device_index)))
            }
            M::StopAllDevices { .. } => Converted::ok(Request::Stop(StopRequest::ALL)),
            M::StopCmd(command) => {
                let device = match command.device_index {
                    Some(index) => Some(self.device(index)?),
                    None => None,
                };
                Converted::ok(Request::Stop(command.stop_request(device)?))
            }
            M::SingleMotorVibrateCmd(command) => Converted::output(
                command.device_index,
                command.output_commands(self.device(command.device_index)?)?,
            ),
            M::FleshlightLaunchFW12Cmd(command) => Converted::output(
                command.device_index,
                command.output_commands(self.device_mut(command.device_index)?)?,
            ),
            M::VorzeA10CycloneCmd(command) => Converted::output(
                command.device_index,
                command.output_commands(self.device(command.device_index)?)?,
            ),
            M::KiirooCmd(_)
            | M::LovenseCmd(_)
            | M::Test(_)
            | M::RequestLog(_)
            | M::RSSILevelCmd { .. } => return Err(unsupported(message.name())),
            M::RawWriteCmd(command)
            | M::RawReadCmd(command)
            | M::RawSubscribeCmd(command)
            | M::RawUnsubscribeCmd(command) => Converted {
                request: Request::Raw(RawRequest {
                    device: command.device_index,
                    endpoint: command.endpoint,
                    command: command.command.clone(),
                }),
                reply: match command.command {
                    RawCommand::Read { .. } => ReplyShape::RawReading,
                    RawCommand::Write { .. } | RawCommand::Subscribe | RawCommand::Unsubscribe => {
                        ReplyShape::Ok
                    }
                },
            },
            M::VibrateCmd(command) => Converted::output(
                command.device_index,
                command.output_commands(self.device(command.device_index)?)?,
            ),
            M::RotateCmd(command) => Converted::output(
                command.device_index,
                command.output_commands(self.device(command.device_index)?)?,
            ),
            M::LinearCmd(command) => Converted::output(
                command.device_index,
                command.output_commands(self.device(command.device_index)?)?,
            ),
            M::ScalarCmd(command) => Converted::output(
                command.device_index,
                command.output_commands(self.device(command.device_index)?)?,
            ),
            M::BatteryLevelCmd { device_index, .. } => Converted {
                request: Request::Input(crate::messages::sensor::battery_level(
                    self.device(*device_index)?,
                )?),
                reply: ReplyShape::BatteryLevelReading,
            },
            M::SensorReadCmd(command) => Converted {
                request: Request::Input(command.read_request(self.device(command.device_index)?)?),
                reply: ReplyShape::SensorReading {
                    sensor_index: command.sensor_index,
                    sensor_type: command.sensor_type.wire_name().to_owned(),
                },
            },
            // The reference always refuses these (protocol.md §8.6); it never looks at the device.
            M::SensorSubscribeCmd(_) => {
                return Err(DeviceError::MessageNotSupported("SensorSubscribeCmdV3".into()).into())
            }
            M::SensorUnsubscribeCmd(_) => {
                return Err(
                    DeviceError::MessageNotSupported("SensorUnsubscribeCmdV3".into()).into(),
                )
            }
            M::OutputCmd(command) => Converted::output(
                command.device_index,
                vec![command.output_command(self.device(command.device_index)?)?],
            ),
            M::InputCmd(command) => Converted {
                request: Request::Input(command.input_request(self.device(command.device_index)?)?),
                reply: match command.command {
                    InputCommand::Read => ReplyShape::InputReading,
                    InputCommand::Subscribe | InputCommand::Unsubscribe => ReplyShape::Ok,
                },
            },
        })
    }

    fn device(&self, index: DeviceIndex) -> Result<&SessionDevice, ButtplugError> {
        self.devices
            .get(&index)
            .ok_or_else(|| DeviceError::DeviceNotAvailable(index.0).into())
    }

    fn device_mut(&mut self, index: DeviceIndex) -> Result<&mut SessionDevice, ButtplugError> {
        self.devices
            .get_mut(&index)
            .ok_or_else(|| DeviceError::DeviceNotAvailable(index.0).into())
    }
}

/// The answer to a message plugd parses but does not implement (§4.1, §6.2).
fn unsupported(name: &str) -> ButtplugError {
    MessageError::MessageConversionError(format!(
        "{name} is not supported; use a newer message of the spec"
    ))
    .into()
}

/// §7.1 for value outputs (Vibrate, Rotate, Oscillate, …): `v < 1e-6 ? 0 : ceil(steps × v)`
/// in f64. `speed` is already checked to be within 0–1.
pub(crate) fn speed_step(speed: f64, steps: u32) -> i32 {
    if speed < 0.000_001 {
        0
    } else {
        (f64::from(steps) * speed).ceil() as i32
    }
}

/// §7.1 for `ScalarCmd` "Position": `ceil(steps × v)`, no cut-off.
pub(crate) fn position_step(position: f64, steps: u32) -> i32 {
    (f64::from(steps) * position).ceil() as i32
}

/// §7.1 for `LinearCmd` (`HwPositionWithDuration`): `floor(steps × v)`.
pub(crate) fn linear_step(position: f64, steps: u32) -> i32 {
    (f64::from(steps) * position).floor() as i32
}

/// An output command for a legacy list entry.
pub(crate) fn entry_command(entry: &LegacyEntry, value: i32) -> OutputCommand {
    OutputCommand {
        feature: entry.feature,
        kind: entry.kind,
        value,
        duration: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::parse::parse_frame;
    use crate::render;
    use crate::SpecVersion;

    #[test]
    fn rounding_follows_the_section_7_1_table() {
        let speed = |text: &str| -> f64 { serde_json::from_str(text).unwrap() };
        assert_eq!(speed_step(speed("0.5"), 20), 10);
        assert_eq!(speed_step(speed("0.5"), 3), 2);
        assert_eq!(speed_step(speed("0.01"), 20), 1);
        assert_eq!(speed_step(speed("0.14"), 100), 15);
        assert_eq!(speed_step(speed("0.0000005"), 20), 0);
        assert_eq!(speed_step(speed("1"), 20), 20);
        assert_eq!(linear_step(speed("0.57"), 100), 56);
        assert_eq!(position_step(speed("0.0000005"), 100), 1);
        assert_eq!(speed_step(13.0 / 99.0, 99), 14);
    }

    #[test]
    fn request_server_info_after_the_handshake_is_handshake_already_happened() {
        let mut converter = Converter::new();
        let parsed = parse_frame(
            r#"[{"RequestServerInfo":{"Id":2,"ClientName":"A","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
            SpecVersion::V4,
        );
        let message = parsed[0].clone().unwrap();
        let error = converter.to_request(&message).unwrap_err();
        assert_eq!(
            render::error(message.id(), &error),
            r#"[{"Error":{"ErrorCode":1,"ErrorMessage":"{\"ButtplugHandshakeError\":\"HandshakeAlreadyHappened\"}","Id":2}}]"#
        );
    }

    #[test]
    fn session_requests_convert_with_their_reply_shapes() {
        let mut converter = Converter::new();
        let parsed = parse_frame(
            r#"[{"Ping":{"Id":1}},{"StartScanning":{"Id":2}},{"StopScanning":{"Id":3}},{"RequestDeviceList":{"Id":4}}]"#,
            SpecVersion::V3,
        );
        let converted: Vec<Converted> = parsed
            .into_iter()
            .map(|message| converter.to_request(&message.unwrap()).unwrap())
            .collect();
        assert_eq!(
            converted,
            vec![
                Converted::ok(Request::Ping),
                Converted::ok(Request::StartScanning),
                Converted::ok(Request::StopScanning),
                Converted {
                    request: Request::RequestDeviceList,
                    reply: ReplyShape::DeviceList
                },
            ]
        );
    }

    #[test]
    fn refused_legacy_messages_are_error_msg() {
        let mut converter = Converter::new();
        converter.set_devices(&[fixtures::example_toy()]);
        for (version, text, name) in [
            (
                SpecVersion::V0,
                r#"[{"KiirooCmd":{"Id":5,"DeviceIndex":0,"Command":"4"}}]"#,
                "KiirooCmd",
            ),
            (
                SpecVersion::V1,
                r#"[{"LovenseCmd":{"Id":5,"DeviceIndex":0,"Command":"Vibrate:5;"}}]"#,
                "LovenseCmd",
            ),
            (
                SpecVersion::V0,
                r#"[{"Test":{"Id":5,"TestString":"hello"}}]"#,
                "Test",
            ),
            (
                SpecVersion::V2,
                r#"[{"RequestLog":{"Id":5,"LogLevel":"Debug"}}]"#,
                "RequestLog",
            ),
            (
                SpecVersion::V2,
                r#"[{"RSSILevelCmd":{"Id":5,"DeviceIndex":0}}]"#,
                "RSSILevelCmd",
            ),
        ] {
            let message = parse_frame(text, version).remove(0).unwrap();
            let error = converter.to_request(&message).unwrap_err();
            assert_eq!(
                render::error(message.id(), &error),
                format!(
                    r#"[{{"Error":{{"ErrorCode":3,"ErrorMessage":"{{\"ButtplugMessageError\":{{\"MessageConversionError\":\"{name} is not supported; use a newer message of the spec\"}}}}","Id":5}}}}]"#
                )
            );
        }
    }

    #[test]
    fn set_devices_keeps_the_fleshlight_position_of_devices_that_stay() {
        let mut converter = Converter::new();
        converter.set_devices(&[fixtures::launch()]);
        converter
            .devices
            .get_mut(&DeviceIndex(1))
            .unwrap()
            .linear_goal = 0.5;
        converter.set_devices(&[fixtures::launch(), fixtures::example_toy()]);
        assert_eq!(converter.devices[&DeviceIndex(1)].linear_goal, 0.5);
        converter.set_devices(&[fixtures::example_toy()]);
        converter.set_devices(&[fixtures::launch(), fixtures::example_toy()]);
        assert_eq!(converter.devices[&DeviceIndex(1)].linear_goal, 0.0);
    }
}

//! Legacy sensor messages: v2 `BatteryLevelCmd` / `BatteryLevelReading` and `RSSILevelCmd`
//! (refused), v3 `SensorReadCmd` / `SensorReading` and `SensorSubscribeCmd` /
//! `SensorUnsubscribeCmd` (always refused). Battery reads become a v4 Input Read of the first
//! readable battery feature; the reply takes the request's shape (protocol.md §6.1, §8.6).

use crate::convert::SessionDevice;
use crate::error::{ButtplugError, DeviceError, MessageError};
use crate::fields::{shorten, Fields};
use crate::model::{InputReading, InputRequest};
use crate::render::frame;
use plugd_core::{DeviceIndex, InputCommand, InputKind};
use serde::Serialize;

/// `SensorReadCmd`, `SensorSubscribeCmd`, `SensorUnsubscribeCmd` (v3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// `SensorIndex`: echoed in the reply; the first battery is read whatever it says.
    pub sensor_index: u32,
    /// `SensorType`.
    pub sensor_type: InputKind,
}

impl SensorCmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let sensor_index = fields.u32("SensorIndex")?;
        let name = fields.string("SensorType")?;
        let sensor_type = InputKind::from_wire_name(&name)
            .map_err(|_| fields.malformed(format_args!("unknown SensorType {}", shorten(&name))))?;
        fields.finish()?;
        Ok(SensorCmd {
            id,
            device_index,
            sensor_index,
            sensor_type,
        })
    }

    /// `SensorReadCmd`: Battery only, read from the first readable battery.
    ///
    /// # Errors
    /// ERROR_DEVICE `MessageNotSupported("SensorReadCmdV3")` for another type or no battery.
    pub(crate) fn read_request(
        &self,
        device: &SessionDevice,
    ) -> Result<InputRequest, ButtplugError> {
        let not_supported = || DeviceError::MessageNotSupported("SensorReadCmdV3".into());
        if self.sensor_type != InputKind::Battery {
            return Err(not_supported().into());
        }
        let feature = device.lists.batteries.first().ok_or_else(not_supported)?;
        Ok(InputRequest {
            device: device.info.index,
            feature: *feature,
            kind: InputKind::Battery,
            command: InputCommand::Read,
        })
    }
}

/// `BatteryLevelCmd` (v2): read the first readable battery.
///
/// # Errors
/// ERROR_DEVICE `DeviceConfigurationError` when the device has none.
pub(crate) fn battery_level(device: &SessionDevice) -> Result<InputRequest, ButtplugError> {
    let feature = device.lists.batteries.first().ok_or_else(|| {
        DeviceError::DeviceConfigurationError(
            "Device configuration does not have Battery sensor available.".into(),
        )
    })?;
    Ok(InputRequest {
        device: device.info.index,
        feature: *feature,
        kind: InputKind::Battery,
        command: InputCommand::Read,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BatteryLevelReading {
    battery_level: f64,
    device_index: u32,
    id: u32,
}

/// The `BatteryLevelReading` frame: percent / 100.
pub(crate) fn battery_level_reading(id: u32, reading: &InputReading) -> String {
    frame(
        "BatteryLevelReading",
        &BatteryLevelReading {
            battery_level: f64::from(reading.value) / 100.0,
            device_index: reading.device.0,
            id,
        },
    )
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SensorReading<'a> {
    data: [i32; 1],
    device_index: u32,
    id: u32,
    sensor_index: u32,
    sensor_type: &'a str,
}

/// The `SensorReading` frame: the request's sensor fields and `Data: [value]`.
pub(crate) fn sensor_reading(
    id: u32,
    sensor_index: u32,
    sensor_type: &str,
    reading: &InputReading,
) -> String {
    frame(
        "SensorReading",
        &SensorReading {
            data: [reading.value],
            device_index: reading.device.0,
            id,
            sensor_index,
            sensor_type,
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::convert::{Converted, ReplyShape};
    use crate::fixtures::{self, convert};
    use crate::model::{InputReading, InputRequest, Reply, Request};
    use crate::{render, SpecVersion};
    use plugd_core::{DeviceIndex, FeatureIndex, InputCommand, InputKind};

    fn battery_read(device: u32, feature: u32, reply: ReplyShape) -> Converted {
        Converted {
            request: Request::Input(InputRequest {
                device: DeviceIndex(device),
                feature: FeatureIndex(feature),
                kind: InputKind::Battery,
                command: InputCommand::Read,
            }),
            reply,
        }
    }

    fn reading(device: u32, feature: u32, value: i32) -> Reply {
        Reply::Reading(InputReading {
            device: DeviceIndex(device),
            feature: FeatureIndex(feature),
            kind: InputKind::Battery,
            value,
        })
    }

    #[test]
    fn battery_level_cmd_reads_the_first_battery_and_replies_a_fraction() {
        let mut converter = fixtures::converter();
        let converted = convert(
            &mut converter,
            SpecVersion::V2,
            r#"[{"BatteryLevelCmd":{"Id":14,"DeviceIndex":0}}]"#,
        );
        assert_eq!(
            converted,
            Ok(battery_read(0, 3, ReplyShape::BatteryLevelReading))
        );
        assert_eq!(
            render::reply(
                SpecVersion::V2,
                14,
                &ReplyShape::BatteryLevelReading,
                &reading(0, 3, 87)
            ),
            r#"[{"BatteryLevelReading":{"BatteryLevel":0.87,"DeviceIndex":0,"Id":14}}]"#
        );
    }

    #[test]
    fn battery_level_cmd_without_battery_is_device_configuration_error() {
        let mut converter = fixtures::converter();
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V2,
                r#"[{"BatteryLevelCmd":{"Id":14,"DeviceIndex":2}}]"#
            ),
            Err(r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceConfigurationError\":\"Device configuration does not have Battery sensor available.\"}}","Id":14}}]"#.into())
        );
    }

    #[test]
    fn sensor_read_cmd_reads_the_first_battery_and_echoes_the_sensor_fields() {
        let mut converter = fixtures::converter();
        let converted = convert(
            &mut converter,
            SpecVersion::V3,
            r#"[{"SensorReadCmd":{"Id":15,"DeviceIndex":1,"SensorIndex":4,"SensorType":"battery"}}]"#,
        )
        .unwrap();
        let shape = ReplyShape::SensorReading {
            sensor_index: 4,
            sensor_type: "Battery".into(),
        };
        assert_eq!(converted, battery_read(1, 1, shape.clone()));
        assert_eq!(
            render::reply(SpecVersion::V3, 15, &shape, &reading(1, 1, 87)),
            r#"[{"SensorReading":{"Data":[87],"DeviceIndex":1,"Id":15,"SensorIndex":4,"SensorType":"Battery"}}]"#
        );
    }

    #[test]
    fn sensor_read_cmd_other_than_battery_or_without_battery_is_not_supported() {
        let mut converter = fixtures::converter();
        let not_supported = r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"MessageNotSupported\":\"SensorReadCmdV3\"}}","Id":15}}]"#;
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V3,
                r#"[{"SensorReadCmd":{"Id":15,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Rssi"}}]"#
            ),
            Err(not_supported.into())
        );
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V3,
                r#"[{"SensorReadCmd":{"Id":15,"DeviceIndex":2,"SensorIndex":0,"SensorType":"Battery"}}]"#
            ),
            Err(not_supported.into())
        );
        let error = convert(
            &mut converter,
            SpecVersion::V3,
            r#"[{"SensorReadCmd":{"Id":15,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Heat"}}]"#,
        )
        .unwrap_err();
        assert!(
            error.contains("SensorReadCmd: unknown SensorType Heat"),
            "{error}"
        );
    }

    #[test]
    fn sensor_subscriptions_are_always_refused_in_v3() {
        let mut converter = fixtures::converter();
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V3,
                r#"[{"SensorSubscribeCmd":{"Id":16,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}}]"#
            ),
            Err(r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"MessageNotSupported\":\"SensorSubscribeCmdV3\"}}","Id":16}}]"#.into())
        );
        assert_eq!(
            convert(
                &mut converter,
                SpecVersion::V3,
                r#"[{"SensorUnsubscribeCmd":{"Id":17,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}}]"#
            ),
            Err(r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"MessageNotSupported\":\"SensorUnsubscribeCmdV3\"}}","Id":17}}]"#.into())
        );
    }
}

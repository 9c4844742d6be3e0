//! Stopping: `StopDeviceCmd` and `StopAllDevices` (v0–v3) and `StopCmd` (v4), all onto
//! [`StopRequest`] (protocol.md §6.1, §8.1). plugd honours the device and, in v4, the feature,
//! where the reference stops every device.

use crate::convert::SessionDevice;
use crate::error::{ButtplugError, DeviceError, MessageError};
use crate::fields::Fields;
use crate::model::StopRequest;
use plugd_core::{DeviceIndex, FeatureIndex};

/// Reads a message whose fields are `Id` and `DeviceIndex` (also `BatteryLevelCmd`,
/// `RSSILevelCmd`).
pub(crate) fn parse_device_only(mut fields: Fields) -> Result<(u32, DeviceIndex), MessageError> {
    let id = fields.id()?;
    let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
    fields.finish()?;
    Ok((id, device_index))
}

/// `StopCmd` (v4): stop one feature, one device, or everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopCmd {
    /// Message Id.
    pub id: u32,
    /// The device, or every device when absent.
    pub device_index: Option<DeviceIndex>,
    /// One feature of that device, or all of them.
    pub feature_index: Option<FeatureIndex>,
    /// Drop input subscriptions (`Inputs`, default true).
    pub inputs: bool,
    /// Zero the outputs (`Outputs`, default true).
    pub outputs: bool,
}

impl StopCmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = fields.opt_u32("DeviceIndex")?.map(DeviceIndex);
        let feature_index = fields.opt_u32("FeatureIndex")?.map(FeatureIndex);
        let inputs = fields.opt_bool("Inputs")?.unwrap_or(true);
        let outputs = fields.opt_bool("Outputs")?.unwrap_or(true);
        if feature_index.is_some() && device_index.is_none() {
            return Err(fields.invalid("FeatureIndex needs a DeviceIndex"));
        }
        fields.finish()?;
        Ok(StopCmd {
            id,
            device_index,
            feature_index,
            inputs,
            outputs,
        })
    }

    /// The stop, checked against the addressed device (`None` when no `DeviceIndex`).
    ///
    /// # Errors
    /// ERROR_DEVICE `DeviceFeatureIndexError(feature count, index)` for a feature the device
    /// does not show.
    pub(crate) fn stop_request(
        &self,
        device: Option<&SessionDevice>,
    ) -> Result<StopRequest, ButtplugError> {
        if let (Some(device), Some(feature)) = (device, self.feature_index) {
            if device.info.feature(feature).is_none() {
                return Err(DeviceError::DeviceFeatureIndexError(
                    count(device.info.features.len()),
                    feature.0,
                )
                .into());
            }
        }
        Ok(StopRequest {
            device: self.device_index,
            feature: self.feature_index,
            outputs: self.outputs,
            inputs: self.inputs,
        })
    }
}

/// A list length as the u32 the wire errors carry.
pub(crate) fn count(length: usize) -> u32 {
    u32::try_from(length).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use crate::convert::{Converted, ReplyShape};
    use crate::fixtures::{self, convert};
    use crate::model::{Request, StopRequest};
    use crate::SpecVersion;
    use plugd_core::{DeviceIndex, FeatureIndex};

    fn check(version: SpecVersion, text: &str, expected: Result<StopRequest, &str>) {
        let mut converter = fixtures::converter();
        let expected = expected
            .map(|stop| Converted {
                request: Request::Stop(stop),
                reply: ReplyShape::Ok,
            })
            .map_err(str::to_owned);
        assert_eq!(convert(&mut converter, version, text), expected, "{text}");
    }

    #[test]
    fn stop_device_cmd_stops_that_device_inputs_and_outputs() {
        check(
            SpecVersion::V3,
            r#"[{"StopDeviceCmd":{"Id":3,"DeviceIndex":0}}]"#,
            Ok(StopRequest::device(DeviceIndex(0))),
        );
    }

    #[test]
    fn stop_device_cmd_for_an_unknown_device_is_device_not_available() {
        check(
            SpecVersion::V0,
            r#"[{"StopDeviceCmd":{"Id":3,"DeviceIndex":7}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceNotAvailable\":7}}","Id":3}}]"#,
            ),
        );
    }

    #[test]
    fn stop_all_devices_stops_everything() {
        check(
            SpecVersion::V1,
            r#"[{"StopAllDevices":{"Id":4}}]"#,
            Ok(StopRequest::ALL),
        );
    }

    #[test]
    fn stop_cmd_carries_its_fields_with_true_defaults() {
        check(
            SpecVersion::V4,
            r#"[{"StopCmd":{"Id":9,"DeviceIndex":0,"Outputs":true,"Inputs":false}}]"#,
            Ok(StopRequest {
                device: Some(DeviceIndex(0)),
                feature: None,
                outputs: true,
                inputs: false,
            }),
        );
        check(
            SpecVersion::V4,
            r#"[{"StopCmd":{"Id":9}}]"#,
            Ok(StopRequest::ALL),
        );
        check(
            SpecVersion::V4,
            r#"[{"StopCmd":{"Id":9,"DeviceIndex":1,"FeatureIndex":1,"Outputs":false}}]"#,
            Ok(StopRequest {
                feature: Some(FeatureIndex(1)),
                outputs: false,
                ..StopRequest::device(DeviceIndex(1))
            }),
        );
    }

    #[test]
    fn stop_cmd_checks_device_and_feature() {
        check(
            SpecVersion::V4,
            r#"[{"StopCmd":{"Id":9,"DeviceIndex":42}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceNotAvailable\":42}}","Id":9}}]"#,
            ),
        );
        check(
            SpecVersion::V4,
            r#"[{"StopCmd":{"Id":9,"DeviceIndex":0,"FeatureIndex":8}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureIndexError\":[4,8]}}","Id":9}}]"#,
            ),
        );
        check(
            SpecVersion::V4,
            r#"[{"StopCmd":{"Id":9,"FeatureIndex":0}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"InvalidMessageContents\":\"StopCmd: FeatureIndex needs a DeviceIndex\"}}","Id":9}}]"#,
            ),
        );
        check(
            SpecVersion::V4,
            r#"[{"StopCmd":{"Id":9,"Inputs":1}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"MessageSerializationError\":\"StopCmd: Inputs must be a boolean, got an integer\"}}","Id":9}}]"#,
            ),
        );
    }
}

//! `ScalarCmd` (v3): one float per entry of the advertised `ScalarCmd` list (protocol.md §5.2,
//! §6.1). `ActuatorType` picks the output on that entry's feature. The schema sets no bounds
//! on `Scalar`; like the reference, a value outside 0–1 is ERROR_DEVICE
//! `MessageNotSupported("ScalarCmdV3")`, checked with the device (§7.1).

use crate::advertised::LegacyEntry;
use crate::convert::{entry_command, position_step, speed_step, SessionDevice};
use crate::error::{ButtplugError, DeviceError, MessageError};
use crate::fields::{shorten, Fields};
use crate::messages::stop::count;
use crate::model::OutputCommand;
use plugd_core::{DeviceIndex, OutputKind};

/// `ScalarCmd` (v3).
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// `Scalars`, at least one.
    pub scalars: Vec<ScalarSubcommand>,
}

/// One `ScalarCmd.Scalars` item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalarSubcommand {
    /// `Index`: the n-th entry of the `ScalarCmd` list.
    pub index: u32,
    /// `Scalar`: 0.0–1.0 to be accepted (checked at conversion).
    pub scalar: f64,
    /// `ActuatorType`: the output to set on that entry's feature.
    pub actuator_type: OutputKind,
}

impl ScalarCmd {
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let scalars = fields
            .list("Scalars", 1)?
            .map(|item| {
                let mut item = item?;
                let index = item.u32("Index")?;
                let scalar = item.f64("Scalar")?;
                let name = item.string("ActuatorType")?;
                let actuator_type = actuator_type(&name).ok_or_else(|| {
                    item.malformed(format_args!("unknown ActuatorType {}", shorten(&name)))
                })?;
                item.finish()?;
                Ok(ScalarSubcommand {
                    index,
                    scalar,
                    actuator_type,
                })
            })
            .collect::<Result<_, MessageError>>()?;
        fields.finish()?;
        Ok(ScalarCmd {
            id,
            device_index,
            scalars,
        })
    }

    /// Checks every subcommand (index, then type and range) before building any command.
    ///
    /// An empty `ScalarCmd` list gives `DeviceFeatureIndexError(0, index)`, where the
    /// reference answers `Ok` and does nothing (§3).
    pub(crate) fn output_commands(
        &self,
        device: &SessionDevice,
    ) -> Result<Vec<OutputCommand>, ButtplugError> {
        let list = &device.lists.scalar;
        self.scalars
            .iter()
            .map(|scalar| {
                let entry =
                    list.get(scalar.index as usize)
                        .ok_or(DeviceError::DeviceFeatureIndexError(
                            count(list.len()),
                            scalar.index,
                        ))?;
                let target = list
                    .iter()
                    .find(|other| {
                        other.feature == entry.feature && other.kind == scalar.actuator_type
                    })
                    .filter(|_| (0.0..=1.0).contains(&scalar.scalar))
                    .ok_or_else(not_supported)?;
                Ok(entry_command(target, step(target, scalar.scalar)))
            })
            .collect()
    }
}

fn step(entry: &LegacyEntry, scalar: f64) -> i32 {
    match entry.kind {
        OutputKind::Position => position_step(scalar, entry.steps),
        _ => speed_step(scalar, entry.steps),
    }
}

fn not_supported() -> DeviceError {
    DeviceError::MessageNotSupported("ScalarCmdV3".into())
}

/// The `ActuatorType` strings of §4.2, with their lowercase aliases (§9.3).
pub(crate) fn actuator_type(name: &str) -> Option<OutputKind> {
    OutputKind::from_wire_name(name, true)
        .ok()
        .filter(|kind| *kind != OutputKind::HwPositionWithDuration)
}

#[cfg(test)]
mod tests {
    use crate::convert::Converted;
    use crate::fixtures::{self, convert, outputs};
    use crate::SpecVersion;
    use plugd_core::OutputKind;

    fn check(text: &str, expected: Result<Converted, &str>) {
        let mut converter = fixtures::converter();
        assert_eq!(
            convert(&mut converter, SpecVersion::V3, text),
            expected.map_err(str::to_owned),
            "{text}"
        );
    }

    #[test]
    fn scalar_cmd_addresses_the_nth_list_entry() {
        check(
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":2,"Scalar":0.5,"ActuatorType":"Oscillate"}]}}]"#,
            Ok(outputs(0, &[(2, OutputKind::Oscillate, 5)])),
        );
        check(
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":1,"Scalar":0.5,"ActuatorType":"rotate"},{"Index":0,"Scalar":0.14,"ActuatorType":"Vibrate"}]}}]"#,
            Ok(outputs(
                0,
                &[(0, OutputKind::Vibrate, 3), (1, OutputKind::Rotate, 10)],
            )),
        );
    }

    #[test]
    fn scalar_cmd_entries_of_a_multi_output_feature_follow_section_5_2() {
        // Feature 0 lists Constrict (entry 0), Oscillate (1), Vibrate (2); feature 1 Vibrate (3).
        check(
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":3,"Scalars":[{"Index":0,"Scalar":1,"ActuatorType":"Constrict"},{"Index":3,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
            Ok(outputs(
                3,
                &[(0, OutputKind::Constrict, 5), (1, OutputKind::Vibrate, 10)],
            )),
        );
        // The type picks the output on the entry's feature.
        check(
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":3,"Scalars":[{"Index":0,"Scalar":1,"ActuatorType":"Vibrate"}]}}]"#,
            Ok(outputs(3, &[(0, OutputKind::Vibrate, 10)])),
        );
    }

    #[test]
    fn scalar_cmd_position_has_no_cut_off() {
        check(
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":5,"Scalars":[{"Index":0,"Scalar":0.0000005,"ActuatorType":"Position"},{"Index":1,"Scalar":0.0000005,"ActuatorType":"Led"}]}}]"#,
            Ok(outputs(
                5,
                &[(0, OutputKind::Position, 1), (1, OutputKind::Led, 0)],
            )),
        );
    }

    #[test]
    fn scalar_cmd_wrong_type_or_range_is_message_not_supported() {
        let not_supported = r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"MessageNotSupported\":\"ScalarCmdV3\"}}","Id":13}}]"#;
        check(
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Oscillate"}]}}]"#,
            Err(not_supported),
        );
        check(
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1.5,"ActuatorType":"Vibrate"}]}}]"#,
            Err(not_supported),
        );
        check(
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":-0.1,"ActuatorType":"Vibrate"}]}}]"#,
            Err(not_supported),
        );
    }

    #[test]
    fn scalar_cmd_index_past_the_list_is_feature_index_error() {
        check(
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":0,"Scalars":[{"Index":3,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureIndexError\":[3,3]}}","Id":13}}]"#,
            ),
        );
        // A device with no scalar outputs: the reference's silent Ok becomes ERROR_DEVICE.
        check(
            r#"[{"ScalarCmd":{"Id":13,"DeviceIndex":1,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
            Err(
                r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"DeviceFeatureIndexError\":[0,0]}}","Id":13}}]"#,
            ),
        );
    }

    #[test]
    fn scalar_cmd_unknown_actuator_type_is_error_msg() {
        for name in ["Inflate", "VIBRATE", "HwPositionWithDuration"] {
            let text = format!(
                r#"[{{"ScalarCmd":{{"Id":13,"DeviceIndex":0,"Scalars":[{{"Index":0,"Scalar":0.5,"ActuatorType":"{name}"}}]}}}}]"#
            );
            check(
                &text,
                Err(&format!(
                    r#"[{{"Error":{{"ErrorCode":3,"ErrorMessage":"{{\"ButtplugMessageError\":{{\"MessageSerializationError\":\"ScalarCmd.Scalars[0]: unknown ActuatorType {name}\"}}}}","Id":13}}}}]"#
                )),
            );
        }
    }
}

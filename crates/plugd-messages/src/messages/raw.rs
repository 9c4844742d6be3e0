//! The raw endpoint messages of v2–v3: `RawWriteCmd`, `RawReadCmd`, `RawSubscribeCmd`,
//! `RawUnsubscribeCmd`, and the server's `RawReading` (protocol.md §4.2). The reference removed
//! them in 10.x; 9.x answered them when the server allowed raw messages (Intiface Engine's
//! `--allow-raw`). plugd parses them fully in every case, so a malformed one is reported as
//! such; whether they run is the DeviceManager's decision (off by default: ERROR_MSG).
//!
//! Field names: `RawWriteCmd` `Endpoint`, `Data` (bytes, at least one), `WriteWithResponse`;
//! `RawReadCmd` `Endpoint` plus either `ExpectedLength` + `Timeout` (ms, the 9.x server) or
//! `Length` + `WaitForData` (the schema); `RawReading` `DeviceIndex`, `Endpoint`, `Data`. An
//! endpoint name plugd does not know is malformed (9.x failed to deserialise it too).

use crate::error::MessageError;
use crate::fields::Fields;
use crate::model::{RawCommand, RawReading};
use crate::render::frame;
use plugd_core::{DeviceIndex, Endpoint};

/// Any of the four raw messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// `Endpoint`, by role.
    pub endpoint: Endpoint,
    /// What to do there.
    pub command: RawCommand,
}

impl RawCmd {
    fn parse_common(fields: &mut Fields) -> Result<(u32, DeviceIndex, Endpoint), MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let name = fields.string("Endpoint")?;
        let endpoint = name.parse::<Endpoint>().map_err(|_| {
            fields.malformed(format_args!(
                "Endpoint {name:?} is not an endpoint name (tx, rx, rxblebattery, generic0, ...)"
            ))
        })?;
        Ok((id, device_index, endpoint))
    }

    fn with(
        (id, device_index, endpoint): (u32, DeviceIndex, Endpoint),
        command: RawCommand,
    ) -> Self {
        RawCmd {
            id,
            device_index,
            endpoint,
            command,
        }
    }

    /// `RawWriteCmd`: `Data` (bytes, at least one) and `WriteWithResponse`.
    pub(crate) fn parse_write(mut fields: Fields) -> Result<Self, MessageError> {
        let common = Self::parse_common(&mut fields)?;
        let values = fields.array("Data")?;
        if values.is_empty() {
            return Err(fields.malformed("Data needs at least 1 byte"));
        }
        let data = values
            .iter()
            .map(|value| value.as_u64().and_then(|number| u8::try_from(number).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| fields.malformed("Data must hold integers 0 to 255"))?;
        let write_with_response = fields.bool("WriteWithResponse")?;
        fields.finish()?;
        Ok(Self::with(
            common,
            RawCommand::Write {
                data,
                write_with_response,
            },
        ))
    }

    /// `RawReadCmd`: `ExpectedLength` and `Timeout` (the 9.x server), or `Length` and
    /// `WaitForData` (the schema; the read then waits the server's default time).
    pub(crate) fn parse_read(mut fields: Fields) -> Result<Self, MessageError> {
        let common = Self::parse_common(&mut fields)?;
        let command = match fields.opt_u32("ExpectedLength")? {
            Some(length) => RawCommand::Read {
                length,
                timeout_ms: Some(fields.u32("Timeout")?),
            },
            None => {
                let length = fields.u32("Length")?;
                // A transport read returns what the device answers; there is nothing to wait
                // for beyond that, so WaitForData only has to be well-formed.
                fields.bool("WaitForData")?;
                RawCommand::Read {
                    length,
                    timeout_ms: None,
                }
            }
        };
        fields.finish()?;
        Ok(Self::with(common, command))
    }

    /// `RawSubscribeCmd`.
    pub(crate) fn parse_subscribe(mut fields: Fields) -> Result<Self, MessageError> {
        let common = Self::parse_common(&mut fields)?;
        fields.finish()?;
        Ok(Self::with(common, RawCommand::Subscribe))
    }

    /// `RawUnsubscribeCmd`.
    pub(crate) fn parse_unsubscribe(mut fields: Fields) -> Result<Self, MessageError> {
        let common = Self::parse_common(&mut fields)?;
        fields.finish()?;
        Ok(Self::with(common, RawCommand::Unsubscribe))
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct RawReadingBody<'a> {
    data: &'a [u8],
    device_index: u32,
    endpoint: Endpoint,
    id: u32,
}

/// The v2–v3 `RawReading` frame: the answer to a `RawReadCmd` (its Id), or a subscribed
/// notification (Id 0).
pub(crate) fn raw_reading(id: u32, reading: &RawReading) -> String {
    frame(
        "RawReading",
        &RawReadingBody {
            data: &reading.data,
            device_index: reading.device.0,
            endpoint: reading.endpoint,
            id,
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::convert::{Converted, Converter, ReplyShape};
    use crate::fixtures;
    use crate::model::{Event, RawCommand, RawReading, RawRequest, Reply, Request};
    use crate::parse::{parse_frame, ClientMessage, RawCmd};
    use crate::{render, SpecVersion};
    use plugd_core::{DeviceIndex, Endpoint};

    fn first(version: SpecVersion, text: &str) -> Result<ClientMessage, String> {
        parse_frame(text, version)
            .remove(0)
            .map_err(|rejected| render::error(rejected.id, &rejected.error))
    }

    fn parsed(text: &str) -> RawCmd {
        match first(SpecVersion::V2, text) {
            Ok(
                ClientMessage::RawWriteCmd(command)
                | ClientMessage::RawReadCmd(command)
                | ClientMessage::RawSubscribeCmd(command)
                | ClientMessage::RawUnsubscribeCmd(command),
            ) => command,
            other => panic!("not a raw message: {other:?}"),
        }
    }

    fn converted(version: SpecVersion, text: &str) -> Converted {
        let mut converter = Converter::new();
        converter.set_devices(&[fixtures::example_toy()]);
        let message = first(version, text).unwrap_or_else(|error| panic!("{error}"));
        converter
            .to_request(&message)
            .unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn raw_write_keeps_its_bytes_and_write_with_response() {
        assert_eq!(
            parsed(
                r#"[{"RawWriteCmd":{"Id":3,"DeviceIndex":1,"Endpoint":"tx","Data":[1,2,255],"WriteWithResponse":true}}]"#
            ),
            RawCmd {
                id: 3,
                device_index: DeviceIndex(1),
                endpoint: Endpoint::Tx,
                command: RawCommand::Write {
                    data: vec![1, 2, 255],
                    write_with_response: true
                }
            }
        );
    }

    #[test]
    fn raw_write_with_bad_bytes_is_error_msg() {
        for data in ["[]", "[256]", "[-1]", "[1.5]", r#"["a"]"#] {
            let text = format!(
                r#"[{{"RawWriteCmd":{{"Id":3,"DeviceIndex":1,"Endpoint":"tx","Data":{data},"WriteWithResponse":false}}}}]"#
            );
            let error = first(SpecVersion::V2, &text).unwrap_err();
            assert!(error.contains(r#""ErrorCode":3"#), "{error}");
            assert!(error.contains(r#""Id":3"#), "{error}");
            assert!(error.contains("RawWriteCmd: Data"), "{error}");
        }
    }

    #[test]
    fn raw_read_accepts_the_9x_and_the_schema_length_fields() {
        assert_eq!(
            parsed(
                r#"[{"RawReadCmd":{"Id":3,"DeviceIndex":1,"Endpoint":"rx","ExpectedLength":4,"Timeout":100}}]"#
            )
            .command,
            RawCommand::Read {
                length: 4,
                timeout_ms: Some(100)
            }
        );
        assert_eq!(
            parsed(
                r#"[{"RawReadCmd":{"Id":3,"DeviceIndex":1,"Endpoint":"rx","Length":0,"WaitForData":true}}]"#
            )
            .command,
            RawCommand::Read {
                length: 0,
                timeout_ms: None
            }
        );
    }

    #[test]
    fn raw_read_mixing_the_two_field_sets_is_error_msg() {
        let error = first(
            SpecVersion::V3,
            r#"[{"RawReadCmd":{"Id":3,"DeviceIndex":1,"Endpoint":"rx","Length":0,"Timeout":100}}]"#,
        )
        .unwrap_err();
        assert!(error.contains("missing field WaitForData"), "{error}");
        let error = first(
            SpecVersion::V3,
            r#"[{"RawReadCmd":{"Id":3,"DeviceIndex":1,"Endpoint":"rx","ExpectedLength":4,"WaitForData":true}}]"#,
        )
        .unwrap_err();
        assert!(error.contains("missing field Timeout"), "{error}");
    }

    #[test]
    fn raw_subscribe_and_unsubscribe_carry_only_the_endpoint() {
        assert_eq!(
            parsed(r#"[{"RawSubscribeCmd":{"Id":4,"DeviceIndex":0,"Endpoint":"generic7"}}]"#),
            RawCmd {
                id: 4,
                device_index: DeviceIndex(0),
                endpoint: Endpoint::Generic(7),
                command: RawCommand::Subscribe
            }
        );
        assert_eq!(
            parsed(r#"[{"RawUnsubscribeCmd":{"Id":5,"DeviceIndex":0,"Endpoint":"rxpressure"}}]"#)
                .command,
            RawCommand::Unsubscribe
        );
        let error = first(
            SpecVersion::V2,
            r#"[{"RawSubscribeCmd":{"Id":4,"DeviceIndex":0,"Endpoint":"rx","Data":[1]}}]"#,
        )
        .unwrap_err();
        assert!(error.contains("Data"), "{error}");
    }

    #[test]
    fn an_unknown_endpoint_name_is_error_msg_with_the_id() {
        let error = first(
            SpecVersion::V3,
            r#"[{"RawSubscribeCmd":{"Id":9,"DeviceIndex":0,"Endpoint":"TX"}}]"#,
        )
        .unwrap_err();
        assert!(error.contains(r#""ErrorCode":3"#), "{error}");
        assert!(error.contains(r#""Id":9"#), "{error}");
        assert!(error.contains("is not an endpoint name"), "{error}");
    }

    #[test]
    fn raw_messages_exist_in_v2_and_v3_only() {
        let text = r#"[{"RawSubscribeCmd":{"Id":4,"DeviceIndex":0,"Endpoint":"rx"}}]"#;
        for version in [SpecVersion::V0, SpecVersion::V1, SpecVersion::V4] {
            let error = first(version, text).unwrap_err();
            assert!(error.contains("UnexpectedMessageType"), "{error}");
        }
        for version in [SpecVersion::V2, SpecVersion::V3] {
            assert!(first(version, text).is_ok());
        }
    }

    #[test]
    fn raw_messages_convert_to_raw_requests_with_their_reply_shapes() {
        let request = |command| {
            Request::Raw(RawRequest {
                device: DeviceIndex(0),
                endpoint: Endpoint::Tx,
                command,
            })
        };
        assert_eq!(
            converted(
                SpecVersion::V3,
                r#"[{"RawWriteCmd":{"Id":5,"DeviceIndex":0,"Endpoint":"tx","Data":[0,255],"WriteWithResponse":false}}]"#
            ),
            Converted {
                request: request(RawCommand::Write {
                    data: vec![0, 255],
                    write_with_response: false
                }),
                reply: ReplyShape::Ok
            }
        );
        assert_eq!(
            converted(
                SpecVersion::V2,
                r#"[{"RawReadCmd":{"Id":5,"DeviceIndex":0,"Endpoint":"tx","ExpectedLength":0,"Timeout":500}}]"#
            ),
            Converted {
                request: request(RawCommand::Read {
                    length: 0,
                    timeout_ms: Some(500)
                }),
                reply: ReplyShape::RawReading
            }
        );
        assert_eq!(
            converted(
                SpecVersion::V2,
                r#"[{"RawUnsubscribeCmd":{"Id":5,"DeviceIndex":0,"Endpoint":"tx"}}]"#
            ),
            Converted {
                request: request(RawCommand::Unsubscribe),
                reply: ReplyShape::Ok
            }
        );
    }

    #[test]
    fn raw_requests_for_a_device_the_session_never_saw_are_left_to_the_server() {
        // Whether raw access is on, and whether the device exists, is decided behind the
        // Session (the DeviceManager): with raw access off every raw message gets the same
        // "disabled" answer, whatever its device index.
        assert_eq!(
            converted(
                SpecVersion::V3,
                r#"[{"RawSubscribeCmd":{"Id":5,"DeviceIndex":42,"Endpoint":"rx"}}]"#
            )
            .request,
            Request::Raw(RawRequest {
                device: DeviceIndex(42),
                endpoint: Endpoint::Rx,
                command: RawCommand::Subscribe
            })
        );
    }

    #[test]
    fn raw_readings_render_as_a_reply_and_as_an_id_0_event_in_v2_and_v3() {
        let reading = RawReading {
            device: DeviceIndex(2),
            endpoint: Endpoint::RxPressure,
            data: vec![0, 1, 255],
        };
        let expected = |id: u32| {
            format!(
                r#"[{{"RawReading":{{"Data":[0,1,255],"DeviceIndex":2,"Endpoint":"rxpressure","Id":{id}}}}}]"#
            )
        };
        for version in [SpecVersion::V2, SpecVersion::V3] {
            assert_eq!(
                render::reply(
                    version,
                    7,
                    &ReplyShape::RawReading,
                    &Reply::RawReading(reading.clone())
                ),
                expected(7)
            );
            assert_eq!(
                render::event(version, &Event::RawReading(reading.clone())),
                vec![expected(0)]
            );
        }
        for version in [SpecVersion::V0, SpecVersion::V1, SpecVersion::V4] {
            assert!(render::event(version, &Event::RawReading(reading.clone())).is_empty());
        }
    }

    #[test]
    fn the_disabled_answer_is_error_msg_naming_the_flag() {
        assert_eq!(
            render::error(5, &crate::raw_access_disabled("RawWriteCmd")),
            r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"MessageConversionError\":\"RawWriteCmd is disabled: raw device access is off unless plugd is started with --allow-raw (dangerous: raw messages bypass every range check)\"}}","Id":5}}]"#
        );
    }

    #[test]
    fn an_invalid_endpoint_uses_the_9x_error_variant() {
        assert_eq!(
            render::error(
                6,
                &crate::DeviceError::InvalidEndpoint("txvibrate".to_string()).into()
            ),
            r#"[{"Error":{"ErrorCode":4,"ErrorMessage":"{\"ButtplugDeviceError\":{\"InvalidEndpoint\":\"txvibrate\"}}","Id":6}}]"#
        );
    }
}

//! The raw endpoint messages of v2–v3: `RawWriteCmd`, `RawReadCmd`, `RawSubscribeCmd`,
//! `RawUnsubscribeCmd` (protocol.md §4.2). The reference removed them in 10.x; plugd parses
//! them so a malformed one is reported as such, then refuses them (ERROR_MSG, in `convert`).

use crate::error::MessageError;
use crate::fields::Fields;
use plugd_core::DeviceIndex;

/// Any of the four raw messages; only what an error report or a log needs is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCmd {
    /// Message Id.
    pub id: u32,
    /// The device.
    pub device_index: DeviceIndex,
    /// `Endpoint`, as sent.
    pub endpoint: String,
}

impl RawCmd {
    fn parse_common(fields: &mut Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let device_index = DeviceIndex(fields.u32("DeviceIndex")?);
        let endpoint = fields.string("Endpoint")?;
        Ok(RawCmd {
            id,
            device_index,
            endpoint,
        })
    }

    /// `RawWriteCmd`: `Data` (bytes, at least one) and `WriteWithResponse`.
    pub(crate) fn parse_write(mut fields: Fields) -> Result<Self, MessageError> {
        let command = Self::parse_common(&mut fields)?;
        let data = fields.array("Data")?;
        if data.is_empty() {
            return Err(fields.malformed("Data needs at least 1 byte"));
        }
        if !data
            .iter()
            .all(|byte| byte.as_u64().is_some_and(|value| value <= 255))
        {
            return Err(fields.malformed("Data must hold integers 0 to 255"));
        }
        fields.bool("WriteWithResponse")?;
        fields.finish()?;
        Ok(command)
    }

    /// `RawReadCmd`: `Length` and `WaitForData` (schema), or `ExpectedLength` and `Timeout`
    /// (the 9.x server).
    pub(crate) fn parse_read(mut fields: Fields) -> Result<Self, MessageError> {
        let command = Self::parse_common(&mut fields)?;
        if fields.opt_u32("ExpectedLength")?.is_some() {
            fields.u32("Timeout")?;
        } else {
            fields.u32("Length")?;
            fields.bool("WaitForData")?;
        }
        fields.finish()?;
        Ok(command)
    }

    /// `RawSubscribeCmd` / `RawUnsubscribeCmd`.
    pub(crate) fn parse_endpoint_only(mut fields: Fields) -> Result<Self, MessageError> {
        let command = Self::parse_common(&mut fields)?;
        fields.finish()?;
        Ok(command)
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::{parse_frame, ClientMessage, RawCmd};
    use crate::{render, SpecVersion};
    use plugd_core::DeviceIndex;

    fn first(text: &str) -> Result<ClientMessage, String> {
        parse_frame(text, SpecVersion::V2)
            .remove(0)
            .map_err(|rejected| render::error(rejected.id, &rejected.error))
    }

    #[test]
    fn raw_write_parses_its_fields() {
        assert_eq!(
            first(
                r#"[{"RawWriteCmd":{"Id":3,"DeviceIndex":1,"Endpoint":"tx","Data":[1,2,255],"WriteWithResponse":false}}]"#
            ),
            Ok(ClientMessage::RawWriteCmd(RawCmd {
                id: 3,
                device_index: DeviceIndex(1),
                endpoint: "tx".into()
            }))
        );
    }

    #[test]
    fn raw_write_with_bad_bytes_is_error_msg() {
        for data in ["[]", "[256]", "[-1]", "[1.5]", r#"["a"]"#] {
            let text = format!(
                r#"[{{"RawWriteCmd":{{"Id":3,"DeviceIndex":1,"Endpoint":"tx","Data":{data},"WriteWithResponse":false}}}}]"#
            );
            let error = first(&text).unwrap_err();
            assert!(error.contains(r#""ErrorCode":3"#), "{error}");
            assert!(error.contains("RawWriteCmd: Data"), "{error}");
        }
    }

    #[test]
    fn raw_read_accepts_both_length_spellings() {
        assert!(first(
            r#"[{"RawReadCmd":{"Id":3,"DeviceIndex":1,"Endpoint":"rx","Length":0,"WaitForData":true}}]"#
        )
        .is_ok());
        assert!(first(
            r#"[{"RawReadCmd":{"Id":3,"DeviceIndex":1,"Endpoint":"rx","ExpectedLength":4,"Timeout":100}}]"#
        )
        .is_ok());
        let error = first(
            r#"[{"RawReadCmd":{"Id":3,"DeviceIndex":1,"Endpoint":"rx","Length":0,"Timeout":100}}]"#,
        )
        .unwrap_err();
        assert!(error.contains("missing field WaitForData"), "{error}");
    }
}

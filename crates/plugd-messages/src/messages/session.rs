//! Session messages: `RequestServerInfo` and its `ServerInfo` reply (protocol.md §2), and the
//! Id-only requests `Ping`, `StartScanning`, `StopScanning`, `RequestDeviceList` (§4.2).
//! Their conversion is trivial and lives in `convert`'s dispatch.

use crate::error::{ButtplugError, HandshakeError, MessageError};
use crate::fields::Fields;
use crate::model::SpecVersion;
use crate::render::frame;
use serde::Serialize;

/// A parsed `RequestServerInfo`: the first message of every connection, and the only one
/// allowed before the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The request's Id; the `ServerInfo` (or `Error`) answers with it.
    pub id: u32,
    /// `ClientName`, for logs and the dashboard.
    pub client_name: String,
    /// The spec version the client asked for (protocol.md §2.1): `ProtocolVersionMajor`, else
    /// `MessageVersion`, else 0.
    pub version_number: u64,
    /// That version if plugd speaks it; `None` above 4 (answer ERROR_INIT
    /// `MessageSpecVersionMismatch`, see [`Handshake::check_version`]).
    pub version: Option<SpecVersion>,
}

impl Handshake {
    /// Reads the fields of one `RequestServerInfo`. Two shapes exist: v0–v3 (`MessageVersion`,
    /// optional since v0 lacks it) and v4 (`ProtocolVersionMajor` with a required
    /// `ProtocolVersionMinor`); mixing them is an unexpected field, as in the schema.
    pub(crate) fn parse(mut fields: Fields) -> Result<Self, MessageError> {
        let id = fields.id()?;
        let client_name = fields.string("ClientName")?;
        let version_number = match fields.opt_u64("ProtocolVersionMajor")? {
            Some(major) => {
                // Clients send 0; plugd serves every minor version of v4 alike.
                fields.u32("ProtocolVersionMinor")?;
                major
            }
            None => fields.opt_u64("MessageVersion")?.unwrap_or(0),
        };
        fields.finish()?;
        Ok(Handshake {
            id,
            client_name,
            version_number,
            version: SpecVersion::from_number(version_number),
        })
    }

    /// The negotiated version.
    ///
    /// # Errors
    /// ERROR_INIT `MessageSpecVersionMismatch(4, asked)` when the client asked for more than 4.
    pub fn check_version(&self) -> Result<SpecVersion, ButtplugError> {
        self.version.ok_or_else(|| {
            HandshakeError::MessageSpecVersionMismatch(
                SpecVersion::LATEST.number(),
                self.version_number,
            )
            .into()
        })
    }
}

/// Reads a message whose only field is `Id`.
pub(crate) fn parse_id_only(mut fields: Fields) -> Result<u32, MessageError> {
    let id = fields.id()?;
    fields.finish()?;
    Ok(id)
}

/// `ServerInfo` for v0 and v1 clients. Field order is alphabetical, as emitted (§1.2).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ServerInfoV0<'a> {
    build_version: u32,
    id: u32,
    major_version: u32,
    max_ping_time: u32,
    message_version: u32,
    minor_version: u32,
    server_name: &'a str,
}

/// `ServerInfo` for v2 and v3 clients.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ServerInfoV2<'a> {
    id: u32,
    max_ping_time: u32,
    message_version: u32,
    server_name: &'a str,
}

/// `ServerInfo` for v4 clients.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ServerInfoV4<'a> {
    id: u32,
    max_ping_time: u32,
    protocol_version_major: u32,
    protocol_version_minor: u32,
    server_name: &'a str,
}

/// The `ServerInfo` frame (§2.2). Below v4 it echoes the client's version.
pub(crate) fn server_info(
    version: SpecVersion,
    id: u32,
    server_name: &str,
    max_ping_time_ms: u32,
) -> String {
    match version {
        SpecVersion::V0 | SpecVersion::V1 => frame(
            "ServerInfo",
            &ServerInfoV0 {
                build_version: 0,
                id,
                major_version: 0,
                max_ping_time: max_ping_time_ms,
                message_version: version.number(),
                minor_version: 0,
                server_name,
            },
        ),
        SpecVersion::V2 | SpecVersion::V3 => frame(
            "ServerInfo",
            &ServerInfoV2 {
                id,
                max_ping_time: max_ping_time_ms,
                message_version: version.number(),
                server_name,
            },
        ),
        SpecVersion::V4 => frame(
            "ServerInfo",
            &ServerInfoV4 {
                id,
                max_ping_time: max_ping_time_ms,
                protocol_version_major: 4,
                protocol_version_minor: 0,
                server_name,
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::{parse_frame, parse_handshake, ClientMessage, Handshake};
    use crate::render;
    use crate::SpecVersion;

    fn handshake(text: &str) -> Result<Handshake, String> {
        parse_handshake(text).map_err(|rejected| render::error(rejected.id, &rejected.error))
    }

    #[test]
    fn v4_handshake_takes_the_version_from_protocol_version_major() {
        let parsed = handshake(
            r#"[{"RequestServerInfo": {"Id": 1, "ClientName": "MyApp", "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}]"#,
        );
        assert_eq!(
            parsed,
            Ok(Handshake {
                id: 1,
                client_name: "MyApp".into(),
                version_number: 4,
                version: Some(SpecVersion::V4),
            })
        );
    }

    #[test]
    fn old_handshake_takes_the_version_from_message_version() {
        let parsed = handshake(
            r#"[{"RequestServerInfo": {"Id": 1, "ClientName": "OldApp", "MessageVersion": 2}}]"#,
        )
        .unwrap();
        assert_eq!(parsed.version, Some(SpecVersion::V2));
        assert_eq!(parsed.client_name, "OldApp");
    }

    #[test]
    fn handshake_without_a_version_field_is_v0() {
        let parsed =
            handshake(r#"[{"RequestServerInfo":{"Id":3,"ClientName":"Ancient"}}]"#).unwrap();
        assert_eq!((parsed.id, parsed.version), (3, Some(SpecVersion::V0)));
    }

    #[test]
    fn handshake_above_v4_parses_without_a_version_and_checks_as_error_init() {
        let parsed = handshake(
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Future","ProtocolVersionMajor":5,"ProtocolVersionMinor":0}}]"#,
        )
        .unwrap();
        assert_eq!((parsed.version_number, parsed.version), (5, None));
        let error = parsed.check_version().unwrap_err();
        assert_eq!(
            render::error(parsed.id, &error),
            r#"[{"Error":{"ErrorCode":1,"ErrorMessage":"{\"ButtplugHandshakeError\":{\"MessageSpecVersionMismatch\":[4,5]}}","Id":1}}]"#
        );
    }

    #[test]
    fn first_frame_with_another_message_is_error_init_with_its_id() {
        assert_eq!(
            handshake(r#"[{"Ping":{"Id":7}}]"#),
            Err(r#"[{"Error":{"ErrorCode":1,"ErrorMessage":"{\"ButtplugHandshakeError\":\"RequestServerInfoExpected\"}","Id":7}}]"#.into())
        );
        assert_eq!(
            handshake(r#"[{"StartScanning":{"Id":"x"}}]"#),
            Err(r#"[{"Error":{"ErrorCode":1,"ErrorMessage":"{\"ButtplugHandshakeError\":\"RequestServerInfoExpected\"}","Id":0}}]"#.into())
        );
    }

    #[test]
    fn first_frame_must_hold_exactly_one_message() {
        assert_eq!(
            handshake(
                r#"[{"RequestServerInfo":{"Id":1,"ClientName":"A","MessageVersion":3}},{"Ping":{"Id":2}}]"#
            ),
            Err(r#"[{"Error":{"ErrorCode":1,"ErrorMessage":"{\"ButtplugHandshakeError\":\"RequestServerInfoExpected\"}","Id":2}}]"#.into())
        );
    }

    #[test]
    fn unreadable_first_frame_is_error_msg_with_id_0() {
        let error = handshake("{not json").unwrap_err();
        assert!(error.starts_with(r#"[{"Error":{"ErrorCode":3,"#), "{error}");
        assert!(error.ends_with(r#""Id":0}}]"#), "{error}");
        let error = handshake(r#"{"RequestServerInfo":{"Id":1,"ClientName":"A"}}"#).unwrap_err();
        assert!(error.contains("must be a JSON array"), "{error}");
    }

    #[test]
    fn malformed_request_server_info_is_error_msg_naming_the_field() {
        assert_eq!(
            handshake(r#"[{"RequestServerInfo":{"Id":4,"MessageVersion":3}}]"#),
            Err(r#"[{"Error":{"ErrorCode":3,"ErrorMessage":"{\"ButtplugMessageError\":{\"MessageSerializationError\":\"RequestServerInfo: missing field ClientName\"}}","Id":4}}]"#.into())
        );
        let error = handshake(
            r#"[{"RequestServerInfo":{"Id":4,"ClientName":"A","ProtocolVersionMajor":4}}]"#,
        )
        .unwrap_err();
        assert!(
            error.contains("missing field ProtocolVersionMinor"),
            "{error}"
        );
        let error = handshake(
            r#"[{"RequestServerInfo":{"Id":4,"ClientName":"A","ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"MessageVersion":3}}]"#,
        )
        .unwrap_err();
        assert!(error.contains("unexpected field MessageVersion"), "{error}");
        let error =
            handshake(r#"[{"RequestServerInfo":{"Id":4,"ClientName":"A","MessageVersion":2.0}}]"#)
                .unwrap_err();
        assert!(
            error.contains("MessageVersion must be an unsigned integer"),
            "{error}"
        );
    }

    #[test]
    fn request_server_info_after_the_handshake_parses_for_the_caller_to_refuse() {
        let parsed = parse_frame(
            r#"[{"RequestServerInfo":{"Id":9,"ClientName":"Again","MessageVersion":3}}]"#,
            SpecVersion::V3,
        );
        assert!(matches!(
            parsed.as_slice(),
            [Ok(ClientMessage::RequestServerInfo(Handshake {
                id: 9,
                ..
            }))]
        ));
    }

    #[test]
    fn id_only_messages_parse_in_every_version() {
        for version in [SpecVersion::V0, SpecVersion::V2, SpecVersion::V4] {
            let parsed = parse_frame(
                r#"[{"Ping":{"Id":5}},{"StartScanning":{"Id":6}},{"StopScanning":{"Id":7}},{"RequestDeviceList":{"Id":8}}]"#,
                version,
            );
            assert_eq!(
                parsed,
                vec![
                    Ok(ClientMessage::Ping { id: 5 }),
                    Ok(ClientMessage::StartScanning { id: 6 }),
                    Ok(ClientMessage::StopScanning { id: 7 }),
                    Ok(ClientMessage::RequestDeviceList { id: 8 }),
                ]
            );
        }
    }

    #[test]
    fn server_info_has_three_shapes_and_echoes_old_versions() {
        assert_eq!(
            render::server_info(SpecVersion::V1, 1, "Buttplug Server", 0),
            r#"[{"ServerInfo":{"BuildVersion":0,"Id":1,"MajorVersion":0,"MaxPingTime":0,"MessageVersion":1,"MinorVersion":0,"ServerName":"Buttplug Server"}}]"#
        );
        assert_eq!(
            render::server_info(SpecVersion::V0, 2, "plugd", 500),
            r#"[{"ServerInfo":{"BuildVersion":0,"Id":2,"MajorVersion":0,"MaxPingTime":500,"MessageVersion":0,"MinorVersion":0,"ServerName":"plugd"}}]"#
        );
        assert_eq!(
            render::server_info(SpecVersion::V3, 1, "Buttplug Server", 0),
            r#"[{"ServerInfo":{"Id":1,"MaxPingTime":0,"MessageVersion":3,"ServerName":"Buttplug Server"}}]"#
        );
        assert_eq!(
            render::server_info(SpecVersion::V4, 1, "Buttplug Server", 0),
            r#"[{"ServerInfo":{"Id":1,"MaxPingTime":0,"ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"ServerName":"Buttplug Server"}}]"#
        );
    }

    #[test]
    fn server_name_is_escaped() {
        assert_eq!(
            render::server_info(SpecVersion::V2, 1, "a \"quoted\" name", 0),
            r#"[{"ServerInfo":{"Id":1,"MaxPingTime":0,"MessageVersion":2,"ServerName":"a \"quoted\" name"}}]"#
        );
    }
}

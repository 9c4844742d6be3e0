//! Allow, deny and rename a connected device from the web: the rule is written to the user device
//! config (`--user-device-config-file`, replaced atomically: temporary file, fsync, rename),
//! the DeviceConfig reloads it, and a denied device is disconnected at once (its outputs are
//! stopped first); it is refused when it comes back. Allowing a device starts an allow-list:
//! from then on only allowed addresses connect (the user config's rule). A rename is written
//! the same way and given to the connected device at once (`RenameDevice`): clients get a new
//! device list (v4 at once; v0–v3 see the name at their next RequestDeviceList).

use crate::api::error_response;
use crate::snapshot::observe;
use crate::WebState;
use actix_web::{web, HttpResponse};
use plugd_core::DeviceIndex;
use plugd_device::device_manager::{DisconnectDevice, RenameDevice};
use plugd_device::ReloadDeviceConfig;
use plugd_messages::{ButtplugError, DeviceError, MessageError, UnknownError};
use serde_json::{json, Value};
use std::path::Path;

/// Sets `allow` / `deny` for `protocol` + `address` in the user config text (an empty or
/// missing file starts a v4 one), keeping every other entry and key. `index` is the index the
/// device has now (a new entry reserves it, as the user config format requires one).
///
/// # Errors
/// The text is not a JSON object, or `user_configs.devices` is not a list.
pub fn set_rule(
    text: Option<&str>,
    protocol: &str,
    address: &str,
    index: u32,
    allow: bool,
    deny: bool,
) -> Result<String, String> {
    edit_entry(text, protocol, address, index, |settings| {
        settings.insert("allow".to_string(), json!(allow));
        settings.insert("deny".to_string(), json!(deny));
    })
}

/// Sets (or, with `None`, removes) the `display_name` of `protocol` + `address` in the user
/// config text, like [`set_rule`] keeping everything else.
///
/// # Errors
/// As [`set_rule`].
pub fn set_display_name(
    text: Option<&str>,
    protocol: &str,
    address: &str,
    index: u32,
    display_name: Option<&str>,
) -> Result<String, String> {
    edit_entry(
        text,
        protocol,
        address,
        index,
        |settings| match display_name {
            Some(name) => {
                settings.insert("display_name".to_string(), json!(name));
            }
            None => {
                settings.remove("display_name");
            }
        },
    )
}

/// Finds (or adds) the device entry for `protocol` + `address` and lets `change` edit its
/// `config.user_config` object.
fn edit_entry(
    text: Option<&str>,
    protocol: &str,
    address: &str,
    index: u32,
    change: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Result<String, String> {
    let mut root: Value = match text.map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?,
        None => json!({"version": {"major": 4, "minor": 0}}),
    };
    let object = root
        .as_object_mut()
        .ok_or_else(|| "the user config is not a JSON object".to_string())?;
    let user_configs = object
        .entry("user_configs")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| "user_configs is not an object".to_string())?;
    let devices = user_configs
        .entry("devices")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .ok_or_else(|| "user_configs.devices is not a list".to_string())?;
    let position = devices.iter().position(|entry| {
        entry["identifier"]["address"] == address && entry["identifier"]["protocol"] == protocol
    });
    let position = match position {
        Some(position) => position,
        None => {
            // Ids the database does not have: the entry carries the address rules only (the
            // store keeps allow/deny/index/display_name of entries whose base it cannot find).
            let tag = address
                .bytes()
                .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                    (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
                })
                & 0xffff_ffff_ffff;
            devices.push(json!({
                "identifier": {"protocol": protocol, "address": address},
                "config": {
                    "id": format!("0eb00000-0000-4000-8000-{tag:012x}"),
                    "base_id": format!("0eb00000-0000-4000-8001-{tag:012x}"),
                    "features": [],
                    "user_config": {"allow": false, "deny": false, "index": index},
                },
            }));
            devices.len() - 1
        }
    };
    let settings = &mut devices[position]["config"]["user_config"];
    if !settings.is_object() {
        *settings = json!({"allow": false, "deny": false, "index": index});
    }
    if let Some(settings) = settings.as_object_mut() {
        change(settings);
    }
    serde_json::to_string_pretty(&root).map_err(|error| error.to_string())
}

/// Reads the user config file (missing: none yet), edits its text and replaces it atomically.
fn rewrite(
    path: &Path,
    edit: impl FnOnce(Option<&str>) -> Result<String, String>,
) -> Result<(), String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(format!("{}: {error}", path.display())),
    };
    let updated = edit(text.as_deref()).map_err(|error| format!("{}: {error}", path.display()))?;
    plugd_config::write_atomic(path, updated.as_bytes())
        .map_err(|error| format!("{}: {error}", path.display()))
}

/// The user config file, or the refusal when plugd has none.
fn user_config_file(state: &WebState) -> Result<std::path::PathBuf, ButtplugError> {
    state.user_config_file.clone().ok_or_else(|| {
        MessageError::InvalidMessageContents(
            "plugd was started without --user-device-config-file: there is no file to write to"
                .to_string(),
        )
        .into()
    })
}

/// Edits the user config entry of the connected device `index` (`edit` gets the file's text,
/// the device's protocol and address) off the actor threads, replaces the file atomically and
/// has the DeviceConfig reload it.
async fn write_entry(
    state: &WebState,
    index: u32,
    edit: impl FnOnce(Option<&str>, &str, &str) -> Result<String, String> + Send + 'static,
) -> Result<(), ButtplugError> {
    let path = user_config_file(state)?;
    let snapshot = observe(&state.server, &state.device_manager)
        .await
        .ok_or(UnknownError::NoDeviceManager)?;
    let device = snapshot
        .device(index)
        .ok_or(DeviceError::DeviceNotAvailable(index))?;
    let (protocol, address) = (device.status.protocol.to_string(), device.address.clone());
    web::block(move || rewrite(&path, |text| edit(text, &protocol, &address)))
        .await
        .map_err(|error| UnknownError::Other(error.to_string()))?
        .map_err(UnknownError::Other)?;
    if let Some(config) = &state.device_config {
        config
            .send(ReloadDeviceConfig)
            .await
            .map_err(|_| UnknownError::NoDeviceManager)?
            .map_err(UnknownError::Other)?;
    }
    Ok(())
}

async fn apply(state: &WebState, index: u32, allow: bool, deny: bool) -> Result<(), ButtplugError> {
    write_entry(state, index, move |text, protocol, address| {
        set_rule(text, protocol, address, index, allow, deny)
    })
    .await?;
    if deny {
        state
            .device_manager
            .send(DisconnectDevice {
                index: DeviceIndex(index),
                reason: "denied from the dashboard",
            })
            .await
            .map_err(|_| UnknownError::NoDeviceManager)??;
    }
    tracing::info!(
        index,
        allow,
        deny,
        "device rule written to the user config and applied"
    );
    Ok(())
}

/// `PUT /api/v1/reload` (plugd's own): what SIGHUP does — the config file, the device database
/// and the user device config are read again. 200 with the new configuration's summary; 422
/// with the reason (file, line, JSON path) when a file does not load, the previous
/// configuration staying in force. Connected clients and devices are not touched.
pub async fn reload(state: web::Data<WebState>) -> HttpResponse {
    let Some(config) = &state.device_config else {
        return HttpResponse::ServiceUnavailable().json(json!({
            "error": "this plugd has no device configuration to reload"
        }));
    };
    match config.send(ReloadDeviceConfig).await {
        Ok(Ok(summary)) => {
            tracing::info!(%summary, "device config reloaded through the REST API");
            HttpResponse::Ok().json(json!({ "reloaded": summary }))
        }
        Ok(Err(reason)) => {
            tracing::warn!(%reason, "REST reload refused; the previous configuration stays");
            HttpResponse::UnprocessableEntity().json(json!({
                "error": reason,
                "kept": "the previous configuration stays in force",
            }))
        }
        Err(_) => HttpResponse::ServiceUnavailable().json(json!({
            "error": "plugd is shutting down"
        })),
    }
}

/// Longest display name accepted, in characters.
pub const DISPLAY_NAME_LIMIT: usize = 64;

/// A display name as the user typed it: trimmed; empty means "no name". Refused: longer than
/// [`DISPLAY_NAME_LIMIT`] characters, or containing control characters.
pub fn checked_display_name(raw: &str) -> Result<Option<String>, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > DISPLAY_NAME_LIMIT {
        return Err(format!(
            "a display name may have at most {DISPLAY_NAME_LIMIT} characters"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("a display name may not contain control characters".to_string());
    }
    Ok(Some(name.to_string()))
}

/// The body of a rename: `{"display_name": "Desk Edge"}` (`null` or `""` removes the name).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    display_name: Option<String>,
}

/// The new name a rename body asks for, or why it is refused (not JSON, wrong shape, a bad
/// name) — answered as an ERROR_MSG like every other bad REST input.
pub fn requested_name(body: &[u8]) -> Result<Option<String>, ButtplugError> {
    let body: RenameBody = serde_json::from_slice(body).map_err(|error| {
        MessageError::InvalidMessageContents(format!(
            "a display name request must be {{\"display_name\": \"…\"}}: {error}"
        ))
    })?;
    checked_display_name(body.display_name.as_deref().unwrap_or_default())
        .map_err(|reason| MessageError::InvalidMessageContents(reason).into())
}

/// `PUT /api/v1/devices/{index}/display-name` (plugd's own): writes the device's display name
/// to the user device config (atomically) and gives it to the connected device at once; clients
/// get a new device list. 400 (ERROR_MSG) for a body that is not `{"display_name": …}` or a name
/// that is too long or has control characters.
pub async fn rename(
    state: web::Data<WebState>,
    path: web::Path<u32>,
    body: web::Bytes,
) -> HttpResponse {
    let name = match requested_name(&body) {
        Ok(name) => name,
        Err(error) => return error_response(&error),
    };
    match apply_name(&state, path.into_inner(), name).await {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(error) => error_response(&error),
    }
}

async fn apply_name(
    state: &WebState,
    index: u32,
    display_name: Option<String>,
) -> Result<(), ButtplugError> {
    let written = display_name.clone();
    write_entry(state, index, move |text, protocol, address| {
        set_display_name(text, protocol, address, index, written.as_deref())
    })
    .await?;
    state
        .device_manager
        .send(RenameDevice {
            index: DeviceIndex(index),
            display_name,
        })
        .await
        .map_err(|_| UnknownError::NoDeviceManager)??;
    Ok(())
}

/// `PUT /api/v1/devices/{index}/deny` (plugd's own).
pub async fn deny(state: web::Data<WebState>, path: web::Path<u32>) -> HttpResponse {
    match apply(&state, path.into_inner(), false, true).await {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(error) => error_response(&error),
    }
}

/// `PUT /api/v1/devices/{index}/allow` (plugd's own).
pub async fn allow(state: web::Data<WebState>, path: web::Path<u32>) -> HttpResponse {
    match apply(&state, path.into_inner(), true, false).await {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(error) => error_response(&error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_display_name_is_set_kept_beside_the_rules_and_removed() {
        let denied = set_rule(None, "lovense", "AA:01", 2, false, true).unwrap_or_default();
        let named = set_display_name(Some(&denied), "lovense", "AA:01", 2, Some("Desk Edge"))
            .unwrap_or_default();
        let value: Value = serde_json::from_str(&named).unwrap_or_default();
        let settings = &value["user_configs"]["devices"][0]["config"]["user_config"];
        assert_eq!(settings["display_name"], "Desk Edge", "{named}");
        assert_eq!(settings["deny"], true, "{named}");
        assert!(
            plugd_config::UserConfig::from_json(&named).is_ok(),
            "{named}"
        );
        let cleared =
            set_display_name(Some(&named), "lovense", "AA:01", 2, None).unwrap_or_default();
        let value: Value = serde_json::from_str(&cleared).unwrap_or_default();
        let settings = &value["user_configs"]["devices"][0]["config"]["user_config"];
        assert!(settings.get("display_name").is_none(), "{cleared}");
        assert_eq!(settings["deny"], true, "{cleared}");
    }

    #[test]
    fn a_rename_body_that_is_not_the_expected_json_is_an_error_msg() {
        assert_eq!(
            requested_name(br#"{"display_name": " Desk "}"#).ok(),
            Some(Some("Desk".to_string()))
        );
        assert_eq!(
            requested_name(br#"{"display_name": null}"#).ok(),
            Some(None)
        );
        for body in [
            &b"not json"[..],
            br#"{"display_name": 5}"#,
            br#"{"name": "x"}"#,
            b"[]",
        ] {
            let error = requested_name(body).expect_err("refused");
            assert_eq!(error.code() as u32, 3, "{error:?}");
        }
    }

    #[test]
    fn display_names_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(
            checked_display_name("  Desk Edge "),
            Ok(Some("Desk Edge".to_string()))
        );
        assert_eq!(checked_display_name("   "), Ok(None));
        assert!(checked_display_name(&"x".repeat(DISPLAY_NAME_LIMIT + 1)).is_err());
        assert!(checked_display_name(&"é".repeat(DISPLAY_NAME_LIMIT)).is_ok());
        assert!(checked_display_name("bad\nname").is_err());
        assert!(checked_display_name("bell\u{7}").is_err());
    }

    #[test]
    fn a_missing_file_becomes_a_v4_user_config_with_one_deny_entry() {
        let text = set_rule(None, "lovense", "AA:01", 3, false, true).unwrap_or_default();
        let parsed = plugd_config::UserConfig::from_json(&text);
        assert!(parsed.is_ok(), "{text}");
        let value: Value = serde_json::from_str(&text).unwrap_or_default();
        let entry = &value["user_configs"]["devices"][0];
        assert_eq!(entry["identifier"]["address"], "AA:01");
        assert_eq!(entry["config"]["user_config"]["deny"], true);
        assert_eq!(entry["config"]["user_config"]["index"], 3);
    }

    #[test]
    fn an_existing_entry_is_updated_in_place_and_other_keys_are_kept() {
        let first = set_rule(
            Some(r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"x":{}}}}"#),
            "lovense",
            "AA:01",
            0,
            false,
            true,
        )
        .unwrap_or_default();
        let second = set_rule(Some(&first), "lovense", "AA:01", 0, true, false).unwrap_or_default();
        let value: Value = serde_json::from_str(&second).unwrap_or_default();
        let devices = value["user_configs"]["devices"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(devices.len(), 1, "{second}");
        assert_eq!(devices[0]["config"]["user_config"]["allow"], true);
        assert_eq!(devices[0]["config"]["user_config"]["deny"], false);
        assert!(
            value["user_configs"]["protocols"]["x"].is_object(),
            "{second}"
        );
    }

    #[test]
    fn a_file_that_is_not_an_object_is_refused() {
        assert!(set_rule(Some("[1]"), "lovense", "AA:01", 0, false, true).is_err());
    }
}

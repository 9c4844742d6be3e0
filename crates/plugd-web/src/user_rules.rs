//! Allow and deny a connected device from the web: the rule is written to the user device
//! config (`--user-device-config-file`, replaced atomically: temporary file, fsync, rename),
//! the DeviceConfig reloads it, and a denied device is disconnected at once (its outputs are
//! stopped first); it is refused when it comes back. Allowing a device starts an allow-list:
//! from then on only allowed addresses connect (the user config's rule).

use crate::api::error_response;
use crate::snapshot::observe;
use crate::WebState;
use actix_web::{web, HttpResponse};
use plugd_core::DeviceIndex;
use plugd_device::device_manager::DisconnectDevice;
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
    let existing = devices.iter_mut().find(|entry| {
        entry["identifier"]["address"] == address && entry["identifier"]["protocol"] == protocol
    });
    match existing {
        Some(entry) => {
            let settings = &mut entry["config"]["user_config"];
            if !settings.is_object() {
                *settings = json!({"index": index});
            }
            settings["allow"] = json!(allow);
            settings["deny"] = json!(deny);
        }
        None => {
            // Ids the database does not have: the entry carries the address rules only (the
            // store keeps allow/deny/index of entries whose base it cannot find).
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
                    "user_config": {"allow": allow, "deny": deny, "index": index},
                },
            }));
        }
    }
    serde_json::to_string_pretty(&root).map_err(|error| error.to_string())
}

fn write_rule(
    path: &Path,
    protocol: &str,
    address: &str,
    index: u32,
    allow: bool,
    deny: bool,
) -> Result<(), String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(format!("{}: {error}", path.display())),
    };
    let updated = set_rule(text.as_deref(), protocol, address, index, allow, deny)
        .map_err(|error| format!("{}: {error}", path.display()))?;
    plugd_config::write_atomic(path, updated.as_bytes())
        .map_err(|error| format!("{}: {error}", path.display()))
}

async fn apply(state: &WebState, index: u32, allow: bool, deny: bool) -> Result<(), ButtplugError> {
    let Some(path) = state.user_config_file.clone() else {
        return Err(MessageError::InvalidMessageContents(
            "plugd was started without --user-device-config-file: there is no file to write the rule to"
                .to_string(),
        )
        .into());
    };
    let snapshot = observe(&state.server, &state.device_manager)
        .await
        .ok_or(UnknownError::NoDeviceManager)?;
    let device = snapshot
        .device(index)
        .ok_or(DeviceError::DeviceNotAvailable(index))?;
    let (protocol, address) = (device.status.protocol.to_string(), device.address.clone());
    web::block(move || write_rule(&path, &protocol, &address, index, allow, deny))
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

//! The user device config (device-config.md §3): extra communication specifiers and
//! configurations per protocol, per-device entries (ranges, disabled outputs, display name,
//! reserved index, allow/deny) and, in v5, the list of simulated devices to create.
//!
//! [`UserConfig`] holds the file as read; whether an entry's `base_id` and features fit the
//! database is decided when the [`crate::DeviceConfigStore`] layers the two.
//!
//! A file breaking the schema is refused whole, as upstream does: for instance a user feature
//! with an `input` key (`lovense_ridge_user_config_invalid_range.json` in the device tests)
//! gives [`ConfigError::Json`] naming the key, line and column. Keys the schema leaves open but
//! plugd does not know (an old `step_limit`, a protocol's `defaults`) are ignored with a warning.

use crate::database::{CommunicationSpecifier, Configuration};
use crate::definition::UserDeviceSettings;
use crate::error::ConfigError;
use crate::format::{self, RawUserFile};
use plugd_core::OutputKind;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// A loaded user device config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserConfig {
    /// `(major, minor)` of the file.
    version: (u32, u32),
    /// `protocols.<name>`: specifiers and configurations the user added.
    pub(crate) protocols: BTreeMap<String, UserProtocol>,
    /// `devices[]` in file order.
    pub(crate) devices: Vec<UserDeviceEntry>,
    /// `simulated_devices[]` (v5) in file order.
    pub(crate) simulated_devices: Vec<SimulatedDeviceEntry>,
}

/// One simulated device the user asked for (v5 `user_configs.simulated_devices`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedDeviceEntry {
    /// The archetype, matched against `simulated` specifiers (`simulated-2vibe`).
    pub identifier: String,
    /// A name to show instead of the definition's.
    pub display_name: Option<String>,
    /// The device's address, which user device entries key on.
    pub address: String,
}

/// What the user added to one protocol.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct UserProtocol {
    /// Consulted before the database's list.
    pub communication: Vec<CommunicationSpecifier>,
    /// Registered after the database's; not layered over `defaults`.
    pub configurations: Vec<Configuration>,
}

/// One `devices[]` entry, as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UserDeviceEntry {
    /// `identifier.protocol`.
    pub protocol: String,
    /// `identifier.identifier`.
    pub identifier: Option<String>,
    /// `identifier.address`.
    pub address: String,
    /// `config.id`: the id the layered definition gets.
    pub id: String,
    /// `config.base_id`: the definition it is layered over.
    pub base_id: String,
    /// `config.features`, in file order.
    pub features: Vec<UserFeature>,
    /// `config.user_config` without the gap.
    pub settings: UserDeviceSettings,
    /// `config.user_config.message_gap_ms`.
    pub message_gap: Option<Duration>,
}

/// One `config.features[]` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UserFeature {
    /// The id the layered feature gets.
    pub id: String,
    /// The base feature it changes.
    pub base_id: String,
    /// Per-kind changes, in [`OutputKind`] order.
    pub outputs: Vec<(OutputKind, UserOutput)>,
}

/// The user's properties for one output kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserOutput {
    /// `value`: a narrower `[a, b]` inside `[0, hi]`.
    pub value: Option<(i32, i32)>,
    /// `duration` (hw_position_with_duration).
    pub duration: Option<(i32, i32)>,
    /// `disabled`.
    pub disabled: bool,
    /// `reverse` (positional kinds).
    pub reverse: bool,
}

impl UserConfig {
    /// Parses a user device config (`version` + `user_configs`, major 4 or 5). A file without
    /// `user_configs` is an empty config.
    ///
    /// # Errors
    /// [`ConfigError::Json`] (line and column) for malformed JSON or a key the schema forbids,
    /// [`ConfigError::UnsupportedVersion`] for another major version.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let version = format::check_version(text)?;
        let file: RawUserFile = crate::error::from_json_with_path(text)?;
        if file.protocols.is_some() {
            tracing::warn!("user config file also holds `protocols`; they are ignored (pass the file as the device database to use them)");
        }
        let Some(raw) = file.user_configs else {
            return Ok(UserConfig {
                version,
                ..UserConfig::default()
            });
        };
        let mut ignored = Vec::new();

        let mut protocols = BTreeMap::new();
        for (name, raw_protocol) in raw.protocols.unwrap_or_default() {
            let has_defaults = raw_protocol.defaults.is_some();
            let (entry, mut protocol_ignored) = raw_protocol.into_entry();
            if has_defaults {
                protocol_ignored.push("defaults (not valid in a user config)".to_string());
            }
            ignored.extend(
                protocol_ignored
                    .into_iter()
                    .map(|key| format!("protocols.{name}.{key}")),
            );
            protocols.insert(
                name,
                UserProtocol {
                    communication: entry.communication,
                    configurations: entry.configurations,
                },
            );
        }

        let mut devices = Vec::new();
        for (position, device) in raw.devices.unwrap_or_default().into_iter().enumerate() {
            let config = device.config;
            let mut features = Vec::new();
            for feature in config.features {
                let mut outputs = Vec::new();
                for (kind, properties) in feature
                    .output
                    .map(format::RawUserOutputs::into_kinds)
                    .unwrap_or_default()
                {
                    for key in properties.other.keys() {
                        ignored.push(format!(
                            "devices[{position}].config.features[{}].output.{}.{key}",
                            feature.base_id.0,
                            kind.config_name()
                        ));
                    }
                    outputs.push((
                        kind,
                        UserOutput {
                            value: properties.value.map(format::user_pair),
                            duration: properties.duration.map(format::user_pair),
                            disabled: properties.disabled,
                            reverse: properties.reverse,
                        },
                    ));
                }
                features.push(UserFeature {
                    id: feature.id.0,
                    base_id: feature.base_id.0,
                    outputs,
                });
            }
            let customization = config.user_config;
            devices.push(UserDeviceEntry {
                protocol: device.identifier.protocol,
                identifier: device.identifier.identifier,
                address: device.identifier.address,
                id: config.id.0,
                base_id: config.base_id.0,
                features,
                settings: UserDeviceSettings {
                    display_name: customization.display_name,
                    index: Some(customization.index),
                    allow: customization.allow,
                    deny: customization.deny,
                },
                message_gap: customization
                    .message_gap_ms
                    .map(|ms| Duration::from_millis(u64::from(ms))),
            });
        }

        let simulated_devices = raw
            .simulated_devices
            .unwrap_or_default()
            .into_iter()
            .map(|device| SimulatedDeviceEntry {
                identifier: device.identifier,
                display_name: device.display_name,
                address: device.address,
            })
            .collect();

        if !ignored.is_empty() {
            tracing::warn!(
                ignored = %ignored.join(", "),
                "user config: ignoring keys plugd does not know"
            );
        }
        Ok(UserConfig {
            version,
            protocols,
            devices,
            simulated_devices,
        })
    }

    /// Reads and parses a user device config file.
    ///
    /// # Errors
    /// [`ConfigError::Read`] when the file cannot be read, else [`ConfigError::File`] naming
    /// the file around the error of [`Self::from_json`].
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text).map_err(|error| error.in_file(path))
    }

    /// `(major, minor)` of the file.
    pub fn version(&self) -> (u32, u32) {
        self.version
    }

    /// The simulated devices the user asked for (v5), in file order.
    pub fn simulated_devices(&self) -> &[SimulatedDeviceEntry] {
        &self.simulated_devices
    }

    /// How many `devices[]` entries the file has (valid or not).
    pub fn device_entry_count(&self) -> usize {
        self.devices.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDGE_ENTRY: &str = r#"{ "version": { "major": 4, "minor": 0 },
      "user_configs": {
        "protocols": {
          "lovense": { "communication": [ { "websocket": { "name": "LVSDevice" } } ] } },
        "devices": [ {
          "identifier": { "protocol": "lovense", "identifier": "P",
                          "address": "PeripheralId(aa:bb:cc:dd:ee:ff)" },
          "config": { "id": "b0000000-0000-4000-8000-000000000002",
            "base_id": "2e309985-6bbf-4b75-866f-76d845b3ce42",
            "features": [
              { "id": "b0000000-0000-4000-8000-0000000000b0",
                "base_id": "cb286b22-998b-4420-82f3-84e8d39db6b5",
                "output": { "vibrate": { "value": [0, 10] } } },
              { "id": "b0000000-0000-4000-8000-0000000000b1",
                "base_id": "c8b72e1d-d7d4-4417-8cbc-e6c0f435889a",
                "output": { "vibrate": { "disabled": true } } },
              { "id": "b0000000-0000-4000-8000-0000000000b2",
                "base_id": "66b31efb-3bd9-4e3a-9972-88c66e9fca28" } ],
            "user_config": { "allow": false, "deny": false, "index": 3,
                             "display_name": "Desk Edge" } } } ] } }"#;

    #[test]
    fn documented_example_entry_is_read() {
        let config = UserConfig::from_json(EDGE_ENTRY).unwrap();
        assert_eq!(config.version(), (4, 0));
        assert_eq!(config.device_entry_count(), 1);
        let entry = &config.devices[0];
        assert_eq!(entry.identifier.as_deref(), Some("P"));
        assert_eq!(entry.settings.display_name.as_deref(), Some("Desk Edge"));
        assert_eq!(entry.settings.index, Some(3));
        assert_eq!(entry.features.len(), 3);
        assert_eq!(
            entry.features[0].outputs,
            [(
                OutputKind::Vibrate,
                UserOutput {
                    value: Some((0, 10)),
                    duration: None,
                    disabled: false,
                    reverse: false
                }
            )]
        );
        assert!(entry.features[1].outputs[0].1.disabled);
        assert!(entry.features[2].outputs.is_empty());
        assert_eq!(
            config.protocols["lovense"].communication,
            [CommunicationSpecifier::Websocket {
                name: "LVSDevice".to_string()
            }]
        );
    }

    #[test]
    fn v5_simulated_devices_are_read() {
        let config = UserConfig::from_json(
            r#"{"version": {"major": 5, "minor": 0}, "user_configs": {"simulated_devices": [
                 {"identifier": "simulated-2vibe", "display_name": "Desk", "address": "sim-1"},
                 {"identifier": "simulated-rotator", "address": "sim-2"}]}}"#,
        )
        .unwrap();
        assert_eq!(
            config.simulated_devices(),
            [
                SimulatedDeviceEntry {
                    identifier: "simulated-2vibe".to_string(),
                    display_name: Some("Desk".to_string()),
                    address: "sim-1".to_string(),
                },
                SimulatedDeviceEntry {
                    identifier: "simulated-rotator".to_string(),
                    display_name: None,
                    address: "sim-2".to_string(),
                }
            ]
        );
    }

    #[test]
    fn a_file_without_user_configs_is_empty() {
        let config = UserConfig::from_json(r#"{"version": {"major": 4, "minor": 0}}"#).unwrap();
        assert_eq!(config.device_entry_count(), 0);
        assert!(config.simulated_devices().is_empty());
    }

    #[test]
    fn a_user_feature_with_an_input_is_refused_with_its_position() {
        let text = r#"{"version": {"major": 4, "minor": 999}, "user_configs": {"devices": [{
            "identifier": {"address": "A", "protocol": "lovense", "identifier": "F"},
            "config": {"id": "c8633234-07a4-4ad9-961d-a4d777b32be8",
                       "base_id": "c8633234-07a4-4ad9-961d-a4d777b32be7",
                       "features": [{"base_id": "b9899daa-7755-4ebb-88b4-13122d12745e",
                                     "id": "b9899daa-7755-4ebb-88b4-13122d12745f",
                                     "input": {"battery": {"value": [[0, 100]], "command": ["Read"]}}}],
                       "user_config": {"allow": false, "deny": false, "index": 0}}}]}}"#;
        let error = UserConfig::from_json(text).unwrap_err();
        let ConfigError::Json { line, message, .. } = &error else {
            panic!("expected a JSON error, got {error:?}");
        };
        assert_eq!(*line, 7);
        assert!(message.contains("unknown field `input`"), "{message}");
    }

    #[test]
    fn a_missing_index_is_refused() {
        let text = r#"{"version": {"major": 4, "minor": 0}, "user_configs": {"devices": [{
            "identifier": {"address": "A", "protocol": "lovense"},
            "config": {"id": "c8633234-07a4-4ad9-961d-a4d777b32be8",
                       "base_id": "c8633234-07a4-4ad9-961d-a4d777b32be7", "features": [],
                       "user_config": {"allow": false, "deny": false}}}]}}"#;
        let error = UserConfig::from_json(text).unwrap_err();
        assert!(error.to_string().contains("index"), "{error}");
    }

    #[test]
    fn major_version_3_is_refused() {
        let error = UserConfig::from_json(r#"{"version": {"major": 3, "minor": 0}}"#).unwrap_err();
        assert!(
            matches!(error, ConfigError::UnsupportedVersion { major: 3, .. }),
            "{error:?}"
        );
    }
}

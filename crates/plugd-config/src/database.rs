//! The device database: every protocol's communication specifiers, its `defaults` and its
//! `configurations`, as read from a file in the published format (major versions 4 and 5,
//! device-config.md §1) or assembled from plugd's own per-protocol files (see `builtin.rs`).
//!
//! [`DeviceDatabase`] keeps the file's facts as written; layering a configuration over its
//! protocol's defaults (§1.2) and over a user entry (§3.2) happens in [`crate::DeviceConfigStore`].
//! [`CommunicationSpecifier`] is one `communication` entry; matching it against found hardware
//! is `matching.rs`.

use crate::definition::FeatureDefinition;
use crate::error::ConfigError;
use crate::format;
use crate::identity::{DeviceIdentity, Transport};
use plugd_core::Endpoint;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// A loaded device database.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceDatabase {
    /// `version.major`, `version.minor` of the file (or of `config/version.json`).
    version: (u32, u32),
    /// Protocol key → entry, sorted by key so iteration (and matching order) is deterministic.
    protocols: BTreeMap<String, ProtocolEntry>,
}

/// One protocol of the database (device-config.md §1.2).
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolEntry {
    /// How hardware of this protocol is recognised, in file order.
    pub(crate) communication: Vec<CommunicationSpecifier>,
    /// The definition used when no configuration matches; absent in a few hand-written files.
    pub(crate) defaults: Option<DefinitionTemplate>,
    /// One per product, in file order (later identifiers overwrite earlier ones).
    pub(crate) configurations: Vec<Configuration>,
}

/// A `defaults` object or the definition part of a configuration, before layering.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DefinitionTemplate {
    /// Product name.
    pub name: String,
    /// Definition id (UUID, lower case).
    pub id: String,
    /// Features sorted by index; `None` when the object had no `features` key, so a
    /// configuration reuses its defaults' list.
    pub features: Option<Vec<FeatureDefinition>>,
    /// `message_gap_ms`.
    pub message_gap: Option<Duration>,
    /// `protocol_variant`.
    pub protocol_variant: Option<String>,
}

/// One `configurations` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Configuration {
    /// The identifiers that select it, in file order.
    pub identifiers: Vec<String>,
    /// Its name, id, features, gap and variant as written.
    pub template: DefinitionTemplate,
}

/// A USB or HID vendor/product id pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VendorProductPair {
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
}

/// One `manufacturer_data` entry of a BLE specifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ManufacturerDataSpecifier {
    /// Bluetooth SIG company identifier.
    pub company: u16,
    /// Expected payload bytes; `None` matches any payload of that company.
    pub data: Option<Vec<u8>>,
}

/// How hardware of a protocol is recognised: one `communication` entry (device-config.md §1.3).
/// UUIDs are kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommunicationSpecifier {
    /// `btle`: Bluetooth LE.
    Btle {
        /// Advertised names; a trailing `*` is a prefix wildcard.
        names: Vec<String>,
        /// Manufacturer data that identifies the hardware.
        manufacturer_data: Vec<ManufacturerDataSpecifier>,
        /// Advertised service UUIDs that identify the hardware.
        advertised_services: Vec<String>,
        /// Service UUID → endpoint → characteristic UUID. Plays no part in matching.
        services: BTreeMap<String, BTreeMap<Endpoint, String>>,
    },
    /// `serial`: a serial port (8-N-1 in practice; only `baud_rate` is applied upstream).
    Serial {
        /// The port name to match (`"default"` in the published database: no real port).
        port: String,
        /// Bits per second.
        baud_rate: u32,
        /// Data bits per character.
        data_bits: u8,
        /// Parity letter (`'N'`).
        parity: char,
        /// Stop bits.
        stop_bits: u8,
    },
    /// `hid`: USB HID by vendor/product id.
    Hid {
        /// Any of these pairs matches.
        pairs: Vec<VendorProductPair>,
    },
    /// `usb`: raw USB by vendor/product id.
    Usb {
        /// Any of these pairs matches.
        pairs: Vec<VendorProductPair>,
    },
    /// `websocket`: the upstream-compatible device WebSocket greeting (user configs only).
    Websocket {
        /// The greeting's `identifier`.
        name: String,
    },
    /// `simulated` (v5): the reference server's virtual devices, by archetype name.
    Simulated {
        /// Archetype names (`simulated-1vibe`, ...).
        names: Vec<String>,
    },
    /// `xinput`: any XInput gamepad.
    Xinput,
    /// `lovense_connect_service`: any toy the Lovense Connect app reports.
    LovenseConnectService,
    /// `sdl-gamepad` (v5): any SDL gamepad.
    SdlGamepad,
}

impl CommunicationSpecifier {
    /// The key this specifier has in the file (`"btle"`, `"sdl-gamepad"`, ...).
    pub fn config_key(&self) -> &'static str {
        match self {
            CommunicationSpecifier::Btle { .. } => "btle",
            CommunicationSpecifier::Serial { .. } => "serial",
            CommunicationSpecifier::Hid { .. } => "hid",
            CommunicationSpecifier::Usb { .. } => "usb",
            CommunicationSpecifier::Websocket { .. } => "websocket",
            CommunicationSpecifier::Simulated { .. } => "simulated",
            CommunicationSpecifier::Xinput => "xinput",
            CommunicationSpecifier::LovenseConnectService => "lovense_connect_service",
            CommunicationSpecifier::SdlGamepad => "sdl-gamepad",
        }
    }

    /// The transport whose identities this specifier can match.
    pub fn transport(&self) -> Transport {
        match self {
            CommunicationSpecifier::Btle { .. } => Transport::Btle,
            CommunicationSpecifier::Serial { .. } => Transport::Serial,
            CommunicationSpecifier::Hid { .. } => Transport::Hid,
            CommunicationSpecifier::Usb { .. } => Transport::Usb,
            CommunicationSpecifier::Websocket { .. } => Transport::Websocket,
            CommunicationSpecifier::Simulated { .. } => Transport::Simulated,
            CommunicationSpecifier::Xinput | CommunicationSpecifier::SdlGamepad => {
                Transport::Gamepad
            }
            CommunicationSpecifier::LovenseConnectService => Transport::LovenseConnect,
        }
    }

    /// True when `identity` is hardware this specifier describes (device-config.md §2.2).
    pub fn matches(&self, identity: &DeviceIdentity) -> bool {
        crate::matching::specifier_matches(self, identity)
    }

    /// The endpoints hardware matched through this specifier exposes: for BLE every endpoint of
    /// every service, sorted and without repeats; for every other transport `tx` and `rx`.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        match self {
            CommunicationSpecifier::Btle { services, .. } => {
                let mut endpoints: Vec<Endpoint> = services
                    .values()
                    .flat_map(|characteristics| characteristics.keys().copied())
                    .collect();
                endpoints.sort();
                endpoints.dedup();
                endpoints
            }
            _ => vec![Endpoint::Tx, Endpoint::Rx],
        }
    }
}

impl Default for DeviceDatabase {
    /// An empty database of version 4.0.
    fn default() -> Self {
        DeviceDatabase {
            version: (4, 0),
            protocols: BTreeMap::new(),
        }
    }
}

impl DeviceDatabase {
    /// An empty database carrying `version`; [`Self::merge`] fills it.
    pub(crate) fn empty(version: (u32, u32)) -> Self {
        DeviceDatabase {
            version,
            protocols: BTreeMap::new(),
        }
    }

    /// Parses a device database in the published format. Major versions 4 and 5 are read,
    /// with every transport of both. Keys the schema leaves open but plugd does not know
    /// (`sexverse-v5`'s misspelt `configuration` in v4) are ignored with one warning per
    /// protocol; unknown transports are skipped the same way, as upstream does.
    ///
    /// # Errors
    /// [`ConfigError::Json`] (with line and column) for malformed JSON or a wrong shape,
    /// [`ConfigError::UnsupportedVersion`] for another major version,
    /// [`ConfigError::NotADatabase`] when there is no `protocols` object.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let version = format::check_version(text)?;
        let file: format::RawDatabaseFile = crate::error::from_json_with_path(text)?;
        if file.user_configs.is_some() {
            tracing::warn!("device database file also holds `user_configs`; they are ignored here (pass the file as the user config to use them)");
        }
        let raw_protocols = file.protocols.ok_or(ConfigError::NotADatabase)?;
        let mut protocols = BTreeMap::new();
        for (name, raw) in raw_protocols {
            let (entry, ignored) = raw.into_entry();
            if !ignored.is_empty() {
                tracing::warn!(
                    protocol = %name,
                    ignored = %ignored.join(", "),
                    "device database: ignoring keys plugd does not know"
                );
            }
            protocols.insert(name, entry);
        }
        Ok(DeviceDatabase { version, protocols })
    }

    /// Reads and parses a device database file.
    ///
    /// # Errors
    /// [`ConfigError::Read`] when the file cannot be read, else [`ConfigError::File`] naming
    /// the file around the error of [`Self::from_json`] (which carries line and column).
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text).map_err(|error| error.in_file(path))
    }

    /// plugd's own database, built from `config/` at compile time. A file that fails to parse
    /// is logged as an error and left out, see `builtin.rs` for why this does not panic.
    pub fn builtin() -> Self {
        let (database, errors) = crate::builtin::load();
        for error in &errors {
            tracing::error!(%error, "built-in device database: protocol file left out");
        }
        database
    }

    /// `(major, minor)` of the file.
    pub fn version(&self) -> (u32, u32) {
        self.version
    }

    /// How many protocols the database has.
    pub fn protocol_count(&self) -> usize {
        self.protocols.len()
    }

    /// How many `configurations` entries all protocols have together (`defaults` not counted).
    pub fn configuration_count(&self) -> usize {
        self.protocols
            .values()
            .map(|entry| entry.configurations.len())
            .sum()
    }

    /// Protocol keys in sorted order.
    pub fn protocol_names(&self) -> impl Iterator<Item = &str> {
        self.protocols.keys().map(String::as_str)
    }

    /// The entry of one protocol.
    pub fn protocol(&self, name: &str) -> Option<&ProtocolEntry> {
        self.protocols.get(name)
    }

    /// Every (key, entry) pair in sorted order.
    pub(crate) fn protocols(&self) -> impl Iterator<Item = (&str, &ProtocolEntry)> {
        self.protocols
            .iter()
            .map(|(name, entry)| (name.as_str(), entry))
    }

    /// Adds `other`'s protocols to this database. A protocol both have is replaced by
    /// `other`'s entry as a whole (logged); the version stays this database's.
    pub fn merge(&mut self, other: DeviceDatabase) {
        for (name, entry) in other.protocols {
            if self.protocols.contains_key(&name) {
                tracing::warn!(protocol = %name, "device database merge: protocol defined twice; the later entry replaces the earlier");
            }
            self.protocols.insert(name, entry);
        }
    }

    /// Adds one protocol entry (used by the built-in loader).
    pub(crate) fn insert(&mut self, name: String, entry: ProtocolEntry) {
        self.protocols.insert(name, entry);
    }
}

impl ProtocolEntry {
    /// The protocol's communication specifiers, in file order.
    pub fn communication(&self) -> &[CommunicationSpecifier] {
        &self.communication
    }

    /// How many `configurations` entries the protocol has.
    pub fn configuration_count(&self) -> usize {
        self.configurations.len()
    }

    /// True when the protocol has a `defaults` definition.
    pub fn has_defaults(&self) -> bool {
        self.defaults.is_some()
    }

    /// Each configuration's identifier list, in file order.
    pub fn configuration_identifiers(&self) -> impl Iterator<Item = &[String]> {
        self.configurations
            .iter()
            .map(|configuration| configuration.identifiers.as_slice())
    }

    /// Every configuration identifier in file order (repeats included).
    pub fn identifiers(&self) -> impl Iterator<Item = &str> {
        self.configurations
            .iter()
            .flat_map(|configuration| configuration.identifiers.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(protocols: &str) -> String {
        format!(r#"{{"version": {{"major": 4, "minor": 2}}, "protocols": {protocols}}}"#)
    }

    const ACME: &str = r#"{
      "acme-pulse": {
        "communication": [
          { "btle": { "names": ["ACME-P1", "ACME-PULSE*"],
                      "manufacturer_data": [{ "company": 4660, "data": [1, 2] }],
                      "services": { "0000FE00-0000-1000-8000-00805f9b34fb": {
                          "tx": "0000fe01-0000-1000-8000-00805f9b34fb",
                          "rx": "0000fe02-0000-1000-8000-00805f9b34fb" } } } },
          { "serial": { "port": "default", "baud_rate": 115200, "data_bits": 8, "parity": "N",
                        "stop_bits": 1 } } ],
        "defaults": { "name": "Acme Pulse Device", "id": "a0000000-0000-4000-8000-000000000001",
          "message_gap_ms": 20,
          "features": [
            { "index": 0, "id": "a0000000-0000-4000-8000-0000000000f0",
              "output": { "vibrate": { "value": [0, 20] } } },
            { "index": 1, "id": "a0000000-0000-4000-8000-0000000000f1", "description": "Battery",
              "input": { "battery": { "value": [[0, 100]], "command": ["Read"] } } } ] },
        "configurations": [
          { "identifier": ["ACME-P1"], "name": "Acme Pulse",
            "id": "a0000000-0000-4000-8000-000000000002" },
          { "identifier": ["ACME-P2", "ACME-P2B"], "name": "Acme Pulse 2",
            "id": "a0000000-0000-4000-8000-000000000003",
            "features": [
              { "index": 1, "id": "a0000000-0000-4000-8000-0000000000f3",
                "output": { "hw_position_with_duration": { "value": [0, 100],
                                                           "duration": [0, 100000] } } },
              { "index": 0, "id": "a0000000-0000-4000-8000-0000000000f2",
                "output": { "rotate": { "value": [-20, 20] } } } ] } ] } }"#;

    #[test]
    fn illustrative_entry_loads_with_its_specifiers_and_counts() {
        let loaded = DeviceDatabase::from_json(&database(ACME)).unwrap();
        assert_eq!(loaded.version(), (4, 2));
        assert_eq!(loaded.protocol_count(), 1);
        assert_eq!(loaded.configuration_count(), 2);
        assert_eq!(loaded.protocol_names().collect::<Vec<_>>(), ["acme-pulse"]);
        let entry = loaded.protocol("acme-pulse").unwrap();
        assert!(entry.has_defaults());
        assert_eq!(
            entry.identifiers().collect::<Vec<_>>(),
            ["ACME-P1", "ACME-P2", "ACME-P2B"]
        );
        let CommunicationSpecifier::Btle { services, .. } = &entry.communication()[0] else {
            panic!("first specifier is not btle");
        };
        assert!(
            services.contains_key("0000fe00-0000-1000-8000-00805f9b34fb"),
            "service UUIDs are lower-cased"
        );
        assert_eq!(
            entry.communication()[0].endpoints(),
            [Endpoint::Rx, Endpoint::Tx]
        );
        assert_eq!(
            entry.communication()[1],
            CommunicationSpecifier::Serial {
                port: "default".to_string(),
                baud_rate: 115200,
                data_bits: 8,
                parity: 'N',
                stop_bits: 1,
            }
        );
    }

    #[test]
    fn features_are_sorted_by_index_when_loaded() {
        let loaded = DeviceDatabase::from_json(&database(ACME)).unwrap();
        let entry = loaded.protocol("acme-pulse").unwrap();
        let features = entry.configurations[1].template.features.as_ref().unwrap();
        let indices: Vec<u32> = features.iter().map(|feature| feature.index.0).collect();
        assert_eq!(indices, [0, 1]);
        assert!(entry.configurations[0].template.features.is_none());
    }

    #[test]
    fn major_versions_3_and_6_are_refused_by_number() {
        for major in [3, 6] {
            let text =
                format!(r#"{{"version": {{"major": {major}, "minor": 0}}, "protocols": {{}}}}"#);
            let error = DeviceDatabase::from_json(&text).unwrap_err();
            assert!(
                matches!(error, ConfigError::UnsupportedVersion { major: found, .. } if found == major),
                "{error:?}"
            );
            assert!(error
                .to_string()
                .contains(&format!("major version {major}")));
        }
    }

    #[test]
    fn major_version_5_is_read() {
        let text = r#"{"version": {"major": 5, "minor": 57}, "protocols": {}}"#;
        assert_eq!(DeviceDatabase::from_json(text).unwrap().version(), (5, 57));
    }

    #[test]
    fn malformed_json_is_an_error_with_line_and_column() {
        let text = "{\n  \"version\": {\"major\": 4, \"minor\": 0},\n  \"protocols\": {,}\n}";
        let error = DeviceDatabase::from_json(text).unwrap_err();
        let ConfigError::Json { line, column, .. } = error else {
            panic!("expected a JSON error, got {error:?}");
        };
        assert_eq!((line, column), (3, 17));
    }

    #[test]
    fn truncated_text_is_an_error_not_a_panic() {
        let error = DeviceDatabase::from_json(&database(ACME)[..400]).unwrap_err();
        assert!(matches!(error, ConfigError::Json { .. }), "{error:?}");
    }

    #[test]
    fn a_missing_version_is_an_error() {
        let error = DeviceDatabase::from_json(r#"{"protocols": {}}"#).unwrap_err();
        assert!(error.to_string().contains("version"), "{error}");
    }

    #[test]
    fn a_user_config_is_not_a_database() {
        let text = r#"{"version": {"major": 4, "minor": 0}, "user_configs": {"devices": []}}"#;
        let error = DeviceDatabase::from_json(text).unwrap_err();
        assert!(matches!(error, ConfigError::NotADatabase), "{error:?}");
    }

    #[test]
    fn unknown_protocol_keys_and_transports_are_ignored() {
        let text = database(
            r#"{"sexverse-v5": {
                 "communication": [{"future_connector": {"some": "value"}},
                                   {"websocket": {"name": "SV5"}}],
                 "defaults": {"name": "SexVerse Device", "id": "a0000000-0000-4000-8000-000000000001",
                              "features": []},
                 "configuration": [{"identifier": ["CB-WXW03"], "name": "Hannibal Kona",
                                    "id": "a0000000-0000-4000-8000-000000000002"}]}}"#,
        );
        let loaded = DeviceDatabase::from_json(&text).unwrap();
        let entry = loaded.protocol("sexverse-v5").unwrap();
        assert_eq!(entry.configuration_count(), 0);
        assert_eq!(
            entry.communication(),
            [CommunicationSpecifier::Websocket {
                name: "SV5".to_string()
            }]
        );
    }

    #[test]
    fn every_transport_of_v4_and_v5_is_read() {
        let text = database(
            r#"{"all": {"communication": [
                 {"btle": {"names": ["A"], "services": {}}},
                 {"serial": {"port": "COM1", "baud_rate": 9600, "data_bits": 8, "parity": "N", "stop_bits": 1}},
                 {"hid": {"pairs": [{"vendor_id": 1, "product_id": 2}]}},
                 {"usb": {"pairs": [{"vendor_id": 3, "product_id": 4}]}},
                 {"websocket": {"name": "LVSDevice"}},
                 {"simulated": {"names": ["simulated-1vibe"]}},
                 {"xinput": {"exists": true}},
                 {"lovense_connect_service": {"exists": true}},
                 {"sdl-gamepad": {"exists": true}}]}}"#,
        );
        let loaded = DeviceDatabase::from_json(&text).unwrap();
        let keys: Vec<&str> = loaded
            .protocol("all")
            .unwrap()
            .communication()
            .iter()
            .map(CommunicationSpecifier::config_key)
            .collect();
        assert_eq!(
            keys,
            [
                "btle",
                "serial",
                "hid",
                "usb",
                "websocket",
                "simulated",
                "xinput",
                "lovense_connect_service",
                "sdl-gamepad"
            ]
        );
    }

    #[test]
    fn an_unknown_key_inside_a_configuration_is_an_error_naming_it() {
        let text = database(
            r#"{"p": {"configurations": [{"identifier": ["X"], "name": "X",
                 "id": "a0000000-0000-4000-8000-000000000002", "colour": "red"}]}}"#,
        );
        let error = DeviceDatabase::from_json(&text).unwrap_err();
        assert!(error.to_string().contains("colour"), "{error}");
    }

    #[test]
    fn unknown_output_kinds_endpoints_and_bad_ids_are_errors() {
        let bad_kind = database(
            r#"{"p": {"defaults": {"name": "P", "id": "a0000000-0000-4000-8000-000000000001",
                 "features": [{"index": 0, "id": "a0000000-0000-4000-8000-000000000002",
                               "output": {"wiggle": {"value": [0, 1]}}}]}}}"#,
        );
        assert!(DeviceDatabase::from_json(&bad_kind)
            .unwrap_err()
            .to_string()
            .contains("wiggle"));
        let bad_endpoint = database(
            r#"{"p": {"communication": [{"btle": {"names": ["A"], "services": {
                 "0000fe00-0000-1000-8000-00805f9b34fb": {"txx": "0000fe01-0000-1000-8000-00805f9b34fb"}}}}]}}"#,
        );
        assert!(DeviceDatabase::from_json(&bad_endpoint)
            .unwrap_err()
            .to_string()
            .contains("txx"));
        let bad_id =
            database(r#"{"p": {"defaults": {"name": "P", "id": "not-a-uuid", "features": []}}}"#);
        assert!(DeviceDatabase::from_json(&bad_id)
            .unwrap_err()
            .to_string()
            .contains("not-a-uuid"));
    }

    #[test]
    fn a_repeated_feature_index_is_an_error() {
        let text = database(
            r#"{"p": {"defaults": {"name": "P", "id": "a0000000-0000-4000-8000-000000000001",
                 "features": [{"index": 0, "id": "a0000000-0000-4000-8000-000000000002"},
                              {"index": 0, "id": "a0000000-0000-4000-8000-000000000003"}]}}}"#,
        );
        let error = DeviceDatabase::from_json(&text).unwrap_err();
        assert!(error.to_string().contains("index 0"), "{error}");
    }

    #[test]
    fn a_communication_entry_with_two_transports_is_an_error() {
        let text = database(
            r#"{"p": {"communication": [{"websocket": {"name": "A"}, "xinput": {"exists": true}}]}}"#,
        );
        assert!(DeviceDatabase::from_json(&text).is_err());
    }

    #[test]
    fn from_file_names_the_file_and_the_position() {
        let path = std::env::temp_dir().join(format!(
            "plugd-config-malformed-{}.json",
            std::process::id()
        ));
        std::fs::write(
            &path,
            "{\n \"version\": {\"major\": 4, \"minor\": 0},\n \"protocols\": [\n}",
        )
        .unwrap();
        let error = DeviceDatabase::from_file(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        let text = error.to_string();
        assert!(text.starts_with(&path.display().to_string()), "{text}");
        assert!(text.contains("line 4, column"), "{text}");
    }

    #[test]
    fn from_file_reports_a_missing_file() {
        let error = DeviceDatabase::from_file(Path::new("/nonexistent/plugd/db.json")).unwrap_err();
        assert!(matches!(error, ConfigError::Read { .. }), "{error:?}");
        assert!(error.to_string().contains("/nonexistent/plugd/db.json"));
    }

    #[test]
    fn merge_adds_protocols_and_keeps_the_first_version() {
        let mut first = DeviceDatabase::from_json(&database(ACME)).unwrap();
        let second = DeviceDatabase::from_json(
            r#"{"version": {"major": 5, "minor": 1}, "protocols": {"other": {}}}"#,
        )
        .unwrap();
        first.merge(second);
        assert_eq!(first.version(), (4, 2));
        assert_eq!(
            first.protocol_names().collect::<Vec<_>>(),
            ["acme-pulse", "other"]
        );
    }
}

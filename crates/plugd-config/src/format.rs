//! The JSON shapes of the published device-config format (device-config.md §1 and §3.1, the v4
//! and v5 schemas), as serde reads them, and their conversion into plugd's model. Only
//! `database.rs`, `user_config.rs` and `builtin.rs` use this module.
//!
//! Where the schema forbids extra keys the structs say `deny_unknown_fields`, so a stray key is
//! an error naming the key with its line and column. Where the schema leaves an object open
//! (a protocol entry, an output's properties, a `defaults` object) unknown keys are collected
//! and reported by the caller, because plugd logs what upstream drops silently. Every check
//! runs inside deserialisation, so errors keep serde's position.

use crate::database::{
    CommunicationSpecifier, Configuration, DefinitionTemplate, ManufacturerDataSpecifier,
    ProtocolEntry, VendorProductPair,
};
use crate::definition::{FeatureDefinition, InputDefinition, OutputDefinition};
use crate::error::ConfigError;
use plugd_core::{Endpoint, FeatureIndex, InputCommand, InputKind, OutputKind};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

/// Major versions plugd reads.
pub(crate) const SUPPORTED_MAJOR_VERSIONS: [u32; 2] = [4, 5];

/// `{"major": 4, "minor": 189}`.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct RawVersion {
    /// Must be one of [`SUPPORTED_MAJOR_VERSIONS`].
    pub major: u32,
    /// Informational.
    #[serde(default)]
    pub minor: u32,
}

impl RawVersion {
    /// `(major, minor)` if plugd reads this major version.
    pub(crate) fn checked(self) -> Result<(u32, u32), ConfigError> {
        if SUPPORTED_MAJOR_VERSIONS.contains(&self.major) {
            Ok((self.major, self.minor))
        } else {
            Err(ConfigError::UnsupportedVersion {
                major: self.major,
                minor: self.minor,
            })
        }
    }
}

/// Only the version of a file, read first so that a file of another major version is refused
/// by its number rather than by whatever shape difference serde trips on first.
#[derive(Deserialize)]
struct VersionProbe {
    version: RawVersion,
}

/// Reads `version` from a whole file (checking it is JSON) and checks the major version.
pub(crate) fn check_version(text: &str) -> Result<(u32, u32), ConfigError> {
    let probe: VersionProbe = serde_json::from_str(text)?;
    probe.version.checked()
}

/// A device database file: `version` + `protocols`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDatabaseFile {
    #[allow(dead_code)] // Read and checked by `check_version`; here so it is an allowed key.
    version: RawVersion,
    pub protocols: Option<BTreeMap<String, RawProtocol>>,
    pub user_configs: Option<IgnoredAny>,
}

/// A user config file: `version` + `user_configs`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUserFile {
    #[allow(dead_code)] // Read and checked by `check_version`; here so it is an allowed key.
    version: RawVersion,
    pub protocols: Option<IgnoredAny>,
    pub user_configs: Option<RawUserConfigs>,
}

/// A protocol entry. The schema leaves it open, so it is read key by key: the three known keys
/// are parsed (keeping serde's positions), anything else is skipped and remembered.
#[derive(Default)]
pub(crate) struct RawProtocol {
    pub communication: Vec<RawSpecifier>,
    pub defaults: Option<RawDefaults>,
    pub configurations: Vec<RawConfiguration>,
    /// Keys skipped at this level (`configuration`, `devices`, ...).
    pub ignored_keys: Vec<String>,
}

impl<'de> Deserialize<'de> for RawProtocol {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ProtocolVisitor;

        impl<'de> Visitor<'de> for ProtocolVisitor {
            type Value = RawProtocol;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a protocol object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawProtocol, A::Error> {
                let mut protocol = RawProtocol::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "communication" => protocol.communication = map.next_value()?,
                        "defaults" => protocol.defaults = Some(map.next_value()?),
                        "configurations" => protocol.configurations = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            protocol.ignored_keys.push(key);
                        }
                    }
                }
                Ok(protocol)
            }
        }

        deserializer.deserialize_map(ProtocolVisitor)
    }
}

impl RawProtocol {
    /// The model entry, plus every key that was ignored on the way (named with its path).
    pub(crate) fn into_entry(self) -> (ProtocolEntry, Vec<String>) {
        let mut ignored = self.ignored_keys;
        let mut communication = Vec::new();
        for (position, specifier) in self.communication.into_iter().enumerate() {
            match specifier {
                RawSpecifier::Known(specifier) => communication.push(specifier),
                RawSpecifier::Unknown(key) => {
                    ignored.push(format!(
                        "communication[{position}].{key} (unknown transport)"
                    ));
                }
            }
        }
        let defaults = self.defaults.map(|raw| {
            for key in raw.ignored_keys {
                ignored.push(format!("defaults.{key}"));
            }
            raw.template.into_template("defaults", &mut ignored)
        });
        let configurations = self
            .configurations
            .into_iter()
            .enumerate()
            .map(|(position, raw)| {
                raw.into_configuration(&format!("configurations[{position}]"), &mut ignored)
            })
            .collect();
        (
            ProtocolEntry {
                communication,
                defaults,
                configurations,
            },
            ignored,
        )
    }
}

/// A UUID string (`8-4-4-4-12` hex digits), kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Uuid(pub String);

impl Uuid {
    fn parse(text: &str) -> Option<Uuid> {
        let groups: Vec<&str> = text.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
        let well_formed = lengths == [8, 4, 4, 4, 12]
            && groups
                .iter()
                .all(|group| group.chars().all(|character| character.is_ascii_hexdigit()));
        well_formed.then(|| Uuid(text.to_ascii_lowercase()))
    }
}

impl<'de> Deserialize<'de> for Uuid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Uuid::parse(&text).ok_or_else(|| {
            de::Error::custom(format!(
                "{text:?} is not a UUID (8-4-4-4-12 hexadecimal digits)"
            ))
        })
    }
}

/// One `communication` entry: exactly one transport key.
pub(crate) enum RawSpecifier {
    /// A transport plugd knows.
    Known(CommunicationSpecifier),
    /// A transport key plugd does not know; skipped like upstream does.
    Unknown(String),
}

const TRANSPORT_KEYS: &str =
    "btle, serial, hid, usb, websocket, simulated, xinput, lovense_connect_service, sdl-gamepad";

impl<'de> Deserialize<'de> for RawSpecifier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecifierVisitor;

        impl<'de> Visitor<'de> for SpecifierVisitor {
            type Value = RawSpecifier;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    formatter,
                    "an object with one transport key ({TRANSPORT_KEYS})"
                )
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSpecifier, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(format!(
                        "empty communication entry: expected one of {TRANSPORT_KEYS}"
                    )));
                };
                let specifier = match key.as_str() {
                    "btle" => RawSpecifier::Known(map.next_value::<RawBtle>()?.into_specifier()),
                    "serial" => {
                        let serial: RawSerial = map.next_value()?;
                        RawSpecifier::Known(CommunicationSpecifier::Serial {
                            port: serial.port,
                            baud_rate: serial.baud_rate,
                            data_bits: serial.data_bits,
                            parity: serial.parity.0,
                            stop_bits: serial.stop_bits,
                        })
                    }
                    "hid" => RawSpecifier::Known(CommunicationSpecifier::Hid {
                        pairs: map.next_value::<RawPairs>()?.into_pairs(),
                    }),
                    "usb" => RawSpecifier::Known(CommunicationSpecifier::Usb {
                        pairs: map.next_value::<RawPairs>()?.into_pairs(),
                    }),
                    "websocket" => RawSpecifier::Known(CommunicationSpecifier::Websocket {
                        name: map.next_value::<RawWebsocket>()?.name,
                    }),
                    "simulated" => RawSpecifier::Known(CommunicationSpecifier::Simulated {
                        names: map.next_value::<RawSimulated>()?.names,
                    }),
                    "xinput" => {
                        map.next_value::<IgnoredAny>()?;
                        RawSpecifier::Known(CommunicationSpecifier::Xinput)
                    }
                    "lovense_connect_service" => {
                        map.next_value::<IgnoredAny>()?;
                        RawSpecifier::Known(CommunicationSpecifier::LovenseConnectService)
                    }
                    "sdl-gamepad" => {
                        map.next_value::<IgnoredAny>()?;
                        RawSpecifier::Known(CommunicationSpecifier::SdlGamepad)
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                        RawSpecifier::Unknown(key.clone())
                    }
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "a communication entry holds one transport, found `{key}` and `{extra}`"
                    )));
                }
                Ok(specifier)
            }
        }

        deserializer.deserialize_map(SpecifierVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBtle {
    names: Vec<String>,
    #[serde(default)]
    manufacturer_data: Vec<RawManufacturerData>,
    #[serde(default)]
    advertised_services: Vec<Uuid>,
    services: BTreeMap<Uuid, BTreeMap<Endpoint, Uuid>>,
}

impl RawBtle {
    fn into_specifier(self) -> CommunicationSpecifier {
        CommunicationSpecifier::Btle {
            names: self.names,
            manufacturer_data: self
                .manufacturer_data
                .into_iter()
                .map(|data| ManufacturerDataSpecifier {
                    company: data.company,
                    data: data.data,
                })
                .collect(),
            advertised_services: self
                .advertised_services
                .into_iter()
                .map(|uuid| uuid.0)
                .collect(),
            services: self
                .services
                .into_iter()
                .map(|(service, characteristics)| {
                    let characteristics = characteristics
                        .into_iter()
                        .map(|(endpoint, uuid)| (endpoint, uuid.0))
                        .collect();
                    (service.0, characteristics)
                })
                .collect(),
        }
    }
}

/// The schema leaves this open (`expected_length` is in it and ignored by the loader).
#[derive(Deserialize)]
struct RawManufacturerData {
    company: u16,
    #[serde(default)]
    data: Option<Vec<u8>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSerial {
    port: String,
    baud_rate: u32,
    data_bits: u8,
    parity: Parity,
    stop_bits: u8,
}

/// A one-letter string (`"N"`).
struct Parity(char);

impl<'de> Deserialize<'de> for Parity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut characters = text.chars();
        match (characters.next(), characters.next()) {
            (Some(letter), None) => Ok(Parity(letter)),
            _ => Err(de::Error::custom(format!(
                "parity {text:?} is not one letter (\"N\", \"E\", \"O\")"
            ))),
        }
    }
}

/// `hid` / `usb`: the schema leaves the object open but closes each pair.
#[derive(Deserialize)]
struct RawPairs {
    pairs: Vec<RawPair>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPair {
    vendor_id: u16,
    product_id: u16,
}

impl RawPairs {
    fn into_pairs(self) -> Vec<VendorProductPair> {
        self.pairs
            .into_iter()
            .map(|pair| VendorProductPair {
                vendor_id: pair.vendor_id,
                product_id: pair.product_id,
            })
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebsocket {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimulated {
    names: Vec<String>,
}

/// `defaults`: open in the schema, so unknown keys are collected.
pub(crate) struct RawDefaults {
    template: RawTemplate,
    ignored_keys: Vec<String>,
}

impl<'de> Deserialize<'de> for RawDefaults {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Open {
            #[serde(flatten)]
            template: RawTemplate,
            #[serde(flatten)]
            other: BTreeMap<String, IgnoredAny>,
        }
        let open = Open::deserialize(deserializer)?;
        Ok(RawDefaults {
            template: open.template,
            ignored_keys: open.other.into_keys().collect(),
        })
    }
}

/// The definition keys shared by `defaults` and configurations.
#[derive(Deserialize)]
struct RawTemplate {
    name: String,
    id: Uuid,
    #[serde(default)]
    features: Option<RawFeatures>,
    #[serde(default)]
    protocol_variant: Option<String>,
    #[serde(default)]
    message_gap_ms: Option<u32>,
}

impl RawTemplate {
    fn into_template(self, path: &str, ignored: &mut Vec<String>) -> DefinitionTemplate {
        DefinitionTemplate {
            name: self.name,
            id: self.id.0,
            features: self
                .features
                .map(|features| features.into_features(&format!("{path}.features"), ignored)),
            message_gap: self
                .message_gap_ms
                .map(|ms| Duration::from_millis(u64::from(ms))),
            protocol_variant: self.protocol_variant,
        }
    }
}

/// One `configurations` entry (closed in the schema; `message_gap_ms` is read as upstream's
/// loader does).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfiguration {
    identifier: Vec<String>,
    name: String,
    id: Uuid,
    #[serde(default)]
    features: Option<RawFeatures>,
    #[serde(default)]
    protocol_variant: Option<String>,
    #[serde(default)]
    message_gap_ms: Option<u32>,
}

impl RawConfiguration {
    /// serde cannot flatten into a `deny_unknown_fields` struct, so a configuration is read
    /// with its own fields and re-shaped into a template here.
    fn into_configuration(self, path: &str, ignored: &mut Vec<String>) -> Configuration {
        let template = RawTemplate {
            name: self.name,
            id: self.id,
            features: self.features,
            protocol_variant: self.protocol_variant,
            message_gap_ms: self.message_gap_ms,
        };
        Configuration {
            identifiers: self.identifier,
            template: template.into_template(path, ignored),
        }
    }
}

/// A `features` list; a repeated `index` is refused here so the error keeps its position.
pub(crate) struct RawFeatures(Vec<RawFeature>);

impl<'de> Deserialize<'de> for RawFeatures {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let features = Vec::<RawFeature>::deserialize(deserializer)?;
        let mut seen = BTreeSet::new();
        for feature in &features {
            if !seen.insert(feature.index) {
                return Err(de::Error::custom(format!(
                    "feature index {} appears twice in one definition",
                    feature.index
                )));
            }
        }
        Ok(RawFeatures(features))
    }
}

impl RawFeatures {
    fn into_features(self, path: &str, ignored: &mut Vec<String>) -> Vec<FeatureDefinition> {
        let mut features: Vec<FeatureDefinition> = self
            .0
            .into_iter()
            .map(|feature| {
                let feature_path = format!("{path}[index {}]", feature.index);
                feature.into_feature(&feature_path, ignored)
            })
            .collect();
        features.sort_by_key(|feature| feature.index);
        features
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeature {
    index: u32,
    id: Uuid,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    output: Option<RawOutputs>,
    #[serde(default)]
    input: Option<RawInputs>,
    /// `{alt_protocol_index}`: accepted by schema and loader, unused by every protocol.
    #[serde(default)]
    #[allow(dead_code)]
    feature_settings: Option<IgnoredAny>,
}

impl RawFeature {
    fn into_feature(self, path: &str, ignored: &mut Vec<String>) -> FeatureDefinition {
        let outputs = self
            .output
            .map(RawOutputs::into_kinds)
            .unwrap_or_default()
            .into_iter()
            .map(|(kind, properties)| {
                let output_path = format!("{path}.output.{}", kind.config_name());
                for key in properties.other.keys() {
                    ignored.push(format!("{output_path}.{key}"));
                }
                let duration = match (kind, properties.duration) {
                    (OutputKind::HwPositionWithDuration, duration) => duration.map(pair),
                    (_, Some(_)) => {
                        ignored.push(format!("{output_path}.duration"));
                        None
                    }
                    (_, None) => None,
                };
                OutputDefinition {
                    kind,
                    value: pair(properties.value),
                    user_range: None,
                    duration,
                    disabled: false,
                    reverse: false,
                }
            })
            .collect();
        let inputs = self
            .input
            .map(RawInputs::into_kinds)
            .unwrap_or_default()
            .into_iter()
            .map(|(kind, properties)| InputDefinition {
                kind,
                value: properties.value.into_iter().map(pair).collect(),
                commands: properties
                    .command
                    .into_iter()
                    .map(|command| command.0)
                    .collect(),
            })
            .collect();
        FeatureDefinition {
            index: FeatureIndex(self.index),
            id: self.id.0,
            description: self.description.unwrap_or_default(),
            outputs,
            inputs,
        }
    }
}

fn pair(range: [i32; 2]) -> (i32, i32) {
    (range[0], range[1])
}

/// `output`: one optional entry per kind; any other key is an error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutputs {
    vibrate: Option<RawOutputProperties>,
    rotate: Option<RawOutputProperties>,
    oscillate: Option<RawOutputProperties>,
    constrict: Option<RawOutputProperties>,
    temperature: Option<RawOutputProperties>,
    led: Option<RawOutputProperties>,
    spray: Option<RawOutputProperties>,
    position: Option<RawOutputProperties>,
    hw_position_with_duration: Option<RawOutputProperties>,
}

impl RawOutputs {
    /// The outputs present, in [`OutputKind`] declaration order.
    fn into_kinds(self) -> Vec<(OutputKind, RawOutputProperties)> {
        [
            (OutputKind::Vibrate, self.vibrate),
            (OutputKind::Rotate, self.rotate),
            (OutputKind::Oscillate, self.oscillate),
            (OutputKind::Constrict, self.constrict),
            (OutputKind::Temperature, self.temperature),
            (OutputKind::Led, self.led),
            (OutputKind::Spray, self.spray),
            (OutputKind::Position, self.position),
            (
                OutputKind::HwPositionWithDuration,
                self.hw_position_with_duration,
            ),
        ]
        .into_iter()
        .filter_map(|(kind, properties)| properties.map(|properties| (kind, properties)))
        .collect()
    }
}

/// An output's properties: open in the schema (v5's `ossm` adds a `description`).
#[derive(Deserialize)]
struct RawOutputProperties {
    value: [i32; 2],
    #[serde(default)]
    duration: Option<[i32; 2]>,
    #[serde(flatten)]
    other: BTreeMap<String, IgnoredAny>,
}

/// `input`: one optional entry per kind plugd knows (the schema lists battery, rssi, pressure;
/// upstream's loader also reads button, depth, position).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInputs {
    battery: Option<RawInputProperties>,
    rssi: Option<RawInputProperties>,
    button: Option<RawInputProperties>,
    pressure: Option<RawInputProperties>,
    depth: Option<RawInputProperties>,
    position: Option<RawInputProperties>,
}

impl RawInputs {
    /// The inputs present, in [`InputKind`] declaration order.
    fn into_kinds(self) -> Vec<(InputKind, RawInputProperties)> {
        [
            (InputKind::Battery, self.battery),
            (InputKind::Rssi, self.rssi),
            (InputKind::Button, self.button),
            (InputKind::Pressure, self.pressure),
            (InputKind::Depth, self.depth),
            (InputKind::Position, self.position),
        ]
        .into_iter()
        .filter_map(|(kind, properties)| properties.map(|properties| (kind, properties)))
        .collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInputProperties {
    value: Vec<[i32; 2]>,
    command: Vec<CommandName>,
}

/// `"Read"` / `"Subscribe"`.
struct CommandName(InputCommand);

impl<'de> Deserialize<'de> for CommandName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map(CommandName).map_err(|_| {
            de::Error::custom(format!(
                "{text:?} is not an input command (Read, Subscribe)"
            ))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// User config (device-config.md §3.1).

/// `user_configs`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUserConfigs {
    #[serde(default)]
    pub protocols: Option<BTreeMap<String, RawProtocol>>,
    #[serde(default)]
    pub devices: Option<Vec<RawUserDevice>>,
    #[serde(default)]
    pub simulated_devices: Option<Vec<RawSimulatedDevice>>,
}

/// One `devices[]` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUserDevice {
    pub identifier: RawUserIdentifier,
    pub config: RawUserDeviceConfig,
}

/// `devices[].identifier`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUserIdentifier {
    pub address: String,
    pub protocol: String,
    #[serde(default)]
    pub identifier: Option<String>,
}

/// `devices[].config`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUserDeviceConfig {
    /// Tolerated and ignored, as upstream does (the name comes from the base).
    #[serde(default)]
    #[allow(dead_code)]
    pub name: Option<String>,
    pub id: Uuid,
    pub base_id: Uuid,
    pub features: Vec<RawUserFeature>,
    pub user_config: RawUserCustomization,
}

/// `config.features[]`. No `input`: a user feature with one is refused, as the schema does.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUserFeature {
    pub id: Uuid,
    pub base_id: Uuid,
    /// Allowed by the schema; the base's description is kept, as upstream does.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
    #[serde(default)]
    pub output: Option<RawUserOutputs>,
}

/// A user feature's `output`: one optional entry per kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUserOutputs {
    vibrate: Option<RawUserOutputProperties>,
    rotate: Option<RawUserOutputProperties>,
    oscillate: Option<RawUserOutputProperties>,
    constrict: Option<RawUserOutputProperties>,
    temperature: Option<RawUserOutputProperties>,
    led: Option<RawUserOutputProperties>,
    spray: Option<RawUserOutputProperties>,
    position: Option<RawUserOutputProperties>,
    hw_position_with_duration: Option<RawUserOutputProperties>,
}

impl RawUserOutputs {
    /// The outputs present, in [`OutputKind`] declaration order.
    pub(crate) fn into_kinds(self) -> Vec<(OutputKind, RawUserOutputProperties)> {
        [
            (OutputKind::Vibrate, self.vibrate),
            (OutputKind::Rotate, self.rotate),
            (OutputKind::Oscillate, self.oscillate),
            (OutputKind::Constrict, self.constrict),
            (OutputKind::Temperature, self.temperature),
            (OutputKind::Led, self.led),
            (OutputKind::Spray, self.spray),
            (OutputKind::Position, self.position),
            (
                OutputKind::HwPositionWithDuration,
                self.hw_position_with_duration,
            ),
        ]
        .into_iter()
        .filter_map(|(kind, properties)| properties.map(|properties| (kind, properties)))
        .collect()
    }
}

/// A user output's properties (open in the schema; unknown keys such as the old
/// `step_limit` are collected and logged).
#[derive(Deserialize)]
pub(crate) struct RawUserOutputProperties {
    #[serde(default)]
    pub value: Option<[i32; 2]>,
    #[serde(default)]
    pub duration: Option<[i32; 2]>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub reverse: bool,
    #[serde(flatten)]
    pub other: BTreeMap<String, IgnoredAny>,
}

/// `config.user_config`. `allow` and `deny` default to false (upstream's loader does too);
/// `index` is required.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUserCustomization {
    #[serde(default)]
    pub allow: bool,
    #[serde(default)]
    pub deny: bool,
    pub index: u32,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub message_gap_ms: Option<u32>,
}

/// `simulated_devices[]` (v5).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSimulatedDevice {
    pub identifier: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub address: String,
}

/// Converts the `[lo, hi]` pair of a user range.
pub(crate) fn user_pair(range: [i32; 2]) -> (i32, i32) {
    pair(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_checked_and_lower_cased() {
        assert_eq!(
            Uuid::parse("0000FE00-0000-1000-8000-00805F9B34FB").map(|uuid| uuid.0),
            Some("0000fe00-0000-1000-8000-00805f9b34fb".to_string())
        );
        assert!(Uuid::parse("0000fe00-0000-1000-8000-00805f9b34f").is_none());
        assert!(Uuid::parse("0000fe00-0000-1000-8000-00805f9b34fg").is_none());
        assert!(Uuid::parse("0000fe0000001000800000805f9b34fb").is_none());
    }

    #[test]
    fn parity_must_be_one_letter() {
        assert!(serde_json::from_str::<Parity>("\"N\"").is_ok());
        assert!(serde_json::from_str::<Parity>("\"None\"").is_err());
        assert!(serde_json::from_str::<Parity>("\"\"").is_err());
    }

    #[test]
    fn open_output_properties_report_their_unknown_keys() {
        let raw: RawProtocol = serde_json::from_str(
            r#"{"defaults": {"name": "OSSM", "id": "a0000000-0000-4000-8000-000000000001",
                "features": [{"index": 0, "id": "a0000000-0000-4000-8000-000000000002",
                  "output": {"oscillate": {"value": [0, 100], "description": "Stroke Speed"}}}]}}"#,
        )
        .unwrap();
        let (entry, ignored) = raw.into_entry();
        assert_eq!(
            ignored,
            ["defaults.features[index 0].output.oscillate.description"]
        );
        let features = entry.defaults.unwrap().features.unwrap();
        assert_eq!(features[0].outputs[0].value, (0, 100));
    }
}

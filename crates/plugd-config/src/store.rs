//! [`DeviceConfigStore`]: the device database and the user config layered (device-config.md
//! §1.2, §2.2, §2.4, §3.2, §3.3). It answers the three questions the DeviceConfig actor is asked:
//! which protocols could this found hardware be ([`DeviceConfigStore::find_protocols`]), which
//! definition applies once identification picked an identifier
//! ([`DeviceConfigStore::definition`]), and may this address connect at which index
//! ([`DeviceConfigStore::is_allowed`], [`DeviceConfigStore::reserved_index`]).
//!
//! Everything is resolved once in [`DeviceConfigStore::new`]; lookups only read.
//!
//! Decisions beyond upstream:
//! * A user device entry whose definition cannot be built (unknown `base_id`, feature count or
//!   ids that do not fit the base, a range outside the base) is dropped with a `warn!` saying
//!   why, where upstream drops it silently; [`DeviceConfigStore::dropped_entries`] lists them.
//!   Its address rules (`allow`, `deny`, `index`) still apply: they do not depend on the base,
//!   and dropping a `deny` would connect a device the user refused.
//! * A `base_id` is looked up in the entry's own protocol only (defaults, then configurations
//!   in file order, then user configurations); with repeated UUIDs the first wins.
//! * An entry without `message_gap_ms` keeps the base's gap (upstream clears it).

use crate::database::{CommunicationSpecifier, DefinitionTemplate, DeviceDatabase};
use crate::definition::{
    DeviceDefinition, FeatureDefinition, OutputDefinition, UserDeviceSettings,
};
use crate::error::UserEntryError;
use crate::identity::{DeviceIdentity, Transport};
use crate::user_config::{SimulatedDeviceEntry, UserConfig, UserDeviceEntry, UserOutput};
use plugd_core::{Endpoint, OutputKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The device database and an optional user config, layered.
#[derive(Debug, Clone, Default)]
pub struct DeviceConfigStore {
    /// The database as loaded.
    database: DeviceDatabase,
    /// Every registered definition with `identifier: None`: per protocol its defaults, then its
    /// configurations in file order, then the user's configurations.
    definitions: Vec<DeviceDefinition>,
    /// Protocol → identifier → position in `definitions`; later registrations overwrite.
    by_identifier: HashMap<String, HashMap<String, usize>>,
    /// Protocol → position of its defaults in `definitions`.
    defaults: HashMap<String, usize>,
    /// Protocol → the user's specifiers, consulted before the database's.
    user_specifiers: BTreeMap<String, Vec<CommunicationSpecifier>>,
    /// Layered user entries keyed by (protocol, identifier, address); a later entry with the
    /// same key replaces an earlier one.
    user_devices: Vec<(UserDeviceKey, DeviceDefinition)>,
    /// Address rules of every user entry (valid or dropped), in file order.
    address_rules: Vec<AddressRule>,
    /// Entries whose definition could not be built.
    dropped: Vec<DroppedUserEntry>,
    /// The user config's `simulated_devices`.
    simulated_devices: Vec<SimulatedDeviceEntry>,
}

/// A protocol that matched found hardware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolMatch {
    /// The protocol key.
    pub protocol: String,
    /// The endpoints the hardware exposes: for BLE every endpoint of every service of the first
    /// `btle` specifier of the list that matched (the user's or the database's), sorted; for
    /// every other transport `tx` and `rx`.
    pub endpoints: Vec<Endpoint>,
}

/// A user device entry whose definition was dropped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedUserEntry {
    /// The entry's protocol.
    pub protocol: String,
    /// The entry's identifier.
    pub identifier: Option<String>,
    /// The entry's address.
    pub address: String,
    /// Why it was dropped.
    pub reason: UserEntryError,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct UserDeviceKey {
    protocol: String,
    identifier: Option<String>,
    address: String,
}

#[derive(Debug, Clone)]
struct AddressRule {
    address: String,
    allow: bool,
    deny: bool,
    index: u32,
    /// The user's name for the device (an entry that carries only rules may carry it too:
    /// what the dashboard's rename writes).
    display_name: Option<String>,
}

impl DeviceConfigStore {
    /// Layers `user` over `database`. User specifiers and configurations for protocols the
    /// database lacks are ignored with a warning; user device entries that do not fit their
    /// base are dropped with a warning (see the module documentation).
    pub fn new(database: DeviceDatabase, user: Option<UserConfig>) -> Self {
        let mut store = DeviceConfigStore::default();
        for (name, entry) in database.protocols() {
            if let Some(defaults) = &entry.defaults {
                let position = store.register(resolve(name, defaults, None));
                store.defaults.insert(name.to_string(), position);
            }
            for configuration in &entry.configurations {
                let definition = resolve(name, &configuration.template, entry.defaults.as_ref());
                let position = store.register(definition);
                store.register_identifiers(name, &configuration.identifiers, position);
            }
        }
        store.database = database;
        if let Some(user) = user {
            store.apply_user_config(user);
        }
        store
    }

    fn apply_user_config(&mut self, user: UserConfig) {
        let UserConfig {
            protocols,
            devices,
            simulated_devices,
            ..
        } = user;
        self.simulated_devices = simulated_devices;
        for (name, protocol) in protocols {
            if self.database.protocol(&name).is_none() {
                tracing::warn!(
                    protocol = %name,
                    "user config: protocol is not in the device database; its specifiers and configurations are ignored"
                );
                continue;
            }
            if !protocol.communication.is_empty() {
                self.user_specifiers
                    .entry(name.clone())
                    .or_default()
                    .extend(protocol.communication);
            }
            // User configurations are not layered over the protocol's defaults
            // (device-config.md §3.1): they must bring their own features.
            for configuration in &protocol.configurations {
                let position = self.register(resolve(&name, &configuration.template, None));
                self.register_identifiers(&name, &configuration.identifiers, position);
            }
        }
        for entry in devices {
            self.address_rules.push(AddressRule {
                address: entry.address.clone(),
                allow: entry.settings.allow,
                deny: entry.settings.deny,
                index: entry.settings.index.unwrap_or_default(),
                display_name: entry.settings.display_name.clone(),
            });
            let key = UserDeviceKey {
                protocol: entry.protocol.clone(),
                identifier: entry.identifier.clone(),
                address: entry.address.clone(),
            };
            match self.layer_user_entry(&entry) {
                Ok(definition) => {
                    if let Some(existing) = self
                        .user_devices
                        .iter_mut()
                        .find(|(known, _)| *known == key)
                    {
                        tracing::warn!(
                            protocol = %key.protocol,
                            identifier = ?key.identifier,
                            address = %key.address,
                            "user config: two device entries for one device; the later one applies"
                        );
                        existing.1 = definition;
                    } else {
                        self.user_devices.push((key, definition));
                    }
                }
                Err(reason) => {
                    tracing::warn!(
                        protocol = %key.protocol,
                        identifier = ?key.identifier,
                        address = %key.address,
                        %reason,
                        "user config: device entry dropped (its allow/deny/index still apply)"
                    );
                    self.dropped.push(DroppedUserEntry {
                        protocol: key.protocol,
                        identifier: key.identifier,
                        address: key.address,
                        reason,
                    });
                }
            }
        }
    }

    fn register(&mut self, definition: DeviceDefinition) -> usize {
        self.definitions.push(definition);
        self.definitions.len() - 1
    }

    fn register_identifiers(&mut self, protocol: &str, identifiers: &[String], position: usize) {
        let table = self.by_identifier.entry(protocol.to_string()).or_default();
        for identifier in identifiers {
            table.insert(identifier.clone(), position);
        }
    }

    /// §3.2 steps 2–5: the entry's definition over its base, or why not.
    fn layer_user_entry(
        &self,
        entry: &UserDeviceEntry,
    ) -> Result<DeviceDefinition, UserEntryError> {
        if self.database.protocol(&entry.protocol).is_none() {
            return Err(UserEntryError::UnknownProtocol {
                protocol: entry.protocol.clone(),
            });
        }
        let base = self.find_base(&entry.protocol, &entry.base_id)?;
        if entry.features.len() != base.features.len() {
            return Err(UserEntryError::FeatureCount {
                given: entry.features.len(),
                expected: base.features.len(),
                base_name: base.name.clone(),
            });
        }
        let mut used = BTreeSet::new();
        let mut features = Vec::with_capacity(entry.features.len());
        for user_feature in &entry.features {
            let base_feature = base
                .features
                .iter()
                .find(|feature| feature.id == user_feature.base_id)
                .ok_or_else(|| UserEntryError::UnknownFeatureBase {
                    base_id: user_feature.base_id.clone(),
                    base_name: base.name.clone(),
                })?;
            if !used.insert(base_feature.id.as_str()) {
                return Err(UserEntryError::RepeatedFeatureBase {
                    base_id: base_feature.id.clone(),
                });
            }
            let mut outputs = base_feature.outputs.clone();
            for (kind, user_output) in &user_feature.outputs {
                match outputs.iter_mut().find(|output| output.kind == *kind) {
                    Some(output) => apply_user_output(output, user_output, &base_feature.id)?,
                    None => tracing::warn!(
                        protocol = %entry.protocol,
                        address = %entry.address,
                        feature = %base_feature.id,
                        kind = kind.config_name(),
                        "user config: the base feature has no such output; the setting is ignored"
                    ),
                }
            }
            features.push(FeatureDefinition {
                index: base_feature.index,
                id: user_feature.id.clone(),
                description: base_feature.description.clone(),
                outputs,
                inputs: base_feature.inputs.clone(),
            });
        }
        features.sort_by_key(|feature| feature.index);
        Ok(DeviceDefinition {
            protocol: entry.protocol.clone(),
            identifier: entry.identifier.clone(),
            name: base.name.clone(),
            id: entry.id.clone(),
            features,
            message_gap: entry.message_gap.or(base.message_gap),
            protocol_variant: base.protocol_variant.clone(),
            user: entry.settings.clone(),
        })
    }

    fn find_base(
        &self,
        protocol: &str,
        base_id: &str,
    ) -> Result<&DeviceDefinition, UserEntryError> {
        if let Some(base) = self
            .definitions
            .iter()
            .find(|definition| definition.protocol == protocol && definition.id == base_id)
        {
            return Ok(base);
        }
        match self
            .definitions
            .iter()
            .find(|definition| definition.id == base_id)
        {
            Some(elsewhere) => Err(UserEntryError::BaseInOtherProtocol {
                base_id: base_id.to_string(),
                expected: protocol.to_string(),
                found: elsewhere.protocol.clone(),
            }),
            None => Err(UserEntryError::UnknownBase {
                protocol: protocol.to_string(),
                base_id: base_id.to_string(),
            }),
        }
    }

    /// The database as loaded.
    pub fn database(&self) -> &DeviceDatabase {
        &self.database
    }

    /// Every communication specifier for `transport`, the user's first, with its protocol:
    /// what a DCM needs to know which ports or VID/PIDs to look at and how to open them.
    pub fn specifiers_for(&self, transport: Transport) -> Vec<(String, CommunicationSpecifier)> {
        let user = self
            .user_specifiers
            .iter()
            .flat_map(|(name, list)| list.iter().map(move |specifier| (name.as_str(), specifier)));
        let database = self.database.protocols().flat_map(|(name, entry)| {
            entry
                .communication()
                .iter()
                .map(move |specifier| (name, specifier))
        });
        user.chain(database)
            .filter(|(_, specifier)| specifier.transport() == transport)
            .map(|(name, specifier)| (name.to_string(), specifier.clone()))
            .collect()
    }

    /// Protocols whose specifiers describe `identity` (device-config.md §2.2): protocols with a
    /// matching user specifier first, then protocols with a matching database specifier, each
    /// group in protocol-name order, each protocol once. Whether plugd has an encoder for a
    /// protocol is the caller's question.
    pub fn find_protocols(&self, identity: &DeviceIdentity) -> Vec<ProtocolMatch> {
        let user_lists = self
            .user_specifiers
            .iter()
            .map(|(name, list)| (name.as_str(), list.as_slice()));
        let database_lists = self
            .database
            .protocols()
            .map(|(name, entry)| (name, entry.communication()));
        let mut matches: Vec<ProtocolMatch> = Vec::new();
        for (protocol, list) in user_lists.chain(database_lists) {
            if matches.iter().any(|found| found.protocol == protocol) {
                continue;
            }
            if list.iter().any(|specifier| specifier.matches(identity)) {
                matches.push(ProtocolMatch {
                    protocol: protocol.to_string(),
                    endpoints: endpoints_of(list, identity.transport),
                });
            }
        }
        matches
    }

    /// The definition for a device (device-config.md §2.4): the user entry for exactly
    /// (`protocol`, `identifier`, `address`) layered over its base; else the configuration
    /// registered for `identifier`; else the protocol's defaults (`identifier: None`). `None`
    /// when the protocol is unknown or has neither. Features are sorted by index, outputs by
    /// [`OutputKind`]. A definition from the database carries the address's reserved index
    /// and allow/deny from the user config, if any.
    pub fn definition(
        &self,
        protocol: &str,
        identifier: Option<&str>,
        address: &str,
    ) -> Option<DeviceDefinition> {
        if let Some((_, definition)) = self.user_devices.iter().find(|(key, _)| {
            key.protocol == protocol
                && key.identifier.as_deref() == identifier
                && key.address == address
        }) {
            return Some(definition.clone());
        }
        let configured = identifier.and_then(|identifier| {
            let position = *self.by_identifier.get(protocol)?.get(identifier)?;
            Some((position, Some(identifier.to_string())))
        });
        let (position, identifier) = match configured {
            Some(found) => found,
            None => (*self.defaults.get(protocol)?, None),
        };
        let mut definition = self.definitions.get(position)?.clone();
        definition.identifier = identifier;
        definition.user = UserDeviceSettings {
            // A simulated device declared in the user config may carry its display name there.
            display_name: self
                .simulated_devices
                .iter()
                .find(|entry| entry.address == address)
                .and_then(|entry| entry.display_name.clone())
                .or_else(|| {
                    self.rules_for(address)
                        .find_map(|rule| rule.display_name.clone())
                }),
            index: self.reserved_index(address),
            allow: self.rules_for(address).any(|rule| rule.allow),
            deny: self.rules_for(address).any(|rule| rule.deny),
        };
        Some(definition)
    }

    fn rules_for<'a>(&'a self, address: &'a str) -> impl Iterator<Item = &'a AddressRule> + 'a {
        self.address_rules
            .iter()
            .filter(move |rule| rule.address == address)
    }

    /// Device-config.md §3.3: refused when any entry for `address` says `deny`; once any entry
    /// says `allow`, only addresses with such an entry connect.
    pub fn is_allowed(&self, address: &str) -> bool {
        if self.rules_for(address).any(|rule| rule.deny) {
            return false;
        }
        let allow_list_in_force = self.address_rules.iter().any(|rule| rule.allow);
        !allow_list_in_force || self.rules_for(address).any(|rule| rule.allow)
    }

    /// The index the user config reserves for `address` (its first entry's), if any.
    pub fn reserved_index(&self, address: &str) -> Option<u32> {
        self.rules_for(address).next().map(|rule| rule.index)
    }

    /// Every index the user config reserves, sorted, without repeats.
    pub fn reserved_indices(&self) -> Vec<u32> {
        let indices: BTreeSet<u32> = self.address_rules.iter().map(|rule| rule.index).collect();
        indices.into_iter().collect()
    }

    /// The user config's `simulated_devices` (v5), in file order.
    pub fn user_simulated_devices(&self) -> Vec<SimulatedDeviceEntry> {
        self.simulated_devices.clone()
    }

    /// User device entries whose definition was dropped, with the reason, in file order.
    pub fn dropped_entries(&self) -> &[DroppedUserEntry] {
        &self.dropped
    }
}

/// A definition from a `defaults` object or a configuration layered over its defaults
/// (device-config.md §1.2): `features` replace the defaults' wholesale when present, else the
/// defaults' list (same UUIDs) is used; gap and variant fall back to the defaults'.
fn resolve(
    protocol: &str,
    template: &DefinitionTemplate,
    defaults: Option<&DefinitionTemplate>,
) -> DeviceDefinition {
    let features = template
        .features
        .clone()
        .or_else(|| defaults.and_then(|defaults| defaults.features.clone()))
        .unwrap_or_default();
    DeviceDefinition {
        protocol: protocol.to_string(),
        identifier: None,
        name: template.name.clone(),
        id: template.id.clone(),
        features,
        message_gap: template
            .message_gap
            .or_else(|| defaults.and_then(|defaults| defaults.message_gap)),
        protocol_variant: template
            .protocol_variant
            .clone()
            .or_else(|| defaults.and_then(|defaults| defaults.protocol_variant.clone())),
        user: UserDeviceSettings::default(),
    }
}

/// §3.2 steps 4–5 for one output: the user's range (checked against the base), `disabled`, and
/// `reverse` for positional kinds.
fn apply_user_output(
    output: &mut OutputDefinition,
    user: &UserOutput,
    feature_base_id: &str,
) -> Result<(), UserEntryError> {
    let check = |property: &'static str, range: (i32, i32), maximum: i32| {
        let (low, high) = range;
        if 0 <= low && low <= high && high <= maximum {
            Ok(range)
        } else {
            Err(UserEntryError::RangeOutsideBase {
                feature_base_id: feature_base_id.to_string(),
                kind: output.kind,
                property,
                low,
                high,
                maximum,
            })
        }
    };
    let user_range = match user.value {
        Some(range) => Some(check("value", range, output.value.1)?),
        None => None,
    };
    let duration = match (user.duration, output.kind) {
        (Some(range), OutputKind::HwPositionWithDuration) => {
            let maximum = output.duration.map_or(i32::MAX, |(_, high)| high);
            Some(check("duration", range, maximum)?)
        }
        _ => output.duration,
    };
    let positional = matches!(
        output.kind,
        OutputKind::Position | OutputKind::HwPositionWithDuration
    );
    if user.reverse && !positional {
        tracing::warn!(
            feature = %feature_base_id,
            kind = output.kind.config_name(),
            "user config: `reverse` only applies to positions; ignored"
        );
    }
    output.user_range = user_range;
    output.duration = duration;
    output.disabled = user.disabled;
    output.reverse = positional && user.reverse;
    Ok(())
}

/// The endpoints of hardware matched through `list`: the first specifier of the identity's
/// transport decides (for BLE, the first `btle` specifier, whether or not it is the one that
/// matched, as upstream's test device does).
fn endpoints_of(list: &[CommunicationSpecifier], transport: Transport) -> Vec<Endpoint> {
    list.iter()
        .find(|specifier| specifier.transport() == transport)
        .map(CommunicationSpecifier::endpoints)
        .unwrap_or_else(|| vec![Endpoint::Tx, Endpoint::Rx])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::ManufacturerData;
    use plugd_core::{FeatureIndex, InputKind};
    use std::time::Duration;

    /// A small database in the published format: the illustrative entry of device-config.md
    /// §1.7, a Lovense-like protocol and a sparse one.
    const DATABASE: &str = r#"{"version": {"major": 4, "minor": 0}, "protocols": {
      "acme-pulse": {
        "communication": [
          { "btle": { "names": ["ACME-P1", "ACME-PULSE*"],
                      "manufacturer_data": [{ "company": 4660, "data": [1, 2] }],
                      "services": { "0000fe00-0000-1000-8000-00805f9b34fb": {
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
            "id": "a0000000-0000-4000-8000-000000000003", "protocol_variant": "two",
            "features": [
              { "index": 0, "id": "a0000000-0000-4000-8000-0000000000f2",
                "output": { "rotate": { "value": [-20, 20] } } },
              { "index": 1, "id": "a0000000-0000-4000-8000-0000000000f3",
                "output": { "hw_position_with_duration": { "value": [0, 100],
                                                           "duration": [0, 100000] } } } ] },
          { "identifier": ["ACME-P1"], "name": "Acme Pulse Revised",
            "id": "a0000000-0000-4000-8000-000000000004" } ] },
      "sparse": {
        "communication": [ { "btle": { "names": ["SPARSE"],
            "advertised_services": ["6e400001-b5a3-f393-e0a9-e50e24dcca9e"],
            "services": { "6e400001-b5a3-f393-e0a9-e50e24dcca9e": {
                "txmode": "6e400002-b5a3-f393-e0a9-e50e24dcca9e" } } } } ],
        "defaults": { "name": "Sparse", "id": "a0000000-0000-4000-8000-000000000010",
          "features": [
            { "index": 6, "id": "a0000000-0000-4000-8000-000000000016",
              "output": { "oscillate": { "value": [0, 10] }, "vibrate": { "value": [0, 10] } } },
            { "index": 0, "id": "a0000000-0000-4000-8000-000000000011",
              "output": { "vibrate": { "value": [0, 10] } } },
            { "index": 4, "id": "a0000000-0000-4000-8000-000000000014" } ] } },
      "remote": { "communication": [ { "lovense_connect_service": { "exists": true } } ] } } }"#;

    fn database() -> DeviceDatabase {
        DeviceDatabase::from_json(DATABASE).unwrap()
    }

    fn user_config(devices: &str) -> UserConfig {
        UserConfig::from_json(&format!(
            r#"{{"version": {{"major": 4, "minor": 0}}, "user_configs": {{"devices": {devices}}}}}"#
        ))
        .unwrap()
    }

    fn entry(address: &str, identifier: &str, features: &str, user_config: &str) -> String {
        format!(
            r#"{{"identifier": {{"protocol": "acme-pulse", "identifier": "{identifier}", "address": "{address}"}},
                "config": {{"id": "b0000000-0000-4000-8000-000000000001",
                            "base_id": "a0000000-0000-4000-8000-000000000002",
                            "features": {features}, "user_config": {user_config}}}}}"#
        )
    }

    const PLAIN_FEATURES: &str = r#"[
        {"id": "b0000000-0000-4000-8000-0000000000a0", "base_id": "a0000000-0000-4000-8000-0000000000f0"},
        {"id": "b0000000-0000-4000-8000-0000000000a1", "base_id": "a0000000-0000-4000-8000-0000000000f1"}]"#;

    #[test]
    fn configuration_without_features_reuses_the_defaults_features_and_gap() {
        let store = DeviceConfigStore::new(database(), None);
        let definition = store
            .definition("acme-pulse", Some("ACME-P2"), "addr")
            .unwrap();
        assert_eq!(definition.name, "Acme Pulse 2");
        assert_eq!(definition.identifier.as_deref(), Some("ACME-P2"));
        assert_eq!(definition.message_gap, Some(Duration::from_millis(20)));
        assert_eq!(definition.protocol_variant.as_deref(), Some("two"));
        assert_eq!(definition.features[0].outputs[0].kind, OutputKind::Rotate);

        let defaults = store.definition("acme-pulse", None, "addr").unwrap();
        let inherited = store
            .definition("acme-pulse", Some("ACME-P2B"), "addr")
            .unwrap();
        assert_eq!(inherited.id, "a0000000-0000-4000-8000-000000000003");
        assert_ne!(defaults.features, inherited.features);
    }

    #[test]
    fn a_repeated_identifier_selects_the_later_configuration() {
        let store = DeviceConfigStore::new(database(), None);
        let definition = store
            .definition("acme-pulse", Some("ACME-P1"), "addr")
            .unwrap();
        assert_eq!(definition.name, "Acme Pulse Revised");
        let defaults = store.definition("acme-pulse", None, "addr").unwrap();
        assert_eq!(
            definition.features, defaults.features,
            "same feature UUIDs as the defaults"
        );
    }

    #[test]
    fn an_unknown_identifier_falls_back_to_the_defaults_and_an_unknown_protocol_to_none() {
        let store = DeviceConfigStore::new(database(), None);
        let definition = store
            .definition("acme-pulse", Some("ACME-P9"), "addr")
            .unwrap();
        assert_eq!(definition.name, "Acme Pulse Device");
        assert_eq!(definition.identifier, None);
        assert!(store.definition("no-such-protocol", None, "addr").is_none());
        assert!(
            store.definition("remote", Some("Edge"), "addr").is_none(),
            "no defaults"
        );
    }

    #[test]
    fn sparse_indices_and_placeholders_are_kept_in_index_order() {
        let store = DeviceConfigStore::new(database(), None);
        let definition = store.definition("sparse", None, "addr").unwrap();
        let indices: Vec<u32> = definition
            .features
            .iter()
            .map(|feature| feature.index.0)
            .collect();
        assert_eq!(indices, [0, 4, 6]);
        assert!(definition
            .feature(FeatureIndex(4))
            .unwrap()
            .is_placeholder());
        let kinds: Vec<OutputKind> = definition.features[2]
            .outputs
            .iter()
            .map(|output| output.kind)
            .collect();
        assert_eq!(kinds, [OutputKind::Vibrate, OutputKind::Oscillate]);
    }

    #[test]
    fn ble_names_wildcards_and_manufacturer_data_find_the_protocol_with_its_endpoints() {
        let store = DeviceConfigStore::new(database(), None);
        let by_name = DeviceIdentity::named(Transport::Btle, "ACME-PULSE-7", "addr");
        assert_eq!(
            store.find_protocols(&by_name),
            [ProtocolMatch {
                protocol: "acme-pulse".to_string(),
                endpoints: vec![Endpoint::Rx, Endpoint::Tx],
            }]
        );
        let mut by_data = DeviceIdentity::named(Transport::Btle, "", "addr");
        by_data.manufacturer_data = vec![ManufacturerData {
            company: 4660,
            data: vec![0, 1, 2, 3],
        }];
        assert_eq!(store.find_protocols(&by_data)[0].protocol, "acme-pulse");
        let mut by_service = DeviceIdentity::named(Transport::Btle, "Stray", "addr");
        by_service.advertised_services = vec!["6E400001-B5A3-F393-E0A9-E50E24DCCA9E".to_string()];
        assert_eq!(
            store.find_protocols(&by_service),
            [ProtocolMatch {
                protocol: "sparse".to_string(),
                endpoints: vec![Endpoint::TxMode],
            }]
        );
        assert!(store
            .find_protocols(&DeviceIdentity::named(Transport::Btle, "Nothing", "addr"))
            .is_empty());
    }

    #[test]
    fn non_ble_matches_get_tx_and_rx() {
        let store = DeviceConfigStore::new(database(), None);
        let remote = DeviceIdentity::named(Transport::LovenseConnect, "Edge", "toy-1");
        assert_eq!(
            store.find_protocols(&remote),
            [ProtocolMatch {
                protocol: "remote".to_string(),
                endpoints: vec![Endpoint::Tx, Endpoint::Rx],
            }]
        );
        let serial = DeviceIdentity::named(Transport::Serial, "/dev/ttyUSB0", "/dev/ttyUSB0");
        assert!(
            store.find_protocols(&serial).is_empty(),
            "database ports are \"default\""
        );
    }

    #[test]
    fn user_specifiers_come_first_with_their_own_endpoints() {
        let user = UserConfig::from_json(
            r#"{"version": {"major": 4, "minor": 0}, "user_configs": {"protocols": {
                 "sparse": {"communication": [
                   {"websocket": {"name": "ACME-P1"}},
                   {"btle": {"names": ["ACME-P1"], "services": {"0000fe00-0000-1000-8000-00805f9b34fb": {
                       "generic3": "0000fe01-0000-1000-8000-00805f9b34fb"}}}}]},
                 "acme-pulse": {"communication": [
                   {"serial": {"port": "/dev/ttyUSB0", "baud_rate": 9600, "data_bits": 8,
                               "parity": "N", "stop_bits": 1}}]},
                 "missing": {"communication": [{"websocket": {"name": "X"}}]}}}}"#,
        )
        .unwrap();
        let store = DeviceConfigStore::new(database(), Some(user));
        let found =
            store.find_protocols(&DeviceIdentity::named(Transport::Btle, "ACME-P1", "addr"));
        let names: Vec<&str> = found.iter().map(|found| found.protocol.as_str()).collect();
        assert_eq!(names, ["sparse", "acme-pulse"]);
        assert_eq!(found[0].endpoints, [Endpoint::Generic(3)]);
        assert_eq!(found[1].endpoints, [Endpoint::Rx, Endpoint::Tx]);

        let websocket = DeviceIdentity::named(Transport::Websocket, "ACME-P1", "1A2B3C");
        assert_eq!(
            store.find_protocols(&websocket),
            [ProtocolMatch {
                protocol: "sparse".to_string(),
                endpoints: vec![Endpoint::Tx, Endpoint::Rx],
            }]
        );
        let serial = DeviceIdentity::named(Transport::Serial, "/dev/ttyUSB0", "/dev/ttyUSB0");
        assert_eq!(store.find_protocols(&serial)[0].protocol, "acme-pulse");
        assert!(store
            .find_protocols(&DeviceIdentity::named(Transport::Websocket, "X", "1"))
            .is_empty());
    }

    #[test]
    fn user_configurations_register_after_the_database_and_bring_their_own_features() {
        let user = UserConfig::from_json(
            r#"{"version": {"major": 4, "minor": 0}, "user_configs": {"protocols": {
                 "acme-pulse": {"configurations": [
                   {"identifier": ["ACME-P1", "ACME-MINE"], "name": "Mine",
                    "id": "c0000000-0000-4000-8000-000000000001"}]}}}}"#,
        )
        .unwrap();
        let store = DeviceConfigStore::new(database(), Some(user));
        let mine = store
            .definition("acme-pulse", Some("ACME-P1"), "addr")
            .unwrap();
        assert_eq!(mine.name, "Mine");
        assert!(mine.features.is_empty(), "not layered over defaults");
        assert_eq!(mine.message_gap, None);
    }

    #[test]
    fn a_user_entry_applies_range_disabled_display_name_index_and_gap() {
        let features = r#"[
            {"id": "b0000000-0000-4000-8000-0000000000a0", "base_id": "a0000000-0000-4000-8000-0000000000f0",
             "output": {"vibrate": {"value": [5, 15], "disabled": true}, "rotate": {"value": [0, 1]}}},
            {"id": "b0000000-0000-4000-8000-0000000000a1", "base_id": "a0000000-0000-4000-8000-0000000000f1"}]"#;
        let user = user_config(&format!(
            "[{}]",
            entry(
                "desk",
                "ACME-P1",
                features,
                r#"{"allow": false, "deny": false, "index": 7, "display_name": "Desk Pulse", "message_gap_ms": 5}"#
            )
        ));
        let store = DeviceConfigStore::new(database(), Some(user));
        assert!(store.dropped_entries().is_empty());
        let definition = store
            .definition("acme-pulse", Some("ACME-P1"), "desk")
            .unwrap();
        assert_eq!(
            definition.name, "Acme Pulse",
            "the base's name, not the later configuration's"
        );
        assert_eq!(definition.id, "b0000000-0000-4000-8000-000000000001");
        assert_eq!(definition.display_name(), Some("Desk Pulse"));
        assert_eq!(definition.user.index, Some(7));
        assert_eq!(definition.message_gap, Some(Duration::from_millis(5)));
        let vibrate = &definition.features[0].outputs[0];
        assert_eq!(vibrate.user_range, Some((5, 15)));
        assert_eq!(vibrate.step_count(), 10);
        assert!(vibrate.disabled);
        assert_eq!(
            definition.features[0].outputs.len(),
            1,
            "kinds the base lacks are ignored"
        );
        assert_eq!(
            definition.features[0].id,
            "b0000000-0000-4000-8000-0000000000a0"
        );
        assert!(definition.features[1].input(InputKind::Battery).is_some());

        let elsewhere = store
            .definition("acme-pulse", Some("ACME-P1"), "other")
            .unwrap();
        assert_eq!(elsewhere.display_name(), None);
        assert_eq!(elsewhere.features[0].outputs[0].user_range, None);
        assert_eq!(store.reserved_index("desk"), Some(7));
        assert_eq!(store.reserved_index("other"), None);
        assert_eq!(store.reserved_indices(), [7]);
    }

    #[test]
    fn an_entry_without_a_gap_keeps_the_base_gap() {
        let user = user_config(&format!(
            "[{}]",
            entry(
                "desk",
                "ACME-P1",
                PLAIN_FEATURES,
                r#"{"allow": false, "deny": false, "index": 0}"#
            )
        ));
        let store = DeviceConfigStore::new(database(), Some(user));
        let definition = store
            .definition("acme-pulse", Some("ACME-P1"), "desk")
            .unwrap();
        assert_eq!(definition.message_gap, Some(Duration::from_millis(20)));
    }

    #[test]
    fn reverse_applies_to_positions_and_the_duration_range_is_checked() {
        let user = UserConfig::from_json(
            r#"{"version": {"major": 4, "minor": 0}, "user_configs": {"devices": [{
              "identifier": {"protocol": "acme-pulse", "identifier": "ACME-P2", "address": "a"},
              "config": {"id": "b0000000-0000-4000-8000-000000000001",
                         "base_id": "a0000000-0000-4000-8000-000000000003",
                         "features": [
                  {"id": "b0000000-0000-4000-8000-0000000000a0", "base_id": "a0000000-0000-4000-8000-0000000000f2",
                   "output": {"rotate": {"value": [0, 10], "reverse": true}}},
                  {"id": "b0000000-0000-4000-8000-0000000000a1", "base_id": "a0000000-0000-4000-8000-0000000000f3",
                   "output": {"hw_position_with_duration": {"value": [10, 90], "duration": [0, 5000], "reverse": true}}}],
                         "user_config": {"allow": false, "deny": false, "index": 0}}}]}}"#,
        )
        .unwrap();
        let store = DeviceConfigStore::new(database(), Some(user));
        let definition = store
            .definition("acme-pulse", Some("ACME-P2"), "a")
            .unwrap();
        let rotate = &definition.features[0].outputs[0];
        assert!(!rotate.reverse);
        assert_eq!(rotate.client_range(), (-10, 10));
        let position = &definition.features[1].outputs[0];
        assert!(position.reverse);
        assert_eq!(position.duration, Some((0, 5000)));
        assert_eq!(position.device_value(0), Ok(90));
    }

    #[test]
    fn entries_that_do_not_fit_their_base_are_dropped_with_the_reason() {
        let range_too_wide = r#"[
            {"id": "b0000000-0000-4000-8000-0000000000a0", "base_id": "a0000000-0000-4000-8000-0000000000f0",
             "output": {"vibrate": {"value": [0, 21]}}},
            {"id": "b0000000-0000-4000-8000-0000000000a1", "base_id": "a0000000-0000-4000-8000-0000000000f1"}]"#;
        let reversed_range = range_too_wide.replace("[0, 21]", "[9, 3]");
        let one_feature = r#"[{"id": "b0000000-0000-4000-8000-0000000000a0", "base_id": "a0000000-0000-4000-8000-0000000000f0"}]"#;
        let unknown_feature = PLAIN_FEATURES.replace("0000000000f1", "0000000000ff");
        let repeated_feature = PLAIN_FEATURES.replace("0000000000f1", "0000000000f0");
        let settings = r#"{"allow": false, "deny": false, "index": 1}"#;
        let mut entries = vec![
            entry("a1", "ACME-P1", range_too_wide, settings),
            entry("a2", "ACME-P1", &reversed_range, settings),
            entry("a3", "ACME-P1", one_feature, settings),
            entry("a4", "ACME-P1", &unknown_feature, settings),
            entry("a5", "ACME-P1", &repeated_feature, settings),
            entry("a6", "ACME-P1", PLAIN_FEATURES, settings).replace(
                "a0000000-0000-4000-8000-000000000002\"",
                "a0000000-0000-4000-8000-0000000000ee\"",
            ),
            entry("a7", "ACME-P1", PLAIN_FEATURES, settings).replace(
                "a0000000-0000-4000-8000-000000000002\"",
                "a0000000-0000-4000-8000-000000000010\"",
            ),
        ];
        entries.push(
            entry("a8", "ACME-P1", PLAIN_FEATURES, settings).replace("\"acme-pulse\"", "\"gone\""),
        );
        let store = DeviceConfigStore::new(
            database(),
            Some(user_config(&format!("[{}]", entries.join(",")))),
        );
        let reasons: Vec<&UserEntryError> = store
            .dropped_entries()
            .iter()
            .map(|dropped| &dropped.reason)
            .collect();
        assert_eq!(reasons.len(), 8, "{reasons:#?}");
        assert!(matches!(
            reasons[0],
            UserEntryError::RangeOutsideBase {
                high: 21,
                maximum: 20,
                ..
            }
        ));
        assert!(matches!(
            reasons[1],
            UserEntryError::RangeOutsideBase {
                low: 9,
                high: 3,
                ..
            }
        ));
        assert!(matches!(
            reasons[2],
            UserEntryError::FeatureCount {
                given: 1,
                expected: 2,
                ..
            }
        ));
        assert!(matches!(
            reasons[3],
            UserEntryError::UnknownFeatureBase { .. }
        ));
        assert!(matches!(
            reasons[4],
            UserEntryError::RepeatedFeatureBase { .. }
        ));
        assert!(matches!(reasons[5], UserEntryError::UnknownBase { .. }));
        assert!(matches!(
            reasons[6],
            UserEntryError::BaseInOtherProtocol { .. }
        ));
        assert!(matches!(reasons[7], UserEntryError::UnknownProtocol { .. }));
        assert!(reasons[0].to_string().contains("[0, 21]"), "{}", reasons[0]);

        let fallback = store
            .definition("acme-pulse", Some("ACME-P1"), "a1")
            .unwrap();
        assert_eq!(
            fallback.name, "Acme Pulse Revised",
            "the device connects as if it had no entry"
        );
        assert_eq!(fallback.features[0].outputs[0].user_range, None);
        assert_eq!(
            fallback.user.index,
            Some(1),
            "the address keeps its reserved index"
        );
    }

    #[test]
    fn deny_refuses_that_address_only() {
        let user = user_config(&format!(
            "[{}]",
            entry(
                "bad",
                "ACME-P1",
                PLAIN_FEATURES,
                r#"{"allow": false, "deny": true, "index": 0}"#
            )
        ));
        let store = DeviceConfigStore::new(database(), Some(user));
        assert!(!store.is_allowed("bad"));
        assert!(store.is_allowed("anything-else"));
    }

    #[test]
    fn allow_on_any_entry_admits_only_allowed_addresses() {
        let entries = [
            entry(
                "good",
                "ACME-P1",
                PLAIN_FEATURES,
                r#"{"allow": true, "deny": false, "index": 0}"#,
            ),
            entry(
                "known",
                "ACME-P1",
                PLAIN_FEATURES,
                r#"{"allow": false, "deny": false, "index": 1}"#,
            ),
        ];
        let store = DeviceConfigStore::new(
            database(),
            Some(user_config(&format!("[{}]", entries.join(",")))),
        );
        assert!(store.is_allowed("good"));
        assert!(!store.is_allowed("known"));
        assert!(!store.is_allowed("stranger"));
        assert_eq!(store.reserved_indices(), [0, 1]);
    }

    #[test]
    fn deny_of_a_dropped_entry_still_applies() {
        let user = user_config(&format!(
            "[{}]",
            entry(
                "bad",
                "ACME-P1",
                "[]",
                r#"{"allow": false, "deny": true, "index": 0}"#
            )
        ));
        let store = DeviceConfigStore::new(database(), Some(user));
        assert_eq!(store.dropped_entries().len(), 1);
        assert!(!store.is_allowed("bad"));
    }

    #[test]
    fn without_a_user_config_everything_is_allowed_and_nothing_reserved() {
        let store = DeviceConfigStore::new(database(), None);
        assert!(store.is_allowed("any"));
        assert!(store.reserved_indices().is_empty());
        assert_eq!(store.database().protocol_count(), 3);
        assert!(store.user_simulated_devices().is_empty());
    }
}

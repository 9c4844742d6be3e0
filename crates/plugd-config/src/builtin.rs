//! plugd's own device database, embedded at compile time from `config/` at the workspace root:
//! `config/version.json` and one file per protocol, `config/protocols/<key>.json`, each holding
//! that protocol's `{"communication", "defaults", "configurations"}` in the published v4
//! format. `build.rs` lists the folder and generates the table included below;
//! [`crate::DeviceDatabase::builtin`] calls [`load`].
//!
//! Our own files are held to a stricter rule than outside databases: a key the loader would
//! ignore is an error here, so a typo cannot silently lose a device.
//!
//! Why a bad file is logged and left out instead of panicking: the files are compiled in and
//! `every_built_in_protocol_file_parses` below fails on any error, so a tested build never
//! meets one. If an untested build did, a server that still drives every other protocol (and
//! says loudly which one it lost) serves its users better than one that will not start.

use crate::database::DeviceDatabase;
use crate::error::ConfigError;
use crate::format::{RawProtocol, RawVersion};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/builtin_protocols.rs"));
}

/// The built-in database and every error met while assembling it (empty in a tested build).
pub(crate) fn load() -> (DeviceDatabase, Vec<ConfigError>) {
    let mut errors = Vec::new();
    let version = match parse_version(generated::VERSION_JSON) {
        Ok(version) => version,
        Err(error) => {
            errors.push(error.in_file("config/version.json"));
            (4, 0)
        }
    };
    let mut database = DeviceDatabase::empty(version);
    for (name, text) in generated::PROTOCOL_FILES {
        match parse_protocol(text) {
            Ok(entry) => database.insert((*name).to_string(), entry),
            Err(error) => errors.push(error.in_file(format!("config/protocols/{name}.json"))),
        }
    }
    (database, errors)
}

/// The built-in database as one document in the published format (`version` and `protocols`),
/// as `plugd device-config diff` compares it with a file. A protocol file that is not JSON is
/// left out, as [`load`] does.
pub fn builtin_database_json() -> serde_json::Value {
    let version = serde_json::from_str::<serde_json::Value>(generated::VERSION_JSON)
        .unwrap_or(serde_json::Value::Null);
    let protocols: serde_json::Map<String, serde_json::Value> = generated::PROTOCOL_FILES
        .iter()
        .filter_map(|(name, text)| {
            serde_json::from_str(text)
                .ok()
                .map(|value| ((*name).to_string(), value))
        })
        .collect();
    serde_json::json!({ "version": version, "protocols": protocols })
}

fn parse_version(text: &str) -> Result<(u32, u32), ConfigError> {
    serde_json::from_str::<RawVersion>(text)?.checked()
}

fn parse_protocol(text: &str) -> Result<crate::database::ProtocolEntry, ConfigError> {
    let raw: RawProtocol = serde_json::from_str(text)?;
    let (entry, ignored) = raw.into_entry();
    if ignored.is_empty() {
        Ok(entry)
    } else {
        Err(ConfigError::UnknownKeys { keys: ignored })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{DeviceIdentity, Transport};
    use crate::store::DeviceConfigStore;
    use plugd_core::{Endpoint, OutputKind};

    #[test]
    fn the_built_in_database_as_one_document_loads_like_the_files() {
        let text = builtin_database_json().to_string();
        let database = DeviceDatabase::from_json(&text).unwrap();
        assert_eq!(database.protocol_count(), generated::PROTOCOL_FILES.len());
    }

    #[test]
    fn every_built_in_protocol_file_parses() {
        let (database, errors) = load();
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            messages.is_empty(),
            "built-in database errors:\n{}",
            messages.join("\n")
        );
        assert_eq!(database.protocol_count(), generated::PROTOCOL_FILES.len());
        assert_eq!(database.version(), (4, 189));
    }

    #[test]
    fn built_in_files_are_sorted_and_named_after_database_keys() {
        let names: Vec<&str> = generated::PROTOCOL_FILES
            .iter()
            .map(|(name, _)| *name)
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        for name in names {
            assert!(
                name.chars().all(|character| character.is_ascii_lowercase()
                    || character.is_ascii_digit()
                    || character == '-'
                    || character == '_'),
                "{name} is not a database key"
            );
        }
    }

    #[test]
    fn builtin_holds_lovense_and_simulated() {
        let database = DeviceDatabase::builtin();
        let names: Vec<&str> = database.protocol_names().collect();
        assert!(names.contains(&"lovense"), "{names:?}");
        assert!(names.contains(&"simulated"), "{names:?}");
        // 33 in the v4 database; the built-in one follows v5, which adds models.
        let lovense_models = database
            .protocol("lovense")
            .map(|entry| entry.configuration_count())
            .unwrap_or(0);
        assert!(
            lovense_models >= 33,
            "{lovense_models} Lovense configurations"
        );
    }

    #[test]
    fn builtin_lovense_edge_has_two_vibrators_and_a_battery() {
        let store = DeviceConfigStore::new(DeviceDatabase::builtin(), None);
        let edge = store.definition("lovense", Some("P"), "addr").unwrap();
        assert_eq!(edge.name, "Lovense Edge");
        assert_eq!(edge.outputs_of(OutputKind::Vibrate).count(), 2);
        let found =
            store.find_protocols(&DeviceIdentity::named(Transport::Btle, "LVS-P36", "addr"));
        assert_eq!(found[0].protocol, "lovense");
        assert_eq!(found[0].endpoints, [Endpoint::Rx, Endpoint::Tx]);
    }

    #[test]
    fn builtin_simulated_archetypes_match_and_resolve() {
        let store = DeviceConfigStore::new(DeviceDatabase::builtin(), None);
        for (archetype, name) in [
            ("simulated-1vibe", "Simulated 1-Motor Vibrator"),
            ("simulated-2vibe", "Simulated 2-Motor Vibrator"),
            ("simulated-rotator", "Simulated Rotator"),
            ("simulated-oscillator", "Simulated Oscillator"),
            ("simulated-stroker", "Simulated Stroker"),
        ] {
            let identity = DeviceIdentity::named(Transport::Simulated, archetype, "sim-1");
            let found = store.find_protocols(&identity);
            assert_eq!(found.len(), 1, "{archetype}");
            assert_eq!(found[0].protocol, "simulated");
            assert_eq!(found[0].endpoints, [Endpoint::Tx, Endpoint::Rx]);
            let definition = store
                .definition("simulated", Some(archetype), "sim-1")
                .unwrap();
            assert_eq!(definition.name, name);
        }
        let rotator = store
            .definition("simulated", Some("simulated-rotator"), "sim-1")
            .unwrap();
        assert_eq!(rotator.features[0].outputs[0].client_range(), (-100, 100));
    }

    #[test]
    fn a_misspelt_key_in_our_own_file_is_an_error() {
        let error = parse_protocol(r#"{"communication": [], "configuration": []}"#).unwrap_err();
        assert!(error.to_string().contains("configuration"), "{error}");
    }
}

//! Loads the published Buttplug device databases and user configs from `../shared` (beside the
//! repository; see shared/device-config/SOURCE.md) and checks plugd reads them as documented in
//! device-config.md, and that plugd's built-in `config/` carries the published facts unchanged.
//!
//! When `../shared` is absent these tests print why and pass, except under `CI=true`, where a
//! missing folder is a failure (CI always has it).

use plugd_config::{
    ConfigError, DeviceConfigStore, DeviceDatabase, DeviceIdentity, ManufacturerData, Transport,
    UserConfig,
};
use plugd_core::{Endpoint, FeatureIndex, InputKind, OutputKind};
use std::path::PathBuf;

/// `<repository>/../shared`, or `None` (with the reason printed) when it is absent outside CI.
fn shared_directory() -> Option<PathBuf> {
    let directory = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    if directory.join("device-config").is_dir() {
        return Some(directory.canonicalize().unwrap_or(directory));
    }
    if std::env::var("CI").is_ok_and(|value| value == "true") {
        panic!(
            "{} is missing: CI must run with shared/ beside the repository",
            directory.display()
        );
    }
    println!(
        "skipping: {} not found (shared/ is not beside the repository)",
        directory.display()
    );
    None
}

fn load_database(shared: &std::path::Path, major: u32) -> DeviceDatabase {
    let path = shared.join(format!(
        "device-config/buttplug-device-config-v{major}.json"
    ));
    DeviceDatabase::from_file(&path).unwrap_or_else(|error| panic!("{error}"))
}

fn load_user_config(path: PathBuf) -> Result<UserConfig, ConfigError> {
    UserConfig::from_file(&path)
}

#[test]
fn v4_database_has_139_protocols_and_733_configurations() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let database = load_database(&shared, 4);
    println!(
        "v4 database: {} protocols, {} configurations (version {}.{})",
        database.protocol_count(),
        database.configuration_count(),
        database.version().0,
        database.version().1
    );
    assert_eq!(database.version(), (4, 189));
    assert_eq!(database.protocol_count(), 139);
    assert_eq!(database.configuration_count(), 733);
}

#[test]
fn v5_database_has_149_protocols_and_806_configurations() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let database = load_database(&shared, 5);
    println!(
        "v5 database: {} protocols, {} configurations (version {}.{})",
        database.protocol_count(),
        database.configuration_count(),
        database.version().0,
        database.version().1
    );
    assert_eq!(database.version(), (5, 57));
    assert_eq!(database.protocol_count(), 149);
    assert_eq!(database.configuration_count(), 806);
}

#[test]
fn v4_identifier_and_definition_counts_match_the_source_notes() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let database = load_database(&shared, 4);
    let identifiers: usize = database
        .protocol_names()
        .filter_map(|name| database.protocol(name))
        .map(|entry| entry.identifiers().count())
        .sum();
    let defaults_only = database
        .protocol_names()
        .filter_map(|name| database.protocol(name))
        .filter(|entry| entry.has_defaults() && entry.configuration_count() == 0)
        .count();
    println!(
        "v4 database: {identifiers} identifiers, {defaults_only} defaults-only protocols, {} device definitions",
        database.configuration_count() + defaults_only
    );
    assert_eq!(identifiers, 873);
    assert_eq!(defaults_only, 67);
    assert_eq!(database.configuration_count() + defaults_only, 800);
}

#[test]
fn lovense_p_is_the_edge_with_two_vibrators_and_a_battery() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let store = DeviceConfigStore::new(load_database(&shared, 4), None);
    let edge = store.definition("lovense", Some("P"), "addr").unwrap();
    assert_eq!(edge.name, "Lovense Edge");
    assert_eq!(edge.id, "2e309985-6bbf-4b75-866f-76d845b3ce42");
    let vibrators: Vec<(i32, i32)> = edge
        .outputs_of(OutputKind::Vibrate)
        .map(|(_, output)| output.value)
        .collect();
    assert_eq!(vibrators, [(0, 20), (0, 20)]);
    assert_eq!(edge.features.len(), 3);
    let battery = edge.features[2].input(InputKind::Battery).unwrap();
    assert_eq!(battery.value, [(0, 100)]);
}

#[test]
fn an_unknown_lovense_letter_gets_the_defaults() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let store = DeviceConfigStore::new(load_database(&shared, 4), None);
    let device = store.definition("lovense", Some("ZZ"), "addr").unwrap();
    assert_eq!(device.name, "Lovense Device");
    assert_eq!(device.identifier, None);
    assert_eq!(device.outputs_of(OutputKind::Vibrate).count(), 1);
    assert!(device.features[1].input(InputKind::Battery).is_some());
    let lush = store.definition("lovense", Some("S"), "addr").unwrap();
    assert_eq!(lush.name, "Lovense Lush");
    assert_eq!(
        lush.features, device.features,
        "inherits the defaults' feature UUIDs"
    );
}

#[test]
fn quirks_of_the_shipped_v4_file_behave_as_documented() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let database = load_database(&shared, 4);
    // sexverse-v5's misspelt "configuration" is ignored: Hannibal Kona falls back to defaults.
    assert_eq!(
        database
            .protocol("sexverse-v5")
            .unwrap()
            .configuration_count(),
        0
    );
    let store = DeviceConfigStore::new(database, None);
    let kona = store
        .definition("sexverse-v5", Some("CB-WXW03"), "addr")
        .unwrap();
    assert_eq!(kona.identifier, None);

    // JoyHub Moon Horn: sparse indices with a placeholder at 4.
    let moon_horn = store
        .definition("joyhub", Some("J-MoonHorn"), "addr")
        .unwrap();
    assert_eq!(moon_horn.name, "JoyHub Moon Horn");
    let indices: Vec<u32> = moon_horn
        .features
        .iter()
        .map(|feature| feature.index.0)
        .collect();
    assert_eq!(indices, [0, 4, 5, 6], "{}", moon_horn.name);
    assert!(moon_horn.feature(FeatureIndex(4)).unwrap().is_placeholder());

    // Gaps and variants.
    assert_eq!(
        store
            .definition("thehandy", None, "addr")
            .unwrap()
            .message_gap,
        Some(std::time::Duration::from_millis(50))
    );
    let vorze = store.database().protocol("vorze-sa").unwrap();
    let with_variant = vorze
        .identifiers()
        .filter_map(|identifier| store.definition("vorze-sa", Some(identifier), "addr"))
        .filter(|definition| definition.protocol_variant.is_some())
        .count();
    assert!(with_variant >= 7, "{with_variant}");
}

#[test]
fn v4_ble_matching_uses_names_wildcards_services_and_manufacturer_data() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let store = DeviceConfigStore::new(load_database(&shared, 4), None);
    let protocols = |identity: &DeviceIdentity| -> Vec<String> {
        store
            .find_protocols(identity)
            .into_iter()
            .map(|found| found.protocol)
            .collect()
    };
    let lovense = DeviceIdentity::named(Transport::Btle, "LVS-Z36", "addr");
    let found = store.find_protocols(&lovense);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].protocol, "lovense");
    assert_eq!(found[0].endpoints, [Endpoint::Rx, Endpoint::Tx]);

    let mut nordic = DeviceIdentity::named(Transport::Btle, "Unknown Gadget", "addr");
    nordic.advertised_services = vec!["6E400001-B5A3-F393-E0A9-E50E24DCCA9E".to_string()];
    assert!(protocols(&nordic).contains(&"lovense".to_string()));

    let mut by_data = DeviceIdentity::named(Transport::Btle, "", "addr");
    by_data.manufacturer_data = vec![ManufacturerData {
        company: 620,
        data: vec![255, 33, 1],
    }];
    assert_eq!(protocols(&by_data), ["lovense"]);

    let nobra = DeviceIdentity::named(Transport::Btle, "NobraController  ", "addr");
    assert_eq!(protocols(&nobra), ["nobra"]);
    assert!(protocols(&DeviceIdentity::named(
        Transport::Btle,
        "Definitely Not A Toy",
        "addr"
    ))
    .is_empty());

    let mut joycon = DeviceIdentity::named(Transport::Hid, "Joy-Con (L)", "hid-1");
    joycon.vendor_product = Some((1406, 8198));
    assert_eq!(protocols(&joycon), ["nintendo-joycon"]);

    let gamepad = DeviceIdentity::named(Transport::Gamepad, "XInput 0", "0");
    assert_eq!(protocols(&gamepad), ["xinput"]);
}

#[test]
fn example_user_config_loads_and_applies_to_the_ridge() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let user =
        load_user_config(shared.join("device-config/example-user-device-config-v4.json")).unwrap();
    assert_eq!(user.device_entry_count(), 1);
    let address = "PeripheralId(81b8f016-ba95-e1ae-3a71-a2e6b1d83b21)";
    let store = DeviceConfigStore::new(load_database(&shared, 4), Some(user));
    assert!(
        store.dropped_entries().is_empty(),
        "{:?}",
        store.dropped_entries()
    );
    let ridge = store.definition("lovense", Some("EL"), address).unwrap();
    assert_eq!(ridge.name, "Lovense Ridge");
    assert_eq!(ridge.id, "5d434198-4697-4b00-985e-33788fc955d1");
    assert_eq!(ridge.user.index, Some(0));
    assert_eq!(ridge.features[1].outputs[0].client_range(), (-20, 20));
    assert_eq!(store.reserved_index(address), Some(0));
    assert!(store.is_allowed(address));
}

#[test]
fn device_test_ridge_user_config_sets_name_range_and_index() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let user = load_user_config(shared.join("device-tests/config/lovense_ridge_user_config.json"))
        .unwrap();
    let store = DeviceConfigStore::new(load_database(&shared, 4), Some(user));
    assert!(
        store.dropped_entries().is_empty(),
        "{:?}",
        store.dropped_entries()
    );
    let machine = store
        .definition("lovense", Some("F"), "UserConfigTest")
        .unwrap();
    assert_eq!(machine.name, "Lovense Sex Machine");
    assert_eq!(machine.display_name(), Some("Lovense Name Test"));
    assert_eq!(machine.user.index, Some(0));
    let oscillate = machine.features[0].output(OutputKind::Oscillate).unwrap();
    assert_eq!(oscillate.user_range, Some((0, 20)));
    assert_eq!(oscillate.step_count(), 20);
}

/// Upstream refuses this file at schema validation (a user feature may not carry `input`);
/// plugd refuses it too, with the key, line and column, rather than half-applying it. Its
/// `base_id` names no definition either, so even a lenient reader could not apply it.
#[test]
fn device_test_invalid_range_user_config_is_refused_with_a_position() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let path = shared.join("device-tests/config/lovense_ridge_user_config_invalid_range.json");
    let error = load_user_config(path.clone()).unwrap_err();
    let text = error.to_string();
    println!("lovense_ridge_user_config_invalid_range.json: {text}");
    assert!(text.starts_with(&path.display().to_string()), "{text}");
    assert!(text.contains("unknown field `input`"), "{text}");
    let ConfigError::File { source, .. } = error else {
        panic!("expected a file error");
    };
    assert!(
        matches!(*source, ConfigError::Json { line: 38, .. }),
        "{source:?}"
    );
}

#[test]
fn device_test_tcode_disabled_config_disables_hw_position_only() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let user = load_user_config(
        shared.join("device-tests/config/tcode_disabled_hw_position_user_config.json"),
    )
    .unwrap();
    let store = DeviceConfigStore::new(load_database(&shared, 4), Some(user));
    assert!(
        store.dropped_entries().is_empty(),
        "{:?}",
        store.dropped_entries()
    );
    let identity = DeviceIdentity::named(
        Transport::Btle,
        "tcode-v03-disabled-test",
        "tcode-disabled-test-addr",
    );
    let found = store.find_protocols(&identity);
    assert_eq!(found[0].protocol, "tcode-v03");
    assert_eq!(
        found[0].endpoints,
        [Endpoint::Tx],
        "endpoints of the user's btle specifier"
    );
    let definition = store
        .definition(
            "tcode-v03",
            Some("tcode-v03-disabled-test"),
            "tcode-disabled-test-addr",
        )
        .unwrap();
    assert_eq!(definition.name, "TCode v0.3 (Disabled HW Position Test)");
    let feature = &definition.features[0];
    assert!(!feature.output(OutputKind::Position).unwrap().disabled);
    assert!(
        feature
            .output(OutputKind::HwPositionWithDuration)
            .unwrap()
            .disabled
    );
}

#[test]
fn device_test_tcode_linear_and_vibrate_config_layers_over_a_user_configuration() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let user = load_user_config(
        shared.join("device-tests/config/tcode_linear_and_vibrate_user_config.json"),
    )
    .unwrap();
    let store = DeviceConfigStore::new(load_database(&shared, 4), Some(user));
    assert!(
        store.dropped_entries().is_empty(),
        "{:?}",
        store.dropped_entries()
    );
    let definition = store
        .definition("tcode-v03", Some("tcode-v03-linear-vibrate"), "COM7")
        .unwrap();
    assert_eq!(
        definition.name,
        "TCode v0.3 (Single Linear Axis + Single Vibe)"
    );
    assert_eq!(definition.id, "6d3f0643-1933-4df6-85ff-5675bf1a3dd4");
    assert_eq!(definition.features.len(), 2);
    assert_eq!(
        definition.features[1]
            .output(OutputKind::Vibrate)
            .unwrap()
            .value,
        (0, 99)
    );
    assert_eq!(
        definition.message_gap, None,
        "user configurations do not inherit the defaults' gap"
    );
    let identity = DeviceIdentity::named(Transport::Btle, "tcode-v03-linear-vibrate", "COM7");
    assert_eq!(store.find_protocols(&identity)[0].protocol, "tcode-v03");
}

#[test]
fn v5_simulated_protocol_and_ossm_description_load() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let store = DeviceConfigStore::new(load_database(&shared, 5), None);
    let identity = DeviceIdentity::named(Transport::Simulated, "simulated-stroker", "sim-1");
    assert_eq!(store.find_protocols(&identity)[0].protocol, "simulated");
    let stroker = store
        .definition("simulated", Some("simulated-stroker"), "sim-1")
        .unwrap();
    let kinds: Vec<OutputKind> = stroker.features[0]
        .outputs
        .iter()
        .map(|output| output.kind)
        .collect();
    assert_eq!(
        kinds,
        [OutputKind::Position, OutputKind::HwPositionWithDuration]
    );
    assert!(store.definition("ossm", None, "addr").is_some());
    let gamepad = DeviceIdentity::named(Transport::Gamepad, "SDL pad", "0");
    let protocols: Vec<String> = store
        .find_protocols(&gamepad)
        .into_iter()
        .map(|found| found.protocol)
        .collect();
    assert_eq!(protocols, ["sdl-gamepad", "xinput"]);
}

/// design.md: the built-in database carries the published facts (names, UUIDs, ranges, ids)
/// unchanged. It follows the newest data (config/tools/extract-protocol.py merges): every
/// built-in definition must equal the published v5 one, or the v4 one where v5 lacks it.
#[test]
fn built_in_protocols_equal_the_published_entries() {
    let Some(shared) = shared_directory() else {
        return;
    };
    let builtin = DeviceDatabase::builtin();
    let names: Vec<String> = builtin.protocol_names().map(str::to_string).collect();
    let lookups: Vec<(String, Vec<Option<String>>)> = names
        .iter()
        .map(|name| {
            let entry = builtin.protocol(name).expect("listed");
            let mut identifiers: Vec<Option<String>> = entry
                .identifiers()
                .map(|identifier| Some(identifier.to_string()))
                .collect();
            identifiers.push(None);
            (name.clone(), identifiers)
        })
        .collect();
    let ours = DeviceConfigStore::new(builtin, None);
    let v5 = DeviceConfigStore::new(load_database(&shared, 5), None);
    let v4 = DeviceConfigStore::new(load_database(&shared, 4), None);
    let mut differences = Vec::new();
    for (name, identifiers) in &lookups {
        for identifier in identifiers {
            let identifier = identifier.as_deref();
            let built_in = ours.definition(name, identifier, "address");
            let published = v5
                .definition(name, identifier, "address")
                .filter(|definition| identifier.is_none() || definition.identifier.is_some())
                .or_else(|| v4.definition(name, identifier, "address"));
            if built_in != published {
                differences.push(format!("{name} {identifier:?}"));
            }
        }
    }
    println!(
        "built-in database: {} protocols checked against the published v5 (else v4) definitions",
        lookups.len()
    );
    assert!(
        differences.is_empty(),
        "built-in definitions differing from the published ones: {differences:?}"
    );
}

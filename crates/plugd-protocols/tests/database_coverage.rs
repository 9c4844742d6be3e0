//! The built-in database and the encoders side by side with the published databases
//! (`../shared/device-config`, v4 and v5): how many protocols have an encoder, how many device
//! definitions the built-in database identifies exactly as the published one does (same name,
//! id, features, ranges, gap, variant), and every difference. Prints its figures; fails on a
//! difference in a protocol plugd implements, so the built-in files cannot drift from the facts.

use plugd_config::{DeviceConfigStore, DeviceDatabase};
use std::path::PathBuf;

/// The repository's `../shared` folder; absent → skip, except under `CI=true`.
fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "../shared is missing ({}) and CI=true",
        dir.display()
    );
    eprintln!("skipped: ../shared is not present at {}", dir.display());
    None
}

struct Coverage {
    protocols: usize,
    with_encoder: usize,
    definitions: usize,
    identified: usize,
    differences: Vec<String>,
}

/// A published database's store, to compare definitions with.
fn published_store(shared: &std::path::Path, file: &str) -> DeviceConfigStore {
    let path = shared.join("device-config").join(file);
    let database = DeviceDatabase::from_file(&path).expect("published database loads");
    DeviceConfigStore::new(database, None)
}

/// The built-in database follows the newest published data: v5 entries, plus what only v4
/// still has (config/tools/extract-protocol.py). A v4 device whose entry v5 changed is
/// identified when the built-in definition equals the v5 one; it is listed as updated.
fn coverage(published_file: &str) -> Option<Coverage> {
    let shared = shared_dir()?;
    let newer = published_store(&shared, "buttplug-device-config-v5.json");
    let path = shared.join("device-config").join(published_file);
    let published = DeviceDatabase::from_file(&path).expect("published database loads");
    let names: Vec<String> = published.protocol_names().map(str::to_string).collect();
    let entries: Vec<_> = names
        .iter()
        .map(|name| {
            (
                name.clone(),
                published.protocol(name).cloned().expect("entry"),
            )
        })
        .collect();
    let published_store = DeviceConfigStore::new(published, None);
    let builtin_store = DeviceConfigStore::new(DeviceDatabase::builtin(), None);
    let mut result = Coverage {
        protocols: names.len(),
        with_encoder: 0,
        definitions: 0,
        identified: 0,
        differences: Vec::new(),
    };
    for (name, entry) in &entries {
        let has_encoder = plugd_protocols::find(name).is_some();
        if has_encoder {
            result.with_encoder += 1;
        } else {
            result.differences.push(format!("{name}: no encoder"));
        }
        // The devices a user can own: each configuration, plus a defaults-only protocol's
        // defaults (device-config.md §1.1).
        let mut lookups: Vec<Option<String>> = entry
            .configuration_identifiers()
            .map(|identifiers| identifiers.first().cloned())
            .collect();
        if lookups.is_empty() {
            lookups.push(None);
        }
        for identifier in lookups {
            result.definitions += 1;
            let wanted = published_store.definition(name, identifier.as_deref(), "coverage");
            let got = builtin_store.definition(name, identifier.as_deref(), "coverage");
            let updated = wanted != got
                && got.is_some()
                && got == newer.definition(name, identifier.as_deref(), "coverage");
            if updated {
                result.differences.push(format!(
                    "{name} {identifier:?}: built-in follows the newer v5 entry"
                ));
            }
            if (wanted == got || updated) && has_encoder {
                result.identified += 1;
            } else if wanted != got && !updated {
                result.differences.push(match got {
                    None => format!("{name} {identifier:?}: not in the built-in database"),
                    Some(_) => format!("{name} {identifier:?}: built-in definition differs"),
                });
            }
        }
    }
    Some(result)
}

fn report(label: &str, coverage: &Coverage) {
    println!(
        "{label}: protocols with an encoder {} / {}; device definitions identified {} / {}",
        coverage.with_encoder, coverage.protocols, coverage.identified, coverage.definitions
    );
    for difference in &coverage.differences {
        println!("{label} difference: {difference}");
    }
}

#[test]
fn built_in_database_identifies_the_published_v4_devices() {
    let Some(coverage) = coverage("buttplug-device-config-v4.json") else {
        return;
    };
    report("v4", &coverage);
    assert_eq!(
        coverage.definitions, 800,
        "the v4 database defines 800 devices"
    );
    let drift: Vec<&String> = coverage
        .differences
        .iter()
        .filter(|line| line.contains("differs"))
        .collect();
    assert!(
        drift.is_empty(),
        "built-in entries differ from the published ones: {drift:#?}"
    );
}

#[test]
fn built_in_database_identifies_the_published_v5_devices() {
    let Some(coverage) = coverage("buttplug-device-config-v5.json") else {
        return;
    };
    report("v5", &coverage);
    assert_eq!(
        coverage.definitions, 873,
        "the v5 database defines 873 devices"
    );
}

//! `docs/protocols.md` is generated from the code: the registry (`PROTOCOLS`) and the built-in
//! database. This test regenerates the table and fails when the file differs, so the document
//! cannot go stale. `PLUGD_BLESS=1 cargo test -p plugd-protocols --test protocol_table` rewrites it.

use plugd_config::{DeviceConfigStore, DeviceDatabase};
use plugd_core::{InputKind, OutputKind};
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;

/// One protocol of the built-in database: name, transports, configuration identifier lists,
/// whether it has defaults.
type Entry = (String, Vec<&'static str>, Vec<Vec<String>>, bool);

fn table() -> String {
    let database = DeviceDatabase::builtin();
    let entries: Vec<Entry> = database
        .protocol_names()
        .map(|name| {
            let entry = database.protocol(name).expect("listed protocol");
            let transports: BTreeSet<&'static str> = entry
                .communication()
                .iter()
                .map(|specifier| specifier.config_key())
                .collect();
            (
                name.to_string(),
                transports.into_iter().collect(),
                entry
                    .configuration_identifiers()
                    .map(<[String]>::to_vec)
                    .collect(),
                entry.has_defaults(),
            )
        })
        .collect();
    let store = DeviceConfigStore::new(database, None);
    let mut text = String::from(
        "# Protocols\n\n\
         Generated from the code by `crates/plugd-protocols/tests/protocol_table.rs` (the registry\n\
         `plugd_protocols::PROTOCOLS` and the built-in database in `config/protocols/`); a test\n\
         fails when this file differs. Regenerate with\n\
         `PLUGD_BLESS=1 cargo test -p plugd-protocols --test protocol_table`.\n\n\
         Devices: the number of device definitions (configurations, or the defaults when a protocol\n\
         has no configurations). Outputs and inputs: the union over those definitions. Init:\n\
         `identify` = identification steps (e.g. a model query), `init` = init rounds, `read` = its\n\
         own input reading, `notify` = input subscriptions; keep-alive: the period after which the\n\
         Device re-sends the last packet.\n\n\
         | protocol | encoder | transports | devices | outputs | inputs | init | keep-alive |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    let mut implemented = 0;
    for (name, transports, configurations, has_defaults) in &entries {
        let protocol = plugd_protocols::find(name);
        implemented += usize::from(protocol.is_some());
        let mut lookups: Vec<Option<&str>> = configurations
            .iter()
            .map(|identifiers| identifiers.first().map(String::as_str))
            .collect();
        if lookups.is_empty() && *has_defaults {
            lookups.push(None);
        }
        let mut outputs: BTreeSet<OutputKind> = BTreeSet::new();
        let mut inputs: BTreeSet<InputKind> = BTreeSet::new();
        for identifier in &lookups {
            if let Some(definition) = store.definition(name, *identifier, "table") {
                for feature in &definition.features {
                    outputs.extend(feature.outputs.iter().map(|output| output.kind));
                    inputs.extend(feature.inputs.iter().map(|input| input.kind));
                }
            }
        }
        let join = |items: Vec<&str>| {
            if items.is_empty() {
                "—".to_string()
            } else {
                items.join(", ")
            }
        };
        let mut init = Vec::new();
        let mut keepalive = "—".to_string();
        if let Some(protocol) = protocol {
            if protocol.identify_steps.is_some() {
                init.push("identify");
            }
            if protocol.switch_protocol.is_some() {
                init.push("hand-over");
            }
            if protocol.initialize.is_some() {
                init.push("init");
            }
            if protocol.read_input.is_some() {
                init.push("read");
            }
            if protocol.subscribe_input.is_some() {
                init.push("notify");
            }
            if let Some(period) = protocol.keepalive {
                keepalive = format!("{} ms", period.as_millis());
            }
        }
        let _ = writeln!(
            text,
            "| `{name}` | {} | {} | {} | {} | {} | {} | {keepalive} |",
            if protocol.is_some() { "yes" } else { "**no**" },
            join(transports.clone()),
            lookups.len(),
            join(outputs.iter().map(|kind| kind.config_name()).collect()),
            join(inputs.iter().map(|kind| kind.config_name()).collect()),
            join(init),
        );
    }
    let _ = writeln!(
        text,
        "\n{implemented} of {} protocols in the built-in database have an encoder.",
        entries.len()
    );
    text
}

#[test]
fn docs_protocols_md_matches_the_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/protocols.md");
    let generated = table();
    if std::env::var("PLUGD_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, &generated).expect("write docs/protocols.md");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/protocols.md is stale: run PLUGD_BLESS=1 cargo test -p plugd-protocols --test protocol_table"
    );
}

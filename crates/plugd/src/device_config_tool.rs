//! `plugd device-config check | diff | update`: the device database tools. `check` loads a
//! database or user config with plugd's own loader (errors name the file, line, column and the
//! JSON path inside it) and applies plugd's rules (a user entry must fit its base definition);
//! `diff` lists protocols and devices added, removed and changed; `update` checks a database,
//! shows what it changes from the one in use, and installs it atomically in the data folder.

use crate::cli::DeviceConfigCommand;
use crate::settings::{data_dir, DatabaseSource, INSTALLED_DATABASE};
use anyhow::{anyhow, bail, Context};
use plugd_config::{CheckedFile, DeviceConfigStore};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Runs one tool; `Ok` carries what to print.
///
/// # Errors
/// A file that does not load or breaks a rule (the whole message is the one reason), or an
/// install that could not be written.
pub fn run(command: &DeviceConfigCommand) -> anyhow::Result<String> {
    match command {
        DeviceConfigCommand::Check {
            file,
            device_config_file,
            data_dir: folder,
        } => check(file, device_config_file.as_deref(), folder.as_deref()),
        DeviceConfigCommand::Diff { old, new } => {
            plugd_config::check_file(old)?;
            plugd_config::check_file(new)?;
            Ok(render(&diff(&read_json(old)?, &read_json(new)?)))
        }
        DeviceConfigCommand::Update {
            from,
            data_dir: folder,
            dry_run,
        } => update(from, folder.as_deref(), *dry_run),
    }
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

fn check(file: &Path, database: Option<&Path>, folder: Option<&Path>) -> anyhow::Result<String> {
    match plugd_config::check_file(file)? {
        CheckedFile::Database(database) => {
            let (major, minor) = database.version();
            let without_encoder: Vec<&str> = database
                .protocol_names()
                .filter(|name| plugd_protocols::find(name).is_none())
                .collect();
            let mut report = format!(
                "{}: OK, device database version {major}.{minor}, {} protocols, {} configurations",
                file.display(),
                database.protocol_count(),
                database.configuration_count()
            );
            if !without_encoder.is_empty() {
                let _ = write!(
                    report,
                    "\nnote: plugd has no encoder yet for {} of them (their devices are ignored): {}",
                    without_encoder.len(),
                    without_encoder.join(", ")
                );
            }
            Ok(report)
        }
        CheckedFile::User(user) => {
            let source = DatabaseSource::choose(database, data_dir(folder).as_deref());
            let database = source.load()?;
            let entries = user.device_entry_count();
            let store = DeviceConfigStore::new(database, Some(user));
            let dropped = store.dropped_entries();
            if dropped.is_empty() {
                return Ok(format!(
                    "{}: OK, user device config, {entries} device entries, checked against the {source} device database",
                    file.display()
                ));
            }
            let mut reasons = String::new();
            for entry in dropped {
                let _ = write!(
                    reasons,
                    "\n{}: at user_configs.devices[protocol {:?}, identifier {:?}, address {:?}]: {}",
                    file.display(),
                    entry.protocol,
                    entry.identifier.as_deref().unwrap_or(""),
                    entry.address,
                    entry.reason
                );
            }
            bail!(
                "{}: {} of {entries} device entries do not fit the {source} device database (plugd would set them aside):{reasons}",
                file.display(),
                dropped.len()
            )
        }
    }
}

fn update(from: &Path, folder: Option<&Path>, dry_run: bool) -> anyhow::Result<String> {
    let checked = plugd_config::check_file(from)?;
    let CheckedFile::Database(database) = checked else {
        bail!(
            "{} is a user device config; `update` installs device databases (pass a user config with --user-device-config-file)",
            from.display()
        );
    };
    let folder = data_dir(folder)
        .ok_or_else(|| anyhow!("no data folder: give --data-dir, or set XDG_DATA_HOME or HOME"))?;
    let bytes = std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
    let new: Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not JSON", from.display()))?;
    let target = folder.join(INSTALLED_DATABASE);
    let current = DatabaseSource::choose(None, Some(&folder));
    let (old, old_name) = match &current {
        DatabaseSource::Installed(path) => match read_json(path) {
            Ok(value) => (value, current.to_string()),
            Err(error) => (
                Value::Null,
                format!("installed {} (unreadable: {error})", path.display()),
            ),
        },
        _ => (plugd_config::builtin_database_json(), current.to_string()),
    };
    let (major, minor) = database.version();
    let mut report = format!(
        "{}: OK, device database version {major}.{minor}, {} protocols\nchanges from the {old_name} database:\n{}",
        from.display(),
        database.protocol_count(),
        render(&diff(&old, &new))
    );
    if dry_run {
        report.push_str("\ndry run: nothing installed");
        return Ok(report);
    }
    plugd_config::write_atomic(&target, &bytes)
        .with_context(|| format!("installing {}", target.display()))?;
    let _ = write!(
        report,
        "\ninstalled {}\nplugd uses it from its next start; a running plugd takes it on SIGHUP (systemctl reload plugd)",
        target.display()
    );
    Ok(report)
}

/// What changed between two files, protocol by protocol (databases) or entry by entry (user
/// configs: their `protocols` and their `devices`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Protocols only in the new file, with their device count.
    pub protocols_added: Vec<(String, usize)>,
    /// Protocols only in the old file.
    pub protocols_removed: Vec<String>,
    /// Protocols in both that differ.
    pub protocols_changed: Vec<ProtocolChange>,
    /// Protocols in both, equal.
    pub protocols_unchanged: usize,
    /// User device entries (user configs): added, removed, changed, by their identifier.
    pub user_devices: Changes,
}

/// Keys added, removed and changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Only in the new file.
    pub added: Vec<String>,
    /// Only in the old file.
    pub removed: Vec<String>,
    /// In both, different.
    pub changed: Vec<String>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    fn between(old: &BTreeMap<String, &Value>, new: &BTreeMap<String, &Value>) -> Changes {
        let mut changes = Changes::default();
        for (key, value) in new {
            match old.get(key) {
                None => changes.added.push(key.clone()),
                Some(before) if before != value => changes.changed.push(key.clone()),
                Some(_) => {}
            }
        }
        changes.removed = old
            .keys()
            .filter(|key| !new.contains_key(*key))
            .cloned()
            .collect();
        changes
    }
}

/// How one protocol changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProtocolChange {
    /// The protocol key.
    pub name: String,
    /// `communication` differs (which hardware is recognised).
    pub communication: bool,
    /// `defaults` differs.
    pub defaults: bool,
    /// Devices (configurations), named `Name [identifiers]`.
    pub devices: Changes,
}

fn protocols(document: &Value) -> BTreeMap<String, &Value> {
    let map = document.get("protocols").or_else(|| {
        document
            .get("user_configs")
            .and_then(|user| user.get("protocols"))
    });
    map.and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(key, value)| (key.clone(), value))
                .collect()
        })
        .unwrap_or_default()
}

fn configurations(protocol: &Value) -> BTreeMap<String, &Value> {
    protocol
        .get("configurations")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|configuration| (device_label(configuration), configuration))
                .collect()
        })
        .unwrap_or_default()
}

fn device_label(configuration: &Value) -> String {
    let name = configuration
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("(no name)");
    let identifiers: Vec<&str> = configuration
        .get("identifier")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    format!("{name} [{}]", identifiers.join(", "))
}

fn user_devices(document: &Value) -> BTreeMap<String, &Value> {
    document
        .get("user_configs")
        .and_then(|user| user.get("devices"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|entry| {
                    let identifier = entry.get("identifier").unwrap_or(&Value::Null);
                    let part = |key: &str| {
                        identifier
                            .get(key)
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string()
                    };
                    let key = format!(
                        "{} {} at {}",
                        part("protocol"),
                        part("identifier"),
                        part("address")
                    );
                    (key, entry)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Compares two documents of the published format.
pub fn diff(old: &Value, new: &Value) -> Diff {
    let before = protocols(old);
    let after = protocols(new);
    let mut result = Diff::default();
    for (name, protocol) in &after {
        match before.get(name) {
            None => result
                .protocols_added
                .push((name.clone(), configurations(protocol).len())),
            Some(previous) if previous == protocol => result.protocols_unchanged += 1,
            Some(previous) => result.protocols_changed.push(ProtocolChange {
                name: name.clone(),
                communication: previous.get("communication") != protocol.get("communication"),
                defaults: previous.get("defaults") != protocol.get("defaults"),
                devices: Changes::between(&configurations(previous), &configurations(protocol)),
            }),
        }
    }
    result.protocols_removed = before
        .keys()
        .filter(|name| !after.contains_key(*name))
        .cloned()
        .collect();
    result.user_devices = Changes::between(&user_devices(old), &user_devices(new));
    result
}

/// The diff as lines a person reads: `+` added, `-` removed, `~` changed.
pub fn render(diff: &Diff) -> String {
    let mut text = format!(
        "protocols: {} added, {} removed, {} changed, {} unchanged",
        diff.protocols_added.len(),
        diff.protocols_removed.len(),
        diff.protocols_changed.len(),
        diff.protocols_unchanged
    );
    for (name, devices) in &diff.protocols_added {
        let _ = write!(text, "\n+ protocol {name} ({devices} devices)");
    }
    for name in &diff.protocols_removed {
        let _ = write!(text, "\n- protocol {name}");
    }
    for change in &diff.protocols_changed {
        let mut parts = Vec::new();
        if change.communication {
            parts.push("communication changed".to_string());
        }
        if change.defaults {
            parts.push("defaults changed".to_string());
        }
        if change.devices.is_empty() && parts.is_empty() {
            parts.push("other keys changed".to_string());
        }
        let _ = write!(text, "\n~ protocol {}: {}", change.name, parts.join(", "));
        for device in &change.devices.added {
            let _ = write!(text, "\n    + device {device}");
        }
        for device in &change.devices.removed {
            let _ = write!(text, "\n    - device {device}");
        }
        for device in &change.devices.changed {
            let _ = write!(text, "\n    ~ device {device}");
        }
    }
    let users = &diff.user_devices;
    if !users.is_empty() {
        let _ = write!(
            text,
            "\nuser device entries: {} added, {} removed, {} changed",
            users.added.len(),
            users.removed.len(),
            users.changed.len()
        );
        for entry in &users.added {
            let _ = write!(text, "\n+ device {entry}");
        }
        for entry in &users.removed {
            let _ = write!(text, "\n- device {entry}");
        }
        for entry in &users.changed {
            let _ = write!(text, "\n~ device {entry}");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lovense(devices: &[(&str, &str)]) -> Value {
        json!({
            "communication": [{"btle": {"names": ["LVS-*"]}}],
            "configurations": devices
                .iter()
                .map(|(identifier, name)| json!({"identifier": [identifier], "name": name}))
                .collect::<Vec<_>>()
        })
    }

    #[test]
    fn protocols_and_devices_added_removed_and_changed_are_listed() {
        let old = json!({"protocols": {
            "lovense": lovense(&[("A", "Nora"), ("Z", "Hush")]),
            "gone": {"communication": []},
            "same": {"communication": []}
        }});
        let mut new_lovense = lovense(&[("A", "Nora"), ("P", "Edge")]);
        new_lovense["communication"] = json!([{"btle": {"names": ["LVS-*", "LOVE-*"]}}]);
        let new = json!({"protocols": {
            "lovense": new_lovense,
            "fresh": lovense(&[("X", "New toy")]),
            "same": {"communication": []}
        }});
        let result = diff(&old, &new);
        assert_eq!(result.protocols_added, [("fresh".to_string(), 1)]);
        assert_eq!(result.protocols_removed, ["gone"]);
        assert_eq!(result.protocols_unchanged, 1);
        let change = &result.protocols_changed[0];
        assert!(change.communication && !change.defaults);
        assert_eq!(change.devices.added, ["Edge [P]"]);
        assert_eq!(change.devices.removed, ["Hush [Z]"]);
        let text = render(&result);
        assert!(
            text.starts_with("protocols: 1 added, 1 removed, 1 changed, 1 unchanged"),
            "{text}"
        );
        assert!(
            text.contains("~ protocol lovense: communication changed"),
            "{text}"
        );
        assert!(text.contains("    + device Edge [P]"), "{text}");
    }

    #[test]
    fn user_device_entries_are_compared_by_their_identifier() {
        let entry = |address: &str, name: &str| {
            json!({"identifier": {"protocol": "lovense", "identifier": "Z", "address": address},
                   "config": {"user_config": {"display_name": name}}})
        };
        let old = json!({"user_configs": {"devices": [entry("A1", "one"), entry("A2", "two")]}});
        let new = json!({"user_configs": {"devices": [entry("A1", "uno"), entry("A3", "three")]}});
        let result = diff(&old, &new);
        assert_eq!(result.user_devices.added, ["lovense Z at A3"]);
        assert_eq!(result.user_devices.removed, ["lovense Z at A2"]);
        assert_eq!(result.user_devices.changed, ["lovense Z at A1"]);
    }

    #[test]
    fn identical_files_show_no_change() {
        let document = json!({"protocols": {"lovense": lovense(&[("A", "Nora")])}});
        let text = render(&diff(&document, &document));
        assert_eq!(
            text,
            "protocols: 0 added, 0 removed, 0 changed, 1 unchanged"
        );
    }
}

//! Operating plugd: the device database tools (`plugd device-config check | diff | update`), the
//! config file (`--config`), Intiface Engine flags plugd refuses, a corrupt installed database
//! at start, and reloading the device config on SIGHUP without disturbing clients or devices.

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{lovense, message_name, Client, Plugd, SimDevice};

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("plugd-ops-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("create scratch folder");
    folder
}

fn plugd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plugd"))
        .args(args)
        .env_remove("XDG_DATA_HOME")
        .output()
        .expect("run plugd")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A database holding only the built-in `simulated` protocol.
fn simulated_only_database() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/protocols/simulated.json");
    let protocol: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read simulated.json"))
            .expect("simulated.json is JSON");
    json!({"version": {"major": 4, "minor": 1}, "protocols": {"simulated": protocol}})
}

fn write_json(path: &Path, value: &Value) {
    std::fs::write(
        path,
        serde_json::to_string_pretty(value).expect("serialise"),
    )
    .expect("write file");
}

#[test]
fn check_names_the_file_line_and_json_path_of_a_wrong_value() {
    let folder = scratch("check-bad");
    let path = folder.join("bad.json");
    std::fs::write(
        &path,
        r#"{"version": {"major": 4, "minor": 1}, "protocols": {"lovense": {
  "configurations": [{"identifier": ["Z"], "name": "Z",
    "id": "a0000000-0000-4000-8000-000000000002",
    "features": [{"index": 0, "id": "a0000000-0000-4000-8000-000000000003",
      "output": {"vibrate": {"value": [0, "twenty"]}}}]}]}}}"#,
    )
    .expect("write");
    let output = plugd(&["device-config", "check", path.to_str().unwrap_or_default()]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("bad.json: line 5, column"), "{stderr}");
    assert!(
        stderr.contains("at protocols.lovense.configurations[0].features[0].output.vibrate.value"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn check_accepts_the_published_databases_and_the_example_user_config() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    for name in [
        "buttplug-device-config-v4.json",
        "buttplug-device-config-v5.json",
        "example-user-device-config-v4.json",
    ] {
        let path = shared.join("device-config").join(name);
        let output = plugd(&["device-config", "check", path.to_str().unwrap_or_default()]);
        let stdout = text(&output.stdout);
        println!("{name}: {stdout}");
        assert!(output.status.success(), "{name}: {}", text(&output.stderr));
        assert!(stdout.contains(": OK, "), "{stdout}");
    }
}

#[test]
fn diff_lists_protocols_and_devices_added_removed_and_changed() {
    let folder = scratch("diff");
    let old = folder.join("old.json");
    let new = folder.join("new.json");
    let mut database = simulated_only_database();
    write_json(&old, &database);
    let configurations = database["protocols"]["simulated"]["configurations"]
        .as_array_mut()
        .expect("simulated has configurations");
    let removed = configurations.remove(0);
    write_json(&new, &database);
    let output = plugd(&[
        "device-config",
        "diff",
        old.to_str().unwrap_or_default(),
        new.to_str().unwrap_or_default(),
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        stdout.starts_with("protocols: 0 added, 0 removed, 1 changed, 0 unchanged"),
        "{stdout}"
    );
    let name = removed["name"].as_str().unwrap_or_default();
    assert!(
        stdout.contains(&format!("    - device {name} [")),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn update_refuses_a_bad_file_and_installs_a_good_one_in_the_data_folder() {
    let folder = scratch("update");
    let data = folder.join("data");
    let bad = folder.join("bad.json");
    std::fs::write(
        &bad,
        "{\"version\": {\"major\": 4, \"minor\": 1},\n \"protocols\": {,}}",
    )
    .expect("write");
    let output = plugd(&[
        "device-config",
        "update",
        "--from",
        bad.to_str().unwrap_or_default(),
        "--data-dir",
        data.to_str().unwrap_or_default(),
    ]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("bad.json: line 2"),
        "{}",
        text(&output.stderr)
    );
    assert!(!data.join("device-config.json").exists());

    let good = folder.join("good.json");
    write_json(&good, &simulated_only_database());
    let output = plugd(&[
        "device-config",
        "update",
        "--from",
        good.to_str().unwrap_or_default(),
        "--data-dir",
        data.to_str().unwrap_or_default(),
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        stdout.contains("changes from the built-in database"),
        "{stdout}"
    );
    assert!(stdout.contains("- protocol lovense"), "{stdout}");
    assert!(stdout.contains("installed "), "{stdout}");
    assert_eq!(
        std::fs::read(data.join("device-config.json")).expect("installed"),
        std::fs::read(&good).expect("source")
    );
    let leftovers: Vec<_> = std::fs::read_dir(&data)
        .expect("data folder")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn a_corrupt_installed_database_stops_plugd_naming_the_file_and_line() {
    let folder = scratch("corrupt");
    std::fs::write(
        folder.join("device-config.json"),
        "{\"version\": {\"major\": 4, \"minor\": 1},\n \"protocols\": {\"lovense\": ",
    )
    .expect("write");
    let output = plugd(&[
        "--websocket-port",
        "0",
        "--data-dir",
        folder.to_str().unwrap_or_default(),
    ]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("device-config.json: line 2"), "{stderr}");
    assert!(stderr.contains("installed device database"), "{stderr}");
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn an_intiface_flag_plugd_lacks_is_refused_with_one_line_saying_why() {
    for (flags, reason) in [
        (&["--use-xinput"][..], "Windows"),
        (&["--broadcast-server-mdns"][..], "mDNS"),
        (&["--repeater", "--repeater-port", "1"][..], "repeater"),
        (&["--frontend-websocket-port", "1"][..], "frontend"),
    ] {
        let output = plugd(flags);
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{flags:?}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("plugd: {} is not supported: ", flags[0])),
            "{stderr}"
        );
        assert!(stderr.contains(reason), "{stderr}");
    }
    let output = plugd(&["--server-version"]);
    assert!(output.status.success());
    assert_eq!(text(&output.stdout).trim(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn a_config_file_with_an_unknown_key_is_refused_naming_it() {
    let folder = scratch("config-file");
    let path = folder.join("plugd.toml");
    std::fs::write(&path, "websocket-port = 0\nwebsocket-prot = 1\n").expect("write");
    let output = plugd(&["--config", path.to_str().unwrap_or_default()]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("plugd.toml: unknown option `websocket-prot`"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&folder);
}

/// Sends SIGHUP and waits, by client round trips, for a log line containing `wanted`.
fn reload_and_wait(plugd: &Plugd, client: &mut Client, wanted: &str) -> String {
    let status = Command::new("kill")
        .args(["-HUP", &plugd.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let mut seen = Vec::new();
    for _ in 0..500 {
        seen.extend(plugd.logs());
        if let Some(line) = seen.iter().find(|line| line.contains(wanted)) {
            return line.clone();
        }
        let reply = client.request("RequestDeviceList", json!({}));
        assert_eq!(message_name(&reply), "DeviceList", "{reply}");
    }
    panic!(
        "no log line containing {wanted:?}; logs:\n{}",
        seen.join("\n")
    );
}

fn device_count(client: &mut Client) -> usize {
    let reply = client.request("RequestDeviceList", json!({}));
    reply["DeviceList"]["Devices"]
        .as_object()
        .map(|devices| devices.len())
        .or_else(|| reply["DeviceList"]["Devices"].as_array().map(Vec::len))
        .unwrap_or(0)
}

#[test]
fn sighup_installs_a_new_database_refuses_a_corrupt_one_and_keeps_clients_and_devices() {
    let folder = scratch("reload");
    let data = folder.join("data");
    let data_arg = data.to_str().unwrap_or_default().to_string();
    let plugd = Plugd::start(&["--data-dir", &data_arg]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let _edge = lovense(&plugd, "P", "AA:00:00:00:00:01");
    let _ = client.event("DeviceList");
    assert_eq!(device_count(&mut client), 1);

    // Install a database without Lovense and reload: the connected toy stays, a new one is
    // not recognised any more.
    let good = folder.join("simulated-only.json");
    write_json(&good, &simulated_only_database());
    let output = plugd_update(&good, &data_arg);
    assert!(output.status.success(), "{}", text(&output.stderr));
    reload_and_wait(&plugd, &mut client, "device config reloaded");
    assert_eq!(device_count(&mut client), 1);
    let (_refused, answer) = SimDevice::btle(&plugd, "LVS-P02", "AA:00:00:00:00:02");
    assert_eq!(message_name(&answer), "Rejected", "{answer}");

    // A corrupt file (written over the installed one by hand) is refused with its name and
    // line; the previous database stays in use and the client keeps working.
    std::fs::write(data.join("device-config.json"), "{\n  \"version\": ,\n}").expect("write");
    let line = reload_and_wait(&plugd, &mut client, "reload refused");
    assert!(line.contains("device-config.json: line 2"), "{line}");
    let (_still_refused, answer) = SimDevice::btle(&plugd, "LVS-P03", "AA:00:00:00:00:03");
    assert_eq!(message_name(&answer), "Rejected", "{answer}");
    assert_eq!(device_count(&mut client), 1);
    let _ = std::fs::remove_dir_all(&folder);
}

fn plugd_update(from: &Path, data: &str) -> Output {
    plugd(&[
        "device-config",
        "update",
        "--from",
        from.to_str().unwrap_or_default(),
        "--data-dir",
        data,
    ])
}

#[test]
fn the_systemd_unit_starts_plugd_with_flags_it_accepts() {
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/systemd/plugd.service");
    let text = std::fs::read_to_string(unit).expect("read the unit file");
    let exec = text
        .lines()
        .find_map(|line| line.strip_prefix("ExecStart="))
        .expect("an ExecStart line");
    let mut words = exec.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/plugd"));
    let mut args: Vec<&str> = words.collect();
    // --server-version exits after the command line parsed: every flag must be known.
    args.push("--server-version");
    let output = plugd(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("ExecReload=/bin/kill -HUP $MAINPID"),
        "{text}"
    );
}

#[test]
fn sighup_applies_a_changed_user_config_and_refuses_a_broken_one_keeping_the_last_good_one() {
    let folder = scratch("reload-user");
    let user = folder.join("user.json");
    write_json(
        &user,
        &json!({"version": {"major": 4, "minor": 0}, "user_configs": {}}),
    );
    let data = folder.join("data");
    let plugd = Plugd::start(&[
        "--user-device-config-file",
        user.to_str().unwrap_or_default(),
        "--data-dir",
        data.to_str().unwrap_or_default(),
    ]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let _first = lovense(&plugd, "P", "AA:00:00:00:00:01");
    let _ = client.event("DeviceList");

    // Deny one address: after the reload that toy is refused, others are still welcome.
    write_json(
        &user,
        &json!({"version": {"major": 4, "minor": 0}, "user_configs": {"devices": [{
            "identifier": {"protocol": "lovense", "identifier": "P", "address": "AA:00:00:00:00:02"},
            "config": {"id": "a0000000-0000-4000-8000-00000000000a",
                       "base_id": "a0000000-0000-4000-8000-00000000000b",
                       "features": [],
                       "user_config": {"allow": false, "deny": true, "index": 0}}}]}}),
    );
    let line = reload_and_wait(&plugd, &mut client, "device config reloaded");
    assert!(line.contains("1 device entries"), "{line}");
    let (_denied, answer) = SimDevice::btle(&plugd, "LVS-P02", "AA:00:00:00:00:02");
    assert_eq!(message_name(&answer), "Rejected", "{answer}");
    let (_welcome, answer) = SimDevice::btle(&plugd, "LVS-P03", "AA:00:00:00:00:03");
    assert_eq!(message_name(&answer), "Accepted", "{answer}");
    assert!(device_count(&mut client) >= 1);

    // A broken user config is refused by name and line; the deny stays in force.
    std::fs::write(
        &user,
        "{\n  \"version\": {\"major\": 4, \"minor\": 0},\n  \"user_configs\": [\n",
    )
    .expect("write");
    let line = reload_and_wait(&plugd, &mut client, "reload refused");
    assert!(line.contains("user.json: line"), "{line}");
    let (_still_denied, answer) = SimDevice::btle(&plugd, "LVS-P04", "AA:00:00:00:00:02");
    assert_eq!(message_name(&answer), "Rejected", "{answer}");
    let _ = std::fs::remove_dir_all(&folder);
}

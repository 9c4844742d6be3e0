//! The web side of the real plugd binary: the REST API under `/api/v1` (the reference server's
//! paths and JSON shapes), server-sent events, Prometheus `/metrics`, and the dashboard page,
//! all on the client WebSocket's port beside the WebSocket itself (and on `--rest-api-port`).
//! Commands sent over REST reach a simulated device as its exact bytes.

mod support;
#[path = "web_http.rs"]
mod web_http;

use serde_json::{json, Value};
use std::time::Duration;
use support::{lovense, Client, Plugd};
use web_http::{base_url, get, put, EventStream};

const WAIT: Duration = Duration::from_secs(10);

/// Waits (through the server's event stream) until `count` devices are listed.
fn wait_for_devices(base: &str, count: usize) -> Value {
    let mut events = EventStream::open(base, "/api/v1/events");
    events
        .wait_for("status", WAIT, |status| {
            status["devices"].as_array().map(Vec::len) == Some(count)
        })
        .unwrap_or_else(|| panic!("{count} devices did not appear"))
}

fn index_named(base: &str, name: &str) -> u64 {
    let devices = get(base, "/api/v1/devices").json();
    devices
        .as_object()
        .and_then(|devices| devices.values().find(|device| device["name"] == name))
        .and_then(|device| device["index"].as_u64())
        .unwrap_or_else(|| panic!("no device named {name} in {devices}"))
}

#[test]
fn rest_api_lists_devices_in_the_reference_shape() {
    let plugd = Plugd::start(&["--demo"]);
    let base = base_url(&plugd.client_url);
    wait_for_devices(&base, 5);
    let devices = get(&base, "/api/v1/devices");
    assert_eq!(devices.status, 200);
    let devices = devices.json();
    let edge = index_named(&base, "Lovense Edge");
    let entry = &devices[edge.to_string()];
    assert_eq!(entry["index"], json!(edge), "{entry}");
    assert_eq!(entry["display_name"], Value::Null, "{entry}");
    assert_eq!(
        entry["features"]["0"]["Output"]["Vibrate"]["Value"],
        json!([0, 20]),
        "{entry}"
    );
    let info = get(&base, &format!("/api/v1/devices/{edge}")).json();
    assert_eq!(&info, entry);
    let features = get(&base, &format!("/api/v1/devices/{edge}/features")).json();
    assert_eq!(features, entry["features"]);
    let feature = get(&base, &format!("/api/v1/devices/{edge}/features/1/")).json();
    assert_eq!(feature, entry["features"]["1"]);
}

#[test]
fn rest_outputs_and_stops_reach_the_device_as_its_bytes() {
    let plugd = Plugd::start(&[]);
    let base = base_url(&plugd.client_url);
    let mut toy = lovense(&plugd, "Z", "web-rest-1");
    wait_for_devices(&base, 1);
    let index = index_named(&base, "Lovense Hush");

    let reply = put(
        &base,
        &format!("/api/v1/devices/{index}/outputs/Vibrate/0.5"),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(toy.expect_write_text("Vibrate:10;"), "Vibrate:10;");

    let reply = put(
        &base,
        &format!("/api/v1/devices/{index}/features/0/outputs/vibrate/1.0"),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(toy.expect_write_text("Vibrate:20;"), "Vibrate:20;");

    let reply = put(&base, &format!("/api/v1/devices/{index}/stop"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(toy.expect_write_text("Vibrate:0;"), "Vibrate:0;");

    put(
        &base,
        &format!("/api/v1/devices/{index}/outputs/Vibrate/0.25"),
    );
    assert_eq!(toy.expect_write_text("Vibrate:5;"), "Vibrate:5;");
    let reply = put(&base, "/api/v1/devices/stop");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(toy.expect_write_text("Vibrate:0;"), "Vibrate:0;");
}

#[test]
fn rest_errors_carry_the_buttplug_error_code() {
    let plugd = Plugd::start(&[]);
    let base = base_url(&plugd.client_url);
    let _toy = lovense(&plugd, "Z", "web-errors-1");
    wait_for_devices(&base, 1);
    let index = index_named(&base, "Lovense Hush");

    let missing = put(&base, "/api/v1/devices/77/outputs/Vibrate/0.5");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["ErrorCode"], json!(4), "{}", missing.body);
    assert!(
        missing.json()["ErrorMessage"]
            .as_str()
            .is_some_and(|message| message.contains("DeviceNotAvailable")),
        "{}",
        missing.body
    );

    let level = put(
        &base,
        &format!("/api/v1/devices/{index}/outputs/Vibrate/1.5"),
    );
    assert_eq!(level.status, 400);
    assert_eq!(level.json()["ErrorCode"], json!(3), "{}", level.body);

    let kind = put(
        &base,
        &format!("/api/v1/devices/{index}/outputs/Wobble/0.5"),
    );
    assert_eq!(kind.status, 400);
    assert_eq!(kind.json()["ErrorCode"], json!(3), "{}", kind.body);

    let absent = put(
        &base,
        &format!("/api/v1/devices/{index}/outputs/Rotate/0.5"),
    );
    assert_eq!(absent.status, 400);
    assert_eq!(absent.json()["ErrorCode"], json!(4), "{}", absent.body);

    let feature = get(&base, &format!("/api/v1/devices/{index}/features/9/"));
    assert_eq!(feature.status, 404);
    assert_eq!(feature.json()["ErrorCode"], json!(4), "{}", feature.body);

    let input = put(
        &base,
        &format!("/api/v1/devices/{index}/inputs/Battery/explode"),
    );
    assert_eq!(input.status, 400);
    assert_eq!(input.json()["ErrorCode"], json!(3), "{}", input.body);

    // A stop of a missing device reaches the Server, which counts the error.
    let stop = put(&base, "/api/v1/devices/77/stop");
    assert_eq!(stop.status, 404);
    assert_eq!(stop.json()["ErrorCode"], json!(4), "{}", stop.body);

    let recent = get(&base, "/api/v1/status").json();
    let errors = recent["metrics"]["recent_errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        errors.iter().any(|error| error["code"] == json!(4)),
        "{recent}"
    );
}

#[test]
fn battery_input_is_read_through_rest() {
    let plugd = Plugd::start(&[]);
    let base = base_url(&plugd.client_url);
    let mut toy = lovense(&plugd, "Z", "web-battery-1");
    wait_for_devices(&base, 1);
    let index = index_named(&base, "Lovense Hush");
    let reader = std::thread::spawn({
        let base = base.clone();
        move || {
            put(
                &base,
                &format!("/api/v1/devices/{index}/inputs/Battery/read"),
            )
        }
    });
    assert_eq!(toy.expect_write_text("Battery;"), "Battery;");
    toy.notify("rx", b"87;");
    let reading = reader.join().expect("reader thread");
    assert_eq!(reading.status, 200, "{}", reading.body);
    let reading = reading.json();
    assert_eq!(reading["index"], json!(index), "{reading}");
    assert_eq!(reading["type"], json!("Battery"), "{reading}");
    assert_eq!(reading["value"], json!(87), "{reading}");
}

#[test]
fn events_stream_the_output_level_as_commands_arrive() {
    let plugd = Plugd::start(&[]);
    let base = base_url(&plugd.client_url);
    let mut toy = lovense(&plugd, "Z", "web-events-1");
    wait_for_devices(&base, 1);
    let index = index_named(&base, "Lovense Hush");
    let mut server_events = EventStream::open(&base, "/api/v1/events");
    let mut device_events = EventStream::open(&base, &format!("/api/v1/devices/{index}/events"));

    // A WebSocket client drives the device; the web side sees the level move.
    let (mut client, _) = Client::handshake(&plugd, 4);
    client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 7}}}),
    );
    toy.expect_write_text("Vibrate:7;");
    let level_is_7 = |device: &Value| device["features"][0]["outputs"][0]["level"] == json!(7);
    let status = server_events
        .wait_for("status", WAIT, |status| {
            status["devices"]
                .as_array()
                .is_some_and(|devices| devices.iter().any(level_is_7))
        })
        .expect("a status event with the new level");
    let clients = status["clients"].as_array().cloned().unwrap_or_default();
    assert!(
        clients
            .iter()
            .any(|client| client["spec_version"] == json!(4) && client["observer"] == json!(false)),
        "{status}"
    );
    assert!(
        device_events.wait_for("device", WAIT, level_is_7).is_some(),
        "the device stream did not show level 7"
    );

    drop(toy);
    assert!(
        device_events
            .wait_for("removed", WAIT, |removed| removed["index"] == json!(index))
            .is_some(),
        "the device stream did not say the device left"
    );
}

#[test]
fn metrics_count_clients_devices_commands_errors_latency_and_bytes() {
    let plugd = Plugd::start(&[]);
    let base = base_url(&plugd.client_url);
    let mut toy = lovense(&plugd, "Z", "web-metrics-1");
    wait_for_devices(&base, 1);
    let index = index_named(&base, "Lovense Hush");
    let (_client, _) = Client::handshake(&plugd, 4);
    put(
        &base,
        &format!("/api/v1/devices/{index}/outputs/Vibrate/0.5"),
    );
    toy.expect_write_text("Vibrate:10;");
    put(&base, "/api/v1/devices/42/stop");

    let metrics = get(&base, "/metrics");
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|value| value.starts_with("text/plain")),
        "{:?}",
        metrics.headers
    );
    let text = metrics.body;
    for expected in [
        "plugd_clients 1\n",
        "plugd_devices 1\n",
        "plugd_commands_total{type=\"Output\"} 1\n",
        "plugd_commands_total{type=\"Stop\"} 1\n",
        "plugd_errors_total{code=\"4\",name=\"ERROR_DEVICE\"} 1\n",
        // index_named's GET /api/v1/devices is a RequestDeviceList of the web client.
        "plugd_commands_total{type=\"RequestDeviceList\"} 1\n",
        "plugd_command_latency_seconds_bucket{le=\"+Inf\"} 3\n",
        "plugd_command_latency_seconds_count 3\n",
        "# TYPE plugd_command_latency_seconds histogram\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(
        text.contains(&format!(
            "plugd_device_bytes_written_total{{index=\"{index}\",name=\"Lovense Hush\",protocol=\"lovense\"}} 11\n"
        )),
        "{text}"
    );
}

#[test]
fn dashboard_page_is_served_beside_the_client_websocket_with_nothing_from_elsewhere() {
    let plugd = Plugd::start(&[]);
    let base = base_url(&plugd.client_url);
    let page = get(&base, "/");
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .is_some_and(|value| value.starts_with("text/html")),
        "{:?}",
        page.headers
    );
    assert!(page.body.contains("STOP ALL"), "{}", page.body);
    assert_eq!(get(&base, "/dashboard").body, page.body);
    for asset in ["/", "/dashboard/app.js", "/dashboard/app.css"] {
        let body = get(&base, asset).body;
        assert!(!body.is_empty(), "{asset} is empty");
        assert!(
            !body.contains("http://") && !body.contains("https://") && !body.contains("//cdn"),
            "{asset} refers to another site"
        );
    }
    // The WebSocket still answers on the same port and path.
    let (_client, server_info) = Client::handshake(&plugd, 4);
    assert!(server_info.get("ServerInfo").is_some(), "{server_info}");
}

#[test]
fn rest_api_port_serves_the_api_on_a_port_of_its_own() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port");
    let port = port.to_string();
    let plugd = Plugd::start(&["--demo", "--rest-api-port", &port]);
    let rest = format!("http://127.0.0.1:{port}");
    wait_for_devices(&rest, 5);
    let devices = get(&rest, "/api/v1/devices").json();
    assert_eq!(devices.as_object().map(|devices| devices.len()), Some(5));
    assert_eq!(get(&rest, "/api/v1/start-scanning").status, 200);
    assert_eq!(get(&rest, "/api/v1/stop-scanning").status, 200);
    drop(plugd);
}

#[test]
fn no_web_leaves_only_the_client_websocket() {
    let plugd = Plugd::start(&["--no-web"]);
    let base = base_url(&plugd.client_url);
    assert_ne!(get(&base, "/api/v1/devices").status, 200);
    let (_client, server_info) = Client::handshake(&plugd, 4);
    assert!(server_info.get("ServerInfo").is_some(), "{server_info}");
}

#[test]
fn the_web_side_follows_the_client_websockets_token_and_origin_rules() {
    let plugd = Plugd::start(&["--auth-token", "s3cret"]);
    let base = base_url(&plugd.client_url);
    for path in ["/api/v1/devices", "/metrics", "/"] {
        assert_eq!(get(&base, path).status, 401, "{path} without the token");
        assert_eq!(
            get(&base, &format!("{path}?token=s3cret")).status,
            200,
            "{path} with the token"
        );
    }
    assert_eq!(put(&base, "/api/v1/devices/stop?token=wrong").status, 401);
    assert_eq!(put(&base, "/api/v1/devices/stop?token=s3cret").status, 200);
    let foreign = web_http::request_with_headers(
        &base,
        "PUT",
        "/api/v1/devices/stop?token=s3cret",
        &[("Origin", "https://elsewhere.example")],
    );
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    let bearer = web_http::request_with_headers(
        &base,
        "GET",
        "/api/v1/devices",
        &[("Authorization", "Bearer s3cret")],
    );
    assert_eq!(bearer.status, 200, "{}", bearer.body);
}

#[test]
fn deny_from_the_web_stops_the_device_writes_the_user_config_and_refuses_it_afterwards() {
    let user = std::env::temp_dir().join(format!("plugd-web-deny-{}.json", std::process::id()));
    std::fs::write(
        &user,
        r#"{"version": {"major": 4, "minor": 0}, "user_configs": {}}"#,
    )
    .expect("write the user config");
    let plugd = Plugd::start(&[
        "--user-device-config-file",
        user.to_str().unwrap_or_default(),
    ]);
    let base = base_url(&plugd.client_url);
    let mut toy = lovense(&plugd, "Z", "web-deny-1");
    wait_for_devices(&base, 1);
    let index = index_named(&base, "Lovense Hush");
    put(
        &base,
        &format!("/api/v1/devices/{index}/outputs/Vibrate/0.5"),
    );
    assert_eq!(toy.expect_write_text("Vibrate:10;"), "Vibrate:10;");

    let reply = put(&base, &format!("/api/v1/devices/{index}/deny"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(toy.expect_write_text("Vibrate:0;"), "Vibrate:0;");
    wait_for_devices(&base, 0);

    let written: Value = serde_json::from_str(&std::fs::read_to_string(&user).unwrap_or_default())
        .expect("the user config is still JSON");
    let entry = &written["user_configs"]["devices"][0];
    assert_eq!(
        entry["identifier"]["address"],
        json!("web-deny-1"),
        "{written}"
    );
    assert_eq!(
        entry["config"]["user_config"]["deny"],
        json!(true),
        "{written}"
    );

    let (_again, answer) = support::SimDevice::btle(&plugd, "LVS-Z01", "web-deny-1");
    assert_eq!(support::message_name(&answer), "Rejected", "{answer}");
    let _ = std::fs::remove_file(&user);
}

#[test]
fn deny_without_a_user_config_file_is_refused_with_a_reason() {
    let plugd = Plugd::start(&[]);
    let base = base_url(&plugd.client_url);
    let _toy = lovense(&plugd, "Z", "web-deny-2");
    wait_for_devices(&base, 1);
    let index = index_named(&base, "Lovense Hush");
    let reply = put(&base, &format!("/api/v1/devices/{index}/deny"));
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(
        reply.body.contains("--user-device-config-file"),
        "{}",
        reply.body
    );
}

/// Writes `value` as the user device config.
fn write_user_config(path: &std::path::Path, value: &Value) {
    std::fs::write(path, value.to_string()).expect("write the user config");
}

/// A scratch folder holding an empty v4 user config, plugd started with it, a v4 client, a
/// Lovense Hush at `address` and its index: (folder, user config, plugd, base URL, client, toy,
/// index).
fn with_user_config(
    name: &str,
    address: &str,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    Plugd,
    String,
    Client,
    support::SimDevice,
    u64,
) {
    let folder = std::env::temp_dir().join(format!("plugd-web-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("scratch folder");
    let user = folder.join("user.json");
    write_user_config(
        &user,
        &json!({"version": {"major": 4, "minor": 0}, "user_configs": {}}),
    );
    let plugd = Plugd::start(&[
        "--user-device-config-file",
        user.to_str().expect("utf-8 path"),
    ]);
    let base = base_url(&plugd.client_url);
    let (client, _) = Client::handshake(&plugd, 4);
    let toy = lovense(&plugd, "Z", address);
    wait_for_devices(&base, 1);
    let index = index_named(&base, "Lovense Hush");
    (folder, user, plugd, base, client, toy, index)
}

#[test]
fn rest_reload_applies_a_new_user_config_refuses_a_broken_one_and_disturbs_nobody() {
    let (folder, user, plugd, base, mut client, mut toy, index) =
        with_user_config("reload", "AA:00:00:00:00:01");
    let vibrate = |client: &mut Client, value: u32| {
        let reply = client.request(
            "OutputCmd",
            json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": value}}}),
        );
        assert_eq!(support::message_name(&reply), "Ok", "{reply}");
    };
    vibrate(&mut client, 4);
    assert_eq!(toy.expect_write_text("Vibrate:4;"), "Vibrate:4;");

    // A deny for another address, applied by the REST reload.
    write_user_config(
        &user,
        &json!({"version": {"major": 4, "minor": 0}, "user_configs": {"devices": [{
            "identifier": {"protocol": "lovense", "identifier": "Z", "address": "AA:00:00:00:00:02"},
            "config": {"id": "a0000000-0000-4000-8000-00000000000a",
                       "base_id": "a0000000-0000-4000-8000-00000000000b",
                       "features": [],
                       "user_config": {"allow": false, "deny": true, "index": 5}}}]}}),
    );
    let reply = put(&base, "/api/v1/reload");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.json()["reloaded"]
            .as_str()
            .is_some_and(|summary| summary.contains("1 device entries")),
        "{}",
        reply.body
    );
    let (_denied, answer) = support::SimDevice::btle(&plugd, "LVS-Z02", "AA:00:00:00:00:02");
    assert_eq!(support::message_name(&answer), "Rejected", "{answer}");
    // The connected toy and client were not disturbed.
    vibrate(&mut client, 6);
    assert_eq!(toy.expect_write_text("Vibrate:6;"), "Vibrate:6;");

    // A broken file is refused with its name and line; the deny stays in force.
    std::fs::write(
        &user,
        "{\n  \"version\": {\"major\": 4, \"minor\": 0},\n  \"user_configs\": [\n",
    )
    .expect("write");
    let reply = put(&base, "/api/v1/reload");
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(
        reply.json()["error"]
            .as_str()
            .is_some_and(|reason| reason.contains("user.json: line")),
        "{}",
        reply.body
    );
    let (_still_denied, answer) = support::SimDevice::btle(&plugd, "LVS-Z03", "AA:00:00:00:00:02");
    assert_eq!(support::message_name(&answer), "Rejected", "{answer}");
    vibrate(&mut client, 8);
    assert_eq!(toy.expect_write_text("Vibrate:8;"), "Vibrate:8;");
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn the_clients_list_shows_each_clients_address() {
    let plugd = Plugd::start(&[]);
    let base = base_url(&plugd.client_url);
    let (client, _) = Client::handshake(&plugd, 4);
    let address = client
        .peer
        .local_address()
        .expect("a plain TCP client")
        .to_string();
    let status = get(&base, "/api/v1/status").json();
    let clients = status["clients"].as_array().cloned().unwrap_or_default();
    let listed = clients
        .iter()
        .find(|entry| entry["name"] == "plugd-test")
        .unwrap_or_else(|| panic!("the test client is not listed: {status}"));
    assert_eq!(listed["address"], json!(address), "{status}");
    // The dashboard's own built-in client has no address.
    assert!(
        clients
            .iter()
            .any(|entry| entry["observer"] == json!(true) && entry["address"].is_null()),
        "{status}"
    );
}

/// Waits for a v4 DeviceList event whose device `index` has `DeviceDisplayName` `name`.
fn wait_for_display_name(client: &mut Client, index: u64, name: &str) {
    for _ in 0..20 {
        let event = client.event("DeviceList");
        if event["DeviceList"]["Devices"][index.to_string()]["DeviceDisplayName"] == json!(name) {
            return;
        }
    }
    panic!("no DeviceList with DeviceDisplayName {name}");
}

#[test]
fn rename_writes_the_user_config_renames_the_live_device_and_refuses_bad_names() {
    let (folder, user, plugd, base, mut client, toy, index) =
        with_user_config("rename", "AA:00:00:00:00:21");
    let path = format!("/api/v1/devices/{index}/display-name");

    let reply = web_http::request_with_body(
        &base,
        "PUT",
        &path,
        r#"{"display_name": "  Desk Hush "}"#,
        WAIT,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    // Live: v4 clients get a new list with the name at once.
    wait_for_display_name(&mut client, index, "Desk Hush");
    // Written: the user config holds it for the device's address.
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&user).expect("user config written"))
            .expect("JSON");
    let entry = &written["user_configs"]["devices"][0];
    assert_eq!(
        entry["identifier"]["address"], "AA:00:00:00:00:21",
        "{written}"
    );
    assert_eq!(
        entry["config"]["user_config"]["display_name"], "Desk Hush",
        "{written}"
    );

    // Bad names are refused with a reason and change nothing.
    for body in [
        format!(r#"{{"display_name": "{}"}}"#, "x".repeat(65)),
        r#"{"display_name": "bell\u0007"}"#.to_string(),
        "not json".to_string(),
    ] {
        let reply = web_http::request_with_body(&base, "PUT", &path, &body, WAIT);
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert!(reply.body.contains("display name"), "{}", reply.body);
        assert_eq!(reply.json()["ErrorCode"], json!(3), "{}", reply.body);
    }
    let reply = web_http::request_with_body(
        &base,
        "PUT",
        "/api/v1/devices/99/display-name",
        r#"{"display_name": "Nobody"}"#,
        WAIT,
    );
    assert_eq!(reply.status, 404, "{}", reply.body);

    // The name stays with the address: the toy comes back under it.
    drop(toy);
    let _back = lovense(&plugd, "Z", "AA:00:00:00:00:21");
    wait_for_display_name(&mut client, index, "Desk Hush");
    let _ = std::fs::remove_dir_all(&folder);
}

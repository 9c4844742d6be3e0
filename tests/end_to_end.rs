//! End-to-end tests against the real plugd binary over real WebSockets: raw Buttplug JSON in,
//! exact JSON out; simulated devices on the device WebSocket receive the exact bytes. Covers the
//! handshake, v3 and v4 command families, every bad-input class of issue 3, and the safety
//! paths (client gone, ping expiry, shutdown) that must stop a running device.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::{lovense, message_name, Client, Plugd, SimDevice};

/// Asserts `reply` is an Error with this code and Id.
fn assert_error(reply: &Value, code: u64, id: u64) {
    let error = reply
        .get("Error")
        .unwrap_or_else(|| panic!("expected an Error, got {reply}"));
    assert_eq!(error["ErrorCode"], json!(code), "{reply}");
    assert_eq!(error["Id"], json!(id), "{reply}");
    assert!(
        error["ErrorMessage"]
            .as_str()
            .is_some_and(|text| !text.is_empty()),
        "{reply}"
    );
}

/// The next frame on a raw client, as its one message.
fn next_message(client: &mut Client, what: &str) -> Value {
    let frame = client.peer.expect_json(what);
    assert!(frame.is_array(), "frames are arrays: {frame}");
    frame[0].clone()
}

/// A v4 client and an identified Lovense device of `model`; returns the device index.
fn v4_with_lovense(plugd: &Plugd, model: &str, address: &str) -> (Client, SimDevice, u64) {
    let device = lovense(plugd, model, address);
    let (mut client, _) = Client::handshake(plugd, 4);
    let index = wait_for_device(&mut client, address);
    (client, device, index)
}

/// Polls the device list until one device is listed (devices are announced once their
/// identification finishes); returns the first index.
fn wait_for_device(client: &mut Client, what: &str) -> u64 {
    for _ in 0..100 {
        let list = client.request("RequestDeviceList", json!({}));
        if let Some(devices) = list["DeviceList"]["Devices"].as_object() {
            if let Some(device) = devices.values().next() {
                return device["DeviceIndex"].as_u64().expect("DeviceIndex");
            }
        }
        // The list is event-driven too: wait for the next DeviceList event instead of spinning.
        let event = client.peer.next_text_within(Duration::from_millis(100));
        if let Some(event) = event {
            let event: Value = serde_json::from_str(&event).expect("JSON");
            client.events.push(event[0].clone());
        }
    }
    panic!("device {what} never appeared in the device list");
}

#[test]
fn v4_handshake_answers_server_info_with_alphabetical_keys() {
    let plugd = Plugd::start(&["--server-name", "plugd test"]);
    let mut client = Client::connect(&plugd);
    client.peer.send_text(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"t","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#);
    let text = client
        .peer
        .next_text_within(Duration::from_secs(5))
        .expect("ServerInfo");
    assert_eq!(
        text,
        r#"[{"ServerInfo":{"Id":1,"MaxPingTime":0,"ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"ServerName":"plugd test"}}]"#
    );
}

#[test]
fn v3_handshake_echoes_the_client_version() {
    let plugd = Plugd::start(&[]);
    let (_, reply) = Client::handshake(&plugd, 3);
    assert_eq!(
        reply,
        json!({"ServerInfo": {"Id": 1, "MaxPingTime": 0, "MessageVersion": 3, "ServerName": "Buttplug Server"}})
    );
}

#[test]
fn second_request_server_info_is_error_init_and_the_connection_stays_usable() {
    let plugd = Plugd::start(&[]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let again = client.request(
        "RequestServerInfo",
        json!({"ClientName": "t", "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}),
    );
    assert_error(&again, 1, 2);
    let list = client.request("RequestDeviceList", json!({}));
    assert_eq!(message_name(&list), "DeviceList");
}

#[test]
fn message_before_the_handshake_is_error_init() {
    let plugd = Plugd::start(&[]);
    let mut client = Client::connect(&plugd);
    client.peer.send_text(r#"[{"RequestDeviceList":{"Id":7}}]"#);
    let reply = next_message(&mut client, "the refusal");
    assert_error(&reply, 1, 7);
}

#[test]
fn client_newer_than_plugd_is_refused_and_disconnected() {
    let plugd = Plugd::start(&[]);
    let mut client = Client::connect(&plugd);
    client.peer.send_text(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"t","ProtocolVersionMajor":5,"ProtocolVersionMinor":0}}]"#);
    let reply = next_message(&mut client, "the refusal");
    assert_error(&reply, 1, 1);
    assert!(
        client.peer.closed_within(Duration::from_secs(5)),
        "connection not closed"
    );
}

#[test]
fn bad_frames_get_error_msg_and_the_connection_keeps_working() {
    let plugd = Plugd::start(&[]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let cases: [(&str, u64); 9] = [
        ("{not json", 0),
        (r#"{"Ping":{"Id":3}}"#, 0),
        ("[]", 0),
        (r#"[{"NoSuchMessage":{"Id":5}}]"#, 5),
        (
            r#"[{"OutputCmd":{"Id":6,"DeviceIndex":0,"FeatureIndex":0}}]"#,
            6,
        ),
        (r#"[{"RequestDeviceList":{"Id":"seven"}}]"#, 0),
        (r#"[{"StopCmd":{"Id":8,"DeviceIndex":-1}}]"#, 8),
        (
            r#"[{"ScalarCmd":{"Id":9,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
            9,
        ),
        (
            r#"[{"OutputCmd":{"Id":10,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":NaN}}}}]"#,
            0,
        ),
    ];
    for (frame, id) in cases {
        client.peer.send_text(frame);
        let reply = next_message(&mut client, frame);
        assert_error(&reply, 3, id);
    }
    client.peer.send_binary(b"\x01\x02");
    let reply = next_message(&mut client, "the binary-frame refusal");
    assert_error(&reply, 3, 0);
    let list = client.request("RequestDeviceList", json!({}));
    assert_eq!(list["DeviceList"]["Devices"], json!({}), "{list}");
}

#[test]
fn several_messages_in_one_frame_run_in_order_with_an_error_for_the_bad_one() {
    let plugd = Plugd::start(&[]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    client.peer.send_text(
        r#"[{"StartScanning":{"Id":2}},{"Bogus":{"Id":3}},{"RequestDeviceList":{"Id":4}}]"#,
    );
    let first = next_message(&mut client, "reply 2");
    let second = next_message(&mut client, "reply 3");
    let third = next_message(&mut client, "reply 4");
    assert_eq!(first, json!({"Ok": {"Id": 2}}));
    assert_error(&second, 3, 3);
    assert_eq!(third["DeviceList"]["Id"], json!(4), "{third}");
}

#[test]
fn ping_while_max_ping_time_is_zero_is_error_ping() {
    let plugd = Plugd::start(&[]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let reply = client.request("Ping", json!({}));
    assert_error(&reply, 2, 2);
}

#[test]
fn v4_output_cmd_reaches_a_lovense_as_its_ascii_command() {
    let plugd = Plugd::start(&[]);
    let (mut client, mut device, index) = v4_with_lovense(&plugd, "S", "e2e-lush");
    let reply = client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 10}}}),
    );
    assert_eq!(reply, json!({"Ok": {"Id": reply["Ok"]["Id"]}}));
    assert_eq!(device.expect_write_text("Vibrate:10;"), "Vibrate:10;");
    let reply = client.request("StopCmd", json!({"DeviceIndex": index}));
    assert_eq!(message_name(&reply), "Ok");
    assert_eq!(device.expect_write_text("the stop"), "Vibrate:0;");
}

#[test]
fn v4_device_list_describes_the_lovense_edge() {
    let plugd = Plugd::start(&[]);
    let (mut client, _device, index) = v4_with_lovense(&plugd, "P", "e2e-edge");
    let list = client.request("RequestDeviceList", json!({}));
    let edge = &list["DeviceList"]["Devices"][index.to_string()];
    assert_eq!(edge["DeviceName"], json!("Lovense Edge"), "{list}");
    assert_eq!(
        edge["DeviceFeatures"]["0"]["Output"],
        json!({"Vibrate": {"Value": [0, 20]}}),
        "{list}"
    );
    assert_eq!(
        edge["DeviceFeatures"]["2"]["Input"]["Battery"]["Command"],
        json!(["Read"]),
        "{list}"
    );
}

#[test]
fn v4_battery_read_answers_from_the_device_notification() {
    let plugd = Plugd::start(&[]);
    let (mut client, mut device, index) = v4_with_lovense(&plugd, "S", "e2e-battery");
    let id = client.next_id();
    client.peer.send_json(&json!([{"InputCmd": {"Id": id, "DeviceIndex": index, "FeatureIndex": 1, "Type": "Battery", "Command": "Read"}}]));
    assert_eq!(device.expect_write_text("Battery;"), "Battery;");
    device.notify("rx", b"73;");
    let reply = client.reply_to(id);
    assert_eq!(
        reply,
        json!({"InputReading": {"DeviceIndex": index, "FeatureIndex": 1, "Id": id, "Reading": {"Battery": {"Value": 73}}}})
    );
}

#[test]
fn v3_vibrate_and_scalar_commands_reach_the_device() {
    let plugd = Plugd::start(&[]);
    let mut device = lovense(&plugd, "P", "e2e-v3-edge");
    let (mut client, _) = Client::handshake(&plugd, 3);
    let index = {
        let list = client.request("RequestDeviceList", json!({}));
        let devices = list["DeviceList"]["Devices"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if devices.is_empty() {
            client.event("DeviceAdded")["DeviceAdded"]["DeviceIndex"].clone()
        } else {
            devices[0]["DeviceIndex"].clone()
        }
    };
    let reply = client.request(
        "VibrateCmd",
        json!({"DeviceIndex": index, "Speeds": [{"Index": 1, "Speed": 0.5}]}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("Vibrate2:10;"), "Vibrate2:10;");
    let reply = client.request(
        "ScalarCmd",
        json!({"DeviceIndex": index, "Scalars": [{"Index": 0, "Scalar": 0.14, "ActuatorType": "Vibrate"}]}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("Vibrate1:3;"), "Vibrate1:3;");
    let reply = client.request("StopDeviceCmd", json!({"DeviceIndex": index}));
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("stop motor 1"), "Vibrate1:0;");
    assert_eq!(device.expect_write_text("stop motor 2"), "Vibrate2:0;");
}

#[test]
fn stop_all_and_commands_reach_the_device_in_the_order_the_client_sent_them() {
    // StopAllDevices goes to every device while a VibrateCmd goes to one; both take the same
    // way (Server → DeviceRoutes → Device), so neither can overtake the other.
    let plugd = Plugd::start(&[]);
    let mut device = lovense(&plugd, "S", "e2e-order-lush");
    let (mut client, _) = Client::handshake(&plugd, 3);
    let listed = client.request("RequestDeviceList", json!({}))["DeviceList"]["Devices"][0]
        ["DeviceIndex"]
        .clone();
    let index = if listed.is_null() {
        client.event("DeviceAdded")["DeviceAdded"]["DeviceIndex"].clone()
    } else {
        listed
    };
    let vibrate = |id: u32, speed: f64| json!({"VibrateCmd": {"Id": id, "DeviceIndex": index, "Speeds": [{"Index": 0, "Speed": speed}]}});
    // First a write at rest, so that every round starts from a written 0.
    let reply = client.request("StopAllDevices", json!({}));
    assert_eq!(message_name(&reply), "Ok");
    assert_eq!(device.expect_write_text("the first stop"), "Vibrate:0;");
    // Speeds exact in binary: 20 steps × speed is a whole step.
    for (round, (speed, step)) in [(0.25, 5), (0.5, 10), (0.75, 15), (1.0, 20)]
        .into_iter()
        .enumerate()
    {
        let ids: Vec<u32> = (0..4).map(|_| client.next_id()).collect();
        // In order: nothing to stop, then vibrate; the same vibrate again changes nothing; stop.
        // Had the vibrate overtaken the stop, the device would be at rest for the second
        // vibrate and write it again: two writes more.
        client
            .peer
            .send_json(&json!([{"StopAllDevices": {"Id": ids[0]}}, vibrate(ids[1], speed)]));
        client.peer.send_json(&json!([vibrate(ids[2], speed)]));
        client
            .peer
            .send_json(&json!([{"StopDeviceCmd": {"Id": ids[3], "DeviceIndex": index}}]));
        for id in ids {
            assert_eq!(message_name(&client.reply_to(id)), "Ok");
        }
        let writes: Vec<String> = (0..2)
            .map(|_| device.expect_write_text("the round's writes"))
            .collect();
        assert_eq!(
            writes,
            [format!("Vibrate:{step};"), "Vibrate:0;".to_string()],
            "round {round}"
        );
    }
    // Nothing else was written: the next write is this marker.
    let marker = client.next_id();
    client.peer.send_json(&json!([vibrate(marker, 0.05)]));
    assert_eq!(message_name(&client.reply_to(marker)), "Ok");
    assert_eq!(device.expect_write_text("the marker"), "Vibrate:1;");
}

#[test]
fn device_errors_name_the_problem_with_error_device() {
    let plugd = Plugd::start(&[]);
    let (mut client, _device, index) = v4_with_lovense(&plugd, "S", "e2e-errors");
    let unknown_device = client.request(
        "OutputCmd",
        json!({"DeviceIndex": 99, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 1}}}),
    );
    assert_error(
        &unknown_device,
        4,
        unknown_device["Error"]["Id"].as_u64().unwrap_or(0),
    );
    assert!(unknown_device["Error"]["ErrorMessage"]
        .as_str()
        .is_some_and(|text| text.contains("DeviceNotAvailable")));
    for (feature, value) in [(5, 1), (0, 21), (0, -1)] {
        let reply = client.request(
            "OutputCmd",
            json!({"DeviceIndex": index, "FeatureIndex": feature, "Command": {"Vibrate": {"Value": value}}}),
        );
        let id = reply["Error"]["Id"].as_u64().unwrap_or(0);
        assert_error(&reply, 4, id);
    }
    let wrong_kind = client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Rotate": {"Value": 1}}}),
    );
    let id = wrong_kind["Error"]["Id"].as_u64().unwrap_or(0);
    assert_error(&wrong_kind, 4, id);
}

#[test]
fn client_disconnect_stops_what_it_was_running() {
    let plugd = Plugd::start(&[]);
    let (mut client, mut device, index) = v4_with_lovense(&plugd, "S", "e2e-disconnect");
    client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 15}}}),
    );
    assert_eq!(device.expect_write_text("Vibrate:15;"), "Vibrate:15;");
    client.peer.close();
    assert_eq!(
        device.expect_write_text("the stop after the client left"),
        "Vibrate:0;"
    );
}

#[test]
fn dropped_client_connection_stops_the_device_too() {
    let plugd = Plugd::start(&[]);
    let (mut client, mut device, index) = v4_with_lovense(&plugd, "S", "e2e-drop");
    client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 7}}}),
    );
    assert_eq!(device.expect_write_text("Vibrate:7;"), "Vibrate:7;");
    drop(client);
    assert_eq!(
        device.expect_write_text("the stop after the socket dropped"),
        "Vibrate:0;"
    );
}

#[test]
fn missed_ping_stops_the_device_sends_error_ping_and_disconnects() {
    let plugd = Plugd::start(&["--max-ping-time", "300"]);
    let mut device = lovense(&plugd, "S", "e2e-ping");
    let (mut client, server_info) = Client::handshake(&plugd, 4);
    assert_eq!(server_info["ServerInfo"]["MaxPingTime"], json!(300));
    let index = wait_for_device(&mut client, "e2e-ping");
    client.request("Ping", json!({}));
    client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 12}}}),
    );
    assert_eq!(device.expect_write_text("Vibrate:12;"), "Vibrate:12;");
    // No more pings: the deadline passes.
    assert_eq!(
        device.expect_write_text("the stop after the missed ping"),
        "Vibrate:0;"
    );
    let error = client.event("Error");
    assert_error(&error, 2, 0);
    assert!(
        client.peer.closed_within(Duration::from_secs(5)),
        "connection not closed"
    );
}

#[test]
fn shutdown_stops_every_device_before_plugd_exits() {
    let mut plugd = Plugd::start(&[]);
    let (mut client, mut device, index) = v4_with_lovense(&plugd, "S", "e2e-shutdown");
    client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 20}}}),
    );
    assert_eq!(device.expect_write_text("Vibrate:20;"), "Vibrate:20;");
    assert!(plugd.terminate(), "plugd did not exit cleanly on SIGTERM");
    assert_eq!(
        device.expect_write_text("the stop at shutdown"),
        "Vibrate:0;"
    );
}

#[test]
fn every_client_gets_the_device_list_event() {
    let plugd = Plugd::start(&[]);
    let (mut first, _) = Client::handshake(&plugd, 4);
    let (mut second, _) = Client::handshake(&plugd, 4);
    let _device = lovense(&plugd, "S", "e2e-fanout");
    for client in [&mut first, &mut second] {
        let event = client.event("DeviceList");
        assert_eq!(event["DeviceList"]["Id"], json!(0), "{event}");
        let names: Vec<&Value> = event["DeviceList"]["Devices"]
            .as_object()
            .map(|devices| {
                devices
                    .values()
                    .map(|device| &device["DeviceName"])
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(names, vec![&json!("Lovense Lush")], "{event}");
    }
}

#[test]
fn v3_client_gets_device_added_and_device_removed() {
    let plugd = Plugd::start(&[]);
    let (mut client, _) = Client::handshake(&plugd, 3);
    let device = lovense(&plugd, "S", "e2e-added");
    let added = client.event("DeviceAdded");
    assert_eq!(
        added["DeviceAdded"]["DeviceName"],
        json!("Lovense Lush"),
        "{added}"
    );
    assert_eq!(
        added["DeviceAdded"]["DeviceMessages"]["ScalarCmd"][0]["StepCount"],
        json!(20),
        "{added}"
    );
    device.peer.close();
    let removed = client.event("DeviceRemoved");
    assert_eq!(
        removed["DeviceRemoved"]["DeviceIndex"],
        added["DeviceAdded"]["DeviceIndex"]
    );
}

#[test]
fn unknown_simulated_device_is_rejected_and_closed() {
    let plugd = Plugd::start(&[]);
    let (mut device, answer) = SimDevice::btle(&plugd, "NoSuchToy", "e2e-unknown");
    assert_eq!(message_name(&answer), "Rejected", "{answer}");
    assert!(device.peer.closed_within(Duration::from_secs(5)));
}

#[test]
fn malformed_device_frames_get_an_error_frame_and_the_device_stays() {
    let plugd = Plugd::start(&[]);
    let (mut client, mut device, index) = v4_with_lovense(&plugd, "S", "e2e-bad-device");
    for frame in [
        "not json",
        r#"{"Notification":{"endpoint":"nowhere","data":[1]}}"#,
        r#"{"ReadReply":{"id":999,"data":[1]}}"#,
    ] {
        device.peer.send_text(frame);
        let answer = device.peer.expect_json(frame);
        assert!(answer.get("Error").is_some(), "{answer}");
    }
    device.peer.send_binary(b"\x00");
    let answer = device.peer.expect_json("binary frame answer");
    assert!(answer.get("Error").is_some(), "{answer}");
    client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 4}}}),
    );
    assert_eq!(device.expect_write_text("Vibrate:4;"), "Vibrate:4;");
}

#[test]
fn demo_devices_appear_for_a_client() {
    let plugd = Plugd::start(&["--demo"]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let mut names: Vec<String> = Vec::new();
    for _ in 0..50 {
        let list = client.request("RequestDeviceList", json!({}));
        names = list["DeviceList"]["Devices"]
            .as_object()
            .map(|devices| {
                devices
                    .values()
                    .filter_map(|device| device["DeviceName"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if names.len() >= 5 {
            break;
        }
        let _ = client.event("DeviceList");
    }
    names.sort();
    assert_eq!(
        names,
        vec![
            "Lovense Edge",
            "Lovense Nora",
            "Simulated 2-Motor Vibrator",
            "Simulated Rotator",
            "Simulated Stroker"
        ]
    );
}

#[test]
fn upstream_greeting_is_a_raw_byte_pipe() {
    let config =
        std::env::temp_dir().join(format!("plugd-e2e-user-config-{}.json", std::process::id()));
    std::fs::write(
        &config,
        r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}}}}"#,
    )
    .expect("write user config");
    let plugd = Plugd::start(&[
        "--user-device-config-file",
        config.to_str().expect("utf-8 path"),
    ]);
    let mut device = support::Peer::connect(&plugd.device_url);
    device.send_text(r#"{"identifier":"LVSDevice","address":"raw-pipe-1","version":0}"#);
    assert_eq!(
        device.next_binary_within(Duration::from_secs(5)),
        Some(b"DeviceType;".to_vec())
    );
    device.send_binary(b"S:37:RAW;");
    let (mut client, _) = Client::handshake(&plugd, 4);
    let index = wait_for_device(&mut client, "raw-pipe-1");
    client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 10}}}),
    );
    assert_eq!(
        device.next_binary_within(Duration::from_secs(5)),
        Some(b"Vibrate:10;".to_vec())
    );
    let _ = std::fs::remove_file(config);
}

#[test]
fn published_device_databases_load_through_the_command_line() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    for (file, expected) in [
        (
            "buttplug-device-config-v4.json",
            "139 protocols, 733 configurations",
        ),
        (
            "buttplug-device-config-v5.json",
            "149 protocols, 806 configurations",
        ),
    ] {
        let path = shared.join("device-config").join(file);
        let plugd = Plugd::start(&["--device-config-file", path.to_str().expect("utf-8 path")]);
        // The client port answers only once loading is done; the log says what was loaded.
        let (_client, _) = Client::handshake(&plugd, 4);
        let logs = plugd.logs();
        let loaded = logs
            .iter()
            .find(|line| line.contains(expected))
            .unwrap_or_else(|| panic!("no load line for {file}:\n{}", logs.join("\n")));
        println!("{file}: {loaded}");
    }
}

#[test]
fn user_config_simulated_devices_appear_with_their_display_name() {
    let config =
        std::env::temp_dir().join(format!("plugd-e2e-simulated-{}.json", std::process::id()));
    std::fs::write(
        &config,
        r#"{"version":{"major":5,"minor":0},"user_configs":{"simulated_devices":[{"identifier":"simulated-1vibe","display_name":"Desk Buzzer","address":"sim-desk"}]}}"#,
    )
    .expect("write user config");
    let plugd = Plugd::start(&[
        "--user-device-config-file",
        config.to_str().expect("utf-8 path"),
    ]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let index = wait_for_device(&mut client, "sim-desk");
    let list = client.request("RequestDeviceList", json!({}));
    let device = &list["DeviceList"]["Devices"][index.to_string()];
    assert_eq!(
        device["DeviceName"],
        json!("Simulated 1-Motor Vibrator"),
        "{list}"
    );
    assert_eq!(device["DeviceDisplayName"], json!("Desk Buzzer"), "{list}");
    let _ = std::fs::remove_file(config);
}

#[test]
fn a_client_over_max_clients_is_refused_and_the_others_keep_working() {
    let plugd = Plugd::start(&["--max-clients", "2"]);
    let (mut first, _) = Client::handshake(&plugd, 4);
    let (_second, _) = Client::handshake(&plugd, 3);
    let mut third = Client::connect(&plugd);
    let refusal = next_message(&mut third, "the refusal");
    assert_error(&refusal, 3, 0);
    assert!(
        third.peer.closed_within(Duration::from_secs(5)),
        "third client not closed"
    );
    let list = first.request("RequestDeviceList", json!({}));
    assert_eq!(message_name(&list), "DeviceList");
    // A place frees up when a client leaves.
    drop(first);
    let mut fourth = None;
    for _ in 0..50 {
        let mut candidate = Client::connect(&plugd);
        candidate.peer.send_text(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"t","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#);
        let answer = next_message(&mut candidate, "ServerInfo or refusal");
        if message_name(&answer) == "ServerInfo" {
            fourth = Some(candidate);
            break;
        }
        assert!(candidate.peer.closed_within(Duration::from_secs(5)));
    }
    assert!(fourth.is_some(), "no place freed after a client left");
}

#[test]
fn a_departing_client_stops_only_the_outputs_it_set_last() {
    let plugd = Plugd::start(&[]);
    let (mut alice, mut device, index) = v4_with_lovense(&plugd, "P", "e2e-two-clients");
    let (mut bob, _) = Client::handshake(&plugd, 4);
    alice.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 5}}}),
    );
    assert_eq!(device.expect_write_text("alice's motor"), "Vibrate1:5;");
    bob.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 1, "Command": {"Vibrate": {"Value": 9}}}),
    );
    assert_eq!(device.expect_write_text("bob's motor"), "Vibrate2:9;");
    alice.peer.close();
    assert_eq!(
        device.expect_write_text("alice's motor stopped"),
        "Vibrate1:0;"
    );
    // Bob's motor was not touched: the next write is Bob's own next command.
    bob.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 1, "Command": {"Vibrate": {"Value": 3}}}),
    );
    assert_eq!(
        device.expect_write_text("bob's next command"),
        "Vibrate2:3;"
    );
}

#[test]
fn with_several_worker_threads_commands_stops_and_a_leaving_client_behave_the_same() {
    // `--worker-threads 3`: sockets on three threads, routing and devices on the main thread.
    let plugd = Plugd::start(&["--worker-threads", "3"]);
    let (mut client, mut device, index) = v4_with_lovense(&plugd, "P", "e2e-workers-edge");
    let reply = client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 10}}}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("vibrate"), "Vibrate1:10;");
    let reply = client.request("StopCmd", json!({"DeviceIndex": index}));
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("stop motor 1"), "Vibrate1:0;");
    assert_eq!(device.expect_write_text("stop motor 2"), "Vibrate2:0;");
    let reply = client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 1, "Command": {"Vibrate": {"Value": 7}}}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("vibrate 2"), "Vibrate2:7;");
    // The client goes: what it set is stopped.
    client.peer.close();
    assert_eq!(
        device.expect_write_text("the stop after the client left"),
        "Vibrate2:0;"
    );
}

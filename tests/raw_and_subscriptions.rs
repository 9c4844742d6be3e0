//! Input subscriptions (v4 `InputCmd` Subscribe/Unsubscribe) and raw messages (v2/v3
//! `Raw*Cmd`, `--allow-raw`) against the real plugd binary, with simulated devices on the
//! device WebSocket: a kGoal Boost (two pressure inputs on one `rxpressure` characteristic) and
//! a Lovense (whose init subscribes `rx` on its own).

mod support;

use serde_json::{json, Value};
use support::{lovense, message_name, Client, Plugd, SimDevice};

/// A pressure notification: `00 01 04`, normalized then raw pressure, big-endian.
fn pressure(normalized: u16, raw: u16) -> Vec<u8> {
    let [normalized_high, normalized_low] = normalized.to_be_bytes();
    let [raw_high, raw_low] = raw.to_be_bytes();
    vec![
        0x00,
        0x01,
        0x04,
        normalized_high,
        normalized_low,
        raw_high,
        raw_low,
    ]
}

/// Connects a simulated kGoal Boost and checks plugd took it.
fn kgoal(plugd: &Plugd, address: &str) -> SimDevice {
    let (device, answer) = SimDevice::btle(plugd, "Boost", address);
    assert_eq!(
        answer["Accepted"]["protocol"],
        json!("kgoal-boost"),
        "{answer}"
    );
    device
}

/// Waits for the v4 DeviceList event listing one device; returns that device.
fn v4_announced(client: &mut Client) -> Value {
    loop {
        let event = client.event("DeviceList");
        if let Some(device) = event["DeviceList"]["Devices"]
            .as_object()
            .and_then(|devices| devices.values().next())
        {
            return device.clone();
        }
    }
}

/// Waits for a v0–v3 DeviceAdded event; returns its body.
fn added(client: &mut Client) -> Value {
    client.event("DeviceAdded")["DeviceAdded"].clone()
}

/// Sends one message without waiting for its reply; returns its Id.
fn send(client: &mut Client, name: &str, mut fields: Value) -> u32 {
    let id = client.next_id();
    fields["Id"] = json!(id);
    client.peer.send_json(&json!([{ name: fields }]));
    id
}

/// Asserts `reply` is an Error with this code whose message contains `text`.
fn assert_error(reply: &Value, code: u64, text: &str) {
    let error = reply
        .get("Error")
        .unwrap_or_else(|| panic!("expected an Error, got {reply}"));
    assert_eq!(error["ErrorCode"], json!(code), "{reply}");
    assert!(
        error["ErrorMessage"]
            .as_str()
            .is_some_and(|message| message.contains(text)),
        "expected {text:?} in {reply}"
    );
}

/// A request/reply round trip that proves everything sent to `client` before it was read:
/// asserts none of it was a reading.
fn assert_no_reading_arrived(client: &mut Client) {
    let reply = client.request("RequestDeviceList", json!({}));
    assert_eq!(message_name(&reply), "DeviceList", "{reply}");
    for event in &client.events {
        let name = message_name(event);
        assert!(
            name != "InputReading" && name != "RawReading",
            "this client subscribed to nothing, yet got {event}"
        );
    }
}

#[test]
fn pressure_readings_go_only_to_the_subscribing_client_and_its_departure_unsubscribes() {
    let plugd = Plugd::start(&[]);
    let (mut subscriber, _) = Client::handshake(&plugd, 4);
    let (mut other, _) = Client::handshake(&plugd, 4);
    let mut device = kgoal(&plugd, "kgoal-e2e-1");
    let described = v4_announced(&mut subscriber);
    v4_announced(&mut other);
    let index = described["DeviceIndex"].clone();
    assert_eq!(
        described["DeviceFeatures"]["0"]["Input"],
        json!({"Pressure": {"Command": ["Subscribe"], "Value": [[0, 2000]]}})
    );

    let reply = subscriber.request(
        "InputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Type": "Pressure", "Command": "Subscribe"}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(
        device.expect_command("Subscribe rxpressure"),
        json!({"Subscribe": {"endpoint": "rxpressure"}})
    );

    device.notify("rxpressure", &pressure(300, 1491));
    assert_eq!(
        subscriber.event("InputReading"),
        json!({"InputReading": {"DeviceIndex": index, "FeatureIndex": 0, "Id": 0, "Reading": {"Pressure": {"Value": 300}}}})
    );
    assert_no_reading_arrived(&mut other);

    subscriber.peer.close();
    assert_eq!(
        device.expect_command("Unsubscribe rxpressure after the subscriber left"),
        json!({"Unsubscribe": {"endpoint": "rxpressure"}})
    );
}

#[test]
fn both_pressures_share_one_subscription_until_stop_cmd_drops_the_last() {
    let plugd = Plugd::start(&[]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let mut device = kgoal(&plugd, "kgoal-e2e-2");
    let index = v4_announced(&mut client)["DeviceIndex"].clone();
    for feature in [0, 1] {
        let reply = client.request(
            "InputCmd",
            json!({"DeviceIndex": index, "FeatureIndex": feature, "Type": "Pressure", "Command": "Subscribe"}),
        );
        assert_eq!(message_name(&reply), "Ok", "{reply}");
    }
    assert_eq!(
        device.expect_command("one Subscribe for both features"),
        json!({"Subscribe": {"endpoint": "rxpressure"}})
    );
    device.notify("rxpressure", &pressure(12, 1500));
    let mut readings = [
        client.event("InputReading")["InputReading"].clone(),
        client.event("InputReading")["InputReading"].clone(),
    ];
    readings.sort_by_key(|reading| reading["FeatureIndex"].as_u64());
    assert_eq!(readings[0]["Reading"], json!({"Pressure": {"Value": 12}}));
    assert_eq!(readings[1]["Reading"], json!({"Pressure": {"Value": 1500}}));

    let reply = client.request(
        "InputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Type": "Pressure", "Command": "Unsubscribe"}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    let reply = client.request(
        "StopCmd",
        json!({"DeviceIndex": index, "Outputs": false, "Inputs": true}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(
        device.expect_command("Unsubscribe once the last input is dropped"),
        json!({"Unsubscribe": {"endpoint": "rxpressure"}})
    );
}

#[test]
fn subscriptions_are_refused_where_the_feature_does_not_offer_them() {
    let plugd = Plugd::start(&[]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let mut device = kgoal(&plugd, "kgoal-e2e-3");
    let index = v4_announced(&mut client)["DeviceIndex"].clone();
    let reply = client.request(
        "InputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 2, "Type": "Battery", "Command": "Subscribe"}),
    );
    assert_error(&reply, 4, r#"{"MessageNotSupported":"InputCmd"}"#);
    // The battery is read from the standard characteristic.
    device.reads.push_back(vec![77]);
    let id = send(
        &mut client,
        "InputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 2, "Type": "Battery", "Command": "Read"}),
    );
    let read = device.peer.expect_json("the battery Read");
    assert_eq!(read["Read"]["endpoint"], json!("rxblebattery"), "{read}");
    device
        .peer
        .send_json(&json!({"ReadReply": {"id": read["Read"]["id"], "data": [77]}}));
    assert_eq!(
        client.reply_to(id),
        json!({"InputReading": {"DeviceIndex": index, "FeatureIndex": 2, "Id": id, "Reading": {"Battery": {"Value": 77}}}})
    );

    // v3 sensor subscriptions keep the reference's answer.
    let (mut legacy, _) = Client::handshake(&plugd, 3);
    let reply = legacy.request(
        "SensorSubscribeCmd",
        json!({"DeviceIndex": index, "SensorIndex": 0, "SensorType": "Pressure"}),
    );
    assert_error(&reply, 4, "MessageNotSupported");
}

#[test]
fn without_allow_raw_raw_messages_are_error_msg_naming_the_flag() {
    let plugd = Plugd::start(&[]);
    let (mut client, _) = Client::handshake(&plugd, 3);
    let mut device = lovense(&plugd, "P", "raw-off-1");
    let description = added(&mut client);
    let index = description["DeviceIndex"].clone();
    let messages = description["DeviceMessages"]
        .as_object()
        .expect("DeviceMessages");
    assert!(
        messages.keys().all(|name| !name.starts_with("Raw")),
        "{description}"
    );
    for (name, fields) in [
        (
            "RawWriteCmd",
            json!({"DeviceIndex": index, "Endpoint": "tx", "Data": [1, 2], "WriteWithResponse": false}),
        ),
        (
            "RawReadCmd",
            json!({"DeviceIndex": index, "Endpoint": "rx", "ExpectedLength": 0, "Timeout": 100}),
        ),
        (
            "RawSubscribeCmd",
            json!({"DeviceIndex": index, "Endpoint": "rx"}),
        ),
        (
            "RawUnsubscribeCmd",
            json!({"DeviceIndex": 99, "Endpoint": "rx"}),
        ),
    ] {
        let reply = client.request(name, fields);
        assert_error(&reply, 3, &format!("{name} is disabled"));
        assert_error(&reply, 3, "--allow-raw");
    }
    // Nothing reached the device: the next thing it sees is this vibration.
    let reply = client.request(
        "ScalarCmd",
        json!({"DeviceIndex": index, "Scalars": [{"Index": 0, "Scalar": 0.5, "ActuatorType": "Vibrate"}]}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("Vibrate1:10;"), "Vibrate1:10;");
}

#[test]
fn with_allow_raw_v2_and_v3_clients_write_read_and_subscribe_endpoints() {
    let plugd = Plugd::start(&["--allow-raw"]);
    let (mut v3, _) = Client::handshake(&plugd, 3);
    let (mut v2, _) = Client::handshake(&plugd, 2);
    let mut device = lovense(&plugd, "P", "raw-on-1");

    let description = added(&mut v3);
    let index = description["DeviceIndex"].clone();
    let endpoints = json!({"Endpoints": ["rx", "tx"]});
    assert_eq!(
        description["DeviceName"],
        json!("Lovense Edge (Raw Messages Allowed)")
    );
    let messages = &description["DeviceMessages"];
    assert_eq!(messages["RawReadCmd"], endpoints, "{description}");
    assert_eq!(messages["RawSubscribeCmd"], endpoints, "{description}");
    assert_eq!(messages["RawWriteCmd"], endpoints, "{description}");
    assert!(messages.get("RawUnsubscribeCmd").is_none(), "{description}");
    let v2_messages = added(&mut v2)["DeviceMessages"].clone();
    for name in [
        "RawReadCmd",
        "RawSubscribeCmd",
        "RawUnsubscribeCmd",
        "RawWriteCmd",
    ] {
        assert_eq!(v2_messages[name], endpoints, "{name} in {v2_messages}");
    }

    // RawWriteCmd: the bytes as sent, write-with-response kept.
    let reply = v3.request(
        "RawWriteCmd",
        json!({"DeviceIndex": index, "Endpoint": "tx", "Data": [0, 255, 86], "WriteWithResponse": true}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(
        device.expect_command("the raw write"),
        json!({"Write": {"endpoint": "tx", "data": [0, 255, 86], "write_with_response": true}})
    );

    // RawReadCmd in both field spellings: the device's answer comes back as RawReading.
    for (client, fields) in [
        (
            &mut v3,
            json!({"DeviceIndex": index, "Endpoint": "rx", "ExpectedLength": 3, "Timeout": 1000}),
        ),
        (
            &mut v2,
            json!({"DeviceIndex": index, "Endpoint": "rx", "Length": 3, "WaitForData": true}),
        ),
    ] {
        let id = send(client, "RawReadCmd", fields);
        let read = device.peer.expect_json("the raw Read");
        assert_eq!(read["Read"]["endpoint"], json!("rx"), "{read}");
        assert_eq!(read["Read"]["length"], json!(3), "{read}");
        device
            .peer
            .send_json(&json!({"ReadReply": {"id": read["Read"]["id"], "data": [1, 2, 3]}}));
        assert_eq!(
            client.reply_to(id),
            json!({"RawReading": {"Data": [1, 2, 3], "DeviceIndex": index, "Endpoint": "rx", "Id": id}})
        );
    }

    // RawSubscribeCmd: notifications reach the subscriber only, as RawReading with Id 0. The
    // Lovense init already subscribed rx, so the device sees no second Subscribe.
    let reply = v3.request(
        "RawSubscribeCmd",
        json!({"DeviceIndex": index, "Endpoint": "rx"}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    device.notify("rx", b"OK;");
    assert_eq!(
        v3.event("RawReading"),
        json!({"RawReading": {"Data": [79, 75, 59], "DeviceIndex": index, "Endpoint": "rx", "Id": 0}})
    );
    assert_no_reading_arrived(&mut v2);

    // RawUnsubscribeCmd: no more readings, and rx stays on for the protocol's own use.
    let reply = v3.request(
        "RawUnsubscribeCmd",
        json!({"DeviceIndex": index, "Endpoint": "rx"}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    let reply = v3.request(
        "RawWriteCmd",
        json!({"DeviceIndex": index, "Endpoint": "tx", "Data": [59], "WriteWithResponse": false}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(
        device.expect_command("the next raw write, with no Unsubscribe before it"),
        json!({"Write": {"endpoint": "tx", "data": [59], "write_with_response": false}})
    );

    // An endpoint the device does not have; a device that does not exist.
    let reply = v3.request(
        "RawWriteCmd",
        json!({"DeviceIndex": index, "Endpoint": "txvibrate", "Data": [1], "WriteWithResponse": false}),
    );
    assert_error(&reply, 4, r#"{"InvalidEndpoint":"txvibrate"}"#);
    let reply = v3.request(
        "RawSubscribeCmd",
        json!({"DeviceIndex": 42, "Endpoint": "rx"}),
    );
    assert_error(&reply, 4, r#"{"DeviceNotAvailable":42}"#);
}

#[test]
fn with_allow_raw_a_raw_subscription_turns_the_endpoint_on_and_off() {
    let plugd = Plugd::start(&["--allow-raw"]);
    let (mut client, _) = Client::handshake(&plugd, 3);
    let mut device = kgoal(&plugd, "kgoal-raw-1");
    let index = added(&mut client)["DeviceIndex"].clone();
    let reply = client.request(
        "RawSubscribeCmd",
        json!({"DeviceIndex": index, "Endpoint": "rxpressure"}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(
        device.expect_command("Subscribe rxpressure"),
        json!({"Subscribe": {"endpoint": "rxpressure"}})
    );
    device.notify("rxpressure", &pressure(1, 2));
    assert_eq!(
        client.event("RawReading"),
        json!({"RawReading": {"Data": [0, 1, 4, 0, 1, 0, 2], "DeviceIndex": index, "Endpoint": "rxpressure", "Id": 0}})
    );
    let reply = client.request(
        "RawUnsubscribeCmd",
        json!({"DeviceIndex": index, "Endpoint": "rxpressure"}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(
        device.expect_command("Unsubscribe rxpressure"),
        json!({"Unsubscribe": {"endpoint": "rxpressure"}})
    );
}

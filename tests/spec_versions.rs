//! Spec v0, v1 and v2 end to end with raw JSON clients (no maintained client library speaks
//! them): handshake, device descriptions, each command family, stop and errors, against the
//! real binary and simulated Lovense toys. Plus clients of several versions on one device.

mod support;

use serde_json::{json, Value};
use support::{lovense, message_name, Client, Plugd, SimDevice};

fn assert_error(reply: &Value, code: u64) {
    let error = reply
        .get("Error")
        .unwrap_or_else(|| panic!("expected an Error, got {reply}"));
    assert_eq!(error["ErrorCode"], json!(code), "{reply}");
}

/// The one device in a v0–v3 device list, waiting for DeviceAdded if the list is still empty.
fn only_device(client: &mut Client) -> Value {
    let list = client.request("RequestDeviceList", json!({}));
    let devices = list["DeviceList"]["Devices"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("v0–v3 device lists are arrays: {list}"));
    match devices.first() {
        Some(device) => device.clone(),
        None => client.event("DeviceAdded")["DeviceAdded"].clone(),
    }
}

fn connected(
    plugd: &Plugd,
    model: &str,
    address: &str,
    version: u32,
) -> (Client, SimDevice, Value) {
    let device = lovense(plugd, model, address);
    let (mut client, _) = Client::handshake(plugd, version);
    let description = only_device(&mut client);
    (client, device, description)
}

#[test]
fn v0_and_v1_server_info_carries_the_old_version_fields() {
    let plugd = Plugd::start(&[]);
    for version in [0, 1] {
        let (_, reply) = Client::handshake(&plugd, version);
        assert_eq!(
            reply,
            json!({"ServerInfo": {"BuildVersion": 0, "Id": 1, "MajorVersion": 0, "MaxPingTime": 0,
                   "MessageVersion": version, "MinorVersion": 0, "ServerName": "Buttplug Server"}})
        );
    }
    let (_, reply) = Client::handshake(&plugd, 2);
    assert_eq!(
        reply,
        json!({"ServerInfo": {"Id": 1, "MaxPingTime": 0, "MessageVersion": 2, "ServerName": "Buttplug Server"}})
    );
}

#[test]
fn v0_single_motor_vibrate_drives_every_vibrator_and_stops() {
    let plugd = Plugd::start(&[]);
    let (mut client, mut device, edge) = connected(&plugd, "P", "v0-edge", 0);
    assert_eq!(edge["DeviceName"], json!("Lovense Edge"));
    assert_eq!(
        edge["DeviceMessages"],
        json!(["SingleMotorVibrateCmd", "StopDeviceCmd"])
    );
    let index = edge["DeviceIndex"].clone();
    let reply = client.request(
        "SingleMotorVibrateCmd",
        json!({"DeviceIndex": index, "Speed": 0.5}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("motor 1"), "Vibrate1:10;");
    assert_eq!(device.expect_write_text("motor 2"), "Vibrate2:10;");
    let reply = client.request("StopDeviceCmd", json!({"DeviceIndex": index}));
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("stop 1"), "Vibrate1:0;");
    assert_eq!(device.expect_write_text("stop 2"), "Vibrate2:0;");
}

#[test]
fn v0_rejects_messages_of_later_versions_and_bad_speeds() {
    let plugd = Plugd::start(&[]);
    let (mut client, _device, edge) = connected(&plugd, "P", "v0-errors", 0);
    let index = edge["DeviceIndex"].clone();
    let vibrate = client.request(
        "VibrateCmd",
        json!({"DeviceIndex": index, "Speeds": [{"Index": 0, "Speed": 0.5}]}),
    );
    assert_error(&vibrate, 3);
    let too_fast = client.request(
        "SingleMotorVibrateCmd",
        json!({"DeviceIndex": index, "Speed": 1.5}),
    );
    assert_error(&too_fast, 3);
    let nobody = client.request(
        "SingleMotorVibrateCmd",
        json!({"DeviceIndex": 42, "Speed": 0.5}),
    );
    assert_error(&nobody, 4);
}

#[test]
fn v1_describes_and_drives_vibrate_and_rotate_with_direction() {
    let plugd = Plugd::start(&[]);
    let (mut client, mut device, nora) = connected(&plugd, "A", "v1-nora", 1);
    assert_eq!(
        nora["DeviceMessages"],
        json!({"RotateCmd": {"FeatureCount": 1}, "SingleMotorVibrateCmd": {}, "StopDeviceCmd": {},
               "VibrateCmd": {"FeatureCount": 1}})
    );
    let index = nora["DeviceIndex"].clone();
    client.request(
        "VibrateCmd",
        json!({"DeviceIndex": index, "Speeds": [{"Index": 0, "Speed": 0.25}]}),
    );
    assert_eq!(device.expect_write_text("vibrate"), "Vibrate:5;");
    client.request(
        "RotateCmd",
        json!({"DeviceIndex": index, "Rotations": [{"Index": 0, "Speed": 0.5, "Clockwise": false}]}),
    );
    assert_eq!(
        device.expect_write_text("direction change"),
        "RotateChange;"
    );
    assert_eq!(device.expect_write_text("rotate"), "Rotate:10;");
    // VorzeA10CycloneCmd becomes a rotation on every rotator: 50/99 of 20 steps, rounded up.
    let reply = client.request(
        "VorzeA10CycloneCmd",
        json!({"DeviceIndex": index, "Speed": 50, "Clockwise": true}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("vorze rotate"), "Rotate:11;");
    let scalar = client.request(
        "ScalarCmd",
        json!({"DeviceIndex": index, "Scalars": [{"Index": 0, "Scalar": 0.5, "ActuatorType": "Vibrate"}]}),
    );
    assert_error(&scalar, 3);
    let kiiroo = client.request("KiirooCmd", json!({"DeviceIndex": index, "Command": "4"}));
    assert_error(&kiiroo, 3);
}

#[test]
fn v1_linear_and_fleshlight_launch_reach_a_stroker() {
    let plugd = Plugd::start(&[]);
    let (mut client, mut device, solace) = connected(&plugd, "BA", "v1-solace", 1);
    assert_eq!(solace["DeviceName"], json!("Lovense Solace Pro"));
    assert_eq!(
        solace["DeviceMessages"]["LinearCmd"],
        json!({"FeatureCount": 1})
    );
    let index = solace["DeviceIndex"].clone();
    let reply = client.request(
        "LinearCmd",
        json!({"DeviceIndex": index, "Vectors": [{"Index": 0, "Duration": 500, "Position": 0.57}]}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    // LinearCmd positions are truncated: 0.57 × 100 = 56.99… → 56.
    assert_eq!(device.expect_write_text("linear"), "FSetSite:56;");
    let reply = client.request(
        "FleshlightLaunchFW12Cmd",
        json!({"DeviceIndex": index, "Position": 20, "Speed": 99}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("launch"), "FSetSite:20;");
}

#[test]
fn v2_describes_step_counts_and_reads_the_battery() {
    let plugd = Plugd::start(&[]);
    let (mut client, mut device, nora) = connected(&plugd, "A", "v2-nora", 2);
    assert_eq!(
        nora["DeviceMessages"],
        json!({"BatteryLevelCmd": {}, "RotateCmd": {"FeatureCount": 1, "StepCount": [20]},
               "StopDeviceCmd": {}, "VibrateCmd": {"FeatureCount": 1, "StepCount": [20]}})
    );
    let index = nora["DeviceIndex"].clone();
    let id = client.next_id();
    client
        .peer
        .send_json(&json!([{"BatteryLevelCmd": {"Id": id, "DeviceIndex": index}}]));
    assert_eq!(device.expect_write_text("battery query"), "Battery;");
    device.notify("rx", b"85;");
    let reply = client.reply_to(id);
    assert_eq!(
        reply,
        json!({"BatteryLevelReading": {"BatteryLevel": 0.85, "DeviceIndex": index, "Id": id}})
    );
    let too_fast = client.request(
        "VibrateCmd",
        json!({"DeviceIndex": index, "Speeds": [{"Index": 0, "Speed": 1.5}]}),
    );
    assert_error(&too_fast, 3);
    let single = client.request(
        "SingleMotorVibrateCmd",
        json!({"DeviceIndex": index, "Speed": 0.5}),
    );
    assert_error(&single, 3);
    let missing_motor = client.request(
        "VibrateCmd",
        json!({"DeviceIndex": index, "Speeds": [{"Index": 1, "Speed": 0.5}]}),
    );
    assert_error(&missing_motor, 4);
    client.request(
        "VibrateCmd",
        json!({"DeviceIndex": index, "Speeds": [{"Index": 0, "Speed": 1.0}]}),
    );
    assert_eq!(device.expect_write_text("vibrate"), "Vibrate:20;");
    let reply = client.request("StopAllDevices", json!({}));
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("stop vibrate"), "Vibrate:0;");
}

#[test]
fn v4_client_cannot_send_legacy_messages() {
    let plugd = Plugd::start(&[]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    for (name, fields) in [
        (
            "SingleMotorVibrateCmd",
            json!({"DeviceIndex": 0, "Speed": 0.5}),
        ),
        (
            "VibrateCmd",
            json!({"DeviceIndex": 0, "Speeds": [{"Index": 0, "Speed": 0.5}]}),
        ),
        ("StopDeviceCmd", json!({"DeviceIndex": 0})),
    ] {
        let reply = client.request(name, fields);
        assert_error(&reply, 3);
    }
}

#[test]
fn clients_of_v0_v2_and_v4_share_one_device() {
    let plugd = Plugd::start(&[]);
    let mut device = lovense(&plugd, "S", "mixed-lush");
    let (mut v0, _) = Client::handshake(&plugd, 0);
    let (mut v2, _) = Client::handshake(&plugd, 2);
    let (mut v4, _) = Client::handshake(&plugd, 4);
    let index = only_device(&mut v0)["DeviceIndex"].clone();
    assert_eq!(only_device(&mut v2)["DeviceIndex"], index);
    v0.request(
        "SingleMotorVibrateCmd",
        json!({"DeviceIndex": index, "Speed": 0.1}),
    );
    assert_eq!(device.expect_write_text("v0 vibrate"), "Vibrate:2;");
    v2.request(
        "VibrateCmd",
        json!({"DeviceIndex": index, "Speeds": [{"Index": 0, "Speed": 0.2}]}),
    );
    assert_eq!(device.expect_write_text("v2 vibrate"), "Vibrate:4;");
    v4.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 6}}}),
    );
    assert_eq!(device.expect_write_text("v4 vibrate"), "Vibrate:6;");
    // The last writer (v4) leaving stops its output; the others' clients stay connected.
    v4.peer.close();
    assert_eq!(device.expect_write_text("stop after v4 left"), "Vibrate:0;");
    let reply = v2.request("RequestDeviceList", json!({}));
    assert_eq!(message_name(&reply), "DeviceList");
}

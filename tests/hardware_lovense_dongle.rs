//! The Lovense serial dongle end to end over a pseudo-terminal pair: plugd runs with
//! `--use-lovense-dongle-serial --lovense-dongle-port <pty>`, the test plays the dongle (its
//! JSON lines) and the toy behind it. A client's scan finds the toy, its command arrives as a
//! dongle `command` message, the toy dropping removes the device, and the dongle's own search
//! brings it back with its old index.

mod support;

use serde_json::{json, Value};
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use support::{message_name, Client, Plugd};

const TOY: &str = "DC0D300516D5";

/// The dongle's side of the line.
struct Dongle {
    line: TTYPort,
    pending: String,
}

impl Dongle {
    /// Waits (bounded) for a line containing `expected`, skipping others; returns it.
    fn expect(&mut self, expected: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen = Vec::new();
        let mut buffer = [0_u8; 512];
        while Instant::now() < deadline {
            while let Some(end) = self.pending.find('\n') {
                let line: String = self.pending.drain(..=end).collect();
                let line = line.trim().to_string();
                if line.contains(expected) {
                    return line;
                }
                seen.push(line);
            }
            if let Ok(count) = self.line.read(&mut buffer) {
                self.pending
                    .push_str(&String::from_utf8_lossy(&buffer[..count]));
            }
        }
        panic!("the dongle never got {expected:?}; it got {seen:?}");
    }

    fn send(&mut self, message: Value) {
        self.line
            .write_all(format!("{message}\n").as_bytes())
            .expect("write to plugd");
    }

    /// Answers a search with the toy, then confirms the stop plugd asks for.
    fn find_toy(&mut self) {
        self.expect(r#"{"type":"toy","func":"search"}"#);
        self.send(json!({"type": "toy", "func": "search", "result": 205}));
        self.send(json!({"type": "toy", "func": "toyData", "data": {"id": TOY}}));
        self.expect(r#"{"type":"usb","func":"stopSearch"}"#);
        self.send(json!({"type": "usb", "func": "stopSearch", "result": 200}));
        self.send(json!({"type": "toy", "func": "search", "result": 206}));
    }

    /// Answers the Lovense identification the toy gets through the dongle.
    fn identify(&mut self) {
        let line = self.expect(r#""cmd":"DeviceType;""#);
        assert!(line.contains(&format!(r#""id":"{TOY}""#)), "{line}");
        self.send(json!({"type": "toy", "func": "toyData", "data": {"id": TOY, "data": format!("S:37:{TOY};")}}));
    }
}

fn single_device(event: &Value) -> Option<Value> {
    let devices = event["DeviceList"]["Devices"].as_object()?;
    devices.values().next().cloned()
}

#[test]
fn a_toy_behind_the_serial_dongle_is_found_driven_dropped_and_found_again_with_its_index() {
    let (mut line, far_end) = TTYPort::pair().expect("a pseudo-terminal pair");
    let port = far_end.name().expect("pty name");
    drop(far_end);
    line.set_timeout(Duration::from_millis(100))
        .expect("timeout");
    let plugd = Plugd::start(&[
        "--use-lovense-dongle-serial",
        "--lovense-dongle-port",
        &port,
    ]);
    let mut dongle = Dongle {
        line,
        pending: String::new(),
    };
    dongle.expect(r#"{"type":"toy","func":"statuss"}"#);
    let (mut client, _) = Client::handshake(&plugd, 4);

    let reply = client.request("StartScanning", json!({}));
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    dongle.find_toy();
    dongle.identify();
    let device = loop {
        if let Some(device) = single_device(&client.event("DeviceList")) {
            break device;
        }
    };
    assert_eq!(device["DeviceName"], json!("Lovense Lush"));
    let index = device["DeviceIndex"].clone();

    let reply = client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 10}}}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    let command = dongle.expect(r#""cmd":"Vibrate:10;""#);
    assert_eq!(
        command,
        format!(r#"{{"type":"toy","func":"command","id":"{TOY}","cmd":"Vibrate:10;"}}"#)
    );

    // The toy drops: the device is removed at once.
    dongle.send(
        json!({"type": "toy", "func": "status", "result": 200, "data": {"id": TOY, "status": 403}}),
    );
    loop {
        if single_device(&client.event("DeviceList")).is_none() {
            break;
        }
    }
    // The dongle searches again by itself; the toy comes back with its old index.
    dongle.find_toy();
    dongle.identify();
    let again = loop {
        if let Some(device) = single_device(&client.event("DeviceList")) {
            break device;
        }
    };
    assert_eq!(again["DeviceIndex"], index);
    assert!(plugd.logs().iter().all(|line| !line.contains("panicked")));
}

#[test]
fn a_toy_already_connected_over_bluetooth_is_not_claimed_again_by_the_dongle() {
    let (mut line, far_end) = TTYPort::pair().expect("a pseudo-terminal pair");
    let port = far_end.name().expect("pty name");
    drop(far_end);
    line.set_timeout(Duration::from_millis(100))
        .expect("timeout");
    let plugd = Plugd::start(&[
        "--use-lovense-dongle-serial",
        "--lovense-dongle-port",
        &port,
    ]);
    let mut dongle = Dongle {
        line,
        pending: String::new(),
    };
    dongle.expect(r#"{"type":"toy","func":"statuss"}"#);
    let (mut client, _) = Client::handshake(&plugd, 4);
    // The same toy over Bluetooth LE first, at the address the BLE DCM reports for it (a
    // simulated BLE device stands in for the radio here).
    let _ble = support::lovense(&plugd, "S", "DC:0D:30:05:16:D5");
    loop {
        if single_device(&client.event("DeviceList")).is_some() {
            break;
        }
    }
    let reply = client.request("StartScanning", json!({}));
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    dongle.find_toy();
    // The dongle's find has the same address: the DeviceManager refuses it.
    let mut logs = Vec::new();
    for _ in 0..200 {
        logs.extend(plugd.logs());
        if logs
            .iter()
            .any(|line| line.contains("already connected") && line.contains("DC:0D:30:05:16:D5"))
        {
            break;
        }
        let reply = client.request("RequestDeviceList", json!({}));
        assert_eq!(message_name(&reply), "DeviceList", "{reply}");
    }
    assert!(
        logs.iter()
            .any(|line| line.contains("already connected") && line.contains("DC:0D:30:05:16:D5")),
        "the duplicate was refused: {logs:#?}"
    );
    let reply = client.request("RequestDeviceList", json!({}));
    assert_eq!(
        reply["DeviceList"]["Devices"]
            .as_object()
            .map(|devices| devices.len()),
        Some(1),
        "the toy shows up once: {reply}"
    );
}

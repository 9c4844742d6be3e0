//! Hardware switches on a machine without the hardware: plugd starts with every hardware DCM
//! asked for, logs exactly one line per DCM (ready, or unavailable with what is missing and how
//! to fix it), and keeps serving clients and simulated devices.
//!
//! On CI (no Bluetooth adapter, no D-Bus system bus, no hidraw or USB device nodes, no dongle)
//! every hardware DCM is unavailable; on a machine with some of it, those DCMs report ready.

mod support;

use serde_json::json;
use support::{message_name, Client, Plugd};

const DCMS: [&str; 5] = [
    "btle",
    "hid",
    "usb",
    "lovense-dongle-serial",
    "lovense-dongle-hid",
];

#[test]
fn missing_hardware_leaves_one_line_per_dcm_and_plugd_running() {
    let plugd = Plugd::start(&[
        "--use-bluetooth-le",
        "--use-hid",
        "--use-usb",
        "--use-lovense-dongle-serial",
        "--use-lovense-dongle-hid",
    ]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let mut logs = Vec::new();
    // Registration lines are written before plugd listens; ask the server until they have all
    // been read.
    for _ in 0..200 {
        logs.extend(plugd.logs());
        let registered = DCMS.iter().all(|dcm| {
            logs.iter()
                .any(|line| line.contains(&format!("dcm=\"{dcm}\"")) && line.contains("transport "))
        });
        if registered {
            break;
        }
        let reply = client.request("RequestDeviceList", json!({}));
        assert_eq!(message_name(&reply), "DeviceList", "{reply}");
    }
    for dcm in DCMS {
        let lines: Vec<&String> = logs
            .iter()
            .filter(|line| line.contains(&format!("dcm=\"{dcm}\"")) && line.contains("transport "))
            .collect();
        assert_eq!(lines.len(), 1, "one registration line for {dcm}: {lines:?}");
        let line = lines[0];
        if line.contains("transport unavailable") {
            let reason = line
                .split("transport unavailable: ")
                .nth(1)
                .unwrap_or_default();
            assert!(reason.len() > 20, "{dcm} says what is missing: {line}");
        } else {
            assert!(line.contains("transport ready"), "{line}");
        }
    }
    // plugd serves on: the device list, and a simulated device still connects.
    let reply = client.request("RequestDeviceList", json!({}));
    assert_eq!(message_name(&reply), "DeviceList", "{reply}");
    let _device = support::lovense(&plugd, "Z", "unavailable-test-toy");
    loop {
        let event = client.event("DeviceList");
        if event["DeviceList"]["Devices"]
            .as_object()
            .is_some_and(|devices| devices.len() == 1)
        {
            break;
        }
    }
}

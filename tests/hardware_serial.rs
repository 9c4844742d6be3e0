//! Serial end to end over a pseudo-terminal pair: a user config puts a serial specifier on the
//! pty, plugd runs with `--use-serial`, a real client's command arrives as bytes on the other side.

mod support;

use serde_json::json;
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use support::{message_name, Client, Plugd};

/// Held while a test opens a pty it will close on purpose (until its end is marked
/// close-on-exec) and while a test starts plugd, so no plugd inherits that end.
static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Reads the serial line until `expected` has arrived (bounded); bytes after it stay in
/// `pending` for the next call, since several writes can arrive in one read.
fn expect_bytes(line: &mut TTYPort, pending: &mut Vec<u8>, expected: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buffer = [0_u8; 256];
    loop {
        if let Some(position) = pending
            .windows(expected.len())
            .position(|window| window == expected)
        {
            pending.drain(..position + expected.len());
            return;
        }
        if Instant::now() >= deadline {
            panic!(
                "expected {:?} on the serial line, got {:?}",
                String::from_utf8_lossy(expected),
                String::from_utf8_lossy(pending)
            );
        }
        if let Ok(count) = line.read(&mut buffer) {
            pending.extend_from_slice(&buffer[..count]);
        }
    }
}

#[test]
fn client_command_reaches_a_toy_on_a_serial_port() {
    let (mut line, far_end) = TTYPort::pair().expect("a pseudo-terminal pair");
    let port = far_end.name().expect("pty name");
    drop(far_end);
    line.set_timeout(Duration::from_millis(100))
        .expect("timeout");
    let config = std::env::temp_dir().join(format!("plugd-serial-{}.json", std::process::id()));
    std::fs::write(
        &config,
        json!({"version": {"major": 4, "minor": 0}, "user_configs": {"protocols": {"lovense": {
            "communication": [{"serial": {"port": port, "baud_rate": 115200, "data_bits": 8,
                                          "parity": "N", "stop_bits": 1}}]}}}})
        .to_string(),
    )
    .expect("write user config");
    let plugd = {
        let _spawning = SPAWNING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Plugd::start(&[
            "--use-serial",
            "--user-device-config-file",
            config.to_str().expect("utf-8 path"),
        ])
    };
    let (mut client, _) = Client::handshake(&plugd, 4);
    let toy = std::thread::spawn(move || {
        let mut pending = Vec::new();
        expect_bytes(&mut line, &mut pending, b"DeviceType;");
        line.write_all(b"S:37:SERIAL;").expect("answer");
        expect_bytes(&mut line, &mut pending, b"Vibrate:10;");
        expect_bytes(&mut line, &mut pending, b"Vibrate:0;");
    });
    let reply = client.request("StartScanning", json!({}));
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    let event = client.event("DeviceList");
    let devices = event["DeviceList"]["Devices"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let device = devices
        .values()
        .next()
        .unwrap_or_else(|| panic!("no device: {event}"));
    assert_eq!(device["DeviceName"], json!("Lovense Lush"));
    let index = device["DeviceIndex"].clone();
    client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 10}}}),
    );
    client.request("StopCmd", json!({"DeviceIndex": index}));
    toy.join().expect("the toy saw the vibrate and the stop");
    let _ = std::fs::remove_file(config);
}

#[test]
fn a_serial_toy_that_vanishes_mid_session_gets_the_command_an_error_device_and_is_removed() {
    let spawning = SPAWNING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (mut line, far_end) = TTYPort::pair().expect("a pseudo-terminal pair");
    let port = far_end.name().expect("pty name");
    drop(far_end);
    line.set_timeout(Duration::from_millis(100))
        .expect("timeout");
    // plugd must not inherit our end of the line, or closing it here would not hang it up.
    // SAFETY: fcntl on a descriptor this TTYPort owns; no memory is passed.
    let flagged = unsafe {
        libc::fcntl(
            std::os::fd::AsRawFd::as_raw_fd(&line),
            libc::F_SETFD,
            libc::FD_CLOEXEC,
        )
    };
    assert_eq!(flagged, 0, "FD_CLOEXEC on the pty master");
    drop(spawning);
    let config =
        std::env::temp_dir().join(format!("plugd-serial-gone-{}.json", std::process::id()));
    std::fs::write(
        &config,
        json!({"version": {"major": 4, "minor": 0}, "user_configs": {"protocols": {"lovense": {
            "communication": [{"serial": {"port": port, "baud_rate": 115200, "data_bits": 8,
                                          "parity": "N", "stop_bits": 1}}]}}}})
        .to_string(),
    )
    .expect("write user config");
    let plugd = Plugd::start(&[
        "--use-serial",
        "--user-device-config-file",
        config.to_str().expect("utf-8 path"),
    ]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let reply = client.request("StartScanning", json!({}));
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    let mut pending = Vec::new();
    expect_bytes(&mut line, &mut pending, b"DeviceType;");
    line.write_all(b"S:37:SERIAL;").expect("answer");
    let event = client.event("DeviceList");
    let index = event["DeviceList"]["Devices"]
        .as_object()
        .and_then(|devices| devices.values().next())
        .map(|device| device["DeviceIndex"].clone())
        .unwrap_or_else(|| panic!("no device: {event}"));
    // The cable is pulled: the pty's far side is gone, so the port fails.
    drop(line);
    let reply = client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 10}}}),
    );
    assert_eq!(
        message_name(&reply),
        "Error",
        "{reply}; plugd said: {:#?}",
        plugd.logs()
    );
    assert_eq!(
        reply["Error"]["ErrorCode"],
        json!(4),
        "ERROR_DEVICE: {reply}"
    );
    // And the device is gone from the list.
    loop {
        let event = client.event("DeviceList");
        if event["DeviceList"]["Devices"]
            .as_object()
            .is_some_and(|devices| devices.is_empty())
        {
            break;
        }
    }
    let _ = std::fs::remove_file(config);
}

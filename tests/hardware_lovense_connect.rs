//! Lovense Connect end to end against a small HTTP server the test runs in place of the app:
//! plugd runs with `--use-lovense-connect --lovense-connect-address http://127.0.0.1:PORT`, a
//! client's scan finds the app's toy, its vibrate arrives as the app's command path with the
//! toy id, a battery read answers what the app reports, and the app dropping the toy removes
//! the device.

mod support;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;
use support::{message_name, Client, Plugd};

const TOY: &str = "c44f3326a8f8";

/// Serves `GetToys` (the toy connected while `connected` holds) and records every other path;
/// while `broken` holds, command requests get no answer (the connection is dropped).
fn fake_app(connected: Arc<AtomicBool>, broken: Arc<AtomicBool>) -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake app");
    let port = listener.local_addr().expect("address").port();
    let (paths, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|count| count > 2) {
                header.clear();
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            let body = if path == "/GetToys" {
                let status = if connected.load(Ordering::SeqCst) {
                    "1"
                } else {
                    "0"
                };
                json!({"code": 200, "type": "OK", "data": {TOY: {
                    "id": TOY, "name": "Max", "nickName": "", "status": status,
                    "version": "", "battery": 77}}})
                .to_string()
            } else if broken.load(Ordering::SeqCst) {
                continue;
            } else {
                let _ = paths.send(path);
                json!({"code": 200, "type": "OK"}).to_string()
            };
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, received)
}

fn expect_path(paths: &mpsc::Receiver<String>, expected: &str) {
    let mut seen = Vec::new();
    loop {
        match paths.recv_timeout(Duration::from_secs(10)) {
            Ok(path) if path == expected => return,
            Ok(path) => seen.push(path),
            Err(_) => panic!("the app never got {expected}; it got {seen:?}"),
        }
    }
}

/// Starts plugd on the fake app, scans, and answers the client and the toy's index.
fn scan_for_the_toy(port: u16) -> (Plugd, Client, Value) {
    let address = format!("http://127.0.0.1:{port}");
    let plugd = Plugd::start(&[
        "--use-lovense-connect",
        "--lovense-connect-address",
        &address,
    ]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let reply = client.request("StartScanning", json!({}));
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    let device = loop {
        if let Some(device) = single_device(&client.event("DeviceList")) {
            break device;
        }
    };
    assert_eq!(device["DeviceName"], json!("Lovense Max"));
    let index = device["DeviceIndex"].clone();
    (plugd, client, index)
}

fn vibrate(client: &mut Client, index: &Value, value: u32) -> Value {
    client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": value}}}),
    )
}

fn single_device(event: &Value) -> Option<Value> {
    event["DeviceList"]["Devices"]
        .as_object()?
        .values()
        .next()
        .cloned()
}

#[test]
fn a_lovense_connect_toy_is_found_driven_read_and_removed_through_the_apps_http_api() {
    let connected = Arc::new(AtomicBool::new(true));
    let (port, paths) = fake_app(connected.clone(), Arc::new(AtomicBool::new(false)));
    let (_plugd, mut client, index) = scan_for_the_toy(port);

    let reply = vibrate(&mut client, &index, 10);
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    expect_path(&paths, &format!("/Vibrate1?v=10&t={TOY}"));

    let reply = client.request(
        "InputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 2, "Type": "Battery", "Command": "Read"}),
    );
    assert_eq!(
        reply["InputReading"]["Reading"],
        json!({"Battery": {"Value": 77}}),
        "{reply}"
    );

    connected.store(false, Ordering::SeqCst);
    loop {
        if single_device(&client.event("DeviceList")).is_none() {
            break;
        }
    }
}

#[test]
fn a_toy_whose_command_fails_mid_way_is_removed_and_its_index_answers_error_device() {
    let broken = Arc::new(AtomicBool::new(false));
    let (port, _paths) = fake_app(Arc::new(AtomicBool::new(true)), broken.clone());
    let (_plugd, mut client, index) = scan_for_the_toy(port);
    broken.store(true, Ordering::SeqCst);
    // The app drops the command's connection: the toy is removed and reported.
    let reply = vibrate(&mut client, &index, 5);
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    loop {
        if single_device(&client.event("DeviceList")).is_none() {
            break;
        }
    }
    let reply = vibrate(&mut client, &index, 6);
    assert_eq!(
        reply["Error"]["ErrorCode"],
        json!(4),
        "ERROR_DEVICE: {reply}"
    );
}

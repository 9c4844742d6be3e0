//! Fault injection against the real plugd binary: a device socket killed mid-command, a client
//! dropped mid-frame, a device and a client that go silent (cable pulled), ping expiry while
//! another client floods commands, SIGTERM with several devices running, and a protocol encoder
//! error. Each test checks that the fault is contained (the others keep working, nothing is
//! left running) and prints the time from the fault to the stop bytes at the simulated device
//! (or to the device's removal) as `fault timing: ...`; timings are reported, never asserted
//! (docs/security.md, "Faults", lists measured figures).

mod support;

use serde_json::{json, Value};
use std::io::Write as _;
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::{lovense, message_name, Client, Plugd, SimDevice};
use tungstenite::stream::MaybeTlsStream;

/// The device socket's heartbeat timeout (plugd-dcm-sim `DeviceSocket`, fixed): 15 s without an
/// answer to its pings. Clients have the same default, set with --heartbeat-timeout.
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(15);

/// Prints one measured figure in the form the docs collect.
fn report(what: &str, elapsed: Duration) {
    println!(
        "fault timing: {what}: {:.1} ms",
        elapsed.as_secs_f64() * 1000.0
    );
}

/// Waits until the v4 device list holds `count` devices; returns their indices. With `ping`
/// (plugd runs with --max-ping-time) the client pings on every round so it stays alive.
fn wait_for_devices(client: &mut Client, count: usize, what: &str, ping: bool) -> Vec<u64> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if ping {
            let pong = client.request("Ping", json!({}));
            assert_eq!(message_name(&pong), "Ok", "{pong}");
        }
        let list = client.request("RequestDeviceList", json!({}));
        if let Some(devices) = list["DeviceList"]["Devices"].as_object() {
            if devices.len() == count {
                return devices
                    .values()
                    .filter_map(|device| device["DeviceIndex"].as_u64())
                    .collect();
            }
        }
        assert!(
            Instant::now() < deadline,
            "the device list never held {count} devices while waiting for {what}: {list}"
        );
        // Event-driven: wait for the next frame (a DeviceList event) instead of spinning.
        if let Some(event) = client.peer.next_text_within(Duration::from_millis(200)) {
            if let Ok(event) = serde_json::from_str::<Value>(&event) {
                client.events.push(event[0].clone());
            }
        }
    }
}

/// Sets feature 0's vibrate on a device and checks the bytes arrived.
fn vibrate(client: &mut Client, device: &mut SimDevice, index: u64, value: u32) {
    let reply = client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": value}}}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    let expected = format!("Vibrate:{value};");
    assert_eq!(device.expect_write_text(&expected), expected);
}

/// Waits for `Vibrate:0;` at a device; returns when it came.
fn await_stop(device: &mut SimDevice, what: &str) -> Instant {
    let text = device.expect_write_text(what);
    let arrived = Instant::now();
    assert_eq!(text, "Vibrate:0;", "{what}");
    arrived
}

/// Waits until the device list holds `count` devices (no pinging); returns their indices.
fn wait_for_device_count(client: &mut Client, count: usize, what: &str) -> Vec<u64> {
    wait_for_devices(client, count, what, false)
}

/// Connects simulated Lovense Lush toys at `addresses` one after the other, each listed
/// before the next connects; returns them with their device indices, in the same order.
fn connect_lovense_toys(
    plugd: &Plugd,
    client: &mut Client,
    addresses: &[&str],
    ping: bool,
) -> (Vec<SimDevice>, Vec<u64>) {
    let mut devices = Vec::new();
    let mut indices: Vec<u64> = Vec::new();
    for (count, address) in addresses.iter().enumerate() {
        devices.push(lovense(plugd, "S", address));
        let listed = wait_for_devices(client, count + 1, address, ping);
        let new = listed
            .into_iter()
            .find(|index| !indices.contains(index))
            .unwrap_or_else(|| panic!("no new index for {address}"));
        indices.push(new);
    }
    (devices, indices)
}

#[test]
fn a_device_killed_mid_command_disappears_cleanly_and_the_others_keep_working() {
    let plugd = Plugd::start(&[]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let (mut devices, indices) = connect_lovense_toys(
        &plugd,
        &mut client,
        &["fault-kill-a", "fault-kill-b"],
        false,
    );
    let (first, second) = (indices[0], indices[1]);
    let mut survivor = devices.pop().expect("second toy");
    let victim = devices.pop().expect("first toy");

    // The command is on its way when the device's process dies (no close frame: the socket
    // just goes away, as when a process is killed).
    let id = client.next_id();
    client.peer.send_json(&json!([{"OutputCmd": {"Id": id,
        "DeviceIndex": first, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 9}}}}]));
    let killed = Instant::now();
    drop(victim);
    // Read until both the command's answer and the DeviceList event without the device came.
    let mut reply = None;
    let mut removed = None;
    let deadline = killed + Duration::from_secs(10);
    while reply.is_none() || removed.is_none() {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let text = client
            .peer
            .next_text_within(remaining)
            .expect("the reply and the DeviceList event within 10 s");
        let arrived = Instant::now();
        let frame: Value = serde_json::from_str(&text).expect("client frame is JSON");
        for message in frame.as_array().into_iter().flatten() {
            let name = message_name(message).to_string();
            if message[&name]["Id"] == json!(id) {
                reply = Some(message.clone());
            } else if message["DeviceList"]["Devices"]
                .as_object()
                .is_some_and(|devices| devices.len() == 1)
            {
                removed = Some(arrived);
            }
        }
    }
    let reply = reply.unwrap_or_default();
    match message_name(&reply) {
        "Ok" => {}
        "Error" => assert_eq!(reply["Error"]["ErrorCode"], json!(4), "{reply}"),
        other => panic!("the command to the killed device got {other}: {reply}"),
    }
    if let Some(removed) = removed {
        report(
            &format!(
                "device socket killed mid-command → removed from the list (command answered {})",
                message_name(&reply)
            ),
            removed - killed,
        );
    }
    // A command to it now is ERROR_DEVICE; the other toy keeps working.
    let reply = client.request(
        "OutputCmd",
        json!({"DeviceIndex": first, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 3}}}),
    );
    assert_eq!(reply["Error"]["ErrorCode"], json!(4), "{reply}");
    vibrate(&mut client, &mut survivor, second, 11);
}

/// A v4 client on a bare tungstenite socket (so the test can write half a frame on its TCP
/// stream): handshakes and returns the socket.
fn raw_v4_client(plugd: &Plugd) -> tungstenite::WebSocket<MaybeTlsStream<TcpStream>> {
    let (mut socket, _) = tungstenite::connect(&plugd.client_url).expect("connect");
    let handshake = json!([{"RequestServerInfo": {"Id": 1, "ClientName": "fault",
        "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}]);
    socket
        .send(tungstenite::Message::text(handshake.to_string()))
        .expect("send handshake");
    await_raw_reply(&mut socket, 1);
    socket
}

/// Reads frames until the message with this Id (skipping events).
fn await_raw_reply(
    socket: &mut tungstenite::WebSocket<MaybeTlsStream<TcpStream>>,
    id: u32,
) -> Value {
    if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream
            .set_read_timeout(Some(support::FRAME_TIMEOUT))
            .expect("read timeout");
    }
    loop {
        let message = socket.read().expect("a frame before the timeout");
        let Ok(text) = message.to_text() else {
            continue;
        };
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        for message in frame.as_array().into_iter().flatten() {
            let name = message_name(message).to_string();
            if message[&name]["Id"] == json!(id) {
                return message.clone();
            }
        }
    }
}

#[test]
fn a_client_dropped_mid_frame_has_its_outputs_stopped_and_the_other_client_keeps_working() {
    let plugd = Plugd::start(&[]);
    let (mut staying, _) = Client::handshake(&plugd, 4);
    let (mut devices, indices) = connect_lovense_toys(
        &plugd,
        &mut staying,
        &["fault-frame-a", "fault-frame-b"],
        false,
    );
    let mut second_device = devices.pop().expect("second toy");
    let mut first_device = devices.pop().expect("first toy");
    let mut dropping = raw_v4_client(&plugd);
    let command = json!([{"OutputCmd": {"Id": 2, "DeviceIndex": indices[0], "FeatureIndex": 0,
        "Command": {"Vibrate": {"Value": 8}}}}]);
    dropping
        .send(tungstenite::Message::text(command.to_string()))
        .expect("send command");
    let reply = await_raw_reply(&mut dropping, 2);
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(first_device.expect_write_text("Vibrate:8;"), "Vibrate:8;");
    vibrate(&mut staying, &mut second_device, indices[1], 6);

    // Half a masked text frame: the header announces 100 bytes, 10 arrive, then the TCP
    // connection closes without a WebSocket close.
    let mut partial = vec![0x81u8, 0x80 | 100, 1, 2, 3, 4];
    partial.extend_from_slice(b"[{\"Ping\":{");
    if let MaybeTlsStream::Plain(stream) = dropping.get_mut() {
        stream.write_all(&partial).expect("write half a frame");
        stream.flush().expect("flush");
    }
    let dropped = Instant::now();
    drop(dropping);
    let stopped = await_stop(
        &mut first_device,
        "the stop after the client dropped mid-frame",
    );
    report(
        "client dropped mid-frame → stop bytes at its device",
        stopped - dropped,
    );

    // The other client's device was not touched, and that client still works.
    assert!(
        second_device
            .next_command_within(Duration::from_millis(300))
            .is_none(),
        "the other client's device received something"
    );
    vibrate(&mut staying, &mut second_device, indices[1], 12);
}

#[test]
fn ping_expiry_stops_the_silent_clients_outputs_while_another_client_floods_commands() {
    let max_ping_ms = 1000;
    let plugd = Plugd::start(&["--max-ping-time", &max_ping_ms.to_string()]);
    let (mut silent, _) = Client::handshake(&plugd, 4);
    let (mut devices, indices) =
        connect_lovense_toys(&plugd, &mut silent, &["fault-ping-a", "fault-ping-b"], true);
    let (mut flooder, _) = Client::handshake(&plugd, 4);
    let mut flooded = devices.pop().expect("second toy");
    let mut pinged_out = devices.pop().expect("first toy");
    silent.request("Ping", json!({}));
    vibrate(&mut silent, &mut pinged_out, indices[0], 14);
    let last_ping = Instant::now();
    silent.request("Ping", json!({}));

    // The flooder sends commands as fast as the replies come back, from its own thread, until
    // the main thread has seen the stop (bounded at 20,000). It stays just under plugd's
    // default per-client rate limit (1000 messages/s, --max-messages-per-second): at most 90
    // messages per 100 ms slot, so any one-second window holds fewer than 1000. Between slots
    // it waits for the main thread's "done" with the slot's remaining time as the bound. It
    // pings every 20 commands, as a well-behaved client under MaxPingTime must.
    let (done_sender, done) = std::sync::mpsc::channel::<()>();
    let second = indices[1];
    let flood = std::thread::spawn(move || {
        const SLOT: Duration = Duration::from_millis(100);
        const PER_SLOT: u32 = 90;
        let mut sent = 0u32;
        let mut limited_count = 0u32;
        let mut slot_start = Instant::now();
        let mut in_slot = 0u32;
        let mut since_ping = 0u32;
        while sent < 20_000 {
            if in_slot >= PER_SLOT {
                let rest = SLOT.saturating_sub(slot_start.elapsed());
                match done.recv_timeout(rest) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
                slot_start = Instant::now();
                in_slot = 0;
            } else if done.try_recv().is_ok() {
                break;
            }
            let value = 1 + sent % 19;
            let reply = flooder.request(
                "OutputCmd",
                json!({"DeviceIndex": second, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": value}}}),
            );
            // Should the rate limit still answer part of the flood with ERROR_MSG
            // LimitExceeded, that is counted; anything else is a failure.
            let limited = reply["Error"]["ErrorCode"] == json!(3)
                && reply["Error"]["ErrorMessage"]
                    .as_str()
                    .is_some_and(|text| text.contains("LimitExceeded"));
            assert!(
                message_name(&reply) == "Ok" || limited,
                "flood command {sent}: {reply}"
            );
            limited_count += u32::from(limited);
            sent += 1;
            in_slot += 1;
            since_ping += 1;
            if since_ping == 20 {
                since_ping = 0;
                let pong = flooder.request("Ping", json!({}));
                assert_eq!(message_name(&pong), "Ok", "{pong}");
                in_slot += 1;
            }
        }
        // Right after the flood: the flooder still works (ping, then a last command).
        let pong = flooder.request("Ping", json!({}));
        assert_eq!(message_name(&pong), "Ok", "{pong}");
        let last = flooder.request(
            "OutputCmd",
            json!({"DeviceIndex": second, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 20}}}),
        );
        assert_eq!(message_name(&last), "Ok", "{last}");
        (sent, limited_count)
    });
    let flood_reader = std::thread::spawn(move || {
        // Drain the flooded device's writes so its socket never backs up, until the
        // flooder's last command (Vibrate:20;) arrives; the expiry must never stop it.
        let mut writes = 0u32;
        let mut stopped = false;
        while let Some(frame) = flooded.next_command_within(support::FRAME_TIMEOUT) {
            writes += 1;
            let bytes: Vec<u8> = frame["Write"]["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|byte| byte.as_u64().map(|byte| byte as u8))
                .collect();
            match bytes.as_slice() {
                b"Vibrate:20;" => return (writes, stopped, true),
                b"Vibrate:0;" => stopped = true,
                _ => {}
            }
        }
        (writes, stopped, false)
    });

    let stopped = await_stop(&mut pinged_out, "the stop after the missed ping");
    let _ = done_sender.send(());
    let (sent, limited) = flood.join().expect("flood thread");
    let (writes, flooded_was_stopped, last_arrived) = flood_reader.join().expect("reader thread");
    let deadline = last_ping + Duration::from_millis(max_ping_ms);
    report(
        &format!(
            "ping deadline passed → stop bytes, during a flood of {sent} commands \
             ({limited} rate-limited, {writes} device writes)"
        ),
        stopped.saturating_duration_since(deadline),
    );
    assert!(
        !flooded_was_stopped,
        "the flooding client's device was stopped"
    );
    assert!(
        last_arrived,
        "the flooder's last command never reached its device"
    );
    let error = silent.event("Error");
    assert_eq!(error["Error"]["ErrorCode"], json!(2), "{error}");
    assert!(silent.peer.closed_within(Duration::from_secs(5)));
}

#[test]
fn sigterm_sends_every_running_device_its_stop_before_plugd_exits() {
    let mut plugd = Plugd::start(&[]);
    let addresses = [
        "fault-term-a",
        "fault-term-b",
        "fault-term-c",
        "fault-term-d",
    ];
    let (mut client, _) = Client::handshake(&plugd, 4);
    let (mut devices, indices) = connect_lovense_toys(&plugd, &mut client, &addresses, false);
    for (offset, (device, index)) in devices.iter_mut().zip(&indices).enumerate() {
        vibrate(&mut client, device, *index, 5 + offset as u32);
    }

    // Each device waits for its stop on its own thread, so arrival times are real.
    let waiters: Vec<_> = devices
        .into_iter()
        .map(|mut device| {
            std::thread::spawn(move || {
                let text = device.expect_write_text("the stop at shutdown");
                (text, Instant::now())
            })
        })
        .collect();
    let signalled = Instant::now();
    assert!(plugd.terminate(), "plugd did not exit cleanly on SIGTERM");
    let exited = Instant::now();
    for (address, waiter) in addresses.iter().zip(waiters) {
        let (text, arrived) = waiter.join().expect("device thread");
        assert_eq!(text, "Vibrate:0;", "{address}");
        report(
            &format!("SIGTERM → stop bytes at {address}"),
            arrived - signalled,
        );
    }
    report(
        "SIGTERM → plugd exited (observed by the test)",
        exited - signalled,
    );
}

/// A device database with one Lovense model whose only motor also declares a `position`
/// output: the database accepts it, the Lovense encoder has no command for it.
const ENCODER_ERROR_DATABASE: &str = r#"{
  "version": {"major": 4, "minor": 0},
  "protocols": {
    "lovense": {
      "communication": [{"btle": {"names": ["LVS-*"], "services": {
        "50300001-0023-4bd4-bbd5-a6920e4c5653": {
          "tx": "50300002-0023-4bd4-bbd5-a6920e4c5653",
          "rx": "50300003-0023-4bd4-bbd5-a6920e4c5653"}}}}],
      "defaults": {"name": "Lovense Device", "id": "f0000000-0000-4000-8000-000000000000",
        "features": [{"index": 0, "id": "f0000000-0000-4000-8000-000000000001",
          "output": {"vibrate": {"value": [0, 20]}}}]},
      "configurations": [
        {"identifier": ["Z"], "name": "Fault Hush", "id": "f0000000-0000-4000-8000-000000000010",
         "features": [{"index": 0, "id": "f0000000-0000-4000-8000-000000000011",
           "output": {"vibrate": {"value": [0, 20]}, "position": {"value": [0, 100]}}}]},
        {"identifier": ["S"], "name": "Fault Lush", "id": "f0000000-0000-4000-8000-000000000020",
         "features": [{"index": 0, "id": "f0000000-0000-4000-8000-000000000021",
           "output": {"vibrate": {"value": [0, 20]}}}]}
      ]
    }
  }
}"#;

#[test]
fn a_protocol_encoder_error_answers_error_device_and_affects_nothing_else() {
    let database = std::env::temp_dir().join(format!(
        "plugd-faults-encoder-db-{}.json",
        std::process::id()
    ));
    std::fs::write(&database, ENCODER_ERROR_DATABASE).expect("write device database");
    let plugd = Plugd::start(&[
        "--device-config-file",
        database.to_str().expect("utf-8 path"),
    ]);
    let mut odd = lovense(&plugd, "Z", "fault-encoder-z");
    let (mut client, _) = Client::handshake(&plugd, 4);
    let odd_index = wait_for_device_count(&mut client, 1, "the odd toy")[0];
    let mut normal = lovense(&plugd, "S", "fault-encoder-s");
    let indices = wait_for_device_count(&mut client, 2, "both toys");
    let normal_index = indices
        .into_iter()
        .find(|index| *index != odd_index)
        .expect("second index");
    vibrate(&mut client, &mut odd, odd_index, 4);

    let reply = client.request(
        "OutputCmd",
        json!({"DeviceIndex": odd_index, "FeatureIndex": 0, "Command": {"Position": {"Value": 50}}}),
    );
    assert_eq!(reply["Error"]["ErrorCode"], json!(4), "{reply}");
    assert!(
        odd.next_command_within(Duration::from_millis(300))
            .is_none(),
        "a failed encode must write nothing"
    );
    // The same device, the other device and the session all keep working.
    vibrate(&mut client, &mut odd, odd_index, 7);
    vibrate(&mut client, &mut normal, normal_index, 9);
    let list = client.request("RequestDeviceList", json!({}));
    assert_eq!(
        list["DeviceList"]["Devices"].as_object().map(|d| d.len()),
        Some(2),
        "{list}"
    );
    let _ = std::fs::remove_file(database);
}

#[test]
fn a_device_that_goes_silent_is_removed_within_the_heartbeat_timeout() {
    let plugd = Plugd::start(&[]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let (mut devices, indices) = connect_lovense_toys(
        &plugd,
        &mut client,
        &["fault-silent-a", "fault-silent-b"],
        false,
    );
    let mut survivor = devices.pop().expect("second toy");
    let silent = devices.pop().expect("first toy");
    vibrate(&mut client, &mut survivor, indices[1], 2);

    // From now on the first toy never reads its socket: plugd's pings go unanswered, as with
    // a pulled cable (the TCP connection itself stays open). The survivor keeps answering
    // pings because the test keeps reading it below.
    let went_silent = Instant::now();
    let removed = {
        let deadline = went_silent + HEARTBEAT_TIMEOUT + Duration::from_secs(10);
        loop {
            assert!(
                Instant::now() < deadline,
                "the silent device was not removed within {:?}",
                HEARTBEAT_TIMEOUT + Duration::from_secs(10)
            );
            let _ = survivor.peer.next_text_within(Duration::from_millis(50));
            if let Some(text) = client.peer.next_text_within(Duration::from_millis(200)) {
                let frame: Value = serde_json::from_str(&text).expect("JSON");
                let listed = frame[0]["DeviceList"]["Devices"]
                    .as_object()
                    .map(|d| d.len());
                if listed == Some(1) {
                    break Instant::now();
                }
            }
        }
    };
    report(
        "device silent (no pong) → removed from the list",
        removed - went_silent,
    );
    drop(silent);
    vibrate(&mut client, &mut survivor, indices[1], 13);
}

#[test]
fn a_client_that_goes_silent_has_its_outputs_stopped_within_the_heartbeat_timeout() {
    // A short client heartbeat (ping every 1 s, drop after 3 s of silence) keeps the test fast;
    // the default (5 s, 15 s) works the same way.
    let plugd = Plugd::start(&["--heartbeat-interval", "1", "--heartbeat-timeout", "3"]);
    let mut device = lovense(&plugd, "S", "fault-silent-client");
    let (mut client, _) = Client::handshake(&plugd, 4);
    let index = wait_for_device_count(&mut client, 1, "the toy")[0];
    vibrate(&mut client, &mut device, index, 10);
    // The client stops reading (no pongs) but keeps its TCP connection open.
    let went_silent = Instant::now();
    let deadline = HEARTBEAT_TIMEOUT + Duration::from_secs(10);
    let text = device
        .peer
        .next_text_within(deadline)
        .unwrap_or_else(|| panic!("no stop within {deadline:?} of the client going silent"));
    let stopped = Instant::now();
    let frame: Value = serde_json::from_str(&text).expect("JSON");
    let bytes: Vec<u8> = frame["Write"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|byte| byte.as_u64().map(|byte| byte as u8))
        .collect();
    assert_eq!(String::from_utf8_lossy(&bytes), "Vibrate:0;", "{frame}");
    report(
        "client silent (no pong; --heartbeat-interval 1 --heartbeat-timeout 3) → stop bytes",
        stopped - went_silent,
    );
    drop(client);
}

#[test]
fn a_raw_tcp_connection_that_never_finishes_its_handshake_does_not_block_others() {
    let plugd = Plugd::start(&[]);
    let address = plugd
        .client_url
        .trim_start_matches("ws://")
        .trim_end_matches('/')
        .to_string();
    // Half an HTTP upgrade request, left open.
    let mut stalled = TcpStream::connect(&address).expect("connect");
    stalled
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
        .expect("write half a request");
    let (mut client, reply) = Client::handshake(&plugd, 4);
    assert_eq!(message_name(&reply), "ServerInfo", "{reply}");
    let list = client.request("RequestDeviceList", json!({}));
    assert_eq!(message_name(&list), "DeviceList", "{list}");
    drop(stalled);
}

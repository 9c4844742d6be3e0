//! End-to-end tests of plugd's limits and access rules (issue 9, docs/security.md), against the
//! real binary over real WebSockets: frame size, messages per frame, message rate, handshake
//! timeout, subscriptions per client, dead-client detection, the token, the Origin allow-list,
//! TLS, and the warning for listening on every interface without a token.

mod support;

use serde_json::{json, Value};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{lovense, message_name, Client, Plugd};
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// How long a test waits for something that must happen.
const BOUND: Duration = Duration::from_secs(20);

/// Asserts `reply` is ERROR_MSG (3) LimitExceeded-style text naming `flag`.
fn assert_limit_error(reply: &Value, flag: &str) {
    let error = reply
        .get("Error")
        .unwrap_or_else(|| panic!("expected an Error, got {reply}"));
    assert_eq!(error["ErrorCode"], json!(3), "{reply}");
    let text = error["ErrorMessage"].as_str().unwrap_or_default();
    assert!(text.contains(flag), "the error should name {flag}: {reply}");
}

/// The next frame's messages.
fn next_messages(client: &mut Client, what: &str) -> Vec<Value> {
    let frame = client.peer.expect_json(what);
    frame
        .as_array()
        .unwrap_or_else(|| panic!("frames are arrays: {frame}"))
        .clone()
}

/// Collects `count` messages, whatever frames they arrive in.
fn collect_messages(client: &mut Client, count: usize, what: &str) -> Vec<Value> {
    let mut messages = Vec::new();
    while messages.len() < count {
        messages.extend(next_messages(client, what));
    }
    messages
}

/// A frame of `count` RequestDeviceList messages with Ids from `first`.
fn device_list_requests(first: u32, count: u32) -> String {
    let messages: Vec<Value> = (first..first + count)
        .map(|id| json!({"RequestDeviceList": {"Id": id}}))
        .collect();
    Value::Array(messages).to_string()
}

#[test]
fn a_frame_larger_than_max_frame_bytes_gets_error_msg_naming_the_flag_and_a_close() {
    let plugd = Plugd::start(&["--max-frame-bytes", "1024"]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    let padding = " ".repeat(2000);
    client
        .peer
        .send_text(&format!(r#"[{{"RequestDeviceList":{{"Id":2}}}}]{padding}"#));
    let reply = next_messages(&mut client, "the oversized-frame refusal");
    assert_limit_error(&reply[0], "--max-frame-bytes");
    assert!(client.peer.closed_within(BOUND), "plugd should close");
}

#[test]
fn a_frame_with_more_messages_than_allowed_is_refused_whole_and_the_connection_stays_usable() {
    let plugd = Plugd::start(&["--max-messages-per-frame", "4"]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    client.peer.send_text(&device_list_requests(10, 5));
    let reply = next_messages(&mut client, "the too-many-messages refusal");
    assert_eq!(reply.len(), 1, "one error for the whole frame: {reply:?}");
    assert_limit_error(&reply[0], "--max-messages-per-frame");
    assert_eq!(reply[0]["Error"]["Id"], json!(0));
    client.peer.send_text(&device_list_requests(20, 4));
    let replies = collect_messages(&mut client, 4, "four device lists");
    assert!(
        replies
            .iter()
            .all(|reply| message_name(reply) == "DeviceList"),
        "{replies:?}"
    );
}

#[test]
fn messages_over_the_rate_get_error_msg_stops_still_pass_and_a_persistent_flood_is_closed() {
    let plugd = Plugd::start(&["--max-messages-per-second", "5"]);
    let (mut client, _) = Client::handshake(&plugd, 4);
    // One frame: ten messages in one rate window, the stop last.
    let mut messages: Vec<Value> = (2..11)
        .map(|id| json!({"RequestDeviceList": {"Id": id}}))
        .collect();
    messages.push(json!({"StopCmd": {"Id": 11}}));
    client.peer.send_text(&Value::Array(messages).to_string());
    let replies = collect_messages(&mut client, 10, "ten replies");
    let name_of = |id: u64| {
        replies
            .iter()
            .find(|reply| {
                reply
                    .as_object()
                    .and_then(|object| object.values().next())
                    .is_some_and(|body| body["Id"] == json!(id))
            })
            .unwrap_or_else(|| panic!("no reply to {id}: {replies:?}"))
    };
    for id in 2..7 {
        assert_eq!(message_name(name_of(id)), "DeviceList", "{replies:?}");
    }
    for id in 7..11 {
        assert_limit_error(name_of(id), "--max-messages-per-second");
    }
    assert_eq!(message_name(name_of(11)), "Ok", "a stop is never refused");

    // Keep flooding: after three seconds in a row over the limit, plugd closes.
    let deadline = Instant::now() + BOUND;
    let mut next_id = 100;
    let mut closing_error = None;
    while Instant::now() < deadline && closing_error.is_none() {
        client.peer.send_text(&device_list_requests(next_id, 10));
        next_id += 10;
        // Read this frame's ten answers (the closing error, when it comes, is among them).
        let mut answered = 0;
        while answered < 10 && closing_error.is_none() {
            let Some(text) = client.peer.next_text_within(BOUND) else {
                panic!("the connection closed without the closing error");
            };
            let frame: Value = serde_json::from_str(&text).expect("JSON");
            answered += frame.as_array().map_or(0, Vec::len);
            if let Some(error) = frame.as_array().into_iter().flatten().find(|message| {
                message["Error"]["ErrorMessage"]
                    .as_str()
                    .is_some_and(|text| text.contains("closing"))
            }) {
                closing_error = Some(error.clone());
            }
        }
    }
    let closing_error = closing_error.expect("plugd should close a client that keeps flooding");
    assert_limit_error(&closing_error, "--max-messages-per-second");
    assert!(client.peer.closed_within(BOUND), "plugd should close");
}

#[test]
fn three_hundred_commands_back_to_back_pass_the_default_limits() {
    // Faster than a 60-commands-per-second app for five seconds: none may be refused.
    let plugd = Plugd::start(&[]);
    let mut device = lovense(&plugd, "S", "limits-burst");
    let (mut client, _) = Client::handshake(&plugd, 3);
    let index = loop {
        let list = client.request("RequestDeviceList", json!({}));
        if let Some(device) = list["DeviceList"]["Devices"]
            .as_array()
            .and_then(|d| d.first())
        {
            break device["DeviceIndex"].clone();
        }
        let _ = client.peer.next_text_within(Duration::from_millis(100));
    };
    for step in 0..300u32 {
        let speed = f64::from(step % 20 + 1) / 20.0;
        let reply = client.request(
            "ScalarCmd",
            json!({"DeviceIndex": index, "Scalars": [{"Index": 0, "Scalar": speed, "ActuatorType": "Vibrate"}]}),
        );
        assert_eq!(message_name(&reply), "Ok", "command {step}: {reply}");
    }
    let stop = client.request("StopAllDevices", json!({}));
    assert_eq!(message_name(&stop), "Ok", "{stop}");
    assert!(
        device.next_command_within(Duration::from_secs(5)).is_some(),
        "the device received the commands"
    );
}

#[test]
fn a_connection_that_never_sends_request_server_info_is_closed_after_the_handshake_timeout() {
    let plugd = Plugd::start(&["--handshake-timeout", "1"]);
    let mut client = Client::connect(&plugd);
    let reply = next_messages(&mut client, "the handshake-timeout error");
    assert_limit_error(&reply[0], "--handshake-timeout");
    assert!(client.peer.closed_within(BOUND), "plugd should close");
}

#[test]
fn subscriptions_past_the_limit_get_error_msg_naming_the_flag() {
    let plugd = Plugd::start(&["--allow-raw", "--max-subscriptions-per-client", "1"]);
    let _device = lovense(&plugd, "S", "limits-subscriptions");
    let (mut client, _) = Client::handshake(&plugd, 3);
    let index = loop {
        let list = client.request("RequestDeviceList", json!({}));
        if let Some(device) = list["DeviceList"]["Devices"]
            .as_array()
            .and_then(|d| d.first())
        {
            break device["DeviceIndex"].clone();
        }
        let _ = client.peer.next_text_within(Duration::from_millis(100));
    };
    let first = client.request(
        "RawSubscribeCmd",
        json!({"DeviceIndex": index, "Endpoint": "rx"}),
    );
    assert_eq!(message_name(&first), "Ok", "{first}");
    let second = client.request(
        "RawSubscribeCmd",
        json!({"DeviceIndex": index, "Endpoint": "tx"}),
    );
    assert_limit_error(&second, "--max-subscriptions-per-client");
    let unsubscribe = client.request(
        "RawUnsubscribeCmd",
        json!({"DeviceIndex": index, "Endpoint": "rx"}),
    );
    assert_eq!(message_name(&unsubscribe), "Ok", "{unsubscribe}");
    let again = client.request(
        "RawSubscribeCmd",
        json!({"DeviceIndex": index, "Endpoint": "rx"}),
    );
    assert_eq!(
        message_name(&again),
        "Ok",
        "room again after unsubscribing: {again}"
    );
}

#[test]
fn a_client_that_goes_silent_without_closing_is_dropped_and_its_device_stopped() {
    let plugd = Plugd::start(&["--heartbeat-interval", "1", "--heartbeat-timeout", "2"]);
    let mut device = lovense(&plugd, "S", "limits-silent");
    let (mut client, _) = Client::handshake(&plugd, 4);
    let index = loop {
        let list = client.request("RequestDeviceList", json!({}));
        if let Some(device) = list["DeviceList"]["Devices"]
            .as_object()
            .and_then(|devices| devices.values().next())
        {
            break device["DeviceIndex"].clone();
        }
        let _ = client.peer.next_text_within(Duration::from_millis(100));
    };
    let reply = client.request(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 9}}}),
    );
    assert_eq!(message_name(&reply), "Ok", "{reply}");
    assert_eq!(device.expect_write_text("Vibrate:9;"), "Vibrate:9;");
    // The client stays connected but never reads again, so it never answers a ping.
    let deadline = Instant::now() + BOUND;
    let mut stopped = false;
    while Instant::now() < deadline && !stopped {
        if let Some(command) = device.next_command_within(Duration::from_secs(1)) {
            stopped = written_text(&command).as_deref() == Some("Vibrate:0;");
        }
    }
    assert!(stopped, "the silent client's device should be stopped");
    drop(client);
}

/// The bytes of a device `Write` frame, as text.
fn written_text(command: &Value) -> Option<String> {
    let bytes: Vec<u8> = command["Write"]["data"]
        .as_array()?
        .iter()
        .map(|byte| u8::try_from(byte.as_u64().unwrap_or(0)).unwrap_or(0))
        .collect();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// A client socket.
type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// An upgrade's outcome: the socket, or the HTTP status it was refused with.
fn upgraded(
    result: Result<(Socket, tungstenite::handshake::client::Response), tungstenite::Error>,
) -> Result<Socket, u16> {
    match result {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("expected an upgrade or an HTTP refusal, got {other}"),
    }
}

/// Opens a WebSocket with an `Origin` header (as a browser would).
fn connect_with_origin(url: &str, origin: &str) -> Result<Socket, u16> {
    let mut request = url.into_client_request().expect("request");
    request
        .headers_mut()
        .insert("Origin", origin.parse().expect("header value"));
    upgraded(tungstenite::connect(request))
}

/// The HTTP status of a refused upgrade.
fn refused_status(result: Result<Socket, u16>) -> u16 {
    match result {
        Err(status) => status,
        Ok(_) => panic!("expected an HTTP refusal, the upgrade succeeded"),
    }
}

/// Sends a v3 RequestServerInfo and returns the first reply's message name.
fn handshake_on<S: std::io::Read + std::io::Write>(socket: &mut WebSocket<S>) -> String {
    socket
        .send(Message::text(
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"limits-test","MessageVersion":3}}]"#,
        ))
        .expect("send handshake");
    loop {
        match socket.read().expect("read ServerInfo") {
            Message::Text(text) => {
                let frame: Value = serde_json::from_str(&text).expect("JSON");
                return message_name(&frame[0]).to_string();
            }
            Message::Close(_) => panic!("closed instead of answering the handshake"),
            _ => continue,
        }
    }
}

fn set_read_timeout(socket: &Socket) {
    if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream.set_read_timeout(Some(BOUND)).expect("read timeout");
    }
}

#[test]
fn web_pages_from_other_origins_get_403_and_native_localhost_and_listed_origins_connect() {
    let plugd = Plugd::start(&["--allowed-origin", "https://app.example"]);
    assert_eq!(
        refused_status(connect_with_origin(
            &plugd.client_url,
            "https://evil.example"
        )),
        403
    );
    assert_eq!(
        refused_status(connect_with_origin(&plugd.client_url, "null")),
        403
    );
    for origin in ["https://app.example", "http://localhost:8080"] {
        let mut socket = connect_with_origin(&plugd.client_url, origin)
            .unwrap_or_else(|status| panic!("{origin} should be let in, got HTTP {status}"));
        set_read_timeout(&socket);
        assert_eq!(handshake_on(&mut socket), "ServerInfo", "{origin}");
    }
    let (_native, info) = Client::handshake(&plugd, 3);
    assert_eq!(message_name(&info), "ServerInfo", "{info}");
}

#[test]
fn with_an_auth_token_clients_without_it_get_401_and_clients_with_it_connect() {
    let mut plugd = Plugd::start(&["--auth-token", "s3cret"]);
    let base = plugd.client_url.clone();
    assert_eq!(
        refused_status(upgraded(tungstenite::connect(base.as_str()))),
        401
    );
    assert_eq!(
        refused_status(upgraded(tungstenite::connect(format!(
            "{base}?token=wrong"
        )))),
        401
    );
    plugd.client_url = format!("{base}?token=s3cret");
    let (_by_query, info) = Client::handshake(&plugd, 4);
    assert_eq!(message_name(&info), "ServerInfo", "{info}");
    plugd.client_url = format!("{base}s3cret");
    let (_by_path, info) = Client::handshake(&plugd, 3);
    assert_eq!(message_name(&info), "ServerInfo", "{info}");
}

/// The Python interpreter with the official client (see tests/python_client.rs), if any.
fn python_with_client() -> Option<std::path::PathBuf> {
    if let Ok(path) = std::env::var("PLUGD_PYTHON") {
        return Some(path.into());
    }
    let venv = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    let has_client = venv.is_file()
        && std::process::Command::new(&venv)
            .args(["-c", "import buttplug"])
            .status()
            .is_ok_and(|status| status.success());
    if has_client {
        return Some(venv);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "no Python with the buttplug client at {} and CI=true",
            venv.display()
        );
    }
    eprintln!("skipped: no Python with the buttplug client (run scripts/test to create .venv)");
    None
}

#[test]
fn the_official_python_client_passes_the_token_in_the_url_query() {
    let Some(python) = python_with_client() else {
        return;
    };
    let plugd = Plugd::start(&["--auth-token", "py-s3cret"]);
    let mut device = lovense(&plugd, "S", "limits-python-token");
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/python/client_roundtrip.py");
    let client = std::process::Command::new(python)
        .arg(script)
        .arg(format!("{}?token=py-s3cret", plugd.client_url))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the python client");
    assert_eq!(
        device.expect_write_text("the python client's vibrate"),
        "Vibrate:10;"
    );
    assert_eq!(
        device.expect_write_text("the python client's stop"),
        "Vibrate:0;"
    );
    let output = client.wait_with_output().expect("python client finished");
    assert!(
        output.status.success(),
        "python client failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn with_tls_a_client_trusting_the_certificate_speaks_buttplug_over_wss() {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let certified = rcgen::generate_simple_self_signed(names).expect("self-signed certificate");
    let dir = std::env::temp_dir().join(format!("plugd-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, certified.cert.pem()).expect("write cert");
    std::fs::write(&key_path, certified.key_pair.serialize_pem()).expect("write key");
    let plugd = Plugd::start(&[
        "--tls-cert",
        cert_path.to_str().expect("utf-8 path"),
        "--tls-key",
        key_path.to_str().expect("utf-8 path"),
    ]);
    assert!(
        plugd.client_url.starts_with("wss://"),
        "{}",
        plugd.client_url
    );

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(certified.cert.der().clone())
        .expect("trust the test certificate");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let url = plugd.client_url.replace("127.0.0.1", "localhost");
    let address = plugd
        .client_url
        .trim_start_matches("wss://")
        .trim_end_matches('/');
    let stream = TcpStream::connect(address).expect("TCP connect");
    stream.set_read_timeout(Some(BOUND)).expect("read timeout");
    let (mut socket, _) = tungstenite::client_tls_with_config(
        url.as_str(),
        stream,
        None,
        Some(tungstenite::Connector::Rustls(Arc::new(config))),
    )
    .expect("TLS WebSocket handshake");
    assert_eq!(handshake_on(&mut socket), "ServerInfo");

    let plain = plugd.client_url.replace("wss://", "ws://");
    assert!(
        tungstenite::connect(plain.as_str()).is_err(),
        "plain ws:// must not work on the TLS port"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn listening_on_every_interface_without_a_token_logs_a_warning() {
    let plugd = Plugd::start(&["--websocket-use-all-interfaces"]);
    let deadline = Instant::now() + BOUND;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        seen.extend(plugd.logs());
        if seen
            .iter()
            .any(|line| line.contains("WARN") && line.contains("--auth-token"))
        {
            return;
        }
        // Logs arrive through a background reader; give it a moment between looks.
        let _ = Client::handshake(&plugd, 4);
    }
    panic!("no warning about --auth-token in the logs: {seen:?}");
}

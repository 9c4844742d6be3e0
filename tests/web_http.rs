//! A tiny HTTP/1.1 client for the web tests (std only): one request per connection, bounded
//! reads, and a server-sent-events reader.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// `http://127.0.0.1:PORT` from the client URL `ws://127.0.0.1:PORT/`.
pub fn base_url(client_url: &str) -> String {
    client_url
        .trim_end_matches('/')
        .replacen("ws://", "http://", 1)
}

fn host_port(base: &str) -> &str {
    base.trim_start_matches("http://").trim_end_matches('/')
}

/// A response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header lines, lower-cased names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Response {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends one request and reads the whole response (the server closes: `Connection: close`).
pub fn request(base: &str, method: &str, path: &str) -> Response {
    request_with_body(base, method, path, "", Duration::from_secs(10))
}

/// Sends one request with a JSON body; waits up to `timeout` for the answer.
pub fn request_with_body(
    base: &str,
    method: &str,
    path: &str,
    body: &str,
    timeout: Duration,
) -> Response {
    send(base, method, path, &[], body, timeout)
}

/// Sends one request with extra headers.
pub fn request_with_headers(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Response {
    send(base, method, path, headers, "", Duration::from_secs(10))
}

fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
    timeout: Duration,
) -> Response {
    let mut stream = TcpStream::connect(host_port(base)).expect("connect to the HTTP port");
    stream
        .set_read_timeout(Some(timeout))
        .expect("read timeout");
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        host_port(base),
        body.len()
    )
    .expect("send request");
    let raw = read_response(&mut stream);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Response {
        status,
        headers,
        body,
    }
}

/// Reads one response: to its Content-Length, to the last chunk, or to the close (servers that
/// keep the connection open, like chromedriver, send a length).
fn read_response(stream: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        if let Some(end) = raw.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok());
            let complete = match length {
                Some(length) => raw.len() >= end + 4 + length,
                None if head.contains("transfer-encoding: chunked") => {
                    raw[end..].windows(5).any(|window| window == b"0\r\n\r\n")
                }
                None => false,
            };
            if complete {
                return raw;
            }
        }
        match stream.read(&mut buffer) {
            Ok(0) => return raw,
            Ok(count) => raw.extend_from_slice(&buffer[..count]),
            Err(error) => panic!("reading the response: {error}"),
        }
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

/// `GET path`.
pub fn get(base: &str, path: &str) -> Response {
    request(base, "GET", path)
}

/// `PUT path`.
pub fn put(base: &str, path: &str) -> Response {
    request(base, "PUT", path)
}

/// A server-sent-events stream.
pub struct EventStream {
    reader: BufReader<TcpStream>,
}

/// One event.
#[derive(Debug, Clone)]
pub struct ServerSentEvent {
    /// `event:`.
    pub event: String,
    /// `data:` lines joined.
    pub data: String,
}

impl EventStream {
    /// Opens `GET path` and checks the response is an event stream.
    pub fn open(base: &str, path: &str) -> EventStream {
        let mut stream = TcpStream::connect(host_port(base)).expect("connect for events");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
            host_port(base)
        )
        .expect("send events request");
        let mut reader = BufReader::new(stream);
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            reader
                .get_mut()
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            reader.read_line(&mut line).expect("read event head");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push(line);
        }
        assert!(
            head.first().is_some_and(|line| line.contains(" 200")),
            "{head:?}"
        );
        assert!(
            head.iter()
                .any(|line| line.to_ascii_lowercase().contains("text/event-stream")),
            "{head:?}"
        );
        EventStream { reader }
    }

    /// The next event named `name` whose data satisfies `wanted`, within `timeout`.
    pub fn wait_for(
        &mut self,
        name: &str,
        timeout: Duration,
        wanted: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        let mut event = String::new();
        let mut data = String::new();
        while Instant::now() < deadline {
            let remaining = deadline.saturating_duration_since(Instant::now());
            self.reader
                .get_mut()
                .set_read_timeout(Some(remaining.max(Duration::from_millis(1))))
                .ok()?;
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(_) => return None,
            }
            let line = line.trim_end_matches(['\r', '\n']);
            // Chunk-size lines of the chunked encoding are plain hex; skip them.
            if let Some(rest) = line.strip_prefix("event: ") {
                event = rest.to_string();
            } else if let Some(rest) = line.strip_prefix("data: ") {
                data.push_str(rest);
            } else if line.is_empty() && !event.is_empty() {
                if event == name {
                    if let Ok(value) = serde_json::from_str::<Value>(&data) {
                        if wanted(&value) {
                            return Some(value);
                        }
                    }
                }
                event.clear();
                data.clear();
            }
        }
        None
    }
}

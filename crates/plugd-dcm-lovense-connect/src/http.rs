//! A small HTTP/1.1 GET client for the Lovense Connect app's local API: plain `http://` on the
//! LAN or loopback, one request per connection (`Connection: close`), bounded by a timeout.
//! Enough for `GetToys` and the command paths; no TLS, no redirects, no proxies.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest reply accepted (GetToys with many toys is a few kilobytes).
const MAX_REPLY_BYTES: usize = 256 * 1024;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The base address is not `http://host:port[/prefix]`.
    #[error("{0} is not an http://host:port address")]
    BadAddress(String),
    /// Connecting, writing or reading failed.
    #[error("{0}")]
    Io(String),
    /// No complete answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The answer is not HTTP.
    #[error("not an HTTP answer: {0}")]
    Malformed(String),
}

/// Where the app listens: `http://192.168.1.20:20010`, maybe with a path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// `host:port`, for connecting and the Host header.
    pub authority: String,
    /// Path prefix without a trailing `/` (usually empty).
    pub prefix: String,
}

impl BaseUrl {
    /// Parses `http://host:port[/prefix]` (port 80 when absent).
    ///
    /// # Errors
    /// Not an `http://` address.
    pub fn parse(text: &str) -> Result<Self, HttpError> {
        let rest = text
            .trim()
            .strip_prefix("http://")
            .ok_or_else(|| HttpError::BadAddress(text.to_string()))?;
        let (authority, prefix) = match rest.find('/') {
            Some(slash) => (&rest[..slash], rest[slash..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if authority.is_empty() {
            return Err(HttpError::BadAddress(text.to_string()));
        }
        let authority = if authority.rsplit_once(':').is_some_and(|(_, port)| {
            !port.is_empty() && port.bytes().all(|byte| byte.is_ascii_digit())
        }) {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        Ok(BaseUrl {
            authority,
            prefix: prefix.to_string(),
        })
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "http://{}{}", self.authority, self.prefix)
    }
}

/// GETs `path` (with its query; a leading `/` is optional) under `base`; answers the status
/// code and the body as text.
///
/// # Errors
/// Connection failures, a timeout, or an answer that is not HTTP.
pub async fn get(
    base: &BaseUrl,
    path: &str,
    timeout: Duration,
) -> Result<(u16, String), HttpError> {
    tokio::time::timeout(timeout, get_inner(base, path))
        .await
        .map_err(|_| HttpError::Timeout(timeout))?
}

async fn get_inner(base: &BaseUrl, path: &str) -> Result<(u16, String), HttpError> {
    let path = path.trim_start_matches('/');
    let request = format!(
        "GET {}/{} HTTP/1.1\r\nHost: {}\r\nUser-Agent: plugd\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        base.prefix, path, base.authority
    );
    let mut stream = TcpStream::connect(&base.authority)
        .await
        .map_err(|error| HttpError::Io(format!("cannot reach {base}: {error}")))?;
    let _ = stream.set_nodelay(true);
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| HttpError::Io(error.to_string()))?;
    let mut reply = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        let count = stream
            .read(&mut buffer)
            .await
            .map_err(|error| HttpError::Io(error.to_string()))?;
        if count == 0 {
            break;
        }
        reply.extend_from_slice(&buffer[..count]);
        if reply.len() > MAX_REPLY_BYTES {
            return Err(HttpError::Malformed("reply too large".to_string()));
        }
        if let Some(done) = parse_reply(&reply)? {
            return Ok(done);
        }
    }
    parse_reply(&reply)?.ok_or_else(|| HttpError::Malformed("connection closed early".to_string()))
}

/// The status and body of a complete reply, `None` while more bytes are needed. A body without
/// a length ends with the connection (`Connection: close`), so the caller tries once more at EOF
/// — which is why a reply with neither length nor chunking is returned only when `reply` ends
/// there.
fn parse_reply(reply: &[u8]) -> Result<Option<(u16, String)>, HttpError> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let head_length = match response.parse(reply) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(error) => return Err(HttpError::Malformed(error.to_string())),
    };
    let status = response.code.unwrap_or(0);
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|header| header.name.eq_ignore_ascii_case(name))
            .map(|header| String::from_utf8_lossy(header.value).trim().to_string())
    };
    let body = &reply[head_length..];
    if header("transfer-encoding").is_some_and(|value| value.eq_ignore_ascii_case("chunked")) {
        return Ok(dechunk(body).map(|body| (status, body)));
    }
    if let Some(length) = header("content-length").and_then(|value| value.parse::<usize>().ok()) {
        if body.len() < length {
            return Ok(None);
        }
        return Ok(Some((
            status,
            String::from_utf8_lossy(&body[..length]).into_owned(),
        )));
    }
    Ok(Some((status, String::from_utf8_lossy(body).into_owned())))
}

/// The body of a complete chunked encoding, `None` while incomplete.
fn dechunk(mut body: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|pair| pair == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(String::from_utf8_lossy(&out).into_owned());
        }
        if body.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_keep_host_port_and_prefix() {
        let base = BaseUrl::parse("http://127.0.0.1:20010").unwrap();
        assert_eq!(base.authority, "127.0.0.1:20010");
        assert_eq!(base.prefix, "");
        let base = BaseUrl::parse("http://phone.local/api/").unwrap();
        assert_eq!(base.authority, "phone.local:80");
        assert_eq!(base.prefix, "/api");
        assert!(BaseUrl::parse("https://127.0.0.1:30010").is_err());
        assert!(BaseUrl::parse("http://").is_err());
    }

    #[test]
    fn replies_with_a_length_are_complete_once_the_body_arrived() {
        let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel";
        assert_eq!(parse_reply(reply).unwrap(), None);
        let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(
            parse_reply(reply).unwrap(),
            Some((200, "hello".to_string()))
        );
    }

    #[test]
    fn chunked_replies_are_joined() {
        let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n";
        assert_eq!(
            parse_reply(reply).unwrap(),
            Some((200, "hello".to_string()))
        );
        let partial = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n";
        assert_eq!(parse_reply(partial).unwrap(), None);
    }

    #[test]
    fn garbage_is_not_an_http_reply() {
        assert!(parse_reply(b"\x00\x01garbage\r\n\r\n").is_err());
    }
}

//! Who may open a client WebSocket, decided on the HTTP upgrade request before any Buttplug
//! message is read: the shared-secret token (`--auth-token`, given as `?token=` or as the URL's
//! path) and the Origin allow-list (`--allowed-origin`). Plain functions of the request's path,
//! query and Origin header, so they are tested without a socket.
//!
//! The Origin rule: native clients (Python, Rust, C#, Intiface apps) send no Origin header and
//! are let in; browsers always send one on WebSocket upgrades, and a page is let in only when its
//! origin is listed, or is a loopback origin (`http://localhost:8080`, `http://127.0.0.1`,
//! `http://[::1]`), served by a program already on this machine. `null` (a `file://` page or a
//! sandboxed frame) counts as unlisted. `--allowed-origin '*'` lets every page in.

/// The access rules for client connections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    /// `--auth-token`: required when set.
    pub token: Option<String>,
    /// `--allowed-origin`, normalised (lower case, no trailing `/`); `*` allows every origin.
    pub allowed_origins: Vec<String>,
}

/// What to do with one upgrade request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessDecision {
    /// Upgrade it.
    Allow,
    /// HTTP 401: the token is missing or wrong.
    Unauthorized,
    /// HTTP 403: a web page from an origin that is not allowed.
    OriginRefused,
}

impl AccessPolicy {
    /// A policy requiring `token` (if any) and allowing `origins` besides native clients and
    /// loopback pages.
    pub fn new(token: Option<String>, origins: &[String]) -> Self {
        AccessPolicy {
            token: token.filter(|token| !token.is_empty()),
            allowed_origins: origins.iter().map(|origin| normalise(origin)).collect(),
        }
    }

    /// Decides on a request for `path` with `query` and the `Origin` header `origin`. The Origin
    /// is checked first: a refused page learns nothing about the token.
    pub fn decide(&self, path: &str, query: Option<&str>, origin: Option<&str>) -> AccessDecision {
        if let Some(origin) = origin {
            if !self.origin_allowed(origin) {
                return AccessDecision::OriginRefused;
            }
        }
        match &self.token {
            Some(token) if !token_given(path, query, token) => AccessDecision::Unauthorized,
            _ => AccessDecision::Allow,
        }
    }

    /// Whether a page from `origin` may connect.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        let origin = normalise(origin);
        is_loopback_origin(&origin)
            || self
                .allowed_origins
                .iter()
                .any(|allowed| allowed == "*" || *allowed == origin)
    }
}

fn normalise(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// `http(s)://localhost`, `127.x.x.x` or `[::1]`, any port.
fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let (host, port) = match rest.find(']') {
        Some(end) if rest.starts_with('[') => rest.split_at(end + 1),
        _ => rest.split_at(rest.find(':').unwrap_or(rest.len())),
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    if !port_ok {
        return false;
    }
    host == "localhost"
        || host == "[::1]"
        || host
            .strip_prefix("127.")
            .is_some_and(|tail| tail.split('.').count() == 3 && tail.split('.').all(is_octet))
}

fn is_octet(part: &str) -> bool {
    !part.is_empty() && part.len() <= 3 && part.bytes().all(|byte| byte.is_ascii_digit())
}

/// The token as `?token=...` (any position in the query) or as the whole path (`/TOKEN`).
fn token_given(path: &str, query: Option<&str>, token: &str) -> bool {
    let in_query = query.is_some_and(|query| {
        query
            .split('&')
            .filter_map(|pair| pair.strip_prefix("token="))
            .any(|given| same_secret(given, token))
    });
    let in_path = same_secret(path.trim_matches('/'), token);
    in_query | in_path
}

/// Compares without stopping at the first difference.
fn same_secret(given: &str, expected: &str) -> bool {
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    let mut difference = u8::from(given.len() != expected.len());
    for (index, byte) in expected.iter().enumerate() {
        difference |= byte ^ given.get(index).copied().unwrap_or(0);
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(token: Option<&str>, origins: &[&str]) -> AccessPolicy {
        let origins: Vec<String> = origins.iter().map(ToString::to_string).collect();
        AccessPolicy::new(token.map(ToString::to_string), &origins)
    }

    #[test]
    fn native_clients_without_origin_are_allowed_by_default() {
        assert_eq!(
            policy(None, &[]).decide("/", None, None),
            AccessDecision::Allow
        );
    }

    #[test]
    fn pages_from_other_origins_are_refused_unless_listed() {
        let open = policy(None, &[]);
        assert_eq!(
            open.decide("/", None, Some("https://evil.example")),
            AccessDecision::OriginRefused
        );
        assert_eq!(
            open.decide("/", None, Some("null")),
            AccessDecision::OriginRefused
        );
        let listed = policy(None, &["https://App.Example/"]);
        assert_eq!(
            listed.decide("/", None, Some("https://app.example")),
            AccessDecision::Allow
        );
        assert_eq!(
            listed.decide("/", None, Some("https://app.example.evil.example")),
            AccessDecision::OriginRefused
        );
        assert_eq!(
            policy(None, &["*"]).decide("/", None, Some("https://any.example")),
            AccessDecision::Allow
        );
    }

    #[test]
    fn loopback_pages_are_allowed_and_look_alikes_are_not() {
        let open = policy(None, &[]);
        for origin in [
            "http://localhost",
            "http://localhost:8080",
            "https://127.0.0.1:3000",
            "http://127.1.2.3",
            "http://[::1]:5173",
        ] {
            assert!(open.origin_allowed(origin), "{origin}");
        }
        for origin in [
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "http://127.0.0.1@evil.example",
            "file://localhost",
            "http://[::1].evil.example",
        ] {
            assert!(!open.origin_allowed(origin), "{origin}");
        }
    }

    #[test]
    fn the_token_is_accepted_in_the_query_or_as_the_path_and_nowhere_else() {
        let guarded = policy(Some("s3cret"), &[]);
        assert_eq!(
            guarded.decide("/", Some("token=s3cret"), None),
            AccessDecision::Allow
        );
        assert_eq!(
            guarded.decide("/", Some("x=1&token=s3cret"), None),
            AccessDecision::Allow
        );
        assert_eq!(guarded.decide("/s3cret", None, None), AccessDecision::Allow);
        assert_eq!(
            guarded.decide("/", None, None),
            AccessDecision::Unauthorized
        );
        assert_eq!(
            guarded.decide("/", Some("token=s3cre"), None),
            AccessDecision::Unauthorized
        );
        assert_eq!(
            guarded.decide("/s3cret/more", None, None),
            AccessDecision::Unauthorized
        );
    }

    #[test]
    fn a_refused_origin_is_refused_before_the_token_is_looked_at() {
        let guarded = policy(Some("s3cret"), &[]);
        assert_eq!(
            guarded.decide("/", Some("token=s3cret"), Some("https://evil.example")),
            AccessDecision::OriginRefused
        );
    }
}

//! The Lovense Connect app's local API, as plugd uses it: `GET /GetToys` lists the toys the app
//! holds (id, type name, connected, battery); a command is `GET /<Command>?v=<value>&t=<toy id>`
//! (ref: upstream `lovense_connect_service_comm_manager.rs` and `_hardware.rs`). Pure functions.

use serde_json::Value;

/// One toy the app reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToyInfo {
    /// The app's id for it (its Bluetooth address in lower-case hex, in practice).
    pub id: String,
    /// Its type name (`Max`, `Edge`, ...): the identifier that selects the configuration.
    pub name: String,
    /// Whether the app is connected to it now.
    pub connected: bool,
    /// Battery percent (0 when the app says null).
    pub battery: u8,
}

/// The toys in a `GetToys` answer. Both shapes seen in the wild are read: `data` as a map of
/// toys (what upstream reads), or `data.toys` holding that map (as an object or a JSON string).
/// Entries that are not toys are skipped; an answer that is not JSON gives `None`.
pub fn parse_toys(body: &str) -> Option<Vec<ToyInfo>> {
    let value: Value = serde_json::from_str(body).ok()?;
    let data = value.get("data")?;
    let map = match data.get("toys") {
        Some(Value::String(text)) => serde_json::from_str::<Value>(text).ok()?,
        Some(toys @ Value::Object(_)) => toys.clone(),
        _ => data.clone(),
    };
    let Value::Object(entries) = map else {
        return Some(Vec::new());
    };
    let mut toys: Vec<ToyInfo> = entries
        .iter()
        .filter_map(|(key, toy)| {
            let id = toy
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or(key)
                .to_string();
            let name = toy.get("name").and_then(Value::as_str)?.to_string();
            Some(ToyInfo {
                id,
                name,
                connected: toy.get("status").is_some_and(truthy),
                battery: toy.get("battery").map(percent).unwrap_or(0),
            })
        })
        .collect();
    toys.sort_by(|a, b| a.id.cmp(&b.id));
    Some(toys)
}

/// `1`, `"1"`, `true`, `"true"` are true (the app has sent each).
fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_i64().is_some_and(|number| number != 0),
        Value::String(text) => matches!(text.trim(), "1" | "true" | "True"),
        _ => false,
    }
}

fn percent(value: &Value) -> u8 {
    let number = match value {
        Value::Number(number) => number.as_f64().unwrap_or(0.0),
        Value::String(text) => text.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    };
    // Clamped to 0..=100 first, so the cast cannot truncate.
    number.clamp(0.0, 100.0) as u8
}

/// The request path for bytes a protocol wrote to `tx`: the text is a command path with its
/// query (`Vibrate1?v=10`, `/Rotate?v=3&t=...`, `RotateChange?`); the toy's id is added as `t`
/// when the protocol left it out, since encoders do not know device addresses.
pub fn command_path(written: &str, toy_id: &str) -> String {
    let path = written.trim().trim_start_matches('/');
    let (route, query) = match path.split_once('?') {
        Some((route, query)) => (route, query),
        None => (path, ""),
    };
    let has_toy = query.split('&').any(|pair| pair.starts_with("t="));
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(str::to_string)
        .collect();
    if !has_toy {
        parts.push(format!("t={toy_id}"));
    }
    format!("{route}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_toys_with_a_toy_map_lists_each_toy() {
        let body = r#"{"code":200,"type":"OK","data":{
            "c44f3326a8f8":{"id":"c44f3326a8f8","name":"Max","nickName":"","status":"1","version":"3","battery":81},
            "d1":{"id":"d1","name":"Edge","status":0,"battery":null}}}"#;
        assert_eq!(
            parse_toys(body),
            Some(vec![
                ToyInfo {
                    id: "c44f3326a8f8".into(),
                    name: "Max".into(),
                    connected: true,
                    battery: 81
                },
                ToyInfo {
                    id: "d1".into(),
                    name: "Edge".into(),
                    connected: false,
                    battery: 0
                },
            ])
        );
    }

    #[test]
    fn get_toys_with_toys_as_a_json_string_is_read_too() {
        let body = r#"{"code":200,"data":{"toys":"{\"a1\":{\"id\":\"a1\",\"name\":\"Lush\",\"status\":true,\"battery\":\"55\"}}","platform":"pc"}}"#;
        assert_eq!(
            parse_toys(body),
            Some(vec![ToyInfo {
                id: "a1".into(),
                name: "Lush".into(),
                connected: true,
                battery: 55
            }])
        );
    }

    #[test]
    fn answers_that_are_not_json_or_not_toys_give_nothing() {
        assert_eq!(parse_toys("<html>"), None);
        assert_eq!(parse_toys(r#"{"code":200,"data":[]}"#), Some(Vec::new()));
        assert_eq!(parse_toys(r#"{"data":{"x":{"id":"x"}}}"#), Some(Vec::new()));
    }

    #[test]
    fn command_paths_get_the_toy_id_when_the_protocol_left_it_out() {
        assert_eq!(command_path("Vibrate1?v=10", "abc"), "Vibrate1?v=10&t=abc");
        assert_eq!(command_path("/Rotate?v=3&t=abc", "abc"), "Rotate?v=3&t=abc");
        assert_eq!(command_path("RotateChange?", "abc"), "RotateChange?t=abc");
        assert_eq!(command_path("Battery", "abc"), "Battery?t=abc");
    }
}

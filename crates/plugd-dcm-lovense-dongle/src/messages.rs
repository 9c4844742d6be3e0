//! The Lovense dongle's wire format: one JSON object per line (`\r\n` after what we send), read
//! off upstream's `lovense_dongle_messages.rs` and the captures in stpihkal issue 35. Pure
//! functions: what to send for a search, a stop, a toy command; what a received line means.
//!
//! The dongle names a toy by its Bluetooth address as 12 hex digits (`DC0D300516D5`);
//! [`ble_address`] turns that into the form the BLE DCM reports (`DC:0D:30:05:16:D5`), so a toy
//! reachable both ways has one address and the DeviceManager lets only one DCM claim it.

use serde::Deserialize;

// Every message is written with its keys in upstream's order (type, func, id, cmd): the
// dongle's firmware is not known to parse JSON in general, so plugd sends exactly what
// Intiface sends.

/// Status and result codes the dongle sends (upstream `LovenseDongleResultCode`).
pub mod code {
    /// The command was accepted.
    pub const COMMAND_SUCCESS: u16 = 200;
    /// A toy is connected (in `status` data).
    pub const DEVICE_CONNECT_SUCCESS: u16 = 202;
    /// The dongle started searching.
    pub const SEARCH_STARTED: u16 = 205;
    /// The dongle stopped searching.
    pub const SEARCH_STOPPED: u16 = 206;
    /// The toy went away (in `status` data).
    pub const DEVICE_DISCONNECTED: u16 = 403;
}

/// "Is a toy already connected?" — sent once when the dongle is opened.
pub fn status_query() -> String {
    r#"{"type":"toy","func":"statuss"}"#.to_string()
}

/// Start searching for toys.
pub fn search() -> String {
    r#"{"type":"toy","func":"search"}"#.to_string()
}

/// Stop searching.
pub fn stop_search() -> String {
    r#"{"type":"usb","func":"stopSearch"}"#.to_string()
}

/// A Lovense command (`Vibrate:10;`) for the toy `id` (the dongle's spelling of its address).
pub fn toy_command(id: &str, command: &str) -> String {
    // Key order as upstream serialises its struct: type, func, id, cmd.
    format!(
        "{{\"type\":\"toy\",\"func\":\"command\",\"id\":{},\"cmd\":{}}}",
        serde_json::Value::String(id.to_string()),
        serde_json::Value::String(command.to_string())
    )
}

/// A line from the dongle, as far as plugd cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DongleEvent {
    /// A toy is connected to the dongle (`status` with data status 202).
    ToyConnected {
        /// The dongle's id for it.
        id: String,
    },
    /// The toy went away (`status` with data status 403).
    ToyDisconnected {
        /// The dongle's id for it.
        id: String,
    },
    /// The search found a toy (`toyData` with an id and no payload while searching).
    ToyFound {
        /// The dongle's id for it.
        id: String,
    },
    /// Bytes from the toy (`toyData` with a `data` string): its reply to a command.
    ToyData {
        /// The dongle's id for it.
        id: Option<String>,
        /// The reply (`S:37:...;`, battery, ...).
        data: String,
    },
    /// The search started (205).
    SearchStarted,
    /// The search stopped (206), asked for or not.
    SearchStopped,
    /// A command was acknowledged, or anything else plugd has no use for.
    Other,
}

#[derive(Deserialize)]
struct Incoming {
    func: Option<String>,
    result: Option<u16>,
    data: Option<IncomingData>,
}

#[derive(Deserialize)]
struct IncomingData {
    id: Option<String>,
    data: Option<String>,
    status: Option<u16>,
}

/// What one line from the dongle means. `None` for a line that is not a dongle message (the
/// dongle prints other things on reset; they are ignored).
pub fn parse_line(line: &str) -> Option<DongleEvent> {
    let message: Incoming = serde_json::from_str(line.trim()).ok()?;
    let func = message.func.as_deref().unwrap_or_default();
    let data = message.data;
    let event = match func {
        "status" => match data {
            Some(IncomingData {
                id: Some(id),
                status: Some(code::DEVICE_CONNECT_SUCCESS),
                ..
            }) => DongleEvent::ToyConnected { id },
            Some(IncomingData {
                id: Some(id),
                status: Some(code::DEVICE_DISCONNECTED),
                ..
            }) => DongleEvent::ToyDisconnected { id },
            _ => DongleEvent::Other,
        },
        "toyData" => match data {
            Some(IncomingData {
                id,
                data: Some(payload),
                ..
            }) => DongleEvent::ToyData { id, data: payload },
            Some(IncomingData { id: Some(id), .. }) => DongleEvent::ToyFound { id },
            _ => DongleEvent::Other,
        },
        "search" => match message.result {
            Some(code::SEARCH_STARTED) => DongleEvent::SearchStarted,
            Some(code::SEARCH_STOPPED) => DongleEvent::SearchStopped,
            _ => DongleEvent::Other,
        },
        _ => DongleEvent::Other,
    };
    Some(event)
}

/// The dongle's toy id as a Bluetooth address the way the BLE DCM writes it (upper-case hex
/// pairs joined by `:`). An id that is not 12 hex digits is kept as it is.
pub fn ble_address(id: &str) -> String {
    let id = id.trim();
    if id.len() != 12 || !id.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return id.to_string();
    }
    id.to_ascii_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// Splits buffered text into complete lines, keeping an unfinished tail in `buffer`. Blank
/// lines and NUL padding (HID reports) are dropped.
pub fn take_lines(buffer: &mut String) -> Vec<String> {
    let mut lines = Vec::new();
    while let Some(end) = buffer.find('\n') {
        let line: String = buffer.drain(..=end).collect();
        let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        if !line.is_empty() {
            lines.push(line.to_string());
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outgoing_messages_are_the_dongles_json() {
        assert_eq!(status_query(), r#"{"type":"toy","func":"statuss"}"#);
        assert_eq!(search(), r#"{"type":"toy","func":"search"}"#);
        assert_eq!(stop_search(), r#"{"type":"usb","func":"stopSearch"}"#);
        assert_eq!(
            toy_command("DC0D300516D5", "Vibrate:10;"),
            r#"{"type":"toy","func":"command","id":"DC0D300516D5","cmd":"Vibrate:10;"}"#
        );
    }

    #[test]
    fn status_lines_report_toys_connecting_and_leaving() {
        assert_eq!(
            parse_line(
                r#"{"type":"toy","func":"status","result":200,"data":{"id":"DC0D300516D5","status":202}}"#
            ),
            Some(DongleEvent::ToyConnected {
                id: "DC0D300516D5".into()
            })
        );
        assert_eq!(
            parse_line(
                r#"{"type":"toy","func":"status","result":200,"data":{"id":"DC0D300516D5","status":403}}"#
            ),
            Some(DongleEvent::ToyDisconnected {
                id: "DC0D300516D5".into()
            })
        );
    }

    #[test]
    fn toy_data_is_a_find_without_payload_and_a_reply_with_one() {
        assert_eq!(
            parse_line(r#"{"type":"toy","func":"toyData","data":{"id":"DC0D300516D5"}}"#),
            Some(DongleEvent::ToyFound {
                id: "DC0D300516D5".into()
            })
        );
        assert_eq!(
            parse_line(
                r#"{"type":"toy","func":"toyData","data":{"id":"DC0D300516D5","data":"S:37:DC0D300516D5;"}}"#
            ),
            Some(DongleEvent::ToyData {
                id: Some("DC0D300516D5".into()),
                data: "S:37:DC0D300516D5;".into()
            })
        );
    }

    #[test]
    fn search_results_and_garbage_are_told_apart() {
        assert_eq!(
            parse_line(r#"{"type":"toy","func":"search","result":205}"#),
            Some(DongleEvent::SearchStarted)
        );
        assert_eq!(
            parse_line(r#"{"type":"toy","func":"search","result":206}"#),
            Some(DongleEvent::SearchStopped)
        );
        assert_eq!(
            parse_line(r#"{"type":"usb","func":"stopSearch","result":200}"#),
            Some(DongleEvent::Other)
        );
        assert_eq!(parse_line("LOVENSE DONGLE v1.2"), None);
        assert_eq!(
            parse_line(r#"{"func":"status","data":{"status":"x"}}"#),
            None
        );
    }

    #[test]
    fn dongle_ids_become_the_ble_address_form() {
        assert_eq!(ble_address("DC0D300516D5"), "DC:0D:30:05:16:D5");
        assert_eq!(ble_address("dc0d300516d5"), "DC:0D:30:05:16:D5");
        assert_eq!(ble_address("not-a-mac"), "not-a-mac");
    }

    #[test]
    fn buffered_text_splits_into_lines_and_keeps_the_tail() {
        let mut buffer = String::from("{\"a\":1}\r\n\0\0\n{\"b\"");
        assert_eq!(take_lines(&mut buffer), vec!["{\"a\":1}".to_string()]);
        assert_eq!(buffer, "{\"b\"");
    }
}

//! Checking a file a person hands plugd (`plugd device-config check FILE`): is it a device
//! database or a user config, and does it load? Errors name the file, the line and column and,
//! where serde can tell, the JSON path inside the file.

use crate::{ConfigError, DeviceDatabase, UserConfig};
use std::path::Path;

/// A file that loaded, by what it turned out to be.
#[derive(Debug)]
pub enum CheckedFile {
    /// It has `protocols`: a device database.
    Database(DeviceDatabase),
    /// It has `user_configs` and no `protocols`: a user device config.
    User(UserConfig),
}

/// Loads `text` as whichever kind it is: a device database when it has `protocols`, else a
/// user config when it has `user_configs`.
///
/// # Errors
/// Malformed JSON (line and column), a shape the format forbids (line, column and path), an
/// unsupported version, or neither `protocols` nor `user_configs` at the top.
pub fn check_text(text: &str) -> Result<CheckedFile, ConfigError> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    let Some(top) = value.as_object() else {
        return Err(ConfigError::Invalid(
            "the file is not a JSON object".to_string(),
        ));
    };
    let checked = if top.contains_key("protocols") {
        DeviceDatabase::from_json(text).map(CheckedFile::Database)
    } else if top.contains_key("user_configs") {
        UserConfig::from_json(text).map(CheckedFile::User)
    } else {
        Err(ConfigError::Invalid(
            "neither `protocols` (a device database) nor `user_configs` (a user device config) at the top of the file".to_string(),
        ))
    }?;
    let mut reversed = Vec::new();
    reversed_ranges(&value, &mut String::new(), &mut reversed);
    if !reversed.is_empty() {
        return Err(ConfigError::Invalid(reversed.join("; ")));
    }
    Ok(checked)
}

/// plugd's rule beyond the schema: a step range (`value` or `duration`, `[low, high]`) has its
/// low end at or below its high end. Every range that breaks it, by its JSON path.
fn reversed_ranges(value: &serde_json::Value, path: &mut String, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if key == "value" || key == "duration" {
                    check_range(inner, path, found);
                }
                reversed_ranges(inner, path, found);
                path.truncate(length);
            }
        }
        serde_json::Value::Array(items) => {
            for (position, inner) in items.iter().enumerate() {
                let length = path.len();
                path.push_str(&format!("[{position}]"));
                reversed_ranges(inner, path, found);
                path.truncate(length);
            }
        }
        _ => {}
    }
}

fn check_range(range: &serde_json::Value, path: &str, found: &mut Vec<String>) {
    let Some(items) = range.as_array() else {
        return;
    };
    match items.as_slice() {
        [low, high] if low.is_i64() && high.is_i64() => {
            let (low, high) = (low.as_i64().unwrap_or(0), high.as_i64().unwrap_or(0));
            if low > high {
                found.push(format!(
                    "at {path}: range [{low}, {high}] has its low end above its high end"
                ));
            }
        }
        // Input ranges are lists of ranges (`[[0, 100]]`).
        nested => {
            for (position, inner) in nested.iter().enumerate() {
                if inner.is_array() {
                    check_range(inner, &format!("{path}[{position}]"), found);
                }
            }
        }
    }
}

/// Reads `path` and checks it with [`check_text`].
///
/// # Errors
/// [`ConfigError::Read`], or [`ConfigError::File`] naming the file around what was wrong.
pub fn check_file(path: &Path) -> Result<CheckedFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    check_text(&text).map_err(|error| error.in_file(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_and_a_user_config_are_told_apart() {
        let database = r#"{"version": {"major": 4, "minor": 1}, "protocols": {}}"#;
        assert!(matches!(check_text(database), Ok(CheckedFile::Database(_))));
        let user = r#"{"version": {"major": 4, "minor": 1}, "user_configs": {}}"#;
        assert!(matches!(check_text(user), Ok(CheckedFile::User(_))));
    }

    #[test]
    fn a_file_of_neither_kind_is_refused_saying_what_was_expected() {
        let error = check_text(r#"{"version": {"major": 4, "minor": 1}}"#).unwrap_err();
        assert!(error.to_string().contains("user_configs"), "{error}");
        let error = check_text("[1, 2]").unwrap_err();
        assert!(error.to_string().contains("not a JSON object"), "{error}");
    }

    #[test]
    fn a_reversed_step_range_is_refused_naming_its_path() {
        let text = r#"{"version": {"major": 4, "minor": 1}, "protocols": {"lovense": {
            "configurations": [{"identifier": ["Z"], "name": "Z",
              "id": "a0000000-0000-4000-8000-000000000002",
              "features": [{"index": 0, "id": "a0000000-0000-4000-8000-000000000003",
                "output": {"vibrate": {"value": [20, 0]}},
                "input": {"battery": {"value": [[100, 0]], "command": ["Read"]}}}]}]}}}"#;
        let message = check_text(text).unwrap_err().to_string();
        assert!(
            message.contains(
                "at protocols.lovense.configurations[0].features[0].output.vibrate.value: range [20, 0]"
            ),
            "{message}"
        );
        assert!(
            message.contains("features[0].input.battery.value[0]: range [100, 0]"),
            "{message}"
        );
    }

    #[test]
    fn a_wrong_value_deep_in_a_database_names_its_json_path() {
        let text = r#"{"version": {"major": 4, "minor": 1}, "protocols": {"lovense": {
            "configurations": [{"identifier": ["Z"], "name": "Z",
              "id": "a0000000-0000-4000-8000-000000000002",
              "features": [{"index": 0, "id": "a0000000-0000-4000-8000-000000000003",
                "output": {"vibrate": {"value": [0, "twenty"]}}}]}]}}}"#;
        let error = check_text(text).unwrap_err();
        let message = error.to_string();
        assert!(
            message
                .contains("protocols.lovense.configurations[0].features[0].output.vibrate.value"),
            "{message}"
        );
        assert!(message.starts_with("line 5, column "), "{message}");
    }
}

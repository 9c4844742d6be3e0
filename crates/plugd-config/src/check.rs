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
    if top.contains_key("protocols") {
        DeviceDatabase::from_json(text).map(CheckedFile::Database)
    } else if top.contains_key("user_configs") {
        UserConfig::from_json(text).map(CheckedFile::User)
    } else {
        Err(ConfigError::Invalid(
            "neither `protocols` (a device database) nor `user_configs` (a user device config) at the top of the file".to_string(),
        ))
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

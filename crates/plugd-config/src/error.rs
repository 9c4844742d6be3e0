//! Why a device database or user config could not be loaded ([`ConfigError`]), and why one user
//! device entry was set aside while the rest of its file still applies ([`UserEntryError`]).

use plugd_core::OutputKind;
use std::path::PathBuf;

/// A loading failure. JSON errors carry the line and column; file errors name the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Content that is well-formed JSON but breaks a rule of the format no position names.
    #[error("invalid device config: {0}")]
    Invalid(String),
    /// The text is not JSON, or not JSON of the expected shape (a missing field, an unknown key
    /// where the schema forbids one, a wrong type). `message` is serde's, without its position.
    #[error("line {line}, column {column}{}: {message}", at_path(.path))]
    Json {
        /// Where inside the document, as a JSON path
        /// (`protocols.lovense.configurations[3].features[0].output.vibrate.value`), when known.
        path: Option<String>,
        /// 1-based line of the offending text.
        line: usize,
        /// 1-based column of the offending text.
        column: usize,
        /// What was wrong there.
        message: String,
    },
    /// `version.major` is not one plugd reads (4 and 5).
    #[error(
        "device config major version {major} is not supported (plugd reads major versions 4 and 5)"
    )]
    UnsupportedVersion {
        /// The file's `version.major`.
        major: u32,
        /// The file's `version.minor`.
        minor: u32,
    },
    /// A device database without `protocols` (a user config given as the database, say).
    #[error("no `protocols` object: this is not a device database")]
    NotADatabase,
    /// A built-in or given file left keys plugd does not know; plugd's own files must be exact.
    #[error("unknown keys: {}", keys.join(", "))]
    UnknownKeys {
        /// Where each key was, e.g. `configurations[3].features[0].output.vibrate.step_limit`.
        keys: Vec<String>,
    },
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file asked for.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Loading a named file failed; `source` says where inside it.
    #[error("{}: {source}", path.display())]
    File {
        /// The file that failed.
        path: PathBuf,
        /// What was wrong in it.
        #[source]
        source: Box<ConfigError>,
    },
}

impl ConfigError {
    /// Wraps `self` with the file it came from.
    pub(crate) fn in_file(self, path: impl Into<PathBuf>) -> ConfigError {
        ConfigError::File {
            path: path.into(),
            source: Box::new(self),
        }
    }
}

impl From<serde_json::Error> for ConfigError {
    fn from(error: serde_json::Error) -> Self {
        let line = error.line();
        let column = error.column();
        let text = error.to_string();
        // serde_json appends " at line L column C"; the position is kept in fields instead.
        let suffix = format!(" at line {line} column {column}");
        let message = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
        ConfigError::Json {
            path: None,
            line,
            column,
            message,
        }
    }
}

/// `, at PATH` for a known path inside the document.
fn at_path(path: &Option<String>) -> String {
    path.as_ref()
        .map(|path| format!(", at {path}"))
        .unwrap_or_default()
}

impl From<serde_path_to_error::Error<serde_json::Error>> for ConfigError {
    fn from(error: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = error.path().to_string();
        match ConfigError::from(error.into_inner()) {
            ConfigError::Json {
                line,
                column,
                message,
                ..
            } if path != "." => ConfigError::Json {
                path: Some(path),
                line,
                column,
                message,
            },
            other => other,
        }
    }
}

/// Parses `text` as `T`, naming the JSON path of the first error (`ConfigError::Json` with `path`).
pub(crate) fn from_json_with_path<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, ConfigError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Why one user device entry's definition could not be built (device-config.md §3.2 steps 2–5).
/// The entry's definition is dropped; the rest of the user config still applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserEntryError {
    /// The entry names a protocol the device database does not have.
    #[error("protocol {protocol:?} is not in the device database")]
    UnknownProtocol {
        /// The entry's `identifier.protocol`.
        protocol: String,
    },
    /// `config.base_id` names no definition at all.
    #[error("base_id {base_id} names no definition of protocol {protocol:?}")]
    UnknownBase {
        /// The entry's protocol.
        protocol: String,
        /// The id asked for.
        base_id: String,
    },
    /// `config.base_id` names a definition of another protocol.
    #[error("base_id {base_id} is a definition of protocol {found:?}, not {expected:?}")]
    BaseInOtherProtocol {
        /// The id asked for.
        base_id: String,
        /// The entry's protocol.
        expected: String,
        /// The protocol that has it.
        found: String,
    },
    /// The entry lists a different number of features than its base has.
    #[error("{given} features listed, the base {base_name:?} has {expected}")]
    FeatureCount {
        /// Features in the entry.
        given: usize,
        /// Features in the base definition.
        expected: usize,
        /// The base definition's name.
        base_name: String,
    },
    /// A feature's `base_id` names no feature of the base definition.
    #[error("feature base_id {base_id} names no feature of {base_name:?}")]
    UnknownFeatureBase {
        /// The id asked for.
        base_id: String,
        /// The base definition's name.
        base_name: String,
    },
    /// Two features of the entry name the same base feature.
    #[error("feature base_id {base_id} is listed twice")]
    RepeatedFeatureBase {
        /// The repeated id.
        base_id: String,
    },
    /// A user range is not `[a, b]` with `0 <= a <= b <= maximum`.
    #[error("{property} range [{low}, {high}] of {kind} on feature {feature_base_id} is not inside [0, {maximum}]")]
    RangeOutsideBase {
        /// The base feature's id.
        feature_base_id: String,
        /// The output it belongs to.
        kind: OutputKind,
        /// `value` or `duration`.
        property: &'static str,
        /// The user's low end.
        low: i32,
        /// The user's high end.
        high: i32,
        /// The base range's end.
        maximum: i32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_error_keeps_line_and_column_out_of_the_message() {
        let error = serde_json::from_str::<serde_json::Value>("{\n  \"a\": x\n}").unwrap_err();
        let error = ConfigError::from(error);
        let ConfigError::Json { line, message, .. } = &error else {
            panic!("expected a JSON error, got {error:?}");
        };
        assert_eq!(*line, 2);
        assert!(!message.contains("at line"), "{message}");
        assert!(error.to_string().starts_with("line 2, column "), "{error}");
    }

    #[test]
    fn a_shape_error_names_the_json_path_line_and_column() {
        #[derive(Debug, serde::Deserialize)]
        struct Outer {
            #[allow(dead_code)]
            items: Vec<Inner>,
        }
        #[derive(Debug, serde::Deserialize)]
        struct Inner {
            #[allow(dead_code)]
            value: [i32; 2],
        }
        let text = "{\"items\": [{\"value\": [0, 1]},\n {\"value\": [0, \"x\"]}]}";
        let error = from_json_with_path::<Outer>(text).unwrap_err();
        let ConfigError::Json {
            path: Some(path),
            line,
            ..
        } = &error
        else {
            panic!("expected a path, got {error:?}");
        };
        assert_eq!(path, "items[1].value[1]");
        assert_eq!(*line, 2);
        assert!(
            error.to_string().contains(", at items[1].value[1]: "),
            "{error}"
        );
    }

    #[test]
    fn file_error_names_the_file_before_the_position() {
        let inner = ConfigError::Json {
            path: None,
            line: 3,
            column: 7,
            message: "expected value".to_string(),
        };
        let error = inner.in_file("/tmp/database.json");
        assert_eq!(
            error.to_string(),
            "/tmp/database.json: line 3, column 7: expected value"
        );
    }
}

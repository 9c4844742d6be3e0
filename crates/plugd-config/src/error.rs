//! Why a device database or user config could not be loaded.

/// A loading failure; names the file part that was wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The text is not valid JSON for the format; carries serde's message (with line/column).
    #[error("invalid device config: {0}")]
    Invalid(String),
}

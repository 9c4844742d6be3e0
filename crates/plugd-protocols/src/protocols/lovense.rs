//! Lovense (being written).
use crate::{EncodeContext, InitReply, InitStep, InputReadPlan, ProtocolError};
use plugd_config::{DeviceDefinition, DeviceIdentity};
use plugd_core::{FeatureIndex, HardwareCommand, InputKind};

/// Database key.
pub const NAME: &str = "lovense";

/// Identification steps.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    Vec::new()
}

/// Picks the model.
pub fn resolve_identifier(_identity: &DeviceIdentity, _replies: &[InitReply]) -> Option<String> {
    None
}

/// Encodes.
pub fn encode(_context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    Ok(Vec::new())
}

/// Reads inputs.
pub fn read_input(
    _definition: &DeviceDefinition,
    _feature: FeatureIndex,
    _kind: InputKind,
) -> Result<InputReadPlan, ProtocolError> {
    Err(ProtocolError::Definition(String::new()))
}

//! (being written)
/// Database and user config layered.
#[derive(Debug, Clone, Default)]
pub struct DeviceConfigStore;
/// A protocol that matched.
#[derive(Debug, Clone)]
pub struct ProtocolMatch;

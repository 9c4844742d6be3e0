//! (being written)
/// A user config.
#[derive(Debug, Clone, Default)]
pub struct UserConfig;
/// A simulated device entry.
#[derive(Debug, Clone)]
pub struct SimulatedDeviceEntry;

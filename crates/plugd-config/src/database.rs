//! (being written)
/// A loaded device database.
#[derive(Debug, Clone, Default)]
pub struct DeviceDatabase;
/// A communication specifier.
#[derive(Debug, Clone)]
pub enum CommunicationSpecifier {}

//! DeviceConfig: the actor that owns the device database and the user config, and answers the
//! DCMs' "what is this hardware?" and the Devices' "which definition applies?".

use actix::prelude::*;
use plugd_config::{
    CommunicationSpecifier, DeviceConfigStore, DeviceDefinition, DeviceIdentity, ProtocolMatch,
    SimulatedDeviceEntry, Transport,
};

/// "What is this hardware?" Sent by a DCM for every found thing. Answers the first matching
/// protocol plugd has an encoder for, or `None` (denied, unknown, or no encoder: logged here).
#[derive(Debug, Message)]
#[rtype(result = "Option<ProtocolMatch>")]
pub struct FindProtocol {
    /// What the DCM saw.
    pub identity: DeviceIdentity,
}

/// "Which definition applies?" Sent by a Device once identification picked an identifier.
#[derive(Debug, Message)]
#[rtype(result = "Option<DeviceDefinition>")]
pub struct LookupDefinition {
    /// Protocol key.
    pub protocol: String,
    /// The identifier identification picked, `None` for the protocol's defaults.
    pub identifier: Option<String>,
    /// The hardware's address (user entries are per address).
    pub address: String,
}

/// Indices the user config reserves; the DeviceManager skips them for other devices.
#[derive(Debug, Message)]
#[rtype(result = "Vec<u32>")]
pub struct ReservedIndices;

/// The user config's `simulated_devices` list (v5), for the simulated DCM.
#[derive(Debug, Message)]
#[rtype(result = "Vec<SimulatedDeviceEntry>")]
pub struct SimulatedDevices;

/// Every specifier of one transport with its protocol (user specifiers first): which serial
/// ports, VID/PIDs... a DCM should look at, and how to open them.
#[derive(Debug, Message)]
#[rtype(result = "Vec<(String, CommunicationSpecifier)>")]
pub struct TransportSpecifiers {
    /// The transport asking.
    pub transport: Transport,
}

/// The actor. Lookups are synchronous and cheap; it never blocks.
pub struct DeviceConfig {
    /// Database and user config, layered.
    store: DeviceConfigStore,
}

impl DeviceConfig {
    /// An actor answering from `store`.
    pub fn new(store: DeviceConfigStore) -> Self {
        DeviceConfig { store }
    }
}

impl Actor for DeviceConfig {
    type Context = Context<Self>;
}

impl Handler<FindProtocol> for DeviceConfig {
    type Result = Option<ProtocolMatch>;

    fn handle(&mut self, message: FindProtocol, _: &mut Self::Context) -> Self::Result {
        let identity = &message.identity;
        if !self.store.is_allowed(&identity.address) {
            tracing::info!(
                name = %identity.name,
                address = %identity.address,
                "device refused by the user config (deny, or not on the allow list)"
            );
            return None;
        }
        let candidates = self.store.find_protocols(identity);
        if candidates.is_empty() {
            tracing::debug!(
                transport = identity.transport.name(),
                name = %identity.name,
                address = %identity.address,
                "no protocol in the device database matches this device"
            );
            return None;
        }
        let mut without_encoder = Vec::new();
        for candidate in candidates {
            if plugd_protocols::find(&candidate.protocol).is_some() {
                return Some(candidate);
            }
            without_encoder.push(candidate.protocol);
        }
        tracing::warn!(
            name = %identity.name,
            address = %identity.address,
            protocols = ?without_encoder,
            "device matches the database but plugd has no encoder for its protocol yet; ignoring it"
        );
        None
    }
}

impl Handler<LookupDefinition> for DeviceConfig {
    type Result = Option<DeviceDefinition>;

    fn handle(&mut self, message: LookupDefinition, _: &mut Self::Context) -> Self::Result {
        self.store.definition(
            &message.protocol,
            message.identifier.as_deref(),
            &message.address,
        )
    }
}

impl Handler<ReservedIndices> for DeviceConfig {
    type Result = Vec<u32>;

    fn handle(&mut self, _: ReservedIndices, _: &mut Self::Context) -> Self::Result {
        self.store.reserved_indices()
    }
}

impl Handler<SimulatedDevices> for DeviceConfig {
    type Result = Vec<SimulatedDeviceEntry>;

    fn handle(&mut self, _: SimulatedDevices, _: &mut Self::Context) -> Self::Result {
        self.store.user_simulated_devices()
    }
}

impl Handler<TransportSpecifiers> for DeviceConfig {
    type Result = Vec<(String, CommunicationSpecifier)>;

    fn handle(&mut self, message: TransportSpecifiers, _: &mut Self::Context) -> Self::Result {
        self.store.specifiers_for(message.transport)
    }
}

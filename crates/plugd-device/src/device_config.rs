//! DeviceConfig: the actor that owns the device database and the user config, and answers the
//! DCMs' "what is this hardware?" and the Devices' "which definition applies?". Its store can be
//! swapped while plugd runs ([`ReloadDeviceConfig`], [`ReplaceDeviceConfig`]): connected devices
//! keep the definitions they were built with; new lookups use the new store.

use actix::prelude::*;
use plugd_config::{
    CommunicationSpecifier, DeviceConfigStore, DeviceDefinition, DeviceIdentity, ProtocolMatch,
    SimulatedDeviceEntry, Transport,
};
use std::sync::Arc;

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

/// Builds a fresh store from wherever plugd's settings say the files are (the binary gives one;
/// it reads files, so it runs on a blocking thread). `Ok` carries a one-line summary of what was
/// loaded, `Err` a one-line reason naming the file (and line) that was refused.
pub type StoreLoader = Arc<dyn Fn() -> Result<(DeviceConfigStore, String), String> + Send + Sync>;

/// "Read the device database and the user config again" (SIGHUP, the REST API). On success the
/// new store replaces the old one and the summary is answered; on any error the old store stays
/// and the reason is answered. Connected devices and clients are not touched.
#[derive(Debug, Message)]
#[rtype(result = "Result<String, String>")]
pub struct ReloadDeviceConfig;

/// Replaces the store with one the sender already loaded and checked.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReplaceDeviceConfig {
    /// The new database and user config.
    pub store: DeviceConfigStore,
}

/// The actor. Lookups are synchronous and cheap; it never blocks.
pub struct DeviceConfig {
    /// Database and user config, layered.
    store: DeviceConfigStore,
    /// How to build a new store on [`ReloadDeviceConfig`]; `None`: reloading is refused.
    loader: Option<StoreLoader>,
}

impl DeviceConfig {
    /// An actor answering from `store`.
    pub fn new(store: DeviceConfigStore) -> Self {
        DeviceConfig {
            store,
            loader: None,
        }
    }

    /// Lets [`ReloadDeviceConfig`] rebuild the store with `loader`.
    pub fn with_loader(mut self, loader: StoreLoader) -> Self {
        self.loader = Some(loader);
        self
    }
}

impl Handler<ReloadDeviceConfig> for DeviceConfig {
    type Result = ResponseActFuture<Self, Result<String, String>>;

    fn handle(&mut self, _: ReloadDeviceConfig, _: &mut Self::Context) -> Self::Result {
        let Some(loader) = self.loader.clone() else {
            return Box::pin(fut::ready(Err(
                "this DeviceConfig was started without a way to reload".to_string(),
            )));
        };
        let loading = tokio::task::spawn_blocking(move || loader());
        Box::pin(
            async move {
                loading
                    .await
                    .unwrap_or_else(|error| Err(format!("reloading failed: {error}")))
            }
            .into_actor(self)
            .map(|loaded, actor, _| match loaded {
                Ok((store, summary)) => {
                    actor.store = store;
                    tracing::info!(%summary, "device config reloaded");
                    Ok(summary)
                }
                Err(reason) => {
                    tracing::error!(%reason, "device config reload refused; the previous one stays in use");
                    Err(reason)
                }
            }),
        )
    }
}

impl Handler<ReplaceDeviceConfig> for DeviceConfig {
    type Result = ();

    fn handle(&mut self, message: ReplaceDeviceConfig, _: &mut Self::Context) {
        self.store = message.store;
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

#[cfg(test)]
mod reload_tests {
    use super::*;
    use plugd_config::DeviceDatabase;

    fn database_with(protocol: &str) -> DeviceDatabase {
        let text = format!(
            r#"{{"version": {{"major": 4, "minor": 1}}, "protocols": {{"{protocol}": {{
                "communication": [{{"websocket": {{"name": "{protocol}-device"}}}}],
                "defaults": {{"name": "D", "id": "a0000000-0000-4000-8000-000000000001", "features": []}}}}}}}}"#
        );
        match DeviceDatabase::from_json(&text) {
            Ok(database) => database,
            Err(error) => panic!("{error}"),
        }
    }

    #[actix_rt::test]
    async fn a_reload_swaps_the_store_and_a_failed_one_keeps_the_old() {
        let answers = Arc::new(std::sync::Mutex::new(vec![
            Err("bad.json: line 3, column 1: expected value".to_string()),
            Ok(database_with("second")),
        ]));
        let loader: StoreLoader = Arc::new(move || {
            let next = answers
                .lock()
                .map_err(|_| "poisoned".to_string())?
                .pop()
                .unwrap_or_else(|| Err("no more".to_string()))?;
            Ok((DeviceConfigStore::new(next, None), "second".to_string()))
        });
        let config = DeviceConfig::new(DeviceConfigStore::new(database_with("first"), None))
            .with_loader(loader)
            .start();
        let has = |config: Addr<DeviceConfig>, name: &'static str| async move {
            let protocols: Vec<String> = config
                .send(TransportSpecifiers {
                    transport: plugd_config::Transport::Websocket,
                })
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|(protocol, _)| protocol)
                .collect();
            protocols == [name]
        };
        assert!(has(config.clone(), "first").await);
        assert_eq!(
            config.send(ReloadDeviceConfig).await.ok(),
            Some(Ok("second".to_string()))
        );
        assert!(has(config.clone(), "second").await);
        let refused = config.send(ReloadDeviceConfig).await.ok();
        assert!(
            matches!(&refused, Some(Err(reason)) if reason.contains("bad.json: line 3")),
            "{refused:?}"
        );
        assert!(has(config.clone(), "second").await);
    }
}

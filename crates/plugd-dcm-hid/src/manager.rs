//! HidDcm: on each scan, lists the HID devices, keeps those whose VID/PID a `hid` specifier
//! names, asks DeviceConfig what each is (by VID/PID; the product string is its name), opens
//! the matches on a blocking thread and hands them to the DeviceManager. A device plugd holds
//! already is skipped; the scan finishes when the list is done.

use crate::backend::{HidBackend, HidDeviceInfo};
use crate::hardware::{DeviceReleased, HidHardware};
use actix::prelude::*;
use plugd_config::{CommunicationSpecifier, DeviceIdentity, Transport};
use plugd_core::Endpoint;
use plugd_device::{
    Availability, DcmScanningFinished, DeviceConfig, DeviceManager, FindProtocol,
    HardwareConnected, RegisterDcm, StartScanning, StopScanning, TransportSpecifiers,
};
use std::collections::HashSet;
use std::sync::Arc;

/// The name this DCM registers under.
pub const DCM_NAME: &str = "hid";

/// Where the DCM's findings go and whom it asks (recipients, so tests can stand in).
#[derive(Clone)]
pub struct DcmPeers {
    /// DeviceConfig: what is this hardware?
    pub find_protocol: Recipient<FindProtocol>,
    /// DeviceConfig: the `hid` specifiers (which VID/PIDs to look at).
    pub specifiers: Recipient<TransportSpecifiers>,
    /// DeviceManager: hardware found and opened.
    pub connected: Recipient<HardwareConnected>,
    /// DeviceManager: this DCM's scan is over.
    pub finished: Recipient<DcmScanningFinished>,
}

impl DcmPeers {
    /// The real actors.
    pub fn new(config: &Addr<DeviceConfig>, manager: &Addr<DeviceManager>) -> Self {
        DcmPeers {
            find_protocol: config.clone().recipient(),
            specifiers: config.clone().recipient(),
            connected: manager.clone().recipient(),
            finished: manager.clone().recipient(),
        }
    }
}

/// The VID/PID pairs the specifiers name.
pub fn wanted_pairs(specifiers: &[(String, CommunicationSpecifier)]) -> HashSet<(u16, u16)> {
    specifiers
        .iter()
        .filter_map(|(_, specifier)| match specifier {
            CommunicationSpecifier::Hid { pairs } => Some(pairs),
            _ => None,
        })
        .flatten()
        .map(|pair| (pair.vendor_id, pair.product_id))
        .collect()
}

/// What DeviceConfig matches a HID device by.
pub fn identity(info: &HidDeviceInfo) -> DeviceIdentity {
    let mut identity = DeviceIdentity::named(Transport::Hid, info.product.clone(), info.address());
    identity.vendor_product = Some((info.vendor_id, info.product_id));
    identity
}

/// The actor.
pub struct HidDcm {
    backend: Arc<dyn HidBackend>,
    peers: DcmPeers,
    open: HashSet<String>,
    scanning: bool,
}

impl HidDcm {
    /// A DCM on `backend`.
    pub fn new(backend: Arc<dyn HidBackend>, peers: DcmPeers) -> Self {
        HidDcm {
            backend,
            peers,
            open: HashSet::new(),
            scanning: false,
        }
    }

    fn scan(&mut self, ctx: &mut Context<Self>) {
        let peers = self.peers.clone();
        let backend = self.backend.clone();
        let already_open = self.open.clone();
        let work = async move {
            let specifiers = peers
                .specifiers
                .send(TransportSpecifiers {
                    transport: Transport::Hid,
                })
                .await
                .unwrap_or_default();
            let wanted = wanted_pairs(&specifiers);
            let lister = backend.clone();
            let devices = match tokio::task::spawn_blocking(move || lister.list()).await {
                Ok(Ok(devices)) => devices,
                Ok(Err(error)) => {
                    tracing::warn!(dcm = DCM_NAME, %error, "cannot list HID devices");
                    Vec::new()
                }
                Err(error) => {
                    tracing::warn!(dcm = DCM_NAME, %error, "listing HID devices panicked");
                    Vec::new()
                }
            };
            let mut opened = Vec::new();
            let mut seen = HashSet::new();
            for info in devices {
                let address = info.address();
                if !wanted.contains(&(info.vendor_id, info.product_id))
                    || already_open.contains(&address)
                    || !seen.insert(address)
                {
                    continue;
                }
                let identity = identity(&info);
                let Ok(Some(protocol)) = peers
                    .find_protocol
                    .send(FindProtocol {
                        identity: identity.clone(),
                    })
                    .await
                else {
                    continue;
                };
                let opener = backend.clone();
                let path = info.path.clone();
                match tokio::task::spawn_blocking(move || opener.open(&path)).await {
                    Ok(Ok(connection)) => opened.push((identity, protocol, connection)),
                    Ok(Err(error)) => {
                        tracing::warn!(dcm = DCM_NAME, %error, "cannot open HID device")
                    }
                    Err(error) => {
                        tracing::warn!(dcm = DCM_NAME, %error, "opening a HID device panicked")
                    }
                }
            }
            opened
        };
        work.into_actor(self)
            .map(|opened, dcm, ctx| {
                for (identity, protocol, connection) in opened {
                    dcm.open.insert(identity.address.clone());
                    tracing::info!(dcm = DCM_NAME, address = %identity.address, name = %identity.name, protocol = %protocol.protocol, "HID device found");
                    let hardware = HidHardware::new(
                        identity.address.clone(),
                        connection,
                        ctx.address().recipient(),
                    )
                    .start();
                    dcm.peers.connected.do_send(HardwareConnected {
                        identity,
                        protocol,
                        endpoints: vec![Endpoint::Tx, Endpoint::Rx],
                        hardware: hardware.recipient(),
                        default_message_gap: None,
                    });
                }
                if dcm.scanning {
                    dcm.scanning = false;
                    dcm.peers.finished.do_send(DcmScanningFinished { name: DCM_NAME });
                }
            })
            .spawn(ctx);
    }
}

/// The registration the wiring sends: `availability` from the backend's probe.
pub fn registration(dcm: &Addr<HidDcm>, availability: Availability) -> RegisterDcm {
    RegisterDcm {
        name: DCM_NAME,
        availability,
        start: dcm.clone().recipient(),
        stop: dcm.clone().recipient(),
    }
}

impl Actor for HidDcm {
    type Context = Context<Self>;
}

impl Handler<StartScanning> for HidDcm {
    type Result = ();

    fn handle(&mut self, _: StartScanning, ctx: &mut Self::Context) {
        self.scanning = true;
        self.scan(ctx);
    }
}

impl Handler<StopScanning> for HidDcm {
    type Result = ();

    fn handle(&mut self, _: StopScanning, _: &mut Self::Context) {
        if self.scanning {
            self.scanning = false;
            self.peers
                .finished
                .do_send(DcmScanningFinished { name: DCM_NAME });
        }
    }
}

impl Handler<DeviceReleased> for HidDcm {
    type Result = ();

    fn handle(&mut self, message: DeviceReleased, _: &mut Self::Context) {
        self.open.remove(&message.address);
    }
}

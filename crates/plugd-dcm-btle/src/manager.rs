//! BtleDcm: the BLE device communication manager. It keeps one adapter event stream for the
//! whole run and tracks every device it connected:
//!
//! * While a client scans, every new advertisement worth a look goes to DeviceConfig
//!   (`FindProtocol`: names with wildcards, manufacturer data, advertised services); a match is
//!   connected, its GATT services discovered and mapped to endpoints through the protocol's
//!   first `btle` specifier, and handed to the DeviceManager with the BLE message gap (75 ms).
//! * A device that drops (adapter disconnection, failed write) is reported gone at once and
//!   kept as *dropped*: the adapter keeps scanning in the background while any device is
//!   dropped, and the device is reconnected the moment it advertises again — scanning or not.
//!   The DeviceManager gives it back its old index (indices are kept per address).
//! * A device its Device let go of (shutdown, claimed by another DCM, failed identification)
//!   is forgotten, and not looked at again during the same scan.

use crate::backend::{AdapterEvent, Advertisement, BleAdapter};
use crate::endpoints::{identity, map_endpoints, services_for, worth_a_lookup, ServiceMap};
use crate::hardware::{BtleHardware, HardwareGone, LinkLost};
use actix::prelude::*;
use plugd_config::{CommunicationSpecifier, ProtocolMatch, Transport};
use plugd_device::{
    Availability, DcmScanningFinished, DeviceConfig, DeviceManager, FindProtocol,
    HardwareConnected, RegisterDcm, StartScanning, StopScanning, TransportSpecifiers,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// The name this DCM registers under.
pub const DCM_NAME: &str = "btle";
/// The transport's default gap between writes (upstream's BLE default).
pub const BLE_MESSAGE_GAP: Duration = Duration::from_millis(75);
/// How long connecting and service discovery may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// After a failed first connection, the address is left alone this long.
const RETRY_PAUSE: Duration = Duration::from_secs(2);

/// Where the DCM's findings go and whom it asks (recipients, so tests can stand in).
#[derive(Clone)]
pub struct DcmPeers {
    /// DeviceConfig: what is this hardware?
    pub find_protocol: Recipient<FindProtocol>,
    /// DeviceConfig: the `btle` specifiers (for the services maps).
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

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Connecting,
    Connected(Addr<BtleHardware>),
    Dropped,
}

struct Known {
    state: State,
    advertisement: Advertisement,
    protocol: ProtocolMatch,
    services: ServiceMap,
    /// Connected at least once: a failure then means "dropped", not "never mind".
    was_connected: bool,
}

/// The actor.
pub struct BtleDcm {
    adapter: Arc<dyn BleAdapter>,
    peers: DcmPeers,
    client_scanning: bool,
    adapter_scanning: bool,
    known: HashMap<String, Known>,
    /// Addresses looked up (or being looked up) during this scan.
    tried: HashSet<String>,
    specifiers: Vec<(String, CommunicationSpecifier)>,
}

impl BtleDcm {
    /// A DCM on `adapter`.
    pub fn new(adapter: Arc<dyn BleAdapter>, peers: DcmPeers) -> Self {
        BtleDcm {
            adapter,
            peers,
            client_scanning: false,
            adapter_scanning: false,
            known: HashMap::new(),
            tried: HashSet::new(),
            specifiers: Vec::new(),
        }
    }

    fn refresh_specifiers(&self, ctx: &mut Context<Self>) {
        self.peers
            .specifiers
            .send(TransportSpecifiers {
                transport: Transport::Btle,
            })
            .into_actor(self)
            .map(|specifiers, dcm, _| {
                if let Ok(specifiers) = specifiers {
                    dcm.specifiers = specifiers;
                }
            })
            .wait(ctx);
    }

    /// Scans while a client wants it or any device is dropped.
    fn update_scan(&mut self, ctx: &mut Context<Self>) {
        let wanted = self.client_scanning
            || self
                .known
                .values()
                .any(|known| known.state == State::Dropped);
        if wanted == self.adapter_scanning {
            return;
        }
        self.adapter_scanning = wanted;
        let request = if wanted {
            self.adapter.start_scan()
        } else {
            self.adapter.stop_scan()
        };
        request
            .into_actor(self)
            .map(move |result, _, _| {
                if let Err(error) = result {
                    tracing::warn!(dcm = DCM_NAME, %error, "cannot {} scanning (is Bluetooth switched on?)", if wanted { "start" } else { "stop" });
                }
            })
            .spawn(ctx);
    }

    fn on_advertisement(&mut self, advertisement: Advertisement, ctx: &mut Context<Self>) {
        let address = advertisement.address.clone();
        if let Some(known) = self.known.get_mut(&address) {
            if known.state == State::Dropped {
                tracing::info!(dcm = DCM_NAME, %address, name = %known.advertisement.name, "dropped BLE device advertises again; reconnecting");
                known.state = State::Connecting;
                known.advertisement = advertisement;
                self.connect(address, ctx);
            }
            return;
        }
        if !self.client_scanning
            || !worth_a_lookup(&advertisement)
            || !self.tried.insert(address.clone())
        {
            return;
        }
        tracing::debug!(dcm = DCM_NAME, %address, name = %advertisement.name, "BLE advertisement");
        self.peers
            .find_protocol
            .send(FindProtocol {
                identity: identity(&advertisement),
            })
            .into_actor(self)
            .map(move |matched, dcm, ctx| {
                let Ok(Some(protocol)) = matched else {
                    return;
                };
                if dcm.known.contains_key(&address) {
                    return;
                }
                let services = services_for(&protocol.protocol, &dcm.specifiers);
                dcm.known.insert(
                    address.clone(),
                    Known {
                        state: State::Connecting,
                        advertisement,
                        protocol,
                        services,
                        was_connected: false,
                    },
                );
                dcm.connect(address, ctx);
            })
            .spawn(ctx);
    }

    /// Connects, maps endpoints, starts the hardware and hands it over.
    fn connect(&mut self, address: String, ctx: &mut Context<Self>) {
        let connecting = self.adapter.connect(&address);
        async move {
            tokio::time::timeout(CONNECT_TIMEOUT, connecting)
                .await
                .unwrap_or_else(|_| Err(format!("no connection within {CONNECT_TIMEOUT:?}")))
        }
        .into_actor(self)
        .map(move |result, dcm, ctx| {
            let Some(known) = dcm.known.get_mut(&address) else {
                return;
            };
            if known.state != State::Connecting {
                return;
            }
            let link = match result {
                Ok(link) => link,
                Err(error) => {
                    dcm.connect_failed(&address, &error, ctx);
                    return;
                }
            };
            let map = map_endpoints(&known.services, &link.characteristics());
            for (endpoint, uuid) in &map.missing {
                tracing::warn!(dcm = DCM_NAME, %address, %endpoint, characteristic = %uuid, "characteristic not found; the endpoint is left out");
            }
            if map.endpoints.is_empty() {
                let link = link.clone();
                actix::spawn(async move {
                    let _ = link.disconnect().await;
                });
                dcm.connect_failed(&address, "none of the protocol's services is on the device", ctx);
                return;
            }
            let endpoints: Vec<_> = map.endpoints.keys().copied().collect();
            let hardware = BtleHardware::new(
                address.clone(),
                link,
                map.endpoints,
                ctx.address().recipient(),
            )
            .start();
            known.state = State::Connected(hardware.clone());
            known.was_connected = true;
            tracing::info!(dcm = DCM_NAME, %address, name = %known.advertisement.name, protocol = %known.protocol.protocol, ?endpoints, "BLE device connected");
            dcm.peers.connected.do_send(HardwareConnected {
                identity: identity(&known.advertisement),
                protocol: known.protocol.clone(),
                endpoints,
                hardware: hardware.recipient(),
                default_message_gap: Some(BLE_MESSAGE_GAP),
            });
            dcm.update_scan(ctx);
        })
        .spawn(ctx);
    }

    fn connect_failed(&mut self, address: &str, error: &str, ctx: &mut Context<Self>) {
        let Some(known) = self.known.get_mut(address) else {
            return;
        };
        if known.was_connected {
            tracing::info!(dcm = DCM_NAME, %address, %error, "reconnecting failed; trying again when it advertises");
            known.state = State::Dropped;
        } else {
            tracing::warn!(dcm = DCM_NAME, %address, %error, "cannot connect to the BLE device");
            self.known.remove(address);
            // Let the next advertisement try again, after a pause.
            let address = address.to_string();
            ctx.run_later(RETRY_PAUSE, move |dcm, _| {
                dcm.tried.remove(&address);
            });
        }
        self.update_scan(ctx);
    }
}

/// The registration the wiring sends for this DCM once the adapter is open.
pub fn registration(dcm: &Addr<BtleDcm>) -> RegisterDcm {
    RegisterDcm {
        name: DCM_NAME,
        availability: Availability::Available,
        start: dcm.clone().recipient(),
        stop: dcm.clone().recipient(),
    }
}

impl Actor for BtleDcm {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.refresh_specifiers(ctx);
        self.adapter
            .events()
            .into_actor(self)
            .map(|events, _, ctx| match events {
                Ok(events) => {
                    ctx.add_stream(events);
                }
                Err(error) => {
                    tracing::warn!(dcm = DCM_NAME, %error, "no events from the Bluetooth adapter; BLE devices will not be found")
                }
            })
            .wait(ctx);
    }
}

impl StreamHandler<AdapterEvent> for BtleDcm {
    fn handle(&mut self, event: AdapterEvent, ctx: &mut Self::Context) {
        match event {
            AdapterEvent::Advertised(advertisement) => self.on_advertisement(advertisement, ctx),
            AdapterEvent::Disconnected { address } => {
                if let Some(Known {
                    state: State::Connected(hardware),
                    ..
                }) = self.known.get(&address)
                {
                    hardware.do_send(LinkLost("the device disconnected".to_string()));
                }
            }
        }
    }

    fn finished(&mut self, _: &mut Self::Context) {
        tracing::warn!(dcm = DCM_NAME, "the Bluetooth adapter stopped reporting events (adapter removed or BlueZ restarted?); restart plugd to use BLE again");
    }
}

impl Handler<StartScanning> for BtleDcm {
    type Result = ();

    fn handle(&mut self, _: StartScanning, ctx: &mut Self::Context) {
        self.client_scanning = true;
        self.tried.clear();
        self.refresh_specifiers(ctx);
        // Already scanning in the background (a device is dropped): advertisements keep coming
        // (BlueZ reports every update while discovering), so nothing to restart.
        self.update_scan(ctx);
    }
}

impl Handler<StopScanning> for BtleDcm {
    type Result = ();

    fn handle(&mut self, _: StopScanning, ctx: &mut Self::Context) {
        if self.client_scanning {
            self.client_scanning = false;
            self.peers
                .finished
                .do_send(DcmScanningFinished { name: DCM_NAME });
        }
        self.update_scan(ctx);
    }
}

impl Handler<HardwareGone> for BtleDcm {
    type Result = ();

    fn handle(&mut self, message: HardwareGone, ctx: &mut Self::Context) {
        let Some(known) = self.known.get_mut(&message.address) else {
            return;
        };
        if !matches!(known.state, State::Connected(_)) {
            return;
        }
        if message.lost {
            tracing::info!(dcm = DCM_NAME, address = %message.address, name = %known.advertisement.name, "BLE device dropped; it will be reconnected as soon as it advertises again");
            known.state = State::Dropped;
        } else {
            self.known.remove(&message.address);
        }
        self.update_scan(ctx);
    }
}

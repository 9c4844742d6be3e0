//! LovenseConnectDcm: while scanning, asks each Lovense Connect app it knows for its toys
//! (`GetToys`, at once and then every few seconds) and hands every connected toy it does not
//! hold yet to the DeviceManager as a [`LovenseConnectToy`] matched by the
//! `lovense_connect_service` specifier.

use crate::api::parse_toys;
use crate::hardware::{LovenseConnectToy, ToyReleased, REQUEST_TIMEOUT};
use crate::http::{get, BaseUrl};
use actix::prelude::*;
use plugd_config::{DeviceIdentity, Transport};
use plugd_core::Endpoint;
use plugd_device::{
    Availability, DcmScanningFinished, DeviceConfig, DeviceManager, FindProtocol,
    HardwareConnected, RegisterDcm, StartScanning, StopScanning,
};
use std::collections::HashSet;
use std::time::Duration;

/// The name this DCM registers under.
pub const DCM_NAME: &str = "lovense-connect";
/// Where Lovense Connect for PC listens for plain HTTP on this machine.
pub const DEFAULT_ADDRESS: &str = "http://127.0.0.1:20010";
/// How often a running scan asks the apps again.
pub const RESCAN_INTERVAL: Duration = Duration::from_secs(5);

/// Where this DCM's findings go and whom it asks (recipients, so tests can stand in).
#[derive(Clone)]
pub struct DcmPeers {
    /// DeviceConfig: what is this hardware?
    pub find_protocol: Recipient<FindProtocol>,
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
            connected: manager.clone().recipient(),
            finished: manager.clone().recipient(),
        }
    }
}

/// A toy found in one poll.
struct Found {
    base: BaseUrl,
    id: String,
    name: String,
    battery: u8,
}

/// The actor.
pub struct LovenseConnectDcm {
    hosts: Vec<BaseUrl>,
    peers: DcmPeers,
    /// Toy ids with hardware running.
    open: HashSet<String>,
    scanning: bool,
    polling: bool,
    rescan: Option<SpawnHandle>,
    /// Hosts already reported as silent during this scan (one line each).
    silent_reported: HashSet<String>,
}

impl LovenseConnectDcm {
    /// A DCM asking the apps at `hosts`.
    pub fn new(hosts: Vec<BaseUrl>, peers: DcmPeers) -> Self {
        LovenseConnectDcm {
            hosts,
            peers,
            open: HashSet::new(),
            scanning: false,
            polling: false,
            rescan: None,
            silent_reported: HashSet::new(),
        }
    }

    fn poll(&mut self, ctx: &mut Context<Self>) {
        if self.polling {
            return;
        }
        self.polling = true;
        let hosts = self.hosts.clone();
        let find_protocol = self.peers.find_protocol.clone();
        let already_open = self.open.clone();
        let work = async move {
            let mut found = Vec::new();
            let mut silent = Vec::new();
            for base in hosts {
                let toys = match get(&base, "GetToys", REQUEST_TIMEOUT).await {
                    Ok((200, body)) => parse_toys(&body).unwrap_or_default(),
                    Ok((status, _)) => {
                        silent.push((base.to_string(), format!("GetToys answered {status}")));
                        continue;
                    }
                    Err(error) => {
                        silent.push((base.to_string(), error.to_string()));
                        continue;
                    }
                };
                for toy in toys {
                    if !toy.connected || already_open.contains(&toy.id) {
                        continue;
                    }
                    let identity =
                        DeviceIdentity::named(Transport::LovenseConnect, &toy.name, &toy.id);
                    match find_protocol.send(FindProtocol { identity }).await {
                        Ok(Some(protocol)) => found.push((
                            Found {
                                base: base.clone(),
                                id: toy.id,
                                name: toy.name,
                                battery: toy.battery,
                            },
                            protocol,
                        )),
                        _ => {
                            tracing::debug!(toy = %toy.id, "Lovense Connect toy without a protocol")
                        }
                    }
                }
            }
            (found, silent)
        };
        work.into_actor(self)
            .map(|(found, silent), dcm, ctx| {
                dcm.polling = false;
                for (host, error) in silent {
                    if dcm.silent_reported.insert(host.clone()) {
                        tracing::info!(
                            dcm = DCM_NAME,
                            %host,
                            %error,
                            "no Lovense Connect app answers there: start the app, or give its address with --lovense-connect-address"
                        );
                    }
                }
                for (toy, protocol) in found {
                    if !dcm.open.insert(toy.id.clone()) {
                        continue;
                    }
                    tracing::info!(dcm = DCM_NAME, toy = %toy.id, name = %toy.name, app = %toy.base, "Lovense Connect toy found");
                    let identity =
                        DeviceIdentity::named(Transport::LovenseConnect, &toy.name, &toy.id);
                    let hardware = LovenseConnectToy::new(
                        toy.base,
                        toy.id,
                        toy.battery,
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
            })
            .spawn(ctx);
    }
}

/// The registration the wiring sends for this DCM. The network is always there: whether an
/// app answers is found out per scan (and logged once per app).
pub fn registration(dcm: &Addr<LovenseConnectDcm>) -> RegisterDcm {
    RegisterDcm {
        name: DCM_NAME,
        availability: Availability::Available,
        start: dcm.clone().recipient(),
        stop: dcm.clone().recipient(),
    }
}

impl Actor for LovenseConnectDcm {
    type Context = Context<Self>;
}

impl Handler<StartScanning> for LovenseConnectDcm {
    type Result = ();

    fn handle(&mut self, _: StartScanning, ctx: &mut Self::Context) {
        self.scanning = true;
        self.silent_reported.clear();
        self.poll(ctx);
        if self.rescan.is_none() {
            self.rescan = Some(ctx.run_interval(RESCAN_INTERVAL, |dcm, ctx| dcm.poll(ctx)));
        }
    }
}

impl Handler<StopScanning> for LovenseConnectDcm {
    type Result = ();

    fn handle(&mut self, _: StopScanning, ctx: &mut Self::Context) {
        if let Some(rescan) = self.rescan.take() {
            ctx.cancel_future(rescan);
        }
        if self.scanning {
            self.scanning = false;
            self.peers
                .finished
                .do_send(DcmScanningFinished { name: DCM_NAME });
        }
    }
}

impl Handler<ToyReleased> for LovenseConnectDcm {
    type Result = ();

    fn handle(&mut self, message: ToyReleased, _: &mut Self::Context) {
        self.open.remove(&message.id);
    }
}

//! LovenseDongleDcm: owns one opened dongle and follows its protocol (upstream's state machine,
//! as plain state in an actor). A scan sends `search`; the first toy found stops the search and
//! is handed to the DeviceManager as a Lovense BLE toy at its Bluetooth address; the toy's
//! replies flow back as `rx`. One toy at a time, as upstream. When the toy drops, the dongle
//! searches again by itself so the toy comes back (with its old index) when it is switched on.

use crate::hardware::{DongleToy, ToyLost, ToyReleased, ToyReply, ToyWrite};
use crate::link::{DongleInput, OpenedDongle};
use crate::messages::{self, DongleEvent};
use actix::prelude::*;
use plugd_config::{DeviceIdentity, Transport};
use plugd_core::Endpoint;
use plugd_device::{
    Availability, DcmScanningFinished, DeviceConfig, DeviceManager, FindProtocol,
    HardwareConnected, RegisterDcm, StartScanning, StopScanning,
};
use std::sync::mpsc;
use std::time::Duration;

/// The name a toy behind the dongle is matched by: upstream presents every dongle toy as a BLE
/// device of this name, which the Lovense entry's `LVS-*` wildcard matches; identification
/// (`DeviceType;`) then picks the model.
pub const DONGLE_TOY_NAME: &str = "LVS-DongleDevice";
/// Upstream's message gap for dongle toys.
pub const DONGLE_MESSAGE_GAP: Duration = Duration::from_millis(75);
/// Upstream: writing anything within this time of the status query locks the dongle up.
const SETTLE_TIME: Duration = Duration::from_millis(250);
/// How long to wait for the dongle to confirm a stopped search before announcing anyway.
const STOP_SEARCH_GRACE: Duration = Duration::from_secs(1);

/// Where a DCM's findings go and whom it asks: the DeviceManager and the DeviceConfig actor, as
/// recipients so tests can stand in for them.
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

enum Toy {
    None,
    /// The search found it; waiting for the search to stop.
    Found {
        id: String,
    },
    /// Connected to the dongle; `hardware` while a Device owns it.
    Connected {
        id: String,
        hardware: Option<Addr<DongleToy>>,
    },
}

/// The actor.
pub struct LovenseDongleDcm {
    name: &'static str,
    peers: DcmPeers,
    dongle: Option<OpenedDongle>,
    writes: Option<mpsc::Sender<String>>,
    /// False during the settle time after the status query; writes wait in `queued`.
    ready: bool,
    queued: Vec<String>,
    client_scanning: bool,
    searching: bool,
    /// A toy dropped: search in the background until one is back.
    rejoin: bool,
    toy: Toy,
}

impl LovenseDongleDcm {
    /// A DCM for an opened dongle, registering as `name`.
    pub fn new(name: &'static str, dongle: OpenedDongle, peers: DcmPeers) -> Self {
        LovenseDongleDcm {
            name,
            peers,
            dongle: Some(dongle),
            writes: None,
            ready: false,
            queued: Vec::new(),
            client_scanning: false,
            searching: false,
            rejoin: false,
            toy: Toy::None,
        }
    }

    fn send(&mut self, message: String) {
        if !self.ready {
            self.queued.push(message);
            return;
        }
        tracing::debug!(dcm = self.name, %message, "to the dongle");
        let sent = self
            .writes
            .as_ref()
            .is_some_and(|writes| writes.send(message).is_ok());
        if !sent {
            tracing::debug!(dcm = self.name, "dongle gone; message dropped");
        }
    }

    fn wants_search(&self) -> bool {
        (self.client_scanning || self.rejoin) && matches!(self.toy, Toy::None)
    }

    fn update_search(&mut self) {
        if self.wants_search() && !self.searching {
            self.searching = true;
            self.send(messages::search());
        } else if !self.wants_search() && self.searching && matches!(self.toy, Toy::None) {
            self.searching = false;
            self.send(messages::stop_search());
        }
    }

    fn finish_client_scan(&mut self) {
        if self.client_scanning {
            self.client_scanning = false;
            self.peers
                .finished
                .do_send(DcmScanningFinished { name: self.name });
        }
    }

    fn handle_event(&mut self, event: DongleEvent, ctx: &mut Context<Self>) {
        match event {
            DongleEvent::ToyConnected { id } => match &self.toy {
                Toy::Connected { id: current, .. } if *current == id => {}
                _ => self.announce(id, ctx),
            },
            DongleEvent::ToyFound { id } => {
                if matches!(self.toy, Toy::None) {
                    tracing::info!(dcm = self.name, toy = %id, "dongle found a toy");
                    self.toy = Toy::Found { id: id.clone() };
                    self.searching = false;
                    self.send(messages::stop_search());
                    ctx.run_later(STOP_SEARCH_GRACE, move |dcm, ctx| {
                        if matches!(&dcm.toy, Toy::Found { id: found } if *found == id) {
                            dcm.announce(id, ctx);
                        }
                    });
                }
            }
            DongleEvent::SearchStopped => {
                if let Toy::Found { id } = &self.toy {
                    let id = id.clone();
                    self.announce(id, ctx);
                } else {
                    // The dongle gives up searching by itself now and then: go on if wanted.
                    self.searching = false;
                    self.update_search();
                }
            }
            DongleEvent::ToyData { data, .. } => match &self.toy {
                Toy::Connected {
                    hardware: Some(hardware),
                    ..
                } => hardware.do_send(ToyReply(data)),
                _ => tracing::trace!(dcm = self.name, %data, "toy data with no device"),
            },
            DongleEvent::ToyDisconnected { id } => {
                if let Toy::Connected {
                    id: current,
                    hardware,
                } = &self.toy
                {
                    if *current == id {
                        tracing::info!(dcm = self.name, toy = %id, "toy left the dongle; searching for it again");
                        if let Some(hardware) = hardware {
                            hardware
                                .do_send(ToyLost("the toy disconnected from the dongle".into()));
                        }
                        self.toy = Toy::None;
                        self.rejoin = true;
                        self.update_search();
                    }
                }
            }
            DongleEvent::SearchStarted | DongleEvent::Other => {}
        }
    }

    /// Asks DeviceConfig what the toy is and hands it to the DeviceManager.
    fn announce(&mut self, id: String, ctx: &mut Context<Self>) {
        self.toy = Toy::Connected {
            id: id.clone(),
            hardware: None,
        };
        self.rejoin = false;
        self.searching = false;
        self.finish_client_scan();
        let identity =
            DeviceIdentity::named(Transport::Btle, DONGLE_TOY_NAME, messages::ble_address(&id));
        let lookup = self.peers.find_protocol.send(FindProtocol {
            identity: identity.clone(),
        });
        lookup
            .into_actor(self)
            .map(move |matched, dcm, ctx| {
                let Ok(Some(protocol)) = matched else {
                    tracing::warn!(dcm = dcm.name, toy = %id, "the dongle's toy matches no Lovense protocol; ignoring it");
                    return;
                };
                if !matches!(&dcm.toy, Toy::Connected { id: current, hardware: None } if *current == id) {
                    return;
                }
                let hardware = DongleToy::new(
                    id.clone(),
                    ctx.address().recipient(),
                    ctx.address().recipient(),
                )
                .start();
                tracing::info!(dcm = dcm.name, address = %identity.address, protocol = %protocol.protocol, "toy connected through the Lovense dongle");
                dcm.toy = Toy::Connected {
                    id,
                    hardware: Some(hardware.clone()),
                };
                dcm.peers.connected.do_send(HardwareConnected {
                    identity,
                    protocol,
                    endpoints: vec![Endpoint::Tx, Endpoint::Rx],
                    hardware: hardware.recipient(),
                    default_message_gap: Some(DONGLE_MESSAGE_GAP),
                });
            })
            .spawn(ctx);
    }
}

/// The registration the wiring sends for this DCM: available, since the dongle is open.
pub fn registration(dcm: &Addr<LovenseDongleDcm>, name: &'static str) -> RegisterDcm {
    RegisterDcm {
        name,
        availability: Availability::Available,
        start: dcm.clone().recipient(),
        stop: dcm.clone().recipient(),
    }
}

impl Actor for LovenseDongleDcm {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let Some(dongle) = self.dongle.take() else {
            return;
        };
        tracing::info!(dcm = self.name, dongle = %dongle.description, "Lovense dongle opened");
        self.writes = Some(dongle.start(ctx.address().recipient()));
        // Ask for an already connected toy first, then leave the dongle alone for a moment.
        self.ready = true;
        self.send(messages::status_query());
        self.ready = false;
        ctx.run_later(SETTLE_TIME, |dcm, _| {
            dcm.ready = true;
            for message in std::mem::take(&mut dcm.queued) {
                dcm.send(message);
            }
        });
    }
}

impl Handler<StartScanning> for LovenseDongleDcm {
    type Result = ();

    fn handle(&mut self, _: StartScanning, ctx: &mut Self::Context) {
        self.client_scanning = true;
        if self.writes.is_none() {
            self.finish_client_scan();
            return;
        }
        match &self.toy {
            // One toy at a time: with one connected there is nothing to search for. A toy whose
            // Device let go is offered again.
            Toy::Connected { id, hardware } => {
                let (id, released) = (id.clone(), hardware.is_none());
                self.finish_client_scan();
                if released {
                    self.announce(id, ctx);
                }
            }
            Toy::Found { .. } => {}
            Toy::None => self.update_search(),
        }
    }
}

impl Handler<StopScanning> for LovenseDongleDcm {
    type Result = ();

    fn handle(&mut self, _: StopScanning, _: &mut Self::Context) {
        self.finish_client_scan();
        self.update_search();
    }
}

impl Handler<DongleInput> for LovenseDongleDcm {
    type Result = ();

    fn handle(&mut self, input: DongleInput, ctx: &mut Self::Context) {
        match input {
            DongleInput::Line(line) => {
                tracing::debug!(dcm = self.name, %line, "from the dongle");
                if let Some(event) = messages::parse_line(&line) {
                    self.handle_event(event, ctx);
                }
            }
            DongleInput::Lost(reason) => {
                tracing::warn!(dcm = self.name, %reason, "Lovense dongle lost; plug it in again and restart plugd to use it");
                self.writes = None;
                if let Toy::Connected {
                    hardware: Some(hardware),
                    ..
                } = &self.toy
                {
                    hardware.do_send(ToyLost(format!("Lovense dongle lost: {reason}")));
                }
                self.toy = Toy::None;
                self.rejoin = false;
                self.searching = false;
                self.finish_client_scan();
            }
        }
    }
}

impl Handler<ToyWrite> for LovenseDongleDcm {
    type Result = ();

    fn handle(&mut self, message: ToyWrite, _: &mut Self::Context) {
        self.send(messages::toy_command(&message.id, &message.command));
    }
}

impl Handler<ToyReleased> for LovenseDongleDcm {
    type Result = ();

    fn handle(&mut self, message: ToyReleased, _: &mut Self::Context) {
        if let Toy::Connected { id, hardware } = &mut self.toy {
            if *id == message.id {
                *hardware = None;
            }
        }
    }
}

//! DeviceManager: owns the DCM registrations and the live Device actors. Assigns stable device
//! indices, runs scanning across every DCM (ScanningFinished once all have finished), routes
//! client commands to Devices, and tells its subscriber (the Server) when the device list
//! changes and when a Device has a reading for one client's subscription. It also decides
//! whether raw messages run at all (`with_raw_access`, the binary's `--allow-raw`).

use crate::dcm::{
    Availability, DcmScanningFinished, HardwareConnected, RegisterDcm, StartScanning, StopScanning,
};
use crate::describe::describe;
use crate::device::{
    AssignIndex, Device, DeviceGone, DeviceParts, DeviceReady, DeviceStatus, QueryDeviceStatus,
    ShutdownDevice, StopOwnedBy, SubscribedReading, SubscriptionReading,
};
use crate::device_config::{DeviceConfig, ReservedIndices};
use crate::hardware::HardwareCall;
use crate::routes::DeviceRoutes;
use actix::prelude::*;
use plugd_core::{DeviceIndex, SessionId};
use plugd_messages::{
    ButtplugError, DeviceError, DeviceInfo, InputReading, InputRequest, OutputRequest, RawReading,
    RawRequest, StopRequest,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// How long shutdown waits for every device to take its stop command.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(3);

/// What the DeviceManager tells its subscriber.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub enum DeviceManagerEvent {
    /// Where each announced device's commands go, sent just before every
    /// [`DeviceManagerEvent::DeviceListChanged`] (routes.rs): the subscriber sends client
    /// commands straight to the Devices.
    Routes(DeviceRoutes),
    /// The device list changed; the full new list.
    DeviceListChanged(Vec<DeviceInfo>),
    /// Every scanning DCM finished (not sent when StopScanning was asked during the scan).
    ScanningFinished,
    /// A reading for one client's subscription.
    Reading {
        /// The subscriber.
        session: SessionId,
        /// The reading.
        reading: InputReading,
    },
    /// A notification for one client's raw subscription.
    RawReading {
        /// The subscriber.
        session: SessionId,
        /// The bytes and where they came from.
        reading: RawReading,
    },
}

/// Where events go (the Server). Sent once by the wiring.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SubscribeDeviceEvents(pub Recipient<DeviceManagerEvent>);

/// Start scanning on every available DCM.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct StartScanningAll;

/// Stop scanning on every DCM.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct StopScanningAll;

/// The current device list.
#[derive(Debug, Message)]
#[rtype(result = "Vec<DeviceInfo>")]
pub struct ListDevices;

/// Route output commands from a client to a device.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), ButtplugError>")]
pub struct RouteOutput {
    /// The client.
    pub session: Option<SessionId>,
    /// The commands.
    pub request: OutputRequest,
}

/// Route a stop (one feature, one device, or all devices).
#[derive(Debug, Message)]
#[rtype(result = "Result<(), ButtplugError>")]
pub struct RouteStop {
    /// The client (with `inputs`, its subscriptions are the ones dropped); `None`: everyone's.
    pub session: Option<SessionId>,
    /// What to stop.
    pub stop: StopRequest,
}

/// Route an input command.
#[derive(Debug, Message)]
#[rtype(result = "Result<Option<InputReading>, ButtplugError>")]
pub struct RouteInput {
    /// The client.
    pub session: SessionId,
    /// The request.
    pub request: InputRequest,
}

/// Route a raw endpoint request. Refused with ERROR_MSG unless raw access is enabled.
#[derive(Debug, Message)]
#[rtype(result = "Result<Option<RawReading>, ButtplugError>")]
pub struct RouteRaw {
    /// The client.
    pub session: SessionId,
    /// The request.
    pub request: RawRequest,
}

/// A client left: stop what it set and drop its subscriptions, on every device.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ClientGone {
    /// The client.
    pub session: SessionId,
}

/// Stop every device and let go of all hardware. Replies when every device has handed its stop
/// to its transport, or after a deadline.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ShutdownDevices;

/// A registered DCM.
struct Dcm {
    name: &'static str,
    availability: Availability,
    start: Recipient<StartScanning>,
    stop: Recipient<StopScanning>,
}

/// Scanning state (protocol.md §8.4).
enum Scanning {
    Idle,
    /// A scan is running; StopScanning ends it at once, without ScanningFinished.
    Active {
        /// DCMs that have not finished yet.
        waiting: HashSet<&'static str>,
    },
}

/// A device announced to clients.
struct LiveDevice {
    device: Addr<Device>,
    info: DeviceInfo,
    address: String,
}

/// The actor. See the module doc.
pub struct DeviceManager {
    /// Definition lookups, handed to each Device.
    config: Addr<DeviceConfig>,
    /// Where events go.
    subscriber: Option<Recipient<DeviceManagerEvent>>,
    /// Registered DCMs.
    dcms: Vec<Dcm>,
    /// Scanning state.
    scanning: Scanning,
    /// Announced devices by index.
    devices: BTreeMap<DeviceIndex, LiveDevice>,
    /// Addresses with hardware connected (initialising or announced).
    connected_addresses: HashSet<String>,
    /// Every address seen this run → its index, so a device that returns gets its old index.
    known_indices: HashMap<String, DeviceIndex>,
    /// Indices the user config reserves.
    reserved: HashSet<u32>,
    /// Shutting down: refuse new hardware.
    shutting_down: bool,
    /// Raw messages run (`--allow-raw`); devices are then described with their endpoints.
    allow_raw: bool,
    /// The announced devices' addresses, rebuilt with every list change (and handed to the
    /// subscriber with it).
    routes: DeviceRoutes,
}

impl DeviceManager {
    /// A manager with no DCMs yet.
    pub fn new(config: Addr<DeviceConfig>) -> Self {
        DeviceManager {
            config,
            subscriber: None,
            dcms: Vec::new(),
            scanning: Scanning::Idle,
            devices: BTreeMap::new(),
            connected_addresses: HashSet::new(),
            known_indices: HashMap::new(),
            reserved: HashSet::new(),
            shutting_down: false,
            allow_raw: false,
            routes: DeviceRoutes::default(),
        }
    }

    /// Lets raw messages through (Intiface Engine's `--allow-raw`). Dangerous: they bypass
    /// every range check and can put a device in any state. Off by default.
    pub fn with_raw_access(mut self, allow: bool) -> Self {
        self.allow_raw = allow;
        self.routes = DeviceRoutes::new(BTreeMap::new(), allow);
        self
    }

    fn device_list(&self) -> Vec<DeviceInfo> {
        self.devices
            .values()
            .map(|live| live.info.clone())
            .collect()
    }

    fn emit(&self, event: DeviceManagerEvent) {
        if let Some(subscriber) = &self.subscriber {
            subscriber.do_send(event);
        }
    }

    fn emit_list(&mut self) {
        self.routes = DeviceRoutes::new(
            self.devices
                .iter()
                .map(|(index, live)| (*index, live.device.clone()))
                .collect(),
            self.allow_raw,
        );
        self.emit(DeviceManagerEvent::Routes(self.routes.clone()));
        self.emit(DeviceManagerEvent::DeviceListChanged(self.device_list()));
    }

    /// The index for this address: the user's reservation, else the one it had before, else
    /// the lowest index no known or reserved device uses (protocol.md §8.5).
    fn index_for(&mut self, address: &str, reserved: Option<u32>) -> DeviceIndex {
        if let Some(index) = reserved {
            let index = DeviceIndex(index);
            self.known_indices.insert(address.to_string(), index);
            return index;
        }
        if let Some(index) = self.known_indices.get(address) {
            return *index;
        }
        let used: HashSet<u32> = self
            .known_indices
            .values()
            .map(|index| index.0)
            .chain(self.reserved.iter().copied())
            .collect();
        let index = DeviceIndex(
            (0..)
                .find(|candidate| !used.contains(candidate))
                .unwrap_or(0),
        );
        self.known_indices.insert(address.to_string(), index);
        index
    }

    fn finish_scan_if_done(&mut self) {
        if let Scanning::Active { waiting } = &self.scanning {
            if waiting.is_empty() {
                self.scanning = Scanning::Idle;
                self.emit(DeviceManagerEvent::ScanningFinished);
            }
        }
    }
}

impl Actor for DeviceManager {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(4096);
        self.config
            .send(ReservedIndices)
            .into_actor(self)
            .map(|reserved, manager, _| {
                if let Ok(reserved) = reserved {
                    manager.reserved = reserved.into_iter().collect();
                }
            })
            .wait(ctx);
    }

    /// Supervision: actix runs this even after a panic in a handler. Devices must not outlive
    /// the actor that routes to them: each one still here is told to stop its outputs and let
    /// go (after an orderly shutdown there are none left).
    fn stopped(&mut self, _: &mut Self::Context) {
        if !self.devices.is_empty() {
            tracing::warn!(
                devices = self.devices.len(),
                "the DeviceManager ended with devices connected; stopping them"
            );
        }
        for live in self.devices.values() {
            live.device.do_send(ShutdownDevice {
                reason: "the device manager ended",
            });
        }
    }
}

impl Handler<SubscribeDeviceEvents> for DeviceManager {
    type Result = ();

    fn handle(&mut self, message: SubscribeDeviceEvents, _: &mut Self::Context) {
        self.subscriber = Some(message.0);
    }
}

impl Handler<RegisterDcm> for DeviceManager {
    type Result = ();

    fn handle(&mut self, message: RegisterDcm, _: &mut Self::Context) {
        match &message.availability {
            Availability::Available => tracing::info!(dcm = message.name, "transport ready"),
            Availability::Unavailable(why) => {
                tracing::warn!(dcm = message.name, "transport unavailable: {why}")
            }
        }
        self.dcms.push(Dcm {
            name: message.name,
            availability: message.availability,
            start: message.start,
            stop: message.stop,
        });
    }
}

impl Handler<StartScanningAll> for DeviceManager {
    type Result = ();

    fn handle(&mut self, _: StartScanningAll, _: &mut Self::Context) {
        if matches!(self.scanning, Scanning::Active { .. }) {
            return;
        }
        let available: Vec<&Dcm> = self
            .dcms
            .iter()
            .filter(|dcm| dcm.availability == Availability::Available)
            .collect();
        let waiting: HashSet<&'static str> = available.iter().map(|dcm| dcm.name).collect();
        for dcm in &available {
            dcm.start.do_send(StartScanning);
        }
        tracing::info!(transports = ?waiting, "scanning started");
        self.scanning = Scanning::Active { waiting };
        // With no usable transport the scan is over at once (protocol.md §8.4).
        self.finish_scan_if_done();
    }
}

impl Handler<StopScanningAll> for DeviceManager {
    type Result = ();

    fn handle(&mut self, _: StopScanningAll, _: &mut Self::Context) {
        if matches!(self.scanning, Scanning::Active { .. }) {
            for dcm in &self.dcms {
                dcm.stop.do_send(StopScanning);
            }
            // A stopped scan announces nothing (protocol.md §8.4), so there is nothing to wait
            // for: the next StartScanning starts afresh even if a DCM never reports back.
            self.scanning = Scanning::Idle;
        }
    }
}

impl Handler<DcmScanningFinished> for DeviceManager {
    type Result = ();

    fn handle(&mut self, message: DcmScanningFinished, _: &mut Self::Context) {
        if let Scanning::Active { waiting, .. } = &mut self.scanning {
            waiting.remove(message.name);
        }
        self.finish_scan_if_done();
    }
}

impl Handler<HardwareConnected> for DeviceManager {
    type Result = ();

    fn handle(&mut self, message: HardwareConnected, ctx: &mut Self::Context) {
        let address = message.identity.address.clone();
        if self.shutting_down || self.connected_addresses.contains(&address) {
            tracing::info!(%address, "hardware already connected (or shutting down); releasing the duplicate");
            message.hardware.do_send(HardwareCall::Disconnect);
            return;
        }
        let Some(protocol) = plugd_protocols::find(&message.protocol.protocol) else {
            tracing::warn!(protocol = %message.protocol.protocol, "no encoder for protocol");
            message.hardware.do_send(HardwareCall::Disconnect);
            return;
        };
        self.connected_addresses.insert(address);
        let parts = DeviceParts {
            identity: message.identity,
            protocol,
            endpoints: message.endpoints,
            hardware: message.hardware,
            default_message_gap: message.default_message_gap,
        };
        Device::new(
            parts,
            self.config.clone(),
            ctx.address().recipient(),
            ctx.address().recipient(),
            ctx.address().recipient(),
        )
        .start();
    }
}

impl Handler<DeviceReady> for DeviceManager {
    type Result = Option<DeviceIndex>;

    fn handle(&mut self, message: DeviceReady, _: &mut Self::Context) -> Self::Result {
        if self.shutting_down {
            return None;
        }
        let index = self.index_for(&message.address, message.definition.user.index);
        if let Some(holder) = self.devices.remove(&index) {
            tracing::info!(%index, "index reserved by the user config; disconnecting its current holder");
            holder.device.do_send(ShutdownDevice {
                reason: "index taken by a reserved device",
            });
        }
        let raw_endpoints = self.allow_raw.then_some(message.endpoints.as_slice());
        let info = describe(
            &message.definition,
            index,
            message.message_gap,
            raw_endpoints,
        );
        tracing::info!(%index, name = %info.name, address = %message.address, "device added");
        self.devices.insert(
            index,
            LiveDevice {
                device: message.device.clone(),
                info,
                address: message.address,
            },
        );
        message.device.do_send(AssignIndex(index));
        self.emit_list();
        Some(index)
    }
}

impl Handler<DeviceGone> for DeviceManager {
    type Result = ();

    fn handle(&mut self, message: DeviceGone, _: &mut Self::Context) {
        self.connected_addresses.remove(&message.address);
        let Some(index) = message.index else {
            return;
        };
        let same_device = self
            .devices
            .get(&index)
            .is_some_and(|live| live.address == message.address);
        if same_device {
            self.devices.remove(&index);
            tracing::info!(%index, address = %message.address, "device removed");
            self.emit_list();
        }
    }
}

impl Handler<ListDevices> for DeviceManager {
    type Result = Vec<DeviceInfo>;

    fn handle(&mut self, _: ListDevices, _: &mut Self::Context) -> Self::Result {
        self.device_list()
    }
}

/// Disconnect one device now (its outputs are stopped first), e.g. after the user denied it.
/// Whether it may come back is the device config's business.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), ButtplugError>")]
pub struct DisconnectDevice {
    /// The device.
    pub index: DeviceIndex,
    /// Why, for the log.
    pub reason: &'static str,
}

impl Handler<DisconnectDevice> for DeviceManager {
    type Result = Result<(), ButtplugError>;

    fn handle(&mut self, message: DisconnectDevice, _: &mut Self::Context) -> Self::Result {
        let live = self
            .devices
            .get(&message.index)
            .ok_or(DeviceError::DeviceNotAvailable(message.index.0))?;
        live.device.do_send(ShutdownDevice {
            reason: message.reason,
        });
        Ok(())
    }
}

/// Give a connected device the user's name for it (the dashboard's rename), or take it away
/// (`None`). Clients are told through a new device list; the name for later connections
/// comes from the user device config the caller wrote.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), ButtplugError>")]
pub struct RenameDevice {
    /// The device.
    pub index: DeviceIndex,
    /// Its new display name.
    pub display_name: Option<String>,
}

impl Handler<RenameDevice> for DeviceManager {
    type Result = Result<(), ButtplugError>;

    fn handle(&mut self, message: RenameDevice, _: &mut Self::Context) -> Self::Result {
        let live = self
            .devices
            .get_mut(&message.index)
            .ok_or(DeviceError::DeviceNotAvailable(message.index.0))?;
        if live.info.display_name != message.display_name {
            live.info.display_name = message.display_name;
            tracing::info!(index = message.index.0, display_name = ?live.info.display_name, "device renamed");
            self.emit_list();
        }
        Ok(())
    }
}

/// Test-only (`fault-injection` feature): make the device at `index` panic inside a handler,
/// as a bug would, to prove that supervision stops and removes it.
#[cfg(feature = "fault-injection")]
#[derive(Debug, Message)]
#[rtype(result = "bool")]
pub struct InjectDevicePanic(pub DeviceIndex);

#[cfg(feature = "fault-injection")]
impl Handler<InjectDevicePanic> for DeviceManager {
    type Result = bool;

    fn handle(&mut self, message: InjectDevicePanic, _: &mut Self::Context) -> bool {
        match self.devices.get(&message.0) {
            Some(live) => {
                live.device.do_send(crate::device::PanicForTest);
                true
            }
            None => false,
        }
    }
}

/// Every announced device's live state (levels, protocol, transport, bytes written), for
/// observers such as the web dashboard. Read-only; a device that does not answer is left out.
#[derive(Debug, Message)]
#[rtype(result = "Vec<ObservedDevice>")]
pub struct ObserveDevices;

/// One device as an observer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedDevice {
    /// What clients see.
    pub info: DeviceInfo,
    /// The hardware address.
    pub address: String,
    /// Levels, protocol, transport and bytes written.
    pub status: DeviceStatus,
}

impl Handler<ObserveDevices> for DeviceManager {
    type Result = ResponseFuture<Vec<ObservedDevice>>;

    fn handle(&mut self, _: ObserveDevices, _: &mut Self::Context) -> Self::Result {
        let asks: Vec<_> = self
            .devices
            .values()
            .map(|live| {
                (
                    live.info.clone(),
                    live.address.clone(),
                    live.device.send(QueryDeviceStatus),
                )
            })
            .collect();
        Box::pin(async move {
            let mut observed = Vec::with_capacity(asks.len());
            for (info, address, ask) in asks {
                if let Ok(status) = ask.await {
                    observed.push(ObservedDevice {
                        info,
                        address,
                        status,
                    });
                }
            }
            observed
        })
    }
}

impl Handler<RouteOutput> for DeviceManager {
    type Result = ResponseFuture<Result<(), ButtplugError>>;

    fn handle(&mut self, message: RouteOutput, _: &mut Self::Context) -> Self::Result {
        Box::pin(self.routes.output(message.session, message.request))
    }
}

impl Handler<RouteStop> for DeviceManager {
    type Result = ResponseFuture<Result<(), ButtplugError>>;

    fn handle(&mut self, message: RouteStop, _: &mut Self::Context) -> Self::Result {
        Box::pin(self.routes.stop(message.session, message.stop))
    }
}

impl Handler<RouteInput> for DeviceManager {
    type Result = ResponseFuture<Result<Option<InputReading>, ButtplugError>>;

    fn handle(&mut self, message: RouteInput, _: &mut Self::Context) -> Self::Result {
        Box::pin(self.routes.input(message.session, message.request))
    }
}

impl Handler<RouteRaw> for DeviceManager {
    type Result = ResponseFuture<Result<Option<RawReading>, ButtplugError>>;

    fn handle(&mut self, message: RouteRaw, _: &mut Self::Context) -> Self::Result {
        Box::pin(self.routes.raw(message.session, message.request))
    }
}

impl Handler<SubscriptionReading> for DeviceManager {
    type Result = ();

    fn handle(&mut self, message: SubscriptionReading, _: &mut Self::Context) {
        let session = message.session;
        self.emit(match message.reading {
            SubscribedReading::Input(reading) => DeviceManagerEvent::Reading { session, reading },
            SubscribedReading::Raw(reading) => DeviceManagerEvent::RawReading { session, reading },
        });
    }
}

impl Handler<ClientGone> for DeviceManager {
    type Result = ();

    fn handle(&mut self, message: ClientGone, _: &mut Self::Context) {
        for live in self.devices.values() {
            live.device.do_send(StopOwnedBy {
                session: message.session,
            });
        }
    }
}

impl Handler<ShutdownDevices> for DeviceManager {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: ShutdownDevices, _: &mut Self::Context) -> Self::Result {
        self.shutting_down = true;
        for dcm in &self.dcms {
            dcm.stop.do_send(StopScanning);
        }
        let requests: Vec<_> = self
            .devices
            .values()
            .map(|live| {
                live.device.send(ShutdownDevice {
                    reason: "server shutting down",
                })
            })
            .collect();
        Box::pin(async move {
            let all = futures_join_all(requests);
            if tokio::time::timeout(SHUTDOWN_DEADLINE, all).await.is_err() {
                tracing::warn!("some devices did not confirm their stop before the deadline");
            }
        })
    }
}

/// Awaits every request in turn (they run concurrently; awaiting in order is enough).
async fn futures_join_all<F: std::future::Future>(requests: Vec<F>) {
    for request in requests {
        request.await;
    }
}

//! BtleDcm against a fake Bluetooth stack, with the real DeviceConfig (built-in database) and
//! DeviceManager: advertisements are matched by name wildcard and by advertised service,
//! GATT characteristics are mapped to endpoints, identification and commands flow as GATT
//! writes and notifications, and a device that drops is reported gone, scanned for in the
//! background and reconnected with its old index when it advertises again.

use actix::prelude::*;
use futures_util::future::FutureExt;
use futures_util::stream::{BoxStream, StreamExt};
use plugd_config::{DeviceConfigStore, DeviceDatabase};
use plugd_core::{DeviceIndex, FeatureIndex, OutputKind, SessionId};
use plugd_dcm_btle::backend::{BleFuture, CharacteristicProperties};
use plugd_dcm_btle::{
    AdapterEvent, Advertisement, BleAdapter, BleLink, BtleDcm, DcmPeers, GattCharacteristic,
};
use plugd_device::device_manager::{
    DeviceManagerEvent, RouteOutput, StartScanningAll, StopScanningAll, SubscribeDeviceEvents,
};
use plugd_device::{DeviceConfig, DeviceManager};
use plugd_messages::{ButtplugError, DeviceInfo, OutputCommand, OutputRequest};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

const SERVICE: &str = "0000fff0-0000-1000-8000-00805f9b34fb";
const RX: &str = "0000fff1-0000-1000-8000-00805f9b34fb";
const TX: &str = "0000fff2-0000-1000-8000-00805f9b34fb";
const ADDRESS: &str = "DC:0D:30:05:16:D5";
const WAIT: Duration = Duration::from_secs(10);

/// A notification: characteristic UUID and bytes.
type Notification = (String, Vec<u8>);

/// What the fake stack reports to the test.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    ScanStarted,
    ScanStopped,
    Connect(String),
    Write(String, Vec<u8>),
}

struct FakeAdapter {
    events: std::sync::Mutex<Option<UnboundedReceiver<AdapterEvent>>>,
    seen: UnboundedSender<Seen>,
    /// When set, every write fails (the device "vanished mid-command").
    failing_writes: Arc<AtomicBool>,
    model: &'static str,
}

struct FakeLink {
    seen: UnboundedSender<Seen>,
    notify: UnboundedSender<(String, Vec<u8>)>,
    notifications: std::sync::Mutex<Option<UnboundedReceiver<Notification>>>,
    failing_writes: Arc<AtomicBool>,
    model: &'static str,
}

impl BleAdapter for FakeAdapter {
    fn events(&self) -> BleFuture<BoxStream<'static, AdapterEvent>> {
        let events = self.events.lock().ok().and_then(|mut events| events.take());
        async move {
            let events = events.ok_or("events taken twice")?;
            Ok(stream_of(events))
        }
        .boxed()
    }

    fn start_scan(&self) -> BleFuture<()> {
        let _ = self.seen.send(Seen::ScanStarted);
        async { Ok(()) }.boxed()
    }

    fn stop_scan(&self) -> BleFuture<()> {
        let _ = self.seen.send(Seen::ScanStopped);
        async { Ok(()) }.boxed()
    }

    fn connect(&self, address: &str) -> BleFuture<Arc<dyn BleLink>> {
        let _ = self.seen.send(Seen::Connect(address.to_string()));
        let (notify, notifications) = unbounded_channel();
        let link = FakeLink {
            seen: self.seen.clone(),
            notify,
            notifications: std::sync::Mutex::new(Some(notifications)),
            failing_writes: self.failing_writes.clone(),
            model: self.model,
        };
        async move { Ok(Arc::new(link) as Arc<dyn BleLink>) }.boxed()
    }
}

/// A channel's receiving end as a stream.
fn stream_of<T: Send + 'static>(mut receiver: UnboundedReceiver<T>) -> BoxStream<'static, T> {
    futures_util::stream::poll_fn(move |context| receiver.poll_recv(context)).boxed()
}

impl BleLink for FakeLink {
    fn characteristics(&self) -> Vec<GattCharacteristic> {
        let properties = CharacteristicProperties {
            write: true,
            write_without_response: true,
            notify: true,
            ..CharacteristicProperties::default()
        };
        [TX, RX]
            .iter()
            .map(|uuid| GattCharacteristic {
                service: SERVICE.to_string(),
                uuid: uuid.to_string(),
                properties,
            })
            .collect()
    }

    fn write(&self, characteristic: &GattCharacteristic, data: Vec<u8>, _: bool) -> BleFuture<()> {
        if self.failing_writes.load(Ordering::SeqCst) {
            return async { Err("the device is gone".to_string()) }.boxed();
        }
        let _ = self
            .seen
            .send(Seen::Write(characteristic.uuid.clone(), data.clone()));
        if characteristic.uuid == TX && data == b"DeviceType;" {
            let _ = self.notify.send((
                RX.to_string(),
                format!("{}:37:DC0D300516D5;", self.model).into_bytes(),
            ));
        }
        async { Ok(()) }.boxed()
    }

    fn read(&self, _: &GattCharacteristic) -> BleFuture<Vec<u8>> {
        async { Ok(vec![50]) }.boxed()
    }

    fn subscribe(&self, _: &GattCharacteristic) -> BleFuture<()> {
        async { Ok(()) }.boxed()
    }

    fn unsubscribe(&self, _: &GattCharacteristic) -> BleFuture<()> {
        async { Ok(()) }.boxed()
    }

    fn notifications(&self) -> BleFuture<BoxStream<'static, (String, Vec<u8>)>> {
        let receiver = self
            .notifications
            .lock()
            .ok()
            .and_then(|mut receiver| receiver.take());
        async move {
            let receiver = receiver.ok_or("notifications taken twice")?;
            Ok(stream_of(receiver))
        }
        .boxed()
    }

    fn disconnect(&self) -> BleFuture<()> {
        async { Ok(()) }.boxed()
    }
}

struct Events(UnboundedSender<DeviceManagerEvent>);

impl Actor for Events {
    type Context = Context<Self>;
}

impl Handler<DeviceManagerEvent> for Events {
    type Result = ();
    fn handle(&mut self, event: DeviceManagerEvent, _: &mut Self::Context) {
        let _ = self.0.send(event);
    }
}

struct Rig {
    manager: Addr<DeviceManager>,
    advertise: UnboundedSender<AdapterEvent>,
    seen: UnboundedReceiver<Seen>,
    events: UnboundedReceiver<DeviceManagerEvent>,
    failing_writes: Arc<AtomicBool>,
}

async fn rig(model: &'static str) -> Rig {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("debug")
        .try_init();
    let config = DeviceConfig::new(DeviceConfigStore::new(DeviceDatabase::builtin(), None)).start();
    let manager = DeviceManager::new(config.clone()).start();
    let (sender, events) = unbounded_channel();
    let listener = Events(sender).start();
    manager
        .send(SubscribeDeviceEvents(listener.recipient()))
        .await
        .expect("subscribe");
    let (advertise, adapter_events) = unbounded_channel();
    let (seen_sender, seen) = unbounded_channel();
    let failing_writes = Arc::new(AtomicBool::new(false));
    let adapter = FakeAdapter {
        events: std::sync::Mutex::new(Some(adapter_events)),
        seen: seen_sender,
        failing_writes: failing_writes.clone(),
        model,
    };
    let dcm = BtleDcm::new(Arc::new(adapter), DcmPeers::new(&config, &manager)).start();
    manager
        .send(plugd_dcm_btle::registration(&dcm))
        .await
        .expect("register");
    Rig {
        manager,
        advertise,
        seen,
        events,
        failing_writes,
    }
}

impl Rig {
    async fn expect_seen(&mut self, wanted: impl Fn(&Seen) -> bool, what: &str) -> Seen {
        let mut other = Vec::new();
        loop {
            match tokio::time::timeout(WAIT, self.seen.recv()).await {
                Ok(Some(seen)) if wanted(&seen) => return seen,
                Ok(Some(seen)) => other.push(seen),
                _ => panic!("the fake stack never saw {what}; it saw {other:?}"),
            }
        }
    }

    async fn device_list(
        &mut self,
        wanted: impl Fn(&[DeviceInfo]) -> bool,
        what: &str,
    ) -> Vec<DeviceInfo> {
        loop {
            match tokio::time::timeout(WAIT, self.events.recv()).await {
                Ok(Some(DeviceManagerEvent::DeviceListChanged(devices))) if wanted(&devices) => {
                    return devices
                }
                Ok(Some(_)) => continue,
                other => panic!("never got {what}: {other:?}"),
            }
        }
    }

    fn advertise(&self, name: &str, services: &[&str]) {
        self.advertise
            .send(AdapterEvent::Advertised(Advertisement {
                address: ADDRESS.to_string(),
                name: name.to_string(),
                manufacturer_data: Vec::new(),
                services: services.iter().map(|uuid| uuid.to_string()).collect(),
            }))
            .expect("advertise");
    }

    async fn vibrate(&self, index: DeviceIndex, value: i32) {
        self.manager
            .send(RouteOutput {
                session: Some(SessionId(1)),
                request: OutputRequest {
                    device: index,
                    commands: vec![OutputCommand {
                        feature: FeatureIndex(0),
                        kind: OutputKind::Vibrate,
                        value,
                        duration: None,
                    }],
                },
            })
            .await
            .expect("manager alive")
            .expect("vibrate accepted");
    }
}

#[actix_rt::test]
async fn an_advertised_lovense_is_matched_by_name_mapped_identified_and_driven() {
    let mut rig = rig("Z").await;
    rig.manager.send(StartScanningAll).await.expect("scan");
    rig.expect_seen(|seen| *seen == Seen::ScanStarted, "a scan")
        .await;
    rig.advertise("LVS-Z36", &[]);
    rig.expect_seen(
        |seen| *seen == Seen::Connect(ADDRESS.into()),
        "a connection",
    )
    .await;
    rig.expect_seen(
        |seen| *seen == Seen::Write(TX.into(), b"DeviceType;".to_vec()),
        "identification on tx",
    )
    .await;
    let devices = rig
        .device_list(|devices| !devices.is_empty(), "the device")
        .await;
    assert_eq!(devices[0].name, "Lovense Hush");
    assert_eq!(
        devices[0].message_timing_gap_ms, 75,
        "BLE's default message gap"
    );
    rig.vibrate(devices[0].index, 10).await;
    rig.expect_seen(
        |seen| *seen == Seen::Write(TX.into(), b"Vibrate:10;".to_vec()),
        "the command on tx",
    )
    .await;
}

#[actix_rt::test]
async fn a_nameless_device_is_matched_by_its_advertised_service() {
    let mut rig = rig("S").await;
    rig.manager.send(StartScanningAll).await.expect("scan");
    rig.advertise("", &["6e400001-b5a3-f393-e0a9-e50e24dcca9e"]);
    rig.expect_seen(
        |seen| *seen == Seen::Connect(ADDRESS.into()),
        "a connection",
    )
    .await;
    let devices = rig
        .device_list(|devices| !devices.is_empty(), "the device")
        .await;
    assert_eq!(devices[0].name, "Lovense Lush");
}

#[actix_rt::test]
async fn unknown_and_silent_advertisements_are_not_connected() {
    let mut rig = rig("Z").await;
    rig.manager.send(StartScanningAll).await.expect("scan");
    rig.advertise("Someone's Headphones", &[]);
    rig.advertise("", &[]);
    // A known toy after them: the first connection attempt must be for it.
    rig.advertise
        .send(AdapterEvent::Advertised(Advertisement {
            address: "00:11:22:33:44:55".into(),
            name: "LVS-Z01".into(),
            manufacturer_data: Vec::new(),
            services: Vec::new(),
        }))
        .expect("advertise");
    let first = rig
        .expect_seen(|seen| matches!(seen, Seen::Connect(_)), "a connection")
        .await;
    assert_eq!(first, Seen::Connect("00:11:22:33:44:55".into()));
}

#[actix_rt::test]
async fn a_dropped_device_is_scanned_for_and_reconnected_with_its_old_index() {
    let mut rig = rig("Z").await;
    rig.manager.send(StartScanningAll).await.expect("scan");
    rig.advertise("LVS-Z36", &[]);
    let devices = rig
        .device_list(|devices| !devices.is_empty(), "the device")
        .await;
    let index = devices[0].index;
    rig.manager.send(StopScanningAll).await.expect("stop");
    rig.expect_seen(|seen| *seen == Seen::ScanStopped, "the scan stopping")
        .await;

    rig.advertise
        .send(AdapterEvent::Disconnected {
            address: ADDRESS.into(),
        })
        .expect("disconnect");
    rig.device_list(|devices| devices.is_empty(), "the device removed")
        .await;
    rig.expect_seen(|seen| *seen == Seen::ScanStarted, "a background scan")
        .await;

    // No client is scanning: the known device comes back by itself, at its old index.
    rig.advertise("LVS-Z36", &[]);
    rig.expect_seen(
        |seen| *seen == Seen::Connect(ADDRESS.into()),
        "a reconnection",
    )
    .await;
    let devices = rig
        .device_list(|devices| !devices.is_empty(), "the device back")
        .await;
    assert_eq!(devices[0].index, index);
    rig.expect_seen(
        |seen| *seen == Seen::ScanStopped,
        "the background scan stopping",
    )
    .await;
}

#[actix_rt::test]
async fn a_device_whose_write_fails_is_removed_and_comes_back_when_it_advertises() {
    let mut rig = rig("Z").await;
    rig.manager.send(StartScanningAll).await.expect("scan");
    rig.advertise("LVS-Z36", &[]);
    let devices = rig
        .device_list(|devices| !devices.is_empty(), "the device")
        .await;
    let index = devices[0].index;
    rig.failing_writes.store(true, Ordering::SeqCst);
    // The command in flight when the device fails is answered with ERROR_DEVICE.
    let failed = rig
        .manager
        .send(RouteOutput {
            session: Some(SessionId(1)),
            request: OutputRequest {
                device: index,
                commands: vec![OutputCommand {
                    feature: FeatureIndex(0),
                    kind: OutputKind::Vibrate,
                    value: 5,
                    duration: None,
                }],
            },
        })
        .await
        .expect("manager alive");
    assert!(
        matches!(failed, Err(ButtplugError::ButtplugDeviceError(_))),
        "{failed:?}"
    );
    rig.device_list(|devices| devices.is_empty(), "the device removed")
        .await;
    rig.failing_writes.store(false, Ordering::SeqCst);
    rig.advertise("LVS-Z36", &[]);
    let devices = rig
        .device_list(|devices| !devices.is_empty(), "the device back")
        .await;
    assert_eq!(devices[0].index, index);
}

#[actix_rt::test]
async fn a_nameless_device_is_matched_by_its_manufacturer_data() {
    let mut rig = rig("Z").await;
    rig.manager.send(StartScanningAll).await.expect("scan");
    rig.advertise
        .send(AdapterEvent::Advertised(Advertisement {
            address: ADDRESS.to_string(),
            name: String::new(),
            // Lovense's company id with the bytes its entry names, inside a longer payload.
            manufacturer_data: vec![plugd_config::ManufacturerData {
                company: 620,
                data: vec![7, 255, 33, 1],
            }],
            services: Vec::new(),
        }))
        .expect("advertise");
    rig.expect_seen(
        |seen| *seen == Seen::Connect(ADDRESS.into()),
        "a connection",
    )
    .await;
    let devices = rig
        .device_list(|devices| !devices.is_empty(), "the device")
        .await;
    assert_eq!(devices[0].name, "Lovense Hush");
}

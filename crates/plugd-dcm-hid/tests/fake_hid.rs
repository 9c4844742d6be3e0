//! HidDcm against a fake HID stack, with the real DeviceConfig and DeviceManager: only devices
//! whose VID/PID a `hid` specifier names are opened, output reports carry the protocol's bytes,
//! input reports come back as notifications, and a device that vanishes is removed.
//!
//! The user config gives the Lovense protocol a `hid` specifier, so the whole identification
//! and command path runs over the fake device as it would over any HID byte pipe.

use actix::prelude::*;
use plugd_config::{DeviceConfigStore, DeviceDatabase, UserConfig};
use plugd_core::{FeatureIndex, OutputKind, SessionId};
use plugd_dcm_hid::{DcmPeers, HidBackend, HidConnection, HidDcm, HidDeviceInfo};
use plugd_device::device_manager::{
    DeviceManagerEvent, RouteOutput, StartScanningAll, SubscribeDeviceEvents,
};
use plugd_device::{DeviceConfig, DeviceManager};
use plugd_messages::{DeviceInfo, OutputCommand, OutputRequest};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Opened(String),
    Report(Vec<u8>),
}

struct FakeHid {
    seen: UnboundedSender<Seen>,
    unplugged: Arc<AtomicBool>,
}

struct FakeDevice {
    seen: UnboundedSender<Seen>,
    replies: mpsc::Sender<Vec<u8>>,
    pending: Mutex<mpsc::Receiver<Vec<u8>>>,
    unplugged: Arc<AtomicBool>,
}

impl HidBackend for FakeHid {
    fn list(&self) -> Result<Vec<HidDeviceInfo>, String> {
        Ok(vec![
            HidDeviceInfo {
                path: "/dev/hidraw0".into(),
                vendor_id: 0x046d,
                product_id: 0xc52b,
                product: "Keyboard".into(),
                serial: None,
            },
            HidDeviceInfo {
                path: "/dev/hidraw1".into(),
                vendor_id: 0x1234,
                product_id: 0x5678,
                product: "Fake Toy".into(),
                serial: Some("SN-1".into()),
            },
        ])
    }

    fn open(&self, path: &str) -> Result<Box<dyn HidConnection>, String> {
        let _ = self.seen.send(Seen::Opened(path.to_string()));
        let (replies, pending) = mpsc::channel();
        Ok(Box::new(FakeDevice {
            seen: self.seen.clone(),
            replies,
            pending: Mutex::new(pending),
            unplugged: self.unplugged.clone(),
        }))
    }
}

impl HidConnection for FakeDevice {
    fn write(&mut self, report: &[u8]) -> Result<(), String> {
        if self.unplugged.load(Ordering::SeqCst) {
            return Err("No such device".into());
        }
        let _ = self.seen.send(Seen::Report(report.to_vec()));
        if report == b"DeviceType;" {
            let _ = self.replies.send(b"Z:37:SN1;".to_vec());
        }
        Ok(())
    }

    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> Result<usize, String> {
        if self.unplugged.load(Ordering::SeqCst) {
            return Err("No such device".into());
        }
        let pending = self.pending.lock().map_err(|_| "poisoned")?;
        match pending.recv_timeout(timeout) {
            Ok(report) => {
                buffer[..report.len()].copy_from_slice(&report);
                Ok(report.len())
            }
            Err(_) => Ok(0),
        }
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

async fn device_list(
    events: &mut UnboundedReceiver<DeviceManagerEvent>,
    wanted: impl Fn(&[DeviceInfo]) -> bool,
) -> Vec<DeviceInfo> {
    loop {
        match tokio::time::timeout(WAIT, events.recv()).await {
            Ok(Some(DeviceManagerEvent::DeviceListChanged(devices))) if wanted(&devices) => {
                return devices
            }
            Ok(Some(_)) => continue,
            other => panic!("the expected device list never came: {other:?}"),
        }
    }
}

async fn expect_seen(seen: &mut UnboundedReceiver<Seen>, wanted: Seen) {
    let mut other = Vec::new();
    loop {
        match tokio::time::timeout(WAIT, seen.recv()).await {
            Ok(Some(item)) if item == wanted => return,
            Ok(Some(item)) => other.push(item),
            _ => panic!("never saw {wanted:?}; saw {other:?}"),
        }
    }
}

#[actix_rt::test]
async fn a_hid_device_named_by_vid_pid_is_opened_identified_driven_and_removed_when_unplugged() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("debug")
        .try_init();
    let user = UserConfig::from_json(
        r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"lovense":{"communication":[{"hid":{"pairs":[{"vendor_id":4660,"product_id":22136}]}}]}}}}"#,
    )
    .expect("user config");
    let config = DeviceConfig::new(DeviceConfigStore::new(
        DeviceDatabase::builtin(),
        Some(user),
    ))
    .start();
    let manager = DeviceManager::new(config.clone()).start();
    let (sender, mut events) = unbounded_channel();
    manager
        .send(SubscribeDeviceEvents(Events(sender).start().recipient()))
        .await
        .expect("subscribe");
    let (seen_sender, mut seen) = unbounded_channel();
    let unplugged = Arc::new(AtomicBool::new(false));
    let backend = FakeHid {
        seen: seen_sender,
        unplugged: unplugged.clone(),
    };
    let dcm = HidDcm::new(Arc::new(backend), DcmPeers::new(&config, &manager)).start();
    manager
        .send(plugd_dcm_hid::registration(
            &dcm,
            plugd_device::Availability::Available,
        ))
        .await
        .expect("register");

    manager.send(StartScanningAll).await.expect("scan");
    let first_open = tokio::time::timeout(WAIT, seen.recv())
        .await
        .expect("an open");
    assert_eq!(
        first_open,
        Some(Seen::Opened("/dev/hidraw1".into())),
        "only the named VID/PID is opened"
    );
    expect_seen(&mut seen, Seen::Report(b"DeviceType;".to_vec())).await;
    let devices = device_list(&mut events, |devices| !devices.is_empty()).await;
    assert_eq!(devices[0].name, "Lovense Hush");
    assert_eq!(
        devices[0].message_timing_gap_ms, 0,
        "HID has no default gap"
    );
    manager
        .send(RouteOutput {
            session: Some(SessionId(1)),
            request: OutputRequest {
                device: devices[0].index,
                commands: vec![OutputCommand {
                    feature: FeatureIndex(0),
                    kind: OutputKind::Vibrate,
                    value: 10,
                    duration: None,
                }],
            },
        })
        .await
        .expect("manager")
        .expect("vibrate accepted");
    expect_seen(&mut seen, Seen::Report(b"Vibrate:10;".to_vec())).await;

    unplugged.store(true, Ordering::SeqCst);
    device_list(&mut events, |devices| devices.is_empty()).await;
}

//! UsbDcm against a fake USB stack, with the real DeviceConfig and DeviceManager: a Rez
//! TranceVibrator (VID/PID from the built-in database) is opened, its speeds arrive as vendor
//! control requests, other devices are left alone, and a transfer failing removes the device.

use actix::prelude::*;
use plugd_config::{DeviceConfigStore, DeviceDatabase};
use plugd_core::{Endpoint, FeatureIndex, OutputKind, SessionId};
use plugd_dcm_usb::{DcmPeers, UsbBackend, UsbConnection, UsbDcm, UsbDeviceInfo};
use plugd_device::device_manager::{
    DeviceManagerEvent, RouteOutput, StartScanningAll, SubscribeDeviceEvents,
};
use plugd_device::{DeviceConfig, DeviceManager};
use plugd_messages::{DeviceInfo, OutputCommand, OutputRequest};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Opened(String),
    Control(u16),
}

struct FakeUsb {
    seen: UnboundedSender<Seen>,
    unplugged: Arc<AtomicBool>,
}

struct FakeRez {
    seen: UnboundedSender<Seen>,
    unplugged: Arc<AtomicBool>,
}

impl UsbBackend for FakeUsb {
    fn list(&self) -> Result<Vec<UsbDeviceInfo>, String> {
        Ok(vec![
            UsbDeviceInfo {
                address: "bus 1, address 2".into(),
                vendor_id: 0x1d6b,
                product_id: 0x0002,
                name: "Linux Foundation 2.0 root hub".into(),
            },
            UsbDeviceInfo {
                address: "bus 1, address 7".into(),
                vendor_id: 0x0b49,
                product_id: 0x064f,
                name: "ASCII Corp. Trance Vibrator".into(),
            },
        ])
    }

    fn open(&self, address: &str) -> Result<Box<dyn UsbConnection>, String> {
        let _ = self.seen.send(Seen::Opened(address.to_string()));
        Ok(Box::new(FakeRez {
            seen: self.seen.clone(),
            unplugged: self.unplugged.clone(),
        }))
    }
}

impl UsbConnection for FakeRez {
    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::TxVendorControl]
    }

    fn vendor_control(&mut self, value: u16, _: Duration) -> Result<(), String> {
        if self.unplugged.load(Ordering::SeqCst) {
            return Err("No such device (it may have been disconnected)".into());
        }
        let _ = self.seen.send(Seen::Control(value));
        Ok(())
    }

    fn interrupt_out(&mut self, _: &[u8], _: Duration) -> Result<(), String> {
        Err("the device has no interrupt OUT endpoint".into())
    }

    fn interrupt_in(&mut self, _: &mut [u8], _: Duration) -> Result<usize, String> {
        Err("the device has no interrupt IN endpoint".into())
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

async fn vibrate(manager: &Addr<DeviceManager>, device: &DeviceInfo, value: i32) {
    manager
        .send(RouteOutput {
            session: Some(SessionId(1)),
            request: OutputRequest {
                device: device.index,
                commands: vec![OutputCommand {
                    feature: FeatureIndex(0),
                    kind: OutputKind::Vibrate,
                    value,
                    duration: None,
                }],
            },
        })
        .await
        .expect("manager")
        .expect("vibrate accepted");
}

#[actix_rt::test]
async fn a_rez_trancevibrator_gets_its_speeds_as_vendor_control_requests_until_it_is_unplugged() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("debug")
        .try_init();
    let config = DeviceConfig::new(DeviceConfigStore::new(DeviceDatabase::builtin(), None)).start();
    let manager = DeviceManager::new(config.clone()).start();
    let (sender, mut events) = unbounded_channel();
    manager
        .send(SubscribeDeviceEvents(Events(sender).start().recipient()))
        .await
        .expect("subscribe");
    let (seen_sender, mut seen) = unbounded_channel();
    let unplugged = Arc::new(AtomicBool::new(false));
    let backend = FakeUsb {
        seen: seen_sender,
        unplugged: unplugged.clone(),
    };
    let dcm = UsbDcm::new(Arc::new(backend), DcmPeers::new(&config, &manager)).start();
    manager
        .send(plugd_dcm_usb::registration(
            &dcm,
            plugd_device::Availability::Available,
        ))
        .await
        .expect("register");

    manager.send(StartScanningAll).await.expect("scan");
    let opened = tokio::time::timeout(WAIT, seen.recv())
        .await
        .expect("an open");
    assert_eq!(
        opened,
        Some(Seen::Opened("bus 1, address 7".into())),
        "only the named VID/PID is opened"
    );
    let devices = device_list(&mut events, |devices| !devices.is_empty()).await;
    assert_eq!(devices[0].name, "Rez TranceVibrator");
    vibrate(&manager, &devices[0], 128).await;
    let control = tokio::time::timeout(WAIT, seen.recv())
        .await
        .expect("a transfer");
    assert_eq!(control, Some(Seen::Control(128)));

    unplugged.store(true, Ordering::SeqCst);
    vibrate(&manager, &devices[0], 10).await;
    device_list(&mut events, |devices| devices.is_empty()).await;
}

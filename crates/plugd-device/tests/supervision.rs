//! Supervision with a real panic: a Device actor whose handler panics (injected through the
//! test-only `fault-injection` feature) is stopped with its stop bytes, let go, removed from the
//! DeviceManager and the list is republished — while the other device keeps taking commands.

use actix::prelude::*;
use plugd_config::{DeviceConfigStore, DeviceDatabase, DeviceIdentity, ProtocolMatch, Transport};
use plugd_core::{DeviceIndex, Endpoint, FeatureIndex, HardwareCommand, OutputKind, SessionId};
use plugd_device::device_manager::{
    DeviceManagerEvent, InjectDevicePanic, RouteOutput, SubscribeDeviceEvents,
};
use plugd_device::{
    DeviceConfig, DeviceManager, HardwareCall, HardwareConnected, HardwareError, HardwareReply,
};
use plugd_messages::{DeviceInfo, OutputCommand, OutputRequest};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// What a fake transport saw.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Write(String),
    Disconnect,
}

/// Records every write and the disconnect.
struct FakeHardware {
    seen: UnboundedSender<Seen>,
}

impl Actor for FakeHardware {
    type Context = Context<Self>;
}

impl Handler<HardwareCall> for FakeHardware {
    type Result = Result<HardwareReply, HardwareError>;

    fn handle(&mut self, call: HardwareCall, _: &mut Self::Context) -> Self::Result {
        match call {
            HardwareCall::Command(HardwareCommand::Write { data, .. }) => {
                let _ = self
                    .seen
                    .send(Seen::Write(String::from_utf8_lossy(&data).into_owned()));
            }
            HardwareCall::Disconnect => {
                let _ = self.seen.send(Seen::Disconnect);
            }
            _ => {}
        }
        Ok(HardwareReply::Done)
    }
}

/// Forwards the DeviceManager's events.
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

async fn connect(manager: &Addr<DeviceManager>, address: &str) -> UnboundedReceiver<Seen> {
    let (seen, receiver) = unbounded_channel();
    let hardware = FakeHardware { seen }.start();
    manager
        .send(HardwareConnected {
            identity: DeviceIdentity::named(Transport::Simulated, "simulated-2vibe", address),
            protocol: ProtocolMatch {
                protocol: "simulated".to_string(),
                endpoints: vec![Endpoint::Tx, Endpoint::Rx],
            },
            endpoints: vec![Endpoint::Tx, Endpoint::Rx],
            hardware: hardware.recipient(),
            default_message_gap: None,
        })
        .await
        .expect("manager alive");
    receiver
}

async fn list(events: &mut UnboundedReceiver<DeviceManagerEvent>, count: usize) -> Vec<DeviceInfo> {
    loop {
        match events.recv().await {
            Some(DeviceManagerEvent::DeviceListChanged(devices)) if devices.len() == count => {
                return devices
            }
            Some(_) => continue,
            None => panic!("no device list with {count} devices"),
        }
    }
}

async fn vibrate(
    manager: &Addr<DeviceManager>,
    device: DeviceIndex,
    value: i32,
) -> Result<(), plugd_messages::ButtplugError> {
    manager
        .send(RouteOutput {
            session: Some(SessionId(1)),
            request: OutputRequest {
                device,
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
}

async fn next(seen: &mut UnboundedReceiver<Seen>) -> Seen {
    seen.recv().await.expect("the fake transport is gone")
}

#[actix_rt::test]
async fn a_panicking_device_is_stopped_let_go_and_removed_and_the_other_keeps_working() {
    let config = DeviceConfig::new(DeviceConfigStore::new(DeviceDatabase::builtin(), None)).start();
    let manager = DeviceManager::new(config).start();
    let (sender, mut events) = unbounded_channel();
    manager
        .send(SubscribeDeviceEvents(Events(sender).start().recipient()))
        .await
        .expect("subscribe");
    let mut first = connect(&manager, "supervised-1").await;
    let doomed = list(&mut events, 1).await[0].index;
    let mut second = connect(&manager, "supervised-2").await;
    let survivor = list(&mut events, 2)
        .await
        .iter()
        .map(|device| device.index)
        .find(|index| *index != doomed)
        .expect("the second device");

    vibrate(&manager, doomed, 10).await.expect("vibrate");
    assert_eq!(next(&mut first).await, Seen::Write("Vibrate:0:10;".into()));
    vibrate(&manager, survivor, 5).await.expect("vibrate");
    assert_eq!(next(&mut second).await, Seen::Write("Vibrate:0:5;".into()));

    assert!(manager
        .send(InjectDevicePanic(doomed))
        .await
        .expect("manager alive"));
    // Its toy gets the stop bytes worked out when it became ready, then is let go.
    assert_eq!(next(&mut first).await, Seen::Write("Vibrate:0:0;".into()));
    assert_eq!(next(&mut first).await, Seen::Write("Vibrate:1:0;".into()));
    assert_eq!(next(&mut first).await, Seen::Disconnect);
    // It leaves the list; the other stays and keeps taking commands.
    let remaining = list(&mut events, 1).await;
    assert_eq!(remaining[0].index, survivor);
    vibrate(&manager, survivor, 7)
        .await
        .expect("the other device still works");
    assert_eq!(next(&mut second).await, Seen::Write("Vibrate:0:7;".into()));
    assert!(vibrate(&manager, doomed, 3).await.is_err());
}

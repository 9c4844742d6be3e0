//! The Device actor through the DeviceManager, with a recording fake transport and tokio's
//! paused clock: message-gap coalescing, deduplication, stops that are never delayed, and
//! validation errors.

use actix::prelude::*;
use plugd_config::{DeviceConfigStore, DeviceDatabase, DeviceIdentity, ProtocolMatch, Transport};
use plugd_core::{DeviceIndex, Endpoint, FeatureIndex, HardwareCommand, OutputKind, SessionId};
use plugd_device::device_manager::{
    ClientGone, DeviceManagerEvent, RouteOutput, RouteStop, SubscribeDeviceEvents,
};
use plugd_device::{
    DeviceConfig, DeviceManager, HardwareCall, HardwareConnected, HardwareError, HardwareEvent,
    HardwareReply,
};
use plugd_messages::{ButtplugError, DeviceError, OutputCommand, OutputRequest, StopRequest};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// Records every command it is sent; once broken, fails every write as a device that
/// vanished would.
struct FakeHardware {
    sent: UnboundedSender<String>,
    broken: bool,
}

/// Test → fake: from now on every write fails.
#[derive(Message)]
#[rtype(result = "()")]
struct BreakWrites;

impl Handler<BreakWrites> for FakeHardware {
    type Result = ();

    fn handle(&mut self, _: BreakWrites, _: &mut Self::Context) {
        self.broken = true;
    }
}

impl Actor for FakeHardware {
    type Context = Context<Self>;
}

impl Handler<HardwareCall> for FakeHardware {
    type Result = Result<HardwareReply, HardwareError>;

    fn handle(&mut self, call: HardwareCall, _: &mut Self::Context) -> Self::Result {
        if let HardwareCall::Command(HardwareCommand::Write { data, .. }) = call {
            if self.broken {
                return Err(HardwareError::Transport("the device went away".to_string()));
            }
            let _ = self.sent.send(String::from_utf8_lossy(&data).into_owned());
        }
        Ok(HardwareReply::Done)
    }
}

/// Forwards device-list events.
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

impl Handler<HardwareEvent> for Events {
    type Result = ();
    fn handle(&mut self, _: HardwareEvent, _: &mut Self::Context) {}
}

struct Rig {
    manager: Addr<DeviceManager>,
    hardware: Addr<FakeHardware>,
    listener: Addr<Events>,
    written: UnboundedReceiver<String>,
    events: UnboundedReceiver<DeviceManagerEvent>,
    index: DeviceIndex,
}

/// A simulated two-motor vibrator connected through a transport whose gap is `gap`.
async fn rig(gap: Option<Duration>) -> Rig {
    let store = DeviceConfigStore::new(DeviceDatabase::builtin(), None);
    let config = DeviceConfig::new(store).start();
    let manager = DeviceManager::new(config).start();
    let (event_sender, mut events) = unbounded_channel();
    let listener = Events(event_sender).start();
    manager
        .send(SubscribeDeviceEvents(listener.clone().recipient()))
        .await
        .unwrap();
    let (sent, written) = unbounded_channel();
    let hardware = FakeHardware {
        sent,
        broken: false,
    }
    .start();
    manager
        .send(HardwareConnected {
            identity: DeviceIdentity::named(Transport::Simulated, "simulated-2vibe", "rig"),
            protocol: ProtocolMatch {
                protocol: "simulated".to_string(),
                endpoints: vec![Endpoint::Tx, Endpoint::Rx],
            },
            endpoints: vec![Endpoint::Tx, Endpoint::Rx],
            hardware: hardware.clone().recipient(),
            default_message_gap: gap,
        })
        .await
        .unwrap();
    let index = loop {
        match events.recv().await {
            Some(DeviceManagerEvent::DeviceListChanged(devices)) if !devices.is_empty() => {
                break devices[0].index
            }
            Some(_) => continue,
            None => panic!("no device list event"),
        }
    };
    Rig {
        manager,
        hardware,
        listener,
        written,
        events,
        index,
    }
}

fn vibrate(feature: u32, value: i32) -> OutputCommand {
    OutputCommand {
        feature: FeatureIndex(feature),
        kind: OutputKind::Vibrate,
        value,
        duration: None,
    }
}

impl Rig {
    async fn output(&self, commands: Vec<OutputCommand>) -> Result<(), ButtplugError> {
        self.manager
            .send(RouteOutput {
                session: Some(SessionId(1)),
                request: OutputRequest {
                    device: self.index,
                    commands,
                },
            })
            .await
            .unwrap()
    }

    /// Everything written so far (after the mailboxes have settled).
    async fn drain(&mut self) -> Vec<String> {
        // A round trip through the manager and the Device, then one through the transport,
        // orders us after every write the Device has sent.
        let _ = self.output(vec![]).await;
        let _ = self
            .hardware
            .send(HardwareCall::Attach {
                events: self.listener.clone().recipient(),
            })
            .await;
        let mut written = Vec::new();
        while let Ok(line) = self.written.try_recv() {
            written.push(line);
        }
        written
    }
}

#[actix_rt::test]
async fn first_command_goes_out_at_once_and_later_ones_in_the_gap_are_coalesced() {
    tokio::time::pause();
    let mut rig = rig(Some(Duration::from_millis(75))).await;
    rig.output(vec![vibrate(0, 10)]).await.unwrap();
    assert_eq!(rig.drain().await, vec!["Vibrate:0:10;"]);
    rig.output(vec![vibrate(0, 20)]).await.unwrap();
    rig.output(vec![vibrate(0, 30)]).await.unwrap();
    rig.output(vec![vibrate(1, 5)]).await.unwrap();
    assert_eq!(
        rig.drain().await,
        Vec::<String>::new(),
        "nothing before the gap ends"
    );
    // Virtual time: the paused clock jumps to the gap's end.
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(rig.drain().await, vec!["Vibrate:0:30;", "Vibrate:1:5;"]);
}

#[actix_rt::test]
async fn a_stop_is_never_delayed_by_the_gap() {
    tokio::time::pause();
    let mut rig = rig(Some(Duration::from_millis(75))).await;
    rig.output(vec![vibrate(0, 10)]).await.unwrap();
    rig.output(vec![vibrate(0, 40)]).await.unwrap();
    rig.manager
        .send(RouteStop {
            session: None,
            stop: StopRequest::device(rig.index),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        rig.drain().await,
        vec!["Vibrate:0:10;", "Vibrate:0:0;", "Vibrate:1:0;"]
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        rig.drain().await,
        Vec::<String>::new(),
        "the queued 40 was dropped"
    );
}

#[actix_rt::test]
async fn an_unchanged_value_writes_nothing() {
    let mut rig = rig(None).await;
    rig.output(vec![vibrate(0, 10)]).await.unwrap();
    rig.output(vec![vibrate(0, 10)]).await.unwrap();
    assert_eq!(rig.drain().await, vec!["Vibrate:0:10;"]);
}

#[actix_rt::test]
async fn a_departing_client_stops_only_what_it_set() {
    let mut rig = rig(None).await;
    rig.output(vec![vibrate(0, 10)]).await.unwrap();
    rig.manager
        .send(RouteOutput {
            session: Some(SessionId(2)),
            request: OutputRequest {
                device: rig.index,
                commands: vec![vibrate(1, 7)],
            },
        })
        .await
        .unwrap()
        .unwrap();
    rig.manager
        .send(ClientGone {
            session: SessionId(1),
        })
        .await
        .unwrap();
    assert_eq!(
        rig.drain().await,
        vec!["Vibrate:0:10;", "Vibrate:1:7;", "Vibrate:0:0;"]
    );
}

#[actix_rt::test]
async fn bad_commands_are_refused_and_nothing_is_written() {
    let mut rig = rig(None).await;
    let cases = [
        (
            vec![vibrate(0, 10), vibrate(9, 1)],
            DeviceError::DeviceFeatureIndexError(2, 9),
        ),
        (
            vec![vibrate(0, 101)],
            DeviceError::DeviceStepRangeError(100, 101),
        ),
        (vec![vibrate(0, -1)], DeviceError::DeviceCommandSignError),
    ];
    for (commands, expected) in cases {
        assert_eq!(rig.output(commands).await, Err(expected.into()));
    }
    let rotate = OutputCommand {
        kind: OutputKind::Rotate,
        ..vibrate(0, 1)
    };
    assert!(matches!(
        rig.output(vec![rotate]).await,
        Err(ButtplugError::ButtplugDeviceError(
            DeviceError::MessageNotSupported(_)
        ))
    ));
    assert_eq!(rig.drain().await, Vec::<String>::new());
}

#[actix_rt::test]
async fn a_command_the_device_fails_gets_a_device_error_and_the_device_is_let_go() {
    let mut rig = rig(None).await;
    rig.output(vec![vibrate(0, 10)]).await.unwrap();
    rig.hardware.send(BreakWrites).await.unwrap();
    let error = rig.output(vec![vibrate(0, 20)]).await.unwrap_err();
    assert!(
        matches!(
            error,
            ButtplugError::ButtplugDeviceError(DeviceError::DeviceCommunicationError(_))
        ),
        "{error:?}"
    );
    // The Device is gone and the list says so.
    loop {
        match rig.events.recv().await {
            Some(DeviceManagerEvent::DeviceListChanged(devices)) if devices.is_empty() => break,
            Some(_) => continue,
            None => panic!("no device list event"),
        }
    }
    let error = rig.output(vec![vibrate(0, 30)]).await.unwrap_err();
    assert!(
        matches!(error, ButtplugError::ButtplugDeviceError(_)),
        "{error:?}"
    );
}

#[actix_rt::test]
async fn many_commands_in_flight_reach_the_transport_in_order() {
    let mut rig = rig(None).await;
    // Far more than the Device keeps in flight at its transport at once.
    for value in 1..=60 {
        rig.manager.do_send(RouteOutput {
            session: Some(SessionId(1)),
            request: OutputRequest {
                device: rig.index,
                commands: vec![vibrate(0, value % 21)],
            },
        });
    }
    let expected: Vec<String> = (1..=60)
        .map(|value| format!("Vibrate:0:{};", value % 21))
        .collect();
    let mut written = Vec::new();
    while written.len() < expected.len() {
        written.push(rig.written.recv().await.expect("transport gone"));
    }
    assert_eq!(written, expected);
}

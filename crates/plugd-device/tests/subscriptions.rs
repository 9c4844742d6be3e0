//! Input subscriptions and raw access through the DeviceManager, with a recording fake
//! transport: a kGoal Boost (two pressure inputs sharing `rxpressure`) whose notifications the
//! test injects. Readings must reach their subscriber only, a shared endpoint must stay
//! subscribed while anything needs it, and raw messages must run only when enabled.

use actix::prelude::*;
use plugd_config::{DeviceConfigStore, DeviceDatabase, DeviceIdentity, ProtocolMatch, Transport};
use plugd_core::{
    DeviceIndex, Endpoint, FeatureIndex, HardwareCommand, InputCommand, InputKind, SessionId,
};
use plugd_device::device_manager::{
    ClientGone, DeviceManagerEvent, RouteInput, RouteRaw, RouteStop, SubscribeDeviceEvents,
};
use plugd_device::{
    DeviceConfig, DeviceManager, HardwareCall, HardwareConnected, HardwareError, HardwareEvent,
    HardwareReply,
};
use plugd_messages::{
    ButtplugError, DeviceError, DeviceInfo, InputReading, InputRequest, RawCommand, RawReading,
    RawRequest, StopRequest,
};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// How long any awaited event may take.
const EVENT_TIMEOUT: Duration = Duration::from_secs(5);

const FIRST: SessionId = SessionId(1);
const SECOND: SessionId = SessionId(2);

/// Records every command; keeps the Device's event recipient so the test can notify.
struct FakeHardware {
    sent: UnboundedSender<HardwareCommand>,
    events: Option<Recipient<HardwareEvent>>,
}

impl Actor for FakeHardware {
    type Context = Context<Self>;
}

impl Handler<HardwareCall> for FakeHardware {
    type Result = Result<HardwareReply, HardwareError>;

    fn handle(&mut self, call: HardwareCall, _: &mut Self::Context) -> Self::Result {
        match call {
            HardwareCall::Attach { events } => self.events = Some(events),
            HardwareCall::Command(command) => {
                let _ = self.sent.send(command);
            }
            HardwareCall::Read { .. } => return Ok(HardwareReply::Data(vec![42, 7])),
            HardwareCall::Disconnect => {}
        }
        Ok(HardwareReply::Done)
    }
}

/// Test → fake: pass a notification to the Device.
#[derive(Message)]
#[rtype(result = "()")]
struct Notify(Endpoint, Vec<u8>);

impl Handler<Notify> for FakeHardware {
    type Result = ();

    fn handle(&mut self, Notify(endpoint, data): Notify, _: &mut Self::Context) {
        if let Some(events) = &self.events {
            events.do_send(HardwareEvent::Notification { endpoint, data });
        }
    }
}

/// Test → fake: answered after everything queued before it (so `sent` is complete).
#[derive(Message)]
#[rtype(result = "()")]
struct Barrier;

impl Handler<Barrier> for FakeHardware {
    type Result = ();

    fn handle(&mut self, _: Barrier, _: &mut Self::Context) {}
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

struct Rig {
    manager: Addr<DeviceManager>,
    hardware: Addr<FakeHardware>,
    sent: UnboundedReceiver<HardwareCommand>,
    events: UnboundedReceiver<DeviceManagerEvent>,
    device: DeviceInfo,
    _listener: Addr<Events>,
}

/// A kGoal Boost, connected and announced.
async fn boost(allow_raw: bool) -> Rig {
    let store = DeviceConfigStore::new(DeviceDatabase::builtin(), None);
    let config = DeviceConfig::new(store).start();
    let manager = DeviceManager::new(config)
        .with_raw_access(allow_raw)
        .start();
    let (event_sender, mut events) = unbounded_channel();
    let listener = Events(event_sender).start();
    manager
        .send(SubscribeDeviceEvents(listener.clone().recipient()))
        .await
        .expect("subscribe to device events");
    let (sender, sent) = unbounded_channel();
    let hardware = FakeHardware {
        sent: sender,
        events: None,
    }
    .start();
    let endpoints = vec![Endpoint::RxPressure, Endpoint::RxBleBattery];
    manager
        .send(HardwareConnected {
            identity: DeviceIdentity::named(Transport::Btle, "Boost", "kgoal-rig"),
            protocol: ProtocolMatch {
                protocol: "kgoal-boost".to_string(),
                endpoints: endpoints.clone(),
            },
            endpoints,
            hardware: hardware.clone().recipient(),
            default_message_gap: None,
        })
        .await
        .expect("connect the hardware");
    let device = loop {
        match next_event(&mut events).await {
            DeviceManagerEvent::DeviceListChanged(mut devices) if !devices.is_empty() => {
                break devices.remove(0)
            }
            _ => continue,
        }
    };
    Rig {
        manager,
        hardware,
        sent,
        events,
        device,
        _listener: listener,
    }
}

async fn next_event(events: &mut UnboundedReceiver<DeviceManagerEvent>) -> DeviceManagerEvent {
    tokio::time::timeout(EVENT_TIMEOUT, events.recv())
        .await
        .expect("no device manager event in time")
        .expect("the event channel closed")
}

/// A pressure notification: normalized then raw, big-endian.
fn pressure(normalized: u16, raw: u16) -> Vec<u8> {
    let [normalized_high, normalized_low] = normalized.to_be_bytes();
    let [raw_high, raw_low] = raw.to_be_bytes();
    vec![
        0x00,
        0x01,
        0x04,
        normalized_high,
        normalized_low,
        raw_high,
        raw_low,
    ]
}

fn subscribe() -> HardwareCommand {
    HardwareCommand::Subscribe {
        endpoint: Endpoint::RxPressure,
    }
}

fn unsubscribe() -> HardwareCommand {
    HardwareCommand::Unsubscribe {
        endpoint: Endpoint::RxPressure,
    }
}

impl Rig {
    async fn input(
        &self,
        session: SessionId,
        feature: u32,
        kind: InputKind,
        command: InputCommand,
    ) -> Result<Option<InputReading>, ButtplugError> {
        self.manager
            .send(RouteInput {
                session,
                request: InputRequest {
                    device: self.device.index,
                    feature: FeatureIndex(feature),
                    kind,
                    command,
                },
            })
            .await
            .expect("device manager alive")
    }

    async fn pressure(
        &self,
        session: SessionId,
        feature: u32,
        command: InputCommand,
    ) -> Result<Option<InputReading>, ButtplugError> {
        self.input(session, feature, InputKind::Pressure, command)
            .await
    }

    async fn raw(
        &self,
        session: SessionId,
        endpoint: Endpoint,
        command: RawCommand,
    ) -> Result<Option<RawReading>, ButtplugError> {
        self.manager
            .send(RouteRaw {
                session,
                request: RawRequest {
                    device: self.device.index,
                    endpoint,
                    command,
                },
            })
            .await
            .expect("device manager alive")
    }

    /// Everything the hardware received so far.
    async fn sent(&mut self) -> Vec<HardwareCommand> {
        self.hardware.send(Barrier).await.expect("fake hardware");
        let mut sent = Vec::new();
        while let Ok(command) = self.sent.try_recv() {
            sent.push(command);
        }
        sent
    }

    fn notify(&self, data: Vec<u8>) {
        self.hardware.do_send(Notify(Endpoint::RxPressure, data));
    }

    /// The next subscription reading, as (subscriber, feature, value).
    async fn next_reading(&mut self) -> (SessionId, u32, i32) {
        loop {
            match next_event(&mut self.events).await {
                DeviceManagerEvent::Reading { session, reading } => {
                    assert_eq!(reading.device, self.device.index);
                    assert_eq!(reading.kind, InputKind::Pressure);
                    return (session, reading.feature.0, reading.value);
                }
                DeviceManagerEvent::RawReading { session, reading } => {
                    panic!("unexpected raw reading for {session}: {reading:?}")
                }
                _ => continue,
            }
        }
    }
}

#[actix_rt::test]
async fn readings_go_only_to_the_subscriber_and_only_when_they_change() {
    let mut rig = boost(false).await;
    assert_eq!(
        rig.pressure(FIRST, 0, InputCommand::Subscribe).await,
        Ok(None)
    );
    assert_eq!(rig.sent().await, vec![subscribe()]);
    rig.notify(pressure(16, 1491));
    assert_eq!(rig.next_reading().await, (FIRST, 0, 16));
    // The same value again is not repeated; the next change is the next reading.
    rig.notify(pressure(16, 1500));
    rig.notify(pressure(17, 1500));
    assert_eq!(rig.next_reading().await, (FIRST, 0, 17));
    // Garbage gives nothing; a later good notification still arrives.
    rig.notify(vec![0, 1]);
    rig.notify(pressure(18, 0));
    assert_eq!(rig.next_reading().await, (FIRST, 0, 18));
}

#[actix_rt::test]
async fn each_subscriber_gets_its_own_first_reading() {
    let mut rig = boost(false).await;
    rig.pressure(FIRST, 1, InputCommand::Subscribe)
        .await
        .unwrap();
    rig.notify(pressure(5, 900));
    assert_eq!(rig.next_reading().await, (FIRST, 1, 900));
    rig.pressure(SECOND, 1, InputCommand::Subscribe)
        .await
        .unwrap();
    rig.notify(pressure(5, 900));
    assert_eq!(rig.next_reading().await, (SECOND, 1, 900));
    rig.notify(pressure(5, 901));
    let mut both = vec![rig.next_reading().await, rig.next_reading().await];
    both.sort();
    assert_eq!(both, vec![(FIRST, 1, 901), (SECOND, 1, 901)]);
    // One Subscribe for both clients.
    assert_eq!(rig.sent().await, vec![subscribe()]);
}

#[actix_rt::test]
async fn the_shared_endpoint_is_unsubscribed_only_when_its_last_input_is_dropped() {
    let mut rig = boost(false).await;
    rig.pressure(FIRST, 0, InputCommand::Subscribe)
        .await
        .unwrap();
    rig.pressure(SECOND, 1, InputCommand::Subscribe)
        .await
        .unwrap();
    assert_eq!(rig.sent().await, vec![subscribe()]);
    rig.pressure(FIRST, 0, InputCommand::Unsubscribe)
        .await
        .unwrap();
    assert_eq!(rig.sent().await, vec![]);
    // Unsubscribing again, or what was never subscribed, is Ok and sends nothing.
    assert_eq!(
        rig.pressure(FIRST, 0, InputCommand::Unsubscribe).await,
        Ok(None)
    );
    assert_eq!(
        rig.pressure(FIRST, 1, InputCommand::Unsubscribe).await,
        Ok(None)
    );
    assert_eq!(rig.sent().await, vec![]);
    rig.notify(pressure(3, 4));
    assert_eq!(rig.next_reading().await, (SECOND, 1, 4));
    rig.manager.do_send(ClientGone { session: SECOND });
    // ClientGone has no reply: a later request to the same Device is handled after it.
    rig.pressure(FIRST, 0, InputCommand::Unsubscribe)
        .await
        .unwrap();
    assert_eq!(rig.sent().await, vec![unsubscribe()]);
}

#[actix_rt::test]
async fn stop_with_inputs_drops_only_the_senders_subscriptions() {
    let mut rig = boost(false).await;
    rig.pressure(FIRST, 0, InputCommand::Subscribe)
        .await
        .unwrap();
    rig.pressure(SECOND, 0, InputCommand::Subscribe)
        .await
        .unwrap();
    let device = rig.device.index;
    let stop = |session| RouteStop {
        session: Some(session),
        stop: StopRequest {
            outputs: false,
            ..StopRequest::device(device)
        },
    };
    rig.manager.send(stop(FIRST)).await.unwrap().unwrap();
    assert_eq!(rig.sent().await, vec![subscribe()]);
    rig.notify(pressure(9, 9));
    assert_eq!(rig.next_reading().await, (SECOND, 0, 9));
    rig.manager.send(stop(SECOND)).await.unwrap().unwrap();
    assert_eq!(rig.sent().await, vec![unsubscribe()]);
}

#[actix_rt::test]
async fn inputs_that_do_not_declare_subscribe_are_refused() {
    let rig = boost(false).await;
    assert_eq!(
        rig.input(FIRST, 2, InputKind::Battery, InputCommand::Subscribe)
            .await,
        Err(DeviceError::MessageNotSupported("InputCmd".to_string()).into())
    );
    assert_eq!(
        rig.input(FIRST, 0, InputKind::Battery, InputCommand::Subscribe)
            .await,
        Err(DeviceError::MessageNotSupported("InputCmd".to_string()).into())
    );
    assert_eq!(
        rig.pressure(FIRST, 0, InputCommand::Read).await,
        Err(DeviceError::MessageNotSupported("InputCmd".to_string()).into())
    );
    assert_eq!(
        rig.pressure(FIRST, 9, InputCommand::Subscribe).await,
        Err(DeviceError::DeviceFeatureIndexError(3, 9).into())
    );
}

#[actix_rt::test]
async fn the_battery_is_read_from_the_standard_characteristic() {
    let rig = boost(false).await;
    assert_eq!(
        rig.input(FIRST, 2, InputKind::Battery, InputCommand::Read)
            .await,
        Ok(Some(InputReading {
            device: rig.device.index,
            feature: FeatureIndex(2),
            kind: InputKind::Battery,
            value: 42,
        }))
    );
}

#[actix_rt::test]
async fn raw_messages_are_refused_unless_raw_access_is_enabled() {
    let mut rig = boost(false).await;
    assert_eq!(rig.device.raw_endpoints, None);
    assert_eq!(rig.device.name, "KGoal Boost");
    let refused = rig
        .raw(FIRST, Endpoint::RxPressure, RawCommand::Subscribe)
        .await;
    assert_eq!(
        refused,
        Err(plugd_messages::raw_access_disabled("RawSubscribeCmd"))
    );
    // Whatever the device index.
    let refused = rig
        .manager
        .send(RouteRaw {
            session: FIRST,
            request: RawRequest {
                device: DeviceIndex(77),
                endpoint: Endpoint::Tx,
                command: RawCommand::Write {
                    data: vec![1],
                    write_with_response: false,
                },
            },
        })
        .await
        .unwrap();
    assert_eq!(
        refused,
        Err(plugd_messages::raw_access_disabled("RawWriteCmd"))
    );
    assert_eq!(rig.sent().await, vec![]);
}

#[actix_rt::test]
async fn with_raw_access_the_device_is_described_with_its_endpoints_and_a_warning_name() {
    let rig = boost(true).await;
    assert_eq!(
        rig.device.raw_endpoints,
        Some(vec![Endpoint::RxBleBattery, Endpoint::RxPressure])
    );
    assert_eq!(rig.device.name, "KGoal Boost (Raw Messages Allowed)");
}

#[actix_rt::test]
async fn raw_writes_and_reads_go_straight_to_the_endpoint() {
    let mut rig = boost(true).await;
    assert_eq!(
        rig.raw(
            FIRST,
            Endpoint::RxPressure,
            RawCommand::Write {
                data: vec![0xff, 0x00],
                write_with_response: true
            }
        )
        .await,
        Ok(None)
    );
    assert_eq!(
        rig.sent().await,
        vec![HardwareCommand::write_with_response(
            Endpoint::RxPressure,
            vec![0xff, 0x00]
        )]
    );
    assert_eq!(
        rig.raw(
            FIRST,
            Endpoint::RxBleBattery,
            RawCommand::Read {
                length: 1,
                timeout_ms: Some(100)
            }
        )
        .await,
        Ok(Some(RawReading {
            device: rig.device.index,
            endpoint: Endpoint::RxBleBattery,
            data: vec![42, 7],
        }))
    );
    assert_eq!(
        rig.raw(FIRST, Endpoint::Tx, RawCommand::Subscribe).await,
        Err(DeviceError::InvalidEndpoint("tx".to_string()).into())
    );
}

#[actix_rt::test]
async fn raw_and_input_subscriptions_share_the_endpoint() {
    let mut rig = boost(true).await;
    rig.pressure(FIRST, 0, InputCommand::Subscribe)
        .await
        .unwrap();
    rig.raw(SECOND, Endpoint::RxPressure, RawCommand::Subscribe)
        .await
        .unwrap();
    assert_eq!(rig.sent().await, vec![subscribe()]);
    rig.pressure(FIRST, 0, InputCommand::Unsubscribe)
        .await
        .unwrap();
    assert_eq!(rig.sent().await, vec![]);
    rig.notify(pressure(1, 2));
    match next_event(&mut rig.events).await {
        DeviceManagerEvent::RawReading { session, reading } => {
            assert_eq!(session, SECOND);
            assert_eq!(
                reading,
                RawReading {
                    device: rig.device.index,
                    endpoint: Endpoint::RxPressure,
                    data: pressure(1, 2),
                }
            );
        }
        other => panic!("expected a raw reading, got {other:?}"),
    }
    rig.raw(SECOND, Endpoint::RxPressure, RawCommand::Unsubscribe)
        .await
        .unwrap();
    assert_eq!(rig.sent().await, vec![unsubscribe()]);
}

#[actix_rt::test]
async fn a_departing_client_loses_its_raw_subscriptions() {
    let mut rig = boost(true).await;
    rig.raw(FIRST, Endpoint::RxPressure, RawCommand::Subscribe)
        .await
        .unwrap();
    assert_eq!(rig.sent().await, vec![subscribe()]);
    rig.manager.do_send(ClientGone { session: FIRST });
    // ClientGone has no reply: a later request to the same Device is handled after it.
    rig.raw(SECOND, Endpoint::RxBleBattery, RawCommand::Unsubscribe)
        .await
        .unwrap();
    assert_eq!(rig.sent().await, vec![unsubscribe()]);
}

//! In-process virtual devices: hardware that lives inside plugd and logs every command it gets,
//! so `plugd --demo` shows something happening with no toy and no extra program. A virtual
//! device can answer writes with canned notifications (a Lovense answers `DeviceType;` with its
//! model), which is enough for any protocol's identification to run for real.

use actix::prelude::*;
use plugd_config::{DeviceIdentity, Transport};
use plugd_core::{Endpoint, HardwareCommand};
use plugd_device::{
    DeviceConfig, DeviceManager, FindProtocol, HardwareCall, HardwareConnected, HardwareError,
    HardwareEvent, HardwareReply,
};

/// One canned answer: when `trigger` is written, notify `reply` on `endpoint`.
#[derive(Debug, Clone)]
pub struct CannedReply {
    /// The exact bytes written.
    pub trigger: Vec<u8>,
    /// Where the answer comes from.
    pub endpoint: Endpoint,
    /// The answer.
    pub reply: Vec<u8>,
}

/// What a virtual device is.
#[derive(Debug, Clone)]
pub struct VirtualDeviceSpec {
    /// The identity it presents (matched against the device database like real hardware).
    pub identity: DeviceIdentity,
    /// Canned answers.
    pub replies: Vec<CannedReply>,
}

impl VirtualDeviceSpec {
    /// A Lovense toy over BLE answering `DeviceType;` with `model` and `Battery;` with 85 %.
    pub fn lovense(name: &str, model: &str, address: &str) -> Self {
        VirtualDeviceSpec {
            identity: DeviceIdentity::named(Transport::Btle, name, address),
            replies: vec![
                CannedReply {
                    trigger: b"DeviceType;".to_vec(),
                    endpoint: Endpoint::Rx,
                    reply: format!("{model}:37:{address};").into_bytes(),
                },
                CannedReply {
                    trigger: b"Battery;".to_vec(),
                    endpoint: Endpoint::Rx,
                    reply: b"85;".to_vec(),
                },
            ],
        }
    }

    /// One of the reference server's `simulated` devices (v5 database), by identifier.
    pub fn simulated(identifier: &str, address: &str) -> Self {
        VirtualDeviceSpec {
            identity: DeviceIdentity::named(Transport::Simulated, identifier, address),
            replies: Vec::new(),
        }
    }
}

/// The hardware actor of one virtual device.
pub struct VirtualDevice {
    spec: VirtualDeviceSpec,
    events: Option<Recipient<HardwareEvent>>,
    subscribed: Vec<Endpoint>,
    /// A label for the log: the device's name.
    label: String,
}

impl VirtualDevice {
    /// Asks DeviceConfig what `spec` is and, on a match, connects it to the DeviceManager.
    pub fn connect(
        spec: VirtualDeviceSpec,
        config: Addr<DeviceConfig>,
        device_manager: Addr<DeviceManager>,
    ) {
        actix::spawn(async move {
            let identity = spec.identity.clone();
            let Ok(Some(matched)) = config
                .send(FindProtocol {
                    identity: identity.clone(),
                })
                .await
            else {
                tracing::warn!(name = %identity.name, "virtual device matches no implemented protocol; not started");
                return;
            };
            let endpoints = matched.endpoints.clone();
            let label = identity.name.clone();
            let hardware = VirtualDevice {
                spec,
                events: None,
                subscribed: Vec::new(),
                label,
            }
            .start();
            device_manager.do_send(HardwareConnected {
                identity,
                protocol: matched,
                endpoints,
                hardware: hardware.recipient(),
                default_message_gap: None,
            });
        });
    }
}

impl Actor for VirtualDevice {
    type Context = Context<Self>;
}

impl Handler<HardwareCall> for VirtualDevice {
    type Result = Result<HardwareReply, HardwareError>;

    fn handle(&mut self, call: HardwareCall, ctx: &mut Self::Context) -> Self::Result {
        match call {
            HardwareCall::Attach { events } => self.events = Some(events),
            HardwareCall::Command(HardwareCommand::Write { endpoint, data, .. }) => {
                tracing::info!(
                    target: "plugd::virtual_device",
                    device = %self.label,
                    %endpoint,
                    "received {}",
                    printable(&data)
                );
                let answers: Vec<(Endpoint, Vec<u8>)> = self
                    .spec
                    .replies
                    .iter()
                    .filter(|canned| {
                        canned.trigger == data && self.subscribed.contains(&canned.endpoint)
                    })
                    .map(|canned| (canned.endpoint, canned.reply.clone()))
                    .collect();
                if let Some(events) = &self.events {
                    for (endpoint, data) in answers {
                        events.do_send(HardwareEvent::Notification { endpoint, data });
                    }
                }
            }
            HardwareCall::Command(HardwareCommand::Subscribe { endpoint }) => {
                self.subscribed.push(endpoint)
            }
            HardwareCall::Command(HardwareCommand::Unsubscribe { endpoint }) => {
                self.subscribed.retain(|subscribed| *subscribed != endpoint)
            }
            HardwareCall::Read { endpoint, .. } => {
                return Err(HardwareError::InvalidEndpoint(endpoint));
            }
            HardwareCall::Disconnect => {
                if let Some(events) = self.events.take() {
                    events.do_send(HardwareEvent::Disconnected {
                        reason: "virtual device released".to_string(),
                    });
                }
                ctx.stop();
            }
        }
        Ok(HardwareReply::Done)
    }
}

/// Bytes as text when they are printable ASCII (`Vibrate:10;`), else as a byte list.
fn printable(data: &[u8]) -> String {
    if !data.is_empty()
        && data
            .iter()
            .all(|byte| byte.is_ascii_graphic() || *byte == b' ')
    {
        String::from_utf8_lossy(data).into_owned()
    } else {
        format!("{data:?}")
    }
}

//! Device: one actor per connected device. Runs the protocol's identification and init, then
//! owns everything about the device while it lives: the definition, every output's current
//! value and who set it, the message gap, keepalive, notification waiters, and who subscribed
//! to which input or raw endpoint. It validates each command against the definition,
//! deduplicates unchanged values, calls the protocol's pure encoder and sends the bytes to its
//! Hardware.
//!
//! Receives `DeviceOutput`, `DeviceStop`, `StopOwnedBy`, `DeviceInput`, `DeviceRaw`,
//! `AssignIndex`, `ShutdownDevice` from the DeviceManager and `HardwareEvent`s from its
//! transport. Sends `DeviceReady` / `DeviceGone` / `SubscriptionReading` to the DeviceManager.
//!
//! Subscriptions: an input subscription is kept per (feature, input) with its subscribers; the
//! protocol's `SubscribePlan` is sent when the first client subscribes and its unsubscribe part
//! when the last one is gone (unsubscribe, StopCmd with Inputs, the client leaving). Endpoints
//! are shared: an endpoint stays subscribed while an input, a raw subscription or the protocol's
//! own init needs it. A notification goes to the endpoint's raw subscribers, then to whoever
//! waits for it (init, reads), else through the protocol's `parse_notification` to the
//! subscribers of each input it holds — each subscriber only gets values that changed.

use crate::device_config::{DeviceConfig, LookupDefinition};
use crate::hardware::{HardwareCall, HardwareError, HardwareEvent, HardwareReply};
use actix::prelude::*;
use plugd_config::InputDefinition;
use plugd_config::{DeviceDefinition, DeviceIdentity};
use plugd_core::{
    DeviceIndex, Endpoint, FeatureIndex, HardwareCommand, InputCommand, InputKind, OutputKind,
    SessionId,
};
use plugd_messages::{
    ButtplugError, DeviceError, InputReading, OutputCommand, RawCommand, RawReading,
};
use plugd_protocols::{
    EncodeContext, InitContext, InitReply, InitRound, InitStep, InputReadPlan, OutputState,
    OutputValue, Protocol, ProtocolError, ProtocolSession, ReadSource, SubscribePlan,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// How long identification plus init may take before the device is given up.
const INIT_DEADLINE: Duration = Duration::from_secs(30);
/// How long an input read waits for the device's answer (also a raw read's default).
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest a raw read may wait, whatever its `Timeout` says: the client's later replies
/// wait behind it (replies leave in request order).
const RAW_READ_TIMEOUT_LIMIT: Duration = Duration::from_secs(10);
/// Init rounds a protocol may ask for before the device is given up.
const MAX_INIT_ROUNDS: u32 = 16;
/// Unclaimed notifications kept during init.
const INIT_BACKLOG_LIMIT: usize = 32;
/// Calls a ready Device has at its transport unanswered, at most. Below actix's default
/// mailbox capacity (16, the floor the Hardware boundary asks of every transport), so each
/// `send` is queued at the transport at once and calls arrive in the order they were made;
/// beyond the window they wait, in order, in the Device's own queue.
const HARDWARE_WINDOW: usize = 8;

/// What a hardware call came back with.
type HardwareOutcome = Result<HardwareReply, HardwareError>;
/// The outcome of one call handed to the transport, for whoever waits on it.
type Ack = oneshot::Receiver<HardwareOutcome>;

/// A call waiting for a place in the window.
struct QueuedCall {
    call: HardwareCall,
    /// Who waits for the outcome (a client's command, a read); `None`: nobody.
    reply: Option<oneshot::Sender<HardwareOutcome>>,
}

/// An output is addressed by its feature and kind.
type OutputKey = (FeatureIndex, OutputKind);
/// So is an input.
type InputKey = (FeatureIndex, InputKind);

/// The identified, initialised device, reported to the DeviceManager. Its reply is the index
/// clients will know the device by.
#[derive(Message)]
#[rtype(result = "Option<DeviceIndex>")]
pub struct DeviceReady {
    /// The hardware address (stable index per address).
    pub address: String,
    /// The resolved definition.
    pub definition: DeviceDefinition,
    /// The gap the Device applies between writes.
    pub message_gap: Option<Duration>,
    /// The hardware's endpoints (what raw messages may address).
    pub endpoints: Vec<Endpoint>,
    /// The Device itself.
    pub device: Addr<Device>,
}

/// The device is gone (hardware lost, init failed, evicted, shut down). Sent from `stopped`.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct DeviceGone {
    /// The hardware address.
    pub address: String,
    /// Its index, if it had been announced.
    pub index: Option<DeviceIndex>,
}

/// The index the DeviceManager assigned (also sent again if it changes).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct AssignIndex(pub DeviceIndex);

/// Set outputs. All commands are validated before any is applied.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), ButtplugError>")]
pub struct DeviceOutput {
    /// Who sent it (owns the outputs it sets until someone else sets them).
    pub session: Option<SessionId>,
    /// The commands, in client steps.
    pub commands: Vec<OutputCommand>,
}

/// Stop outputs and/or drop subscriptions. Never delayed by the message gap.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), ButtplugError>")]
pub struct DeviceStop {
    /// Who asked: with `inputs`, that client's input subscriptions are dropped (readings go
    /// only to their subscriber, so one client cannot end another's). `None`: everyone's.
    pub session: Option<SessionId>,
    /// One feature, or every feature.
    pub feature: Option<FeatureIndex>,
    /// Zero the outputs.
    pub outputs: bool,
    /// Drop the subscriptions.
    pub inputs: bool,
}

/// A client left: zero every output it set last and drop its subscriptions (inputs and raw).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct StopOwnedBy {
    /// The client that left.
    pub session: SessionId,
}

/// Read, subscribe or unsubscribe an input.
#[derive(Debug, Message)]
#[rtype(result = "Result<Option<InputReading>, ButtplugError>")]
pub struct DeviceInput {
    /// Who asked (subscriptions are per client).
    pub session: SessionId,
    /// The feature.
    pub feature: FeatureIndex,
    /// Which input.
    pub kind: InputKind,
    /// Read, Subscribe or Unsubscribe.
    pub command: InputCommand,
}

/// Talk to one endpoint directly: write, read, subscribe or unsubscribe (v2–v3 `Raw*Cmd`).
/// Bypasses validation, deduplication, the message gap and the protocol. The DeviceManager
/// sends it only when raw access is enabled. A read replies with the bytes.
#[derive(Debug, Message)]
#[rtype(result = "Result<Option<RawReading>, ButtplugError>")]
pub struct DeviceRaw {
    /// Who asked (raw subscriptions are per client).
    pub session: SessionId,
    /// The endpoint; it must be one the hardware has.
    pub endpoint: Endpoint,
    /// What to do there.
    pub command: RawCommand,
}

/// A reading for one client's subscription. Sent by a Device to the DeviceManager, which hands
/// it to the Server and so to that client only.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SubscriptionReading {
    /// The subscriber.
    pub session: SessionId,
    /// The reading.
    pub reading: SubscribedReading,
}

/// What a subscription delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribedReading {
    /// An input value (v4 `InputReading`, Id 0).
    Input(InputReading),
    /// A raw endpoint's notification (v2–v3 `RawReading`, Id 0).
    Raw(RawReading),
}

/// Stop every output, let go of the hardware and end. Replies once the stop commands and the
/// disconnect were handed to the transport.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ShutdownDevice {
    /// Why, for the log.
    pub reason: &'static str,
}

/// Internal: send a command (optionally) and wait for the next notification.
#[derive(Debug, Message)]
#[rtype(result = "Option<InitReply>")]
struct SendAndAwait {
    command: Option<HardwareCommand>,
    endpoint: Option<Endpoint>,
    timeout: Duration,
}

/// One subscribed input: how to turn it off, and who gets its readings.
struct InputSubscription {
    /// The protocol's plan (its `subscribe` part also says which endpoints it holds).
    plan: SubscribePlan,
    /// Each subscriber with the last value it was sent (`None`: nothing yet).
    subscribers: BTreeMap<SessionId, Option<i32>>,
}

/// Someone waiting for the next notification (init steps, notification-based reads).
struct NotificationWaiter {
    /// Only notifications from this endpoint, or any.
    endpoint: Option<Endpoint>,
    reply: oneshot::Sender<InitReply>,
}

/// Where the Device is in its life.
enum Phase {
    /// Identification and init are running.
    Initializing,
    /// Announced and taking commands.
    Ready(Box<DeviceDefinition>),
}

/// The Device actor. See the module doc.
pub struct Device {
    /// What the DCM saw.
    identity: DeviceIdentity,
    /// The protocol's functions.
    protocol: &'static Protocol,
    /// Endpoints the hardware has (used for the default battery read).
    endpoints: Vec<Endpoint>,
    /// The transport.
    hardware: Recipient<HardwareCall>,
    /// Where DeviceReady goes.
    ready_to: Recipient<DeviceReady>,
    /// Where DeviceGone goes.
    gone_to: Recipient<DeviceGone>,
    /// Where subscription readings go (the DeviceManager).
    readings_to: Recipient<SubscriptionReading>,
    /// Definition lookups.
    config: Addr<DeviceConfig>,
    /// The transport's default gap.
    default_message_gap: Option<Duration>,
    /// Identification/init, or ready with the definition.
    phase: Phase,
    /// The gap applied between writes, once ready.
    message_gap: Option<Duration>,
    /// The index clients know it by, once assigned.
    index: Option<DeviceIndex>,
    /// What the protocol asked to be kept.
    protocol_session: ProtocolSession,
    /// Every output's current device value (what the encoder sees).
    outputs: OutputState,
    /// Every output's value as of the last encode call (the encoder's `previous`).
    written: OutputState,
    /// Every output's last client step and duration, for deduplication.
    last_steps: HashMap<OutputKey, (i32, Option<u32>)>,
    /// Who set each output last.
    owners: HashMap<OutputKey, SessionId>,
    /// Outputs changed but not yet written (inside a message gap).
    pending: BTreeSet<OutputKey>,
    /// The timer that writes `pending` when the gap ends.
    flush_timer: Option<SpawnHandle>,
    /// When the last write went out.
    last_write_at: Option<Instant>,
    /// The last packet, re-sent by keepalive protocols after silence.
    last_packet: Vec<HardwareCommand>,
    /// The keepalive timer.
    keepalive_timer: Option<SpawnHandle>,
    /// Waiting for notifications, oldest first.
    waiters: Vec<NotificationWaiter>,
    /// During identification and init: notifications nobody waited for yet, oldest first, for
    /// the next waiter (a device may answer twice in a row between two init rounds).
    init_backlog: std::collections::VecDeque<InitReply>,
    /// Endpoints the protocol subscribed on its own (identification, init, read plans): it
    /// relies on their notifications, so a client's unsubscribe never turns them off.
    protocol_subscribed: BTreeSet<Endpoint>,
    /// Input subscriptions, by input.
    inputs: BTreeMap<InputKey, InputSubscription>,
    /// Raw subscriptions: endpoint → the clients that get its notifications.
    raw_subscribers: BTreeMap<Endpoint, BTreeSet<SessionId>>,
    /// Bytes handed to the transport by output writes (for `/metrics`).
    bytes_written: u64,
    /// Calls to the transport waiting for a place in the window, oldest first.
    hardware_queue: std::collections::VecDeque<QueuedCall>,
    /// Calls handed to the transport and not answered yet.
    hardware_in_flight: usize,
    /// The bytes that stop every output, worked out when the device became ready: what the
    /// drop guard sends if this actor ever ends without its orderly stop (a panic in a
    /// handler), since no protocol code may run then.
    stop_packet: Vec<HardwareCommand>,
    /// Set by `stopped`: the orderly end ran (DeviceGone sent, hardware let go).
    ended_in_order: bool,
}

/// What a DCM hands over to start a Device.
pub struct DeviceParts {
    /// What the DCM saw.
    pub identity: DeviceIdentity,
    /// The matched protocol.
    pub protocol: &'static Protocol,
    /// The hardware's endpoints.
    pub endpoints: Vec<Endpoint>,
    /// The transport.
    pub hardware: Recipient<HardwareCall>,
    /// The transport's default gap.
    pub default_message_gap: Option<Duration>,
}

impl Device {
    /// A Device for freshly connected hardware; identification starts when the actor starts.
    pub fn new(
        parts: DeviceParts,
        config: Addr<DeviceConfig>,
        ready_to: Recipient<DeviceReady>,
        gone_to: Recipient<DeviceGone>,
        readings_to: Recipient<SubscriptionReading>,
    ) -> Self {
        Device {
            identity: parts.identity,
            protocol: parts.protocol,
            endpoints: parts.endpoints,
            hardware: parts.hardware,
            ready_to,
            gone_to,
            readings_to,
            config,
            default_message_gap: parts.default_message_gap,
            phase: Phase::Initializing,
            message_gap: None,
            index: None,
            protocol_session: ProtocolSession::default(),
            outputs: OutputState::new(),
            written: OutputState::new(),
            last_steps: HashMap::new(),
            owners: HashMap::new(),
            pending: BTreeSet::new(),
            flush_timer: None,
            last_write_at: None,
            last_packet: Vec::new(),
            keepalive_timer: None,
            waiters: Vec::new(),
            init_backlog: std::collections::VecDeque::new(),
            protocol_subscribed: BTreeSet::new(),
            inputs: BTreeMap::new(),
            raw_subscribers: BTreeMap::new(),
            bytes_written: 0,
            hardware_queue: std::collections::VecDeque::new(),
            hardware_in_flight: 0,
            stop_packet: Vec::new(),
            ended_in_order: false,
        }
    }

    fn definition(&self) -> Result<&DeviceDefinition, ButtplugError> {
        match &self.phase {
            Phase::Ready(definition) => Ok(definition),
            Phase::Initializing => Err(DeviceError::DeviceNotAvailable(
                self.index.map(|index| index.0).unwrap_or(0),
            )
            .into()),
        }
    }

    /// The last thing a Device does: the stop packet first (when `stop`), then Disconnect to
    /// its hardware and DeviceGone to the DeviceManager. Sends only; runs no protocol code.
    fn let_go(&mut self, stop: bool) {
        if stop {
            for command in std::mem::take(&mut self.stop_packet) {
                self.hardware.do_send(HardwareCall::Command(command));
            }
        }
        self.hardware.do_send(HardwareCall::Disconnect);
        self.gone_to.do_send(DeviceGone {
            address: self.identity.address.clone(),
            index: self.index,
        });
    }

    /// Queues a call to the transport behind every earlier one; the receiver gets its
    /// outcome (a dropped sender means the device went before answering).
    fn call_hardware(
        &mut self,
        call: HardwareCall,
        ctx: &mut Context<Self>,
    ) -> oneshot::Receiver<HardwareOutcome> {
        let (reply, receiver) = oneshot::channel();
        self.hardware_queue.push_back(QueuedCall {
            call,
            reply: Some(reply),
        });
        self.pump_hardware(ctx);
        receiver
    }

    /// Queues a command nobody waits for (keepalive, a delayed write, an unsubscribe). A
    /// failure still ends the device.
    fn post_hardware(&mut self, command: HardwareCommand, ctx: &mut Context<Self>) {
        self.hardware_queue.push_back(QueuedCall {
            call: HardwareCall::Command(command),
            reply: None,
        });
        self.pump_hardware(ctx);
    }

    /// Hands queued calls to the transport while the window has room. A command the transport
    /// fails (anything but an endpoint it does not have) means the device cannot be driven:
    /// it is let go of, and `DeviceGone` reports it.
    fn pump_hardware(&mut self, ctx: &mut Context<Self>) {
        while self.hardware_in_flight < HARDWARE_WINDOW {
            let Some(QueuedCall { call, reply }) = self.hardware_queue.pop_front() else {
                return;
            };
            let is_command = matches!(call, HardwareCall::Command(_));
            self.hardware_in_flight += 1;
            let request = self.hardware.send(call);
            ctx.spawn(
                async move { request.await.unwrap_or(Err(HardwareError::Disconnected)) }
                    .into_actor(self)
                    .map(move |outcome, device, ctx| {
                        device.hardware_in_flight = device.hardware_in_flight.saturating_sub(1);
                        if is_command {
                            if let Err(error) = &outcome {
                                device.hardware_failed(error, ctx);
                            }
                        }
                        if let Some(reply) = reply {
                            // The asker may have given up (a client gone); nothing to do then.
                            let _ = reply.send(outcome);
                        }
                        device.pump_hardware(ctx);
                    }),
            );
        }
    }

    /// A command failed at the transport.
    fn hardware_failed(&mut self, error: &HardwareError, ctx: &mut Context<Self>) {
        if let HardwareError::InvalidEndpoint(endpoint) = error {
            // The definition names an endpoint this hardware lacks: that command cannot work,
            // the others may.
            tracing::warn!(address = %self.identity.address, %endpoint, "command to a missing endpoint");
            return;
        }
        if ctx.state().alive() {
            tracing::warn!(
                address = %self.identity.address,
                index = ?self.index,
                %error,
                "device command failed; letting the device go"
            );
            ctx.stop();
        }
    }

    /// Identification, definition lookup and init, as one future run beside the mailbox.
    fn start_initialization(&mut self, ctx: &mut Context<Self>) {
        let me = ctx.address();
        let hardware = self.hardware.clone();
        let protocol = self.protocol;
        let identity = self.identity.clone();
        let config = self.config.clone();
        let endpoints = self.endpoints.clone();
        let mut entropy = [0_u8; 32];
        if let Err(error) = getrandom::fill(&mut entropy) {
            tracing::warn!(%error, "no OS randomness for protocol nonces");
        }
        let work = async move {
            let mut identify_replies = Vec::new();
            let mut subscribed = BTreeSet::new();
            if let Some(identify_steps) = protocol.identify_steps {
                run_steps(
                    guarded(protocol.name, "identify", || identify_steps(&identity))
                        .map_err(InitError::Panicked)?,
                    &me,
                    &hardware,
                    &mut identify_replies,
                    &mut subscribed,
                )
                .await?;
            }
            let protocol = protocol
                .switch_protocol
                .and_then(|switch| switch(&identity, &identify_replies))
                .and_then(|name| {
                    let found = plugd_protocols::find(name);
                    if found.is_none() {
                        tracing::warn!(
                            protocol = name,
                            "identification chose a protocol without an encoder"
                        );
                    }
                    found
                })
                .unwrap_or(protocol);
            let identifier = match protocol.resolve_identifier {
                Some(resolve) => guarded(protocol.name, "identify", || {
                    resolve(&identity, &identify_replies)
                })
                .map_err(InitError::Panicked)?,
                None => Some(identity.name.clone()),
            };
            let definition = config
                .send(LookupDefinition {
                    protocol: protocol.name.to_string(),
                    identifier: identifier.clone(),
                    address: identity.address.clone(),
                })
                .await
                .map_err(|_| InitError::ConfigGone)?
                .ok_or_else(|| InitError::NoDefinition(identifier.clone()))?;
            let session = ProtocolSession {
                identifier,
                init_replies: identify_replies,
                counter: 0,
                entropy,
                endpoints,
                manufacturer_data: identity.manufacturer_data.clone(),
            };
            let mut init_replies = Vec::new();
            if let Some(initialize) = protocol.initialize {
                for round in 0..MAX_INIT_ROUNDS {
                    let context = InitContext {
                        definition: &definition,
                        session: &session,
                        replies: &init_replies,
                        round,
                    };
                    match guarded(protocol.name, "init", || initialize(&context))
                        .map_err(InitError::Panicked)?
                        .map_err(InitError::Protocol)?
                    {
                        InitRound::Done => break,
                        InitRound::Steps(steps) => {
                            run_steps(steps, &me, &hardware, &mut init_replies, &mut subscribed)
                                .await?
                        }
                    }
                }
            }
            let mut session = session;
            session.init_replies.extend(init_replies);
            Ok::<_, InitError>((protocol, definition, session, subscribed))
        };
        let deadline = async move {
            tokio::time::timeout(INIT_DEADLINE, work)
                .await
                .unwrap_or(Err(InitError::Deadline))
        };
        ctx.spawn(
            deadline
                .into_actor(self)
                .map(|result, device, ctx| match result {
                    Ok((protocol, definition, session, subscribed)) => {
                        device.protocol = protocol;
                        device.protocol_subscribed = subscribed;
                        device.become_ready(definition, session, ctx)
                    }
                    Err(error) => {
                        tracing::warn!(
                            name = %device.identity.name,
                            address = %device.identity.address,
                            protocol = device.protocol.name,
                            %error,
                            "device initialisation failed; disconnecting it"
                        );
                        ctx.stop();
                    }
                }),
        );
    }

    fn become_ready(
        &mut self,
        definition: DeviceDefinition,
        session: ProtocolSession,
        ctx: &mut Context<Self>,
    ) {
        self.message_gap = definition
            .message_gap
            .or(self.default_message_gap)
            .filter(|gap| !gap.is_zero());
        self.protocol_session = session;
        tracing::info!(
            name = %definition.name,
            address = %self.identity.address,
            protocol = self.protocol.name,
            identifier = ?self.protocol_session.identifier,
            "device ready"
        );
        let message = DeviceReady {
            address: self.identity.address.clone(),
            definition: definition.clone(),
            message_gap: self.message_gap,
            endpoints: self.endpoints.clone(),
            device: ctx.address(),
        };
        self.phase = Phase::Ready(Box::new(definition));
        self.init_backlog.clear();
        self.stop_packet = self.encode_stop_packet();
        if self.protocol.keepalive.is_some() {
            // Keepalive devices keep running their last command on their own: start them from
            // a known state (device-config.md §2.6).
            if let Err(error) = self.stop_outputs(None, ctx) {
                tracing::warn!(%error, "stop on connect failed");
            }
        }
        let ready_to = self.ready_to.clone();
        ctx.spawn(
            async move { ready_to.send(message).await.ok().flatten() }
                .into_actor(self)
                .map(|index, device, ctx| match index {
                    Some(index) => device.index = Some(index),
                    None => ctx.stop(),
                }),
        );
    }

    /// Validates and applies output commands; writes now or when the gap ends.
    fn apply_outputs(
        &mut self,
        session: Option<SessionId>,
        commands: &[OutputCommand],
        ctx: &mut Context<Self>,
    ) -> Result<Vec<Ack>, ButtplugError> {
        let definition = self.definition()?;
        let mut planned = Vec::with_capacity(commands.len());
        for command in commands {
            let device_value = validate_output(definition, command)?;
            planned.push((command, device_value));
        }
        let mut changed = Vec::with_capacity(planned.len());
        for (command, device_value) in planned {
            let key = (command.feature, command.kind);
            if let Some(session) = session {
                self.owners.insert(key, session);
            }
            let step = (command.value, command.duration);
            if self.last_steps.get(&key) == Some(&step) {
                continue;
            }
            self.last_steps.insert(key, step);
            self.outputs.insert(
                key,
                OutputValue {
                    value: device_value,
                    duration: command.duration,
                },
            );
            changed.push(key);
        }
        self.schedule(changed, false, ctx)
    }

    /// The stoppable outputs: per feature, the first output kind that stops at 0 (what
    /// `stop_outputs` zeroes).
    fn stoppable_outputs(
        definition: &DeviceDefinition,
        feature: Option<FeatureIndex>,
    ) -> Vec<OutputKey> {
        definition
            .features
            .iter()
            .filter(|candidate| feature.is_none_or(|index| candidate.index == index))
            .filter_map(|candidate| {
                OutputKind::STOP_ORDER
                    .into_iter()
                    .find(|kind| {
                        candidate
                            .output(*kind)
                            .is_some_and(|output| !output.disabled)
                    })
                    .map(|kind| (candidate.index, kind))
            })
            .collect()
    }

    /// Every stoppable output at 0, encoded once (a protocol that fails or panics here leaves
    /// the packet empty: the guard then only lets go of the hardware).
    fn encode_stop_packet(&self) -> Vec<HardwareCommand> {
        let Ok(definition) = self.definition() else {
            return Vec::new();
        };
        let keys = Self::stoppable_outputs(definition, None);
        let zero: OutputState = keys
            .iter()
            .map(|key| {
                (
                    *key,
                    OutputValue {
                        value: 0,
                        duration: None,
                    },
                )
            })
            .collect();
        let context = EncodeContext {
            definition,
            current: &zero,
            previous: &OutputState::new(),
            changed: &keys,
            session: &self.protocol_session,
        };
        let encode = self.protocol.encode;
        match guarded(self.protocol.name, "encode", || encode(&context)) {
            Ok(Ok(commands)) => commands,
            _ => Vec::new(),
        }
    }

    /// Zeroes every stoppable output (of one feature, or all). Never delayed.
    fn stop_outputs(
        &mut self,
        feature: Option<FeatureIndex>,
        ctx: &mut Context<Self>,
    ) -> Result<Vec<Ack>, ButtplugError> {
        let keys = Self::stoppable_outputs(self.definition()?, feature);
        self.zero_outputs(keys, ctx)
    }

    fn zero_outputs(
        &mut self,
        keys: Vec<OutputKey>,
        ctx: &mut Context<Self>,
    ) -> Result<Vec<Ack>, ButtplugError> {
        let mut changed = Vec::with_capacity(keys.len());
        for key in keys {
            self.owners.remove(&key);
            if self.last_steps.get(&key) == Some(&(0, None)) {
                continue;
            }
            self.last_steps.insert(key, (0, None));
            self.outputs.insert(
                key,
                OutputValue {
                    value: 0,
                    duration: None,
                },
            );
            changed.push(key);
        }
        self.schedule(changed, true, ctx)
    }

    /// Writes now (first command after a quiet gap, or any stop) or arms the gap timer. The
    /// acks are those of a write made now; a delayed write is answered Ok at once (it was
    /// accepted; if it fails later, the device goes and says so).
    fn schedule(
        &mut self,
        changed: Vec<OutputKey>,
        urgent: bool,
        ctx: &mut Context<Self>,
    ) -> Result<Vec<Ack>, ButtplugError> {
        if changed.is_empty() {
            return Ok(Vec::new());
        }
        self.pending.extend(changed);
        let wait = match (self.message_gap, self.last_write_at) {
            (Some(gap), Some(last)) if !urgent => gap.checked_sub(last.elapsed()),
            _ => None,
        };
        match wait {
            Some(wait) if !wait.is_zero() => {
                if self.flush_timer.is_none() {
                    self.flush_timer = Some(ctx.run_later(wait, |device, ctx| {
                        device.flush_timer = None;
                        if let Err(error) = device.write_pending(ctx) {
                            tracing::warn!(%error, "delayed write failed");
                        }
                    }));
                }
                Ok(Vec::new())
            }
            _ => {
                if let Some(timer) = self.flush_timer.take() {
                    ctx.cancel_future(timer);
                }
                self.write_pending(ctx)
            }
        }
    }

    /// Encodes every pending output and hands the commands to the hardware; the acks say
    /// how each write went.
    fn write_pending(&mut self, ctx: &mut Context<Self>) -> Result<Vec<Ack>, ButtplugError> {
        if self.pending.is_empty() {
            return Ok(Vec::new());
        }
        let changed: Vec<OutputKey> = std::mem::take(&mut self.pending).into_iter().collect();
        let definition = self.definition()?;
        let context = EncodeContext {
            definition,
            current: &self.outputs,
            previous: &self.written,
            changed: &changed,
            session: &self.protocol_session,
        };
        let encode = self.protocol.encode;
        let encoded = match guarded(self.protocol.name, "encode", || encode(&context)) {
            Ok(encoded) => encoded,
            Err(failure) => {
                // The device cannot be driven any more: let go of it (DeviceGone reports it).
                ctx.stop();
                return Err(DeviceError::UnhandledCommand(failure).into());
            }
        };
        let commands = encoded.map_err(|error| {
            ButtplugError::from(DeviceError::UnhandledCommand(error.to_string()))
        })?;
        for key in &changed {
            if let Some(value) = self.outputs.get(key) {
                self.written.insert(*key, *value);
            }
        }
        if commands.is_empty() {
            // Protocols that write nothing for "off" (hgod) stop by going silent: the keepalive
            // must not keep repeating the last running packet.
            self.last_packet.clear();
            if let Some(timer) = self.keepalive_timer.take() {
                ctx.cancel_future(timer);
            }
            return Ok(Vec::new());
        }
        // Protocols that number their packets number each one (tryfun-*).
        let written = u32::try_from(commands.len()).unwrap_or(u32::MAX);
        self.protocol_session.counter = self.protocol_session.counter.wrapping_add(written);
        let mut acks = Vec::with_capacity(commands.len());
        for command in &commands {
            if let HardwareCommand::Write { data, .. } = command {
                self.bytes_written = self.bytes_written.saturating_add(data.len() as u64);
            }
            acks.push(self.call_hardware(HardwareCall::Command(command.clone()), ctx));
        }
        self.last_write_at = Some(Instant::now());
        if let Some(period) = self.protocol.keepalive {
            self.last_packet = commands;
            self.arm_keepalive(period, ctx);
        }
        Ok(acks)
    }

    fn arm_keepalive(&mut self, period: Duration, ctx: &mut Context<Self>) {
        if let Some(timer) = self.keepalive_timer.take() {
            ctx.cancel_future(timer);
        }
        self.keepalive_timer = Some(ctx.run_later(period, move |device, ctx| {
            device.keepalive_timer = None;
            for command in device.last_packet.clone() {
                device.post_hardware(command, ctx);
            }
            device.last_write_at = Some(Instant::now());
            device.arm_keepalive(period, ctx);
        }));
    }

    /// Registers a waiter for the next notification (before anything is sent).
    fn wait_for_notification(
        &mut self,
        endpoint: Option<Endpoint>,
    ) -> oneshot::Receiver<InitReply> {
        let (reply, receiver) = oneshot::channel();
        self.waiters.retain(|waiter| !waiter.reply.is_closed());
        self.waiters.push(NotificationWaiter { endpoint, reply });
        receiver
    }

    fn read_plan(
        &self,
        definition: &DeviceDefinition,
        feature: FeatureIndex,
        kind: InputKind,
    ) -> Result<InputReadPlan, ButtplugError> {
        if let Some(read_input) = self.protocol.read_input {
            return read_input(definition, feature, kind).map_err(|error| match error {
                ProtocolError::UnsupportedInput { .. } => {
                    DeviceError::MessageNotSupported("InputCmd".to_string()).into()
                }
                other => DeviceError::UnhandledCommand(other.to_string()).into(),
            });
        }
        if kind == InputKind::Battery && self.endpoints.contains(&Endpoint::RxBleBattery) {
            return Ok(InputReadPlan {
                send: Vec::new(),
                source: ReadSource::Read {
                    endpoint: Endpoint::RxBleBattery,
                    length: 1,
                },
                parse: first_byte_percent,
            });
        }
        Err(DeviceError::MessageNotSupported("InputCmd".to_string()).into())
    }
}

/// Checks one output command against the definition and returns the device value.
fn validate_output(
    definition: &DeviceDefinition,
    command: &OutputCommand,
) -> Result<i32, ButtplugError> {
    let feature = definition
        .feature(command.feature)
        .filter(|feature| !feature.is_placeholder())
        .ok_or_else(|| {
            DeviceError::DeviceFeatureIndexError(
                u32::try_from(definition.features.len()).unwrap_or(u32::MAX),
                command.feature.0,
            )
        })?;
    let output = feature
        .output(command.kind)
        .filter(|output| !output.disabled)
        .ok_or_else(|| {
            DeviceError::MessageNotSupported(format!(
                "feature {} has no {} output",
                command.feature, command.kind
            ))
        })?;
    if command.value < 0 && !output.is_signed() {
        return Err(DeviceError::DeviceCommandSignError.into());
    }
    let device_value = output
        .device_value(command.value)
        .map_err(|_| DeviceError::DeviceStepRangeError(output.step_count(), command.value))?;
    if command.kind == OutputKind::HwPositionWithDuration {
        let duration = command.duration.ok_or_else(|| {
            DeviceError::MessageNotSupported("HwPositionWithDuration needs a Duration".to_string())
        })?;
        if let Some((low, high)) = output.duration {
            let duration = i64::from(duration);
            if duration < i64::from(low) || duration > i64::from(high) {
                return Err(DeviceError::DeviceStepRangeError(
                    high,
                    i32::try_from(duration).unwrap_or(i32::MAX),
                )
                .into());
            }
        }
    }
    Ok(device_value)
}

/// The default battery parser: the first byte is the percentage.
fn first_byte_percent(bytes: &[u8]) -> Result<i32, ProtocolError> {
    bytes
        .first()
        .map(|byte| i32::from(*byte))
        .ok_or_else(|| ProtocolError::BadReply("empty battery read".to_string()))
}

/// Runs a protocol function, turning a panic into an error: protocols are pure functions of
/// outside data, and a bug in one must cost one device, never the thread the Server and every
/// other Device share.
fn guarded<T>(protocol: &'static str, what: &str, call: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).map_err(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|text| (*text).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        tracing::error!(protocol, what, %message, "protocol panicked; disconnecting the device");
        format!("protocol {protocol} failed in {what}: {message}")
    })
}

/// Why identification or init failed.
#[derive(Debug, thiserror::Error)]
enum InitError {
    #[error("hardware error during init: {0}")]
    Hardware(#[from] HardwareError),
    #[error("the device config actor is gone")]
    ConfigGone,
    #[error("no device definition for identifier {0:?}")]
    NoDefinition(Option<String>),
    #[error("the device went away during init")]
    DeviceGone,
    #[error("initialisation took longer than {INIT_DEADLINE:?}")]
    Deadline,
    #[error("the protocol refused the device during init: {0}")]
    Protocol(ProtocolError),
    #[error("{0}")]
    Panicked(String),
}

impl From<MailboxError> for InitError {
    fn from(_: MailboxError) -> Self {
        InitError::Hardware(HardwareError::Disconnected)
    }
}

/// Keeps `subscribed` in step with a command the protocol sent on its own.
fn note_subscription(subscribed: &mut BTreeSet<Endpoint>, command: &HardwareCommand) {
    match command {
        HardwareCommand::Subscribe { endpoint } => {
            subscribed.insert(*endpoint);
        }
        HardwareCommand::Unsubscribe { endpoint } => {
            subscribed.remove(endpoint);
        }
        HardwareCommand::Write { .. } => {}
    }
}

/// Runs init steps in order against the hardware; notes the endpoints they subscribe.
async fn run_steps(
    steps: Vec<InitStep>,
    me: &Addr<Device>,
    hardware: &Recipient<HardwareCall>,
    replies: &mut Vec<InitReply>,
    subscribed: &mut BTreeSet<Endpoint>,
) -> Result<(), InitError> {
    for step in steps {
        match step {
            InitStep::Send(command) => {
                note_subscription(subscribed, &command);
                hardware.send(HardwareCall::Command(command)).await??;
            }
            InitStep::Read {
                endpoint,
                length,
                timeout,
            } => {
                let reply = hardware
                    .send(HardwareCall::Read {
                        endpoint,
                        length,
                        timeout,
                    })
                    .await??;
                if let HardwareReply::Data(data) = reply {
                    replies.push(InitReply { endpoint, data });
                }
            }
            InitStep::SendAwaitNotification {
                command,
                endpoint,
                timeout,
                attempts,
            } => {
                note_subscription(subscribed, &command);
                for _ in 0..attempts.max(1) {
                    let reply = me
                        .send(SendAndAwait {
                            command: Some(command.clone()),
                            endpoint,
                            timeout,
                        })
                        .await
                        .map_err(|_| InitError::DeviceGone)?;
                    if let Some(reply) = reply {
                        replies.push(reply);
                        break;
                    }
                }
            }
            InitStep::AwaitNotification { endpoint, timeout } => {
                let reply = me
                    .send(SendAndAwait {
                        command: None,
                        endpoint,
                        timeout,
                    })
                    .await
                    .map_err(|_| InitError::DeviceGone)?;
                if let Some(reply) = reply {
                    replies.push(reply);
                }
            }
            InitStep::Wait(duration) => tokio::time::sleep(duration).await,
        }
    }
    Ok(())
}

impl Actor for Device {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Commands to a device must not be refused because its mailbox is momentarily full.
        ctx.set_mailbox_capacity(1024);
        self.hardware.do_send(HardwareCall::Attach {
            events: ctx.address().recipient(),
        });
        self.start_initialization(ctx);
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.ended_in_order = true;
        // Calls still waiting for the window go out now, in order (their askers, if any, learn
        // the device is gone), then the Disconnect behind them.
        for queued in std::mem::take(&mut self.hardware_queue) {
            self.hardware.do_send(queued.call);
        }
        // Every end that did not stop the outputs first (a panic in a handler: actix still
        // runs `stopped` when it drops the actor) stops them here, with the packet worked out
        // when the device became ready — no protocol code runs on this path.
        let running = self.last_steps.values().any(|(step, _)| *step != 0);
        self.let_go(running);
    }
}

/// Test-only (`fault-injection` feature): panic inside a handler, as a bug would.
#[cfg(feature = "fault-injection")]
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct PanicForTest;

#[cfg(feature = "fault-injection")]
impl Handler<PanicForTest> for Device {
    type Result = ();

    fn handle(&mut self, _: PanicForTest, _: &mut Self::Context) {
        panic!(
            "fault injected into the device actor for {}",
            self.identity.address
        );
    }
}

/// The last line of supervision: when a handler panics, actix drops the actor and still runs
/// `stopped` (which stops the outputs, lets go of the hardware and sends DeviceGone). Should
/// even that not run (a panic inside `stopped`), this guard does the same with what it has:
/// the stop packet, the Disconnect, DeviceGone — so a bug in one Device never leaves its toy
/// running or its entry behind.
impl Drop for Device {
    fn drop(&mut self) {
        if self.ended_in_order {
            return;
        }
        tracing::error!(
            address = %self.identity.address,
            index = ?self.index,
            protocol = self.protocol.name,
            "device actor ended abnormally (a panic); stopping the device and letting it go"
        );
        self.let_go(true);
    }
}

impl Handler<HardwareEvent> for Device {
    type Result = ();

    fn handle(&mut self, event: HardwareEvent, ctx: &mut Self::Context) {
        match event {
            HardwareEvent::Notification { endpoint, data } => {
                self.deliver_raw(endpoint, &data);
                let Some(unclaimed) = self.hand_to_waiter(InitReply { endpoint, data }) else {
                    return;
                };
                if matches!(self.phase, Phase::Initializing) {
                    if self.init_backlog.len() < INIT_BACKLOG_LIMIT {
                        self.init_backlog.push_back(unclaimed);
                    }
                    return;
                }
                if !self.deliver_inputs(&unclaimed) {
                    tracing::trace!(
                        endpoint = %unclaimed.endpoint,
                        bytes = ?unclaimed.data,
                        "notification nobody waited for"
                    );
                }
            }
            HardwareEvent::Disconnected { reason } => {
                tracing::info!(
                    address = %self.identity.address,
                    index = ?self.index,
                    %reason,
                    "device disconnected"
                );
                ctx.stop();
            }
        }
    }
}

impl Handler<SendAndAwait> for Device {
    type Result = ResponseFuture<Option<InitReply>>;

    fn handle(&mut self, message: SendAndAwait, _: &mut Self::Context) -> Self::Result {
        if message.command.is_none() {
            let wanted = message.endpoint;
            let queued = self
                .init_backlog
                .iter()
                .position(|reply| wanted.is_none_or(|endpoint| endpoint == reply.endpoint));
            if let Some(reply) = queued.and_then(|position| self.init_backlog.remove(position)) {
                return Box::pin(async move { Some(reply) });
            }
        } else {
            // An answer to a new request cannot be something that arrived before it was sent.
            self.init_backlog.clear();
        }
        let receiver = self.wait_for_notification(message.endpoint);
        if let Some(command) = message.command {
            self.hardware.do_send(HardwareCall::Command(command));
        }
        Box::pin(async move {
            tokio::time::timeout(message.timeout, receiver)
                .await
                .ok()
                .and_then(Result::ok)
        })
    }
}

impl Handler<AssignIndex> for Device {
    type Result = ();

    fn handle(&mut self, message: AssignIndex, _: &mut Self::Context) {
        self.index = Some(message.0);
    }
}

impl Handler<DeviceOutput> for Device {
    type Result = ResponseFuture<Result<(), ButtplugError>>;

    /// Answers once the transport took the bytes (or at once when nothing is written now):
    /// a device that fails or vanishes with the command in flight gets the client an
    /// ERROR_DEVICE for it.
    fn handle(&mut self, message: DeviceOutput, ctx: &mut Self::Context) -> Self::Result {
        match self.apply_outputs(message.session, &message.commands, ctx) {
            Ok(acks) => Box::pin(outcome_of(acks)),
            Err(error) => Box::pin(async move { Err(error) }),
        }
    }
}

impl Handler<DeviceStop> for Device {
    type Result = ResponseFuture<Result<(), ButtplugError>>;

    /// Answers once the transport took the stop bytes.
    fn handle(&mut self, message: DeviceStop, ctx: &mut Self::Context) -> Self::Result {
        match self.stop(message, ctx) {
            Ok(acks) => Box::pin(outcome_of(acks)),
            Err(error) => Box::pin(async move { Err(error) }),
        }
    }
}

impl Device {
    fn stop(
        &mut self,
        message: DeviceStop,
        ctx: &mut Context<Self>,
    ) -> Result<Vec<Ack>, ButtplugError> {
        if let Some(feature) = message.feature {
            let definition = self.definition()?;
            if definition
                .feature(feature)
                .is_none_or(|found| found.is_placeholder())
            {
                return Err(DeviceError::DeviceFeatureIndexError(
                    u32::try_from(definition.features.len()).unwrap_or(u32::MAX),
                    feature.0,
                )
                .into());
            }
        }
        if message.inputs {
            // Raw subscriptions are not inputs: a v2/v3 StopDeviceCmd keeps them (as 9.x did).
            self.drop_subscriptions(message.session, message.feature, false, ctx);
        }
        if message.outputs {
            return self.stop_outputs(message.feature, ctx);
        }
        Ok(Vec::new())
    }
}

impl Handler<StopOwnedBy> for Device {
    type Result = ();

    fn handle(&mut self, message: StopOwnedBy, ctx: &mut Self::Context) {
        self.drop_subscriptions(Some(message.session), None, true, ctx);
        let owned: Vec<OutputKey> = self
            .owners
            .iter()
            .filter(|(key, owner)| **owner == message.session && key.1.stops_at_zero())
            .map(|(key, _)| *key)
            .collect();
        if let Err(error) = self.zero_outputs(owned, ctx) {
            tracing::warn!(%error, "stopping a departed client's outputs failed");
        }
    }
}

impl Handler<DeviceInput> for Device {
    type Result = ResponseActFuture<Self, Result<Option<InputReading>, ButtplugError>>;

    fn handle(&mut self, message: DeviceInput, ctx: &mut Self::Context) -> Self::Result {
        let key = (message.feature, message.kind);
        match message.command {
            InputCommand::Read => Box::pin(self.read_input(key, ctx).into_actor(self)),
            InputCommand::Subscribe => self.subscribe_input(message.session, key, ctx),
            InputCommand::Unsubscribe => self.unsubscribe_input(message.session, key, ctx),
        }
    }
}

impl Handler<DeviceRaw> for Device {
    type Result = ResponseActFuture<Self, Result<Option<RawReading>, ButtplugError>>;

    fn handle(&mut self, message: DeviceRaw, ctx: &mut Self::Context) -> Self::Result {
        if let Err(error) = self.definition() {
            return ready(Err(error));
        }
        let endpoint = message.endpoint;
        if !self.endpoints.contains(&endpoint) {
            return ready(Err(DeviceError::InvalidEndpoint(endpoint.name()).into()));
        }
        let device = self.index.unwrap_or(DeviceIndex(0));
        match message.command {
            RawCommand::Write {
                data,
                write_with_response,
            } => {
                let sent = self.send_all(
                    vec![HardwareCommand::Write {
                        endpoint,
                        data,
                        write_with_response,
                    }],
                    ctx,
                );
                Box::pin(async move { sent.await.map(|()| None) }.into_actor(self))
            }
            RawCommand::Read { length, timeout_ms } => {
                let timeout = match timeout_ms {
                    None | Some(0) => READ_TIMEOUT,
                    Some(ms) => Duration::from_millis(u64::from(ms)).min(RAW_READ_TIMEOUT_LIMIT),
                };
                let request = self.call_hardware(
                    HardwareCall::Read {
                        endpoint,
                        length,
                        timeout,
                    },
                    ctx,
                );
                Box::pin(
                    async move {
                        let data = match request.await {
                            Ok(Ok(HardwareReply::Data(data))) => data,
                            Ok(Ok(HardwareReply::Done)) => Vec::new(),
                            Ok(Err(error)) => return Err(hardware_failure(error)),
                            Err(_) => return Err(hardware_failure(HardwareError::Disconnected)),
                        };
                        Ok(Some(RawReading {
                            device,
                            endpoint,
                            data,
                        }))
                    }
                    .into_actor(self),
                )
            }
            RawCommand::Subscribe => self.subscribe_raw(message.session, endpoint, ctx),
            RawCommand::Unsubscribe => self.unsubscribe_raw(message.session, endpoint, ctx),
        }
    }
}

impl Handler<ShutdownDevice> for Device {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, message: ShutdownDevice, ctx: &mut Self::Context) -> Self::Result {
        tracing::info!(
            address = %self.identity.address,
            index = ?self.index,
            reason = message.reason,
            "stopping device"
        );
        if matches!(self.phase, Phase::Ready(_)) {
            if let Err(error) = self.stop_outputs(None, ctx) {
                tracing::warn!(%error, "stop on shutdown failed");
            }
        }
        self.drop_subscriptions(None, None, true, ctx);
        // Queued behind everything sent so far, so the stop bytes leave first; answered once
        // the transport handled them all.
        let disconnected = self.call_hardware(HardwareCall::Disconnect, ctx);
        Box::pin(
            async move {
                let _ = disconnected.await;
            }
            .into_actor(self)
            .map(|(), _, ctx| ctx.stop()),
        )
    }
}

/// Ask a Device what an observer (the web dashboard, `/metrics`) shows: each output's current
/// step and what has been written. Read-only.
#[derive(Debug, Message)]
#[rtype(result = "DeviceStatus")]
pub struct QueryDeviceStatus;

/// One device's live state, for observers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceStatus {
    /// The protocol's database key (`"lovense"`).
    pub protocol: &'static str,
    /// The transport that found it (`"simulated"`, `"btle"`, ...).
    pub transport: &'static str,
    /// Every output set since the device connected: feature, kind, the current client step.
    pub levels: Vec<(FeatureIndex, OutputKind, i32)>,
    /// Bytes written to the device by output commands.
    pub bytes_written: u64,
}

impl Handler<QueryDeviceStatus> for Device {
    type Result = MessageResult<QueryDeviceStatus>;

    fn handle(&mut self, _: QueryDeviceStatus, _: &mut Self::Context) -> Self::Result {
        let mut levels: Vec<(FeatureIndex, OutputKind, i32)> = self
            .last_steps
            .iter()
            .map(|((feature, kind), (step, _))| (*feature, *kind, *step))
            .collect();
        levels.sort();
        MessageResult(DeviceStatus {
            protocol: self.protocol.name,
            transport: self.identity.transport.name(),
            levels,
            bytes_written: self.bytes_written,
        })
    }
}

/// Inputs: reads, subscriptions and what notifications carry.
impl Device {
    /// The input `key` of the definition, if the device is ready and has it.
    fn input_definition(&self, key: InputKey) -> Result<&InputDefinition, ButtplugError> {
        let definition = self.definition()?;
        let feature = definition
            .feature(key.0)
            .filter(|feature| !feature.is_placeholder())
            .ok_or_else(|| {
                DeviceError::DeviceFeatureIndexError(
                    u32::try_from(definition.features.len()).unwrap_or(u32::MAX),
                    key.0 .0,
                )
            })?;
        feature
            .input(key.1)
            .ok_or_else(|| DeviceError::MessageNotSupported("InputCmd".to_string()).into())
    }

    /// The input `key` if it declares `command`; else MessageNotSupported (protocol.md §8.6:
    /// plugd checks the feature's command list before asking the protocol).
    fn check_input_command(
        &self,
        key: InputKey,
        command: InputCommand,
    ) -> Result<(), ButtplugError> {
        if self.input_definition(key)?.commands.contains(&command) {
            Ok(())
        } else {
            Err(DeviceError::MessageNotSupported("InputCmd".to_string()).into())
        }
    }

    /// One read of an input, answered with its reading.
    fn read_input(
        &mut self,
        key: InputKey,
        ctx: &mut Context<Self>,
    ) -> impl std::future::Future<Output = Result<Option<InputReading>, ButtplugError>> + 'static
    {
        let prepared = self
            .check_input_command(key, InputCommand::Read)
            .and_then(|()| self.definition())
            .and_then(|definition| self.read_plan(definition, key.0, key.1));
        let (plan, notification, read) = match prepared {
            Ok(plan) => {
                for command in &plan.send {
                    note_subscription(&mut self.protocol_subscribed, command);
                }
                let notification = match plan.source {
                    ReadSource::Notification { endpoint } => {
                        Some(self.wait_for_notification(Some(endpoint)))
                    }
                    ReadSource::Read { .. } => None,
                };
                for command in plan.send.clone() {
                    self.post_hardware(command, ctx);
                }
                // Queued behind the plan's commands, so the device is asked after them.
                let read = match plan.source {
                    ReadSource::Read { endpoint, length } => Some(self.call_hardware(
                        HardwareCall::Read {
                            endpoint,
                            length,
                            timeout: READ_TIMEOUT,
                        },
                        ctx,
                    )),
                    ReadSource::Notification { .. } => None,
                };
                (Ok(plan), notification, read)
            }
            Err(error) => (Err(error), None, None),
        };
        let index = self.index.unwrap_or(DeviceIndex(0));
        let protocol_name = self.protocol.name;
        async move {
            let plan = plan?;
            let bytes = match (read, notification) {
                (_, Some(receiver)) => tokio::time::timeout(READ_TIMEOUT, receiver)
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .map(|reply| reply.data)
                    .ok_or_else(|| {
                        DeviceError::DeviceCommunicationError(
                            "the device did not answer the read".to_string(),
                        )
                    })?,
                (Some(read), None) => match read.await {
                    Ok(Ok(HardwareReply::Data(data))) => data,
                    Ok(Ok(HardwareReply::Done)) => Vec::new(),
                    Ok(Err(error)) => {
                        return Err(DeviceError::DeviceCommunicationError(error.to_string()).into())
                    }
                    Err(_) => {
                        return Err(DeviceError::DeviceCommunicationError(
                            "the device is gone".to_string(),
                        )
                        .into())
                    }
                },
                (None, None) => Vec::new(),
            };
            let parse = plan.parse;
            let value = guarded(protocol_name, "read", || parse(&bytes))
                .map_err(DeviceError::UnhandledCommand)?
                .map_err(|error| DeviceError::DeviceCommunicationError(error.to_string()))?;
            Ok(Some(InputReading {
                device: index,
                feature: key.0,
                kind: key.1,
                value,
            }))
        }
    }

    /// Adds `session` to the input's subscribers; the first subscriber turns the input on.
    fn subscribe_input(
        &mut self,
        session: SessionId,
        key: InputKey,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<Option<InputReading>, ButtplugError>> {
        if let Err(error) = self.check_input_command(key, InputCommand::Subscribe) {
            return ready(Err(error));
        }
        if let Some(subscription) = self.inputs.get_mut(&key) {
            subscription.subscribers.entry(session).or_insert(None);
            return ready(Ok(None));
        }
        let Some(subscribe) = self.protocol.subscribe_input else {
            return ready(Err(DeviceError::UnhandledCommand(
                "Command not implemented for this protocol: InputCmd (Subscribe)".to_string(),
            )
            .into()));
        };
        let plan = match self
            .definition()
            .and_then(|definition| subscribe(definition, key.0, key.1).map_err(protocol_refusal))
        {
            Ok(plan) => plan,
            Err(error) => return ready(Err(error)),
        };
        let commands = plan
            .subscribe
            .iter()
            .filter(|command| !self.already_subscribed(command))
            .cloned()
            .collect();
        self.inputs.insert(
            key,
            InputSubscription {
                plan,
                subscribers: BTreeMap::from([(session, None)]),
            },
        );
        tracing::debug!(%session, feature = %key.0, input = %key.1, "input subscribed");
        let sent = self.send_all(commands, ctx);
        Box::pin(sent.into_actor(self).map(move |result, device, _| {
            result.map(|()| None).inspect_err(|_| {
                // Turning it on failed: this subscription does not exist.
                if let Some(subscription) = device.inputs.get_mut(&key) {
                    subscription.subscribers.remove(&session);
                    if subscription.subscribers.is_empty() {
                        device.inputs.remove(&key);
                    }
                }
            })
        }))
    }

    /// Removes `session` from the input's subscribers; the last one leaving turns it off.
    /// Unsubscribing what was not subscribed is Ok and sends nothing.
    fn unsubscribe_input(
        &mut self,
        session: SessionId,
        key: InputKey,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<Option<InputReading>, ButtplugError>> {
        if let Err(error) = self.check_input_command(key, InputCommand::Subscribe) {
            return ready(Err(error));
        }
        let Some(subscription) = self.inputs.get_mut(&key) else {
            return ready(Ok(None));
        };
        if subscription.subscribers.remove(&session).is_none()
            || !subscription.subscribers.is_empty()
        {
            return ready(Ok(None));
        }
        let commands = self.forget_inputs(vec![key]);
        tracing::debug!(%session, feature = %key.0, input = %key.1, "input unsubscribed");
        let sent = self.send_all(commands, ctx);
        Box::pin(
            sent.into_actor(self)
                .map(|result, _, _| result.map(|()| None)),
        )
    }

    /// Adds `session` to the endpoint's raw subscribers, subscribing the endpoint if nothing
    /// holds it yet.
    fn subscribe_raw(
        &mut self,
        session: SessionId,
        endpoint: Endpoint,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<Option<RawReading>, ButtplugError>> {
        if self
            .raw_subscribers
            .get(&endpoint)
            .is_some_and(|sessions| sessions.contains(&session))
        {
            return ready(Ok(None));
        }
        let in_use = self.endpoint_in_use(endpoint);
        self.raw_subscribers
            .entry(endpoint)
            .or_default()
            .insert(session);
        if in_use {
            return ready(Ok(None));
        }
        let sent = self.send_all(vec![HardwareCommand::Subscribe { endpoint }], ctx);
        Box::pin(sent.into_actor(self).map(move |result, device, _| {
            result.map(|()| None).inspect_err(|_| {
                device.forget_raw_subscriber(endpoint, session);
            })
        }))
    }

    /// Removes `session` from the endpoint's raw subscribers, unsubscribing the endpoint when
    /// nothing holds it any more.
    fn unsubscribe_raw(
        &mut self,
        session: SessionId,
        endpoint: Endpoint,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<Option<RawReading>, ButtplugError>> {
        if !self.forget_raw_subscriber(endpoint, session) || self.endpoint_in_use(endpoint) {
            return ready(Ok(None));
        }
        let sent = self.send_all(vec![HardwareCommand::Unsubscribe { endpoint }], ctx);
        Box::pin(
            sent.into_actor(self)
                .map(|result, _, _| result.map(|()| None)),
        )
    }

    /// Drops the subscriptions of `session` (every client's when `None`), of one feature or all,
    /// raw ones too when `raw`; turns off whatever nobody needs any more. Never delayed.
    fn drop_subscriptions(
        &mut self,
        session: Option<SessionId>,
        feature: Option<FeatureIndex>,
        raw: bool,
        ctx: &mut Context<Self>,
    ) {
        let mut emptied = Vec::new();
        for (key, subscription) in &mut self.inputs {
            if feature.is_some_and(|feature| feature != key.0) {
                continue;
            }
            match session {
                Some(session) => {
                    subscription.subscribers.remove(&session);
                }
                None => subscription.subscribers.clear(),
            }
            if subscription.subscribers.is_empty() {
                emptied.push(*key);
            }
        }
        let mut commands = self.forget_inputs(emptied);
        if raw {
            let endpoints: Vec<Endpoint> = self.raw_subscribers.keys().copied().collect();
            for endpoint in endpoints {
                let emptied = match session {
                    Some(session) => self.forget_raw_subscriber(endpoint, session),
                    None => self.raw_subscribers.remove(&endpoint).is_some(),
                };
                if emptied && !self.endpoint_in_use(endpoint) {
                    commands.push(HardwareCommand::Unsubscribe { endpoint });
                }
            }
        }
        let mut unsubscribed = BTreeSet::new();
        for command in commands {
            if let HardwareCommand::Unsubscribe { endpoint } = &command {
                if !unsubscribed.insert(*endpoint) {
                    continue;
                }
            }
            self.post_hardware(command, ctx);
        }
    }

    /// Removes these input subscriptions; returns their unsubscribe commands, without the
    /// unsubscribes of endpoints something else still holds.
    fn forget_inputs(&mut self, keys: Vec<InputKey>) -> Vec<HardwareCommand> {
        let plans: Vec<SubscribePlan> = keys
            .into_iter()
            .filter_map(|key| self.inputs.remove(&key))
            .map(|subscription| subscription.plan)
            .collect();
        plans
            .into_iter()
            .flat_map(|plan| plan.unsubscribe)
            .filter(|command| match command {
                HardwareCommand::Unsubscribe { endpoint } => !self.endpoint_in_use(*endpoint),
                _ => true,
            })
            .collect()
    }

    /// Removes one raw subscriber; true when it was the endpoint's last one.
    fn forget_raw_subscriber(&mut self, endpoint: Endpoint, session: SessionId) -> bool {
        let Some(sessions) = self.raw_subscribers.get_mut(&endpoint) else {
            return false;
        };
        if !sessions.remove(&session) {
            return false;
        }
        if sessions.is_empty() {
            self.raw_subscribers.remove(&endpoint);
            return true;
        }
        false
    }

    /// Whether anything holds the endpoint's notifications on: the protocol itself, a raw
    /// subscriber, or a subscribed input whose plan subscribed it.
    fn endpoint_in_use(&self, endpoint: Endpoint) -> bool {
        self.protocol_subscribed.contains(&endpoint)
            || self
                .raw_subscribers
                .get(&endpoint)
                .is_some_and(|sessions| !sessions.is_empty())
            || self.inputs.values().any(|subscription| {
                subscription.plan.subscribe.iter().any(|command| {
                    matches!(command, HardwareCommand::Subscribe { endpoint: held } if *held == endpoint)
                })
            })
    }

    /// True for a `Subscribe` of an endpoint that is already on.
    fn already_subscribed(&self, command: &HardwareCommand) -> bool {
        matches!(command, HardwareCommand::Subscribe { endpoint } if self.endpoint_in_use(*endpoint))
    }

    /// Hands the commands to the transport now (in order, behind everything sent before) and
    /// returns a future of their outcome: the first failure, if any.
    fn send_all(
        &mut self,
        commands: Vec<HardwareCommand>,
        ctx: &mut Context<Self>,
    ) -> impl std::future::Future<Output = Result<(), ButtplugError>> + 'static {
        let acks: Vec<Ack> = commands
            .into_iter()
            .map(|command| self.call_hardware(HardwareCall::Command(command), ctx))
            .collect();
        outcome_of(acks)
    }

    /// A notification on `endpoint` to each of its raw subscribers.
    fn deliver_raw(&self, endpoint: Endpoint, data: &[u8]) {
        let (Some(device), Some(sessions)) = (self.index, self.raw_subscribers.get(&endpoint))
        else {
            return;
        };
        for session in sessions {
            self.readings_to.do_send(SubscriptionReading {
                session: *session,
                reading: SubscribedReading::Raw(RawReading {
                    device,
                    endpoint,
                    data: data.to_vec(),
                }),
            });
        }
    }

    /// Gives the notification to the oldest waiter that wants it; returns it if none did.
    fn hand_to_waiter(&mut self, notification: InitReply) -> Option<InitReply> {
        let endpoint = notification.endpoint;
        let mut reply = Some(notification);
        let mut still_waiting = Vec::with_capacity(self.waiters.len());
        for waiter in self.waiters.drain(..) {
            if waiter.reply.is_closed() {
                continue;
            }
            let wants = waiter.endpoint.is_none_or(|wanted| wanted == endpoint);
            match reply.take() {
                Some(delivered) if wants => {
                    if let Err(returned) = waiter.reply.send(delivered) {
                        reply = Some(returned);
                    }
                }
                other => {
                    reply = other;
                    still_waiting.push(waiter);
                }
            }
        }
        self.waiters = still_waiting;
        reply
    }

    /// Parses a notification with the protocol and sends each subscribed input's value to its
    /// subscribers, each only when it differs from the last value that subscriber got. Returns
    /// whether the protocol found any reading in it.
    fn deliver_inputs(&mut self, notification: &InitReply) -> bool {
        if self.inputs.is_empty() {
            return false;
        }
        let (Phase::Ready(definition), Some(parse), Some(device)) =
            (&self.phase, self.protocol.parse_notification, self.index)
        else {
            return false;
        };
        let readings = match guarded(self.protocol.name, "parse_notification", || {
            parse(definition, notification.endpoint, &notification.data)
        }) {
            Ok(readings) => readings,
            Err(_) => return true,
        };
        for found in &readings {
            let Some(subscription) = self.inputs.get_mut(&(found.feature, found.kind)) else {
                continue;
            };
            for (session, last) in &mut subscription.subscribers {
                if *last == Some(found.value) {
                    continue;
                }
                *last = Some(found.value);
                self.readings_to.do_send(SubscriptionReading {
                    session: *session,
                    reading: SubscribedReading::Input(InputReading {
                        device,
                        feature: found.feature,
                        kind: found.kind,
                        value: found.value,
                    }),
                });
            }
        }
        !readings.is_empty()
    }
}

/// An already-finished answer, as an actor future.
fn ready<T: 'static>(value: T) -> ResponseActFuture<Device, T> {
    Box::pin(actix::fut::ready(value))
}

/// A protocol's refusal to subscribe, as the client sees it.
fn protocol_refusal(error: ProtocolError) -> ButtplugError {
    match error {
        ProtocolError::UnsupportedInput { .. } => {
            DeviceError::MessageNotSupported("InputCmd".to_string()).into()
        }
        other => DeviceError::UnhandledCommand(other.to_string()).into(),
    }
}

/// A failed hardware call, as the client sees it.
/// The outcome of commands handed to the transport: Ok once each was answered Ok, else the
/// first failure (a device gone before answering is a communication error too).
async fn outcome_of(acks: Vec<oneshot::Receiver<HardwareOutcome>>) -> Result<(), ButtplugError> {
    for ack in acks {
        match ack.await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => return Err(hardware_failure(error)),
            Err(_) => return Err(hardware_failure(HardwareError::Disconnected)),
        }
    }
    Ok(())
}

fn hardware_failure(error: HardwareError) -> ButtplugError {
    match error {
        HardwareError::InvalidEndpoint(endpoint) => {
            DeviceError::InvalidEndpoint(endpoint.name()).into()
        }
        other => DeviceError::DeviceCommunicationError(other.to_string()).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn a_panicking_protocol_function_becomes_an_error_naming_the_protocol() {
        let failure = guarded("acme", "encode", || -> u32 {
            panic!("index out of bounds")
        })
        .expect_err("the panic is caught");
        assert!(failure.contains("acme"), "{failure}");
        assert!(failure.contains("encode"), "{failure}");
        assert!(failure.contains("index out of bounds"), "{failure}");
    }

    #[test]
    fn a_protocol_function_that_returns_is_passed_through() {
        assert_eq!(guarded("acme", "encode", || 7), Ok(7));
    }
}

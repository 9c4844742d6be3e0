//! Device: one actor per connected device. Runs the protocol's identification and init, then
//! owns everything about the device while it lives: the definition, every output's current
//! value and who set it, the message gap, keepalive, notification waiters. It validates each
//! command against the definition, deduplicates unchanged values, calls the protocol's pure
//! encoder and sends the bytes to its Hardware.
//!
//! Receives `DeviceOutput`, `DeviceStop`, `StopOwnedBy`, `DeviceInput`, `AssignIndex`,
//! `ShutdownDevice` from the DeviceManager and `HardwareEvent`s from its transport. Sends
//! `DeviceReady` / `DeviceGone` to the DeviceManager.

use crate::device_config::{DeviceConfig, LookupDefinition};
use crate::hardware::{HardwareCall, HardwareError, HardwareEvent, HardwareReply};
use actix::prelude::*;
use plugd_config::{DeviceDefinition, DeviceIdentity};
use plugd_core::{
    DeviceIndex, Endpoint, FeatureIndex, HardwareCommand, InputCommand, InputKind, OutputKind,
    SessionId,
};
use plugd_messages::{ButtplugError, DeviceError, InputReading, OutputCommand};
use plugd_protocols::{
    EncodeContext, InitContext, InitReply, InitRound, InitStep, InputReadPlan, OutputState,
    OutputValue, Protocol, ProtocolError, ProtocolSession, ReadSource,
};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// How long identification plus init may take before the device is given up.
const INIT_DEADLINE: Duration = Duration::from_secs(30);
/// How long an input read waits for the device's answer.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Init rounds a protocol may ask for before the device is given up.
const MAX_INIT_ROUNDS: u32 = 16;

/// An output is addressed by its feature and kind.
type OutputKey = (FeatureIndex, OutputKind);

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
    /// One feature, or every feature.
    pub feature: Option<FeatureIndex>,
    /// Zero the outputs.
    pub outputs: bool,
    /// Drop the subscriptions.
    pub inputs: bool,
}

/// A client left: zero every output it set last and drop its subscriptions.
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
    ) -> Self {
        Device {
            identity: parts.identity,
            protocol: parts.protocol,
            endpoints: parts.endpoints,
            hardware: parts.hardware,
            ready_to,
            gone_to,
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

    /// Identification, definition lookup and init, as one future run beside the mailbox.
    fn start_initialization(&mut self, ctx: &mut Context<Self>) {
        let me = ctx.address();
        let hardware = self.hardware.clone();
        let protocol = self.protocol;
        let identity = self.identity.clone();
        let config = self.config.clone();
        let mut entropy = [0_u8; 32];
        if let Err(error) = getrandom::fill(&mut entropy) {
            tracing::warn!(%error, "no OS randomness for protocol nonces");
        }
        let work = async move {
            let mut identify_replies = Vec::new();
            if let Some(identify_steps) = protocol.identify_steps {
                run_steps(
                    identify_steps(&identity),
                    &me,
                    &hardware,
                    &mut identify_replies,
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
                Some(resolve) => resolve(&identity, &identify_replies),
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
                    match initialize(&context).map_err(InitError::Protocol)? {
                        InitRound::Done => break,
                        InitRound::Steps(steps) => {
                            run_steps(steps, &me, &hardware, &mut init_replies).await?
                        }
                    }
                }
            }
            let mut session = session;
            session.init_replies.extend(init_replies);
            Ok::<_, InitError>((protocol, definition, session))
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
                    Ok((protocol, definition, session)) => {
                        device.protocol = protocol;
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
            device: ctx.address(),
        };
        self.phase = Phase::Ready(Box::new(definition));
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
    ) -> Result<(), ButtplugError> {
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

    /// Zeroes every stoppable output (of one feature, or all). Never delayed.
    fn stop_outputs(
        &mut self,
        feature: Option<FeatureIndex>,
        ctx: &mut Context<Self>,
    ) -> Result<(), ButtplugError> {
        let definition = self.definition()?;
        let keys: Vec<OutputKey> = definition
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
            .collect();
        self.zero_outputs(keys, ctx)
    }

    fn zero_outputs(
        &mut self,
        keys: Vec<OutputKey>,
        ctx: &mut Context<Self>,
    ) -> Result<(), ButtplugError> {
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

    /// Writes now (first command after a quiet gap, or any stop) or arms the gap timer.
    fn schedule(
        &mut self,
        changed: Vec<OutputKey>,
        urgent: bool,
        ctx: &mut Context<Self>,
    ) -> Result<(), ButtplugError> {
        if changed.is_empty() {
            return Ok(());
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
                Ok(())
            }
            _ => {
                if let Some(timer) = self.flush_timer.take() {
                    ctx.cancel_future(timer);
                }
                self.write_pending(ctx)
            }
        }
    }

    /// Encodes every pending output and sends the commands to the hardware.
    fn write_pending(&mut self, ctx: &mut Context<Self>) -> Result<(), ButtplugError> {
        if self.pending.is_empty() {
            return Ok(());
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
        let commands = (self.protocol.encode)(&context).map_err(|error| {
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
            return Ok(());
        }
        self.protocol_session.counter = self.protocol_session.counter.wrapping_add(1);
        for command in &commands {
            self.hardware
                .do_send(HardwareCall::Command(command.clone()));
        }
        self.last_write_at = Some(Instant::now());
        if let Some(period) = self.protocol.keepalive {
            self.last_packet = commands;
            self.arm_keepalive(period, ctx);
        }
        Ok(())
    }

    fn arm_keepalive(&mut self, period: Duration, ctx: &mut Context<Self>) {
        if let Some(timer) = self.keepalive_timer.take() {
            ctx.cancel_future(timer);
        }
        self.keepalive_timer = Some(ctx.run_later(period, move |device, ctx| {
            device.keepalive_timer = None;
            for command in &device.last_packet {
                device
                    .hardware
                    .do_send(HardwareCall::Command(command.clone()));
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
}

impl From<MailboxError> for InitError {
    fn from(_: MailboxError) -> Self {
        InitError::Hardware(HardwareError::Disconnected)
    }
}

/// Runs init steps in order against the hardware.
async fn run_steps(
    steps: Vec<InitStep>,
    me: &Addr<Device>,
    hardware: &Recipient<HardwareCall>,
    replies: &mut Vec<InitReply>,
) -> Result<(), InitError> {
    for step in steps {
        match step {
            InitStep::Send(command) => {
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
        self.hardware.do_send(HardwareCall::Disconnect);
        self.gone_to.do_send(DeviceGone {
            address: self.identity.address.clone(),
            index: self.index,
        });
    }
}

impl Handler<HardwareEvent> for Device {
    type Result = ();

    fn handle(&mut self, event: HardwareEvent, ctx: &mut Self::Context) {
        match event {
            HardwareEvent::Notification { endpoint, data } => {
                let mut reply = Some(InitReply { endpoint, data });
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
                if let Some(unclaimed) = reply {
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
    type Result = Result<(), ButtplugError>;

    fn handle(&mut self, message: DeviceOutput, ctx: &mut Self::Context) -> Self::Result {
        self.apply_outputs(message.session, &message.commands, ctx)
    }
}

impl Handler<DeviceStop> for Device {
    type Result = Result<(), ButtplugError>;

    fn handle(&mut self, message: DeviceStop, ctx: &mut Self::Context) -> Self::Result {
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
        if message.outputs {
            self.stop_outputs(message.feature, ctx)?;
        }
        Ok(())
    }
}

impl Handler<StopOwnedBy> for Device {
    type Result = ();

    fn handle(&mut self, message: StopOwnedBy, ctx: &mut Self::Context) {
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
    type Result = ResponseFuture<Result<Option<InputReading>, ButtplugError>>;

    fn handle(&mut self, message: DeviceInput, _: &mut Self::Context) -> Self::Result {
        let prepared = self.prepare_input(&message);
        let plan = match prepared {
            Ok(plan) => plan,
            Err(error) => return Box::pin(async move { Err(error) }),
        };
        let index = self.index.unwrap_or(DeviceIndex(0));
        let hardware = self.hardware.clone();
        let notification = match plan.source {
            ReadSource::Notification { endpoint } => {
                Some(self.wait_for_notification(Some(endpoint)))
            }
            ReadSource::Read { .. } => None,
        };
        for command in &plan.send {
            hardware.do_send(HardwareCall::Command(command.clone()));
        }
        Box::pin(async move {
            let bytes = match (plan.source, notification) {
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
                (ReadSource::Read { endpoint, length }, None) => {
                    match hardware
                        .send(HardwareCall::Read {
                            endpoint,
                            length,
                            timeout: READ_TIMEOUT,
                        })
                        .await
                    {
                        Ok(Ok(HardwareReply::Data(data))) => data,
                        Ok(Ok(HardwareReply::Done)) => Vec::new(),
                        Ok(Err(error)) => {
                            return Err(
                                DeviceError::DeviceCommunicationError(error.to_string()).into()
                            )
                        }
                        Err(_) => {
                            return Err(DeviceError::DeviceCommunicationError(
                                "the device is gone".to_string(),
                            )
                            .into())
                        }
                    }
                }
                (ReadSource::Notification { .. }, None) => Vec::new(),
            };
            let value = (plan.parse)(&bytes)
                .map_err(|error| DeviceError::DeviceCommunicationError(error.to_string()))?;
            Ok(Some(InputReading {
                device: index,
                feature: message.feature,
                kind: message.kind,
                value,
            }))
        })
    }
}

impl Device {
    /// Validates an input request; returns how to read it. Subscriptions are not supported by
    /// any implemented protocol yet, so they are refused here with MessageNotSupported.
    fn prepare_input(&self, message: &DeviceInput) -> Result<InputReadPlan, ButtplugError> {
        let definition = self.definition()?;
        let feature = definition
            .feature(message.feature)
            .filter(|feature| !feature.is_placeholder())
            .ok_or_else(|| {
                DeviceError::DeviceFeatureIndexError(
                    u32::try_from(definition.features.len()).unwrap_or(u32::MAX),
                    message.feature.0,
                )
            })?;
        let input = feature
            .input(message.kind)
            .ok_or_else(|| DeviceError::MessageNotSupported("InputCmd".to_string()))?;
        let supported = match message.command {
            InputCommand::Read => input.commands.contains(&InputCommand::Read),
            InputCommand::Subscribe | InputCommand::Unsubscribe => false,
        };
        if !supported {
            return Err(DeviceError::MessageNotSupported("InputCmd".to_string()).into());
        }
        self.read_plan(definition, message.feature, message.kind)
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
        // Everything sent so far is queued at the transport; a Disconnect behind it is handled
        // after them, so the stop bytes leave first.
        let hardware = self.hardware.clone();
        Box::pin(
            async move {
                let _ = hardware.send(HardwareCall::Disconnect).await;
            }
            .into_actor(self)
            .map(|(), _, ctx| ctx.stop()),
        )
    }
}

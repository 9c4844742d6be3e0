//! The logic of one client connection, without any socket: the handshake state, parsing each
//! frame with the negotiated spec version, converting messages onto the internal model,
//! rendering replies and events in the client's version, and keeping replies in request order.
//! The transport's Session actor feeds it frames and events and writes what it returns.
//! It also applies the per-client message limits ([`MessageLimits`]): messages per frame,
//! messages per second, input and raw subscriptions held at once (docs/security.md).

use plugd_core::{DeviceIndex, Endpoint, FeatureIndex, InputCommand, InputKind};
use plugd_messages::{
    convert::{Converter, ReplyShape},
    parse::{self, Handshake as ParsedHandshake},
    render, ButtplugError, DeviceInfo, Event, HandshakeError, MessageError, RawCommand, Reply,
    Request, SpecVersion,
};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

thread_local! {
    /// The v4 `DeviceList` event of the newest device list, rendered once for all the v4
    /// sessions on this thread (`render::SharedDeviceListFrame`).
    static V4_LIST_FRAME: RefCell<render::SharedDeviceListFrame> = RefCell::default();
}

/// Per-client message limits (each a command-line flag; docs/security.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageLimits {
    /// Most messages in one frame (`--max-messages-per-frame`); a longer frame is refused whole.
    pub max_messages_per_frame: usize,
    /// Most messages per second (`--max-messages-per-second`); 0: no limit. Stop messages are
    /// never refused.
    pub max_messages_per_second: u32,
    /// Most input and raw subscriptions held at once (`--max-subscriptions-per-client`).
    pub max_subscriptions: usize,
}

impl Default for MessageLimits {
    fn default() -> Self {
        MessageLimits {
            max_messages_per_frame: 256,
            max_messages_per_second: 1000,
            max_subscriptions: 64,
        }
    }
}

/// Consecutive one-second windows with refused messages after which the client is closed.
pub const RATE_STRIKES_BEFORE_CLOSE: u32 = 3;

/// The length of one rate window.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// One subscription a client holds, as the limit counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SubscriptionKey {
    /// A v4 input subscription.
    Input(DeviceIndex, FeatureIndex, InputKind),
    /// A raw endpoint subscription (v2/v3).
    Raw(DeviceIndex, Endpoint),
}

impl SubscriptionKey {
    /// The subscription a request asks for, if it is a subscribe.
    pub fn subscribed_by(request: &Request) -> Option<SubscriptionKey> {
        match request {
            Request::Input(input) if input.command == InputCommand::Subscribe => Some(
                SubscriptionKey::Input(input.device, input.feature, input.kind),
            ),
            Request::Raw(raw) if raw.command == RawCommand::Subscribe => {
                Some(SubscriptionKey::Raw(raw.device, raw.endpoint))
            }
            _ => None,
        }
    }

    fn device(self) -> DeviceIndex {
        match self {
            SubscriptionKey::Input(device, ..) | SubscriptionKey::Raw(device, _) => device,
        }
    }
}

/// The fixed one-second window the message rate is counted in.
#[derive(Debug)]
struct RateWindow {
    start: Option<Instant>,
    count: u64,
    refused: bool,
    /// Earlier consecutive windows that had refusals.
    strikes: u32,
}

impl RateWindow {
    fn roll(&mut self, now: Instant) {
        let Some(start) = self.start else {
            self.start = Some(now);
            return;
        };
        let elapsed = now.saturating_duration_since(start);
        if elapsed < RATE_WINDOW {
            return;
        }
        self.strikes = if self.refused && elapsed < 2 * RATE_WINDOW {
            self.strikes + 1
        } else {
            0
        };
        self.start = Some(now);
        self.count = 0;
        self.refused = false;
    }
}

/// What to do for one message of a frame.
#[derive(Debug)]
pub enum FrameStep {
    /// Send this frame (an error found while parsing or converting).
    Answer(String),
    /// Ask the Server, then render the result with [`ClientSession::render_result`] once per
    /// Id: several `OutputCmd`s for one device in one frame are merged into one request, so the
    /// device gets them as one batch (validated together, encoded together: one packet for
    /// protocols that pack motors).
    Forward {
        /// The Ids of the messages this request answers, in frame order.
        ids: Vec<u32>,
        /// The request.
        request: Request,
        /// How to render the reply.
        shape: ReplyShape,
    },
    /// Send this error frame and close the connection (the message rate stayed over its
    /// limit for [`RATE_STRIKES_BEFORE_CLOSE`] seconds in a row).
    Close(String),
}

/// Where the connection is.
enum State {
    /// Waiting for RequestServerInfo.
    AwaitingHandshake,
    /// Handshaken with this version.
    Active {
        version: SpecVersion,
        converter: Converter,
        /// The device list as this client last saw it (for DeviceAdded/Removed diffs); the
        /// list the Server broadcast, shared with every other session.
        devices: Arc<Vec<DeviceInfo>>,
    },
}

/// One client connection's protocol state.
pub struct ClientSession {
    state: State,
    limits: MessageLimits,
    rate: RateWindow,
    /// Subscriptions this client holds or has asked for (counted against the limit).
    subscriptions: BTreeSet<SubscriptionKey>,
}

/// The outcome of the first frame.
#[derive(Debug)]
pub enum HandshakeStep {
    /// Ask the Server to accept this handshake.
    Request(ParsedHandshake, SpecVersion),
    /// Answer with this error frame and keep waiting for a handshake.
    Refuse(String),
    /// Answer with this error frame and close (client newer than plugd).
    RefuseAndClose(String),
}

impl Default for ClientSession {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientSession {
    /// A connection waiting for its handshake, with the default limits.
    pub fn new() -> Self {
        Self::with_limits(MessageLimits::default())
    }

    /// A connection waiting for its handshake, with these limits.
    pub fn with_limits(limits: MessageLimits) -> Self {
        ClientSession {
            state: State::AwaitingHandshake,
            limits,
            rate: RateWindow {
                start: None,
                count: 0,
                refused: false,
                strikes: 0,
            },
            subscriptions: BTreeSet::new(),
        }
    }

    /// How many subscriptions this client holds (or has asked for and not been refused).
    pub fn subscription_count(&self) -> usize {
        self.subscriptions.len()
    }

    /// A forwarded subscribe failed: it no longer counts against the limit.
    pub fn subscription_failed(&mut self, key: SubscriptionKey) {
        self.subscriptions.remove(&key);
    }

    /// Counts a subscribe against the limit (refusing it when full) and forgets what an
    /// unsubscribe or a stop of inputs ends.
    fn admit_subscription(&mut self, request: &Request) -> Result<(), ButtplugError> {
        if let Some(key) = SubscriptionKey::subscribed_by(request) {
            if !self.subscriptions.contains(&key) {
                if self.subscriptions.len() >= self.limits.max_subscriptions {
                    return Err(MessageError::LimitExceeded(format!(
                        "this client already holds {} subscriptions, the most \
                         --max-subscriptions-per-client allows; unsubscribe first",
                        self.subscriptions.len()
                    ))
                    .into());
                }
                self.subscriptions.insert(key);
            }
            return Ok(());
        }
        match request {
            Request::Input(input) if input.command == InputCommand::Unsubscribe => {
                self.subscriptions.remove(&SubscriptionKey::Input(
                    input.device,
                    input.feature,
                    input.kind,
                ));
            }
            Request::Raw(raw) if raw.command == RawCommand::Unsubscribe => {
                self.subscriptions
                    .remove(&SubscriptionKey::Raw(raw.device, raw.endpoint));
            }
            Request::Stop(stop) if stop.inputs => {
                self.subscriptions.retain(|key| match key {
                    SubscriptionKey::Input(device, feature, _) => {
                        stop.device.is_some_and(|stopped| stopped != *device)
                            || stop.feature.is_some_and(|stopped| stopped != *feature)
                    }
                    SubscriptionKey::Raw(..) => true,
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// Counts `messages` against the rate; false when they are over it.
    fn within_rate(&mut self, messages: usize, exempt: bool) -> bool {
        self.rate.count += messages as u64;
        let limit = u64::from(self.limits.max_messages_per_second);
        if limit == 0 || exempt || self.rate.count <= limit {
            return true;
        }
        self.rate.refused = true;
        false
    }

    fn rate_error(&self) -> ButtplugError {
        MessageError::LimitExceeded(format!(
            "more than {} messages in one second (--max-messages-per-second)",
            self.limits.max_messages_per_second
        ))
        .into()
    }

    /// The negotiated version, once handshaken.
    pub fn version(&self) -> Option<SpecVersion> {
        match &self.state {
            State::Active { version, .. } => Some(*version),
            State::AwaitingHandshake => None,
        }
    }

    /// Reads a frame that arrived before the handshake.
    pub fn handshake_frame(&self, text: &str) -> HandshakeStep {
        match parse::parse_handshake(text) {
            Ok(handshake) => match handshake.version {
                Some(version) => HandshakeStep::Request(handshake, version),
                None => {
                    let error: ButtplugError = HandshakeError::MessageSpecVersionMismatch(
                        SpecVersion::LATEST.number(),
                        handshake.version_number,
                    )
                    .into();
                    HandshakeStep::RefuseAndClose(render::error(handshake.id, &error))
                }
            },
            Err(rejected) => HandshakeStep::Refuse(render::error(rejected.id, &rejected.error)),
        }
    }

    /// The Server accepted the handshake: renders ServerInfo and switches to `version`.
    pub fn accept(
        &mut self,
        id: u32,
        version: SpecVersion,
        server_name: &str,
        max_ping_time_ms: u32,
        devices: &Arc<Vec<DeviceInfo>>,
    ) -> String {
        let mut converter = Converter::default();
        converter.set_devices(devices);
        self.state = State::Active {
            version,
            converter,
            devices: devices.clone(),
        };
        render::server_info(version, id, server_name, max_ping_time_ms)
    }

    /// Parses and converts a frame from a handshaken client, one step per message, in order.
    pub fn frame(&mut self, text: &str) -> Vec<FrameStep> {
        self.frame_at(text, Instant::now())
    }

    /// [`ClientSession::frame`] for a frame that arrived at `now` (the message rate is
    /// counted in one-second windows).
    pub fn frame_at(&mut self, text: &str, now: Instant) -> Vec<FrameStep> {
        let version = match &self.state {
            State::Active { version, .. } => *version,
            State::AwaitingHandshake => {
                return vec![FrameStep::Answer(render::error(
                    0,
                    &HandshakeError::RequestServerInfoExpected.into(),
                ))];
            }
        };
        self.rate.roll(now);
        let parsed = parse::parse_frame(text, version);
        if parsed.len() > self.limits.max_messages_per_frame {
            let error: ButtplugError = MessageError::LimitExceeded(format!(
                "{} messages in one frame; at most {} (--max-messages-per-frame)",
                parsed.len(),
                self.limits.max_messages_per_frame
            ))
            .into();
            let within = self.within_rate(1, false);
            let mut steps = vec![FrameStep::Answer(render::error(0, &error))];
            if !within {
                steps.extend(self.close_if_persistent());
            }
            return steps;
        }
        let mut steps: Vec<FrameStep> = Vec::new();
        for parsed in parsed {
            let step = match parsed {
                Err(rejected) => {
                    self.within_rate(1, false);
                    FrameStep::Answer(render::error(rejected.id, &rejected.error))
                }
                Ok(message) => {
                    let id = message.id();
                    let converted = match &mut self.state {
                        State::Active { converter, .. } => converter.to_request(&message),
                        State::AwaitingHandshake => {
                            Err(HandshakeError::RequestServerInfoExpected.into())
                        }
                    };
                    match converted {
                        Ok(converted) => {
                            let is_stop = matches!(converted.request, Request::Stop(_));
                            if !self.within_rate(1, is_stop) {
                                FrameStep::Answer(render::error(id, &self.rate_error()))
                            } else if let Err(error) = self.admit_subscription(&converted.request) {
                                FrameStep::Answer(render::error(id, &error))
                            } else {
                                FrameStep::Forward {
                                    ids: vec![id],
                                    request: converted.request,
                                    shape: converted.reply,
                                }
                            }
                        }
                        Err(error) => {
                            self.within_rate(1, false);
                            FrameStep::Answer(render::error(id, &error))
                        }
                    }
                }
            };
            if let Some(merged) = merge_outputs(steps.last_mut(), step) {
                steps.push(merged);
            }
        }
        steps.extend(self.close_if_persistent());
        steps
    }

    /// The close step, when this window has refusals and so had the ones before it.
    fn close_if_persistent(&self) -> Option<FrameStep> {
        if !(self.rate.refused && self.rate.strikes + 1 >= RATE_STRIKES_BEFORE_CLOSE) {
            return None;
        }
        let error: ButtplugError = MessageError::LimitExceeded(format!(
            "more than {} messages per second for {RATE_STRIKES_BEFORE_CLOSE} seconds in a row \
             (--max-messages-per-second); closing the connection",
            self.limits.max_messages_per_second
        ))
        .into();
        Some(FrameStep::Close(render::error(0, &error)))
    }

    /// Renders the Server's answer to a forwarded request.
    pub fn render_result(
        &self,
        id: u32,
        shape: &ReplyShape,
        result: &Result<Reply, ButtplugError>,
    ) -> String {
        match (result, self.version()) {
            (Ok(reply), Some(version)) => render::reply(version, id, shape, reply),
            (Ok(_), None) => render::ok(id),
            (Err(error), _) => render::error(id, error),
        }
    }

    /// Renders an event for this client (nothing before the handshake).
    pub fn event(&mut self, event: &Event) -> Vec<String> {
        let State::Active {
            version,
            converter,
            devices,
        } = &mut self.state
        else {
            return Vec::new();
        };
        match event {
            Event::DeviceListChanged(current) => {
                self.subscriptions
                    .retain(|key| current.iter().any(|device| device.index == key.device()));
                let frames = if *version == SpecVersion::V4 {
                    V4_LIST_FRAME.with(|shared| shared.borrow_mut().changed(devices, current))
                } else {
                    render::device_list_changed(*version, devices, current)
                };
                converter.set_devices(current);
                *devices = current.clone();
                frames
            }
            other => render::event(*version, other),
        }
    }

    /// The ERROR_PING frame sent when the client missed its ping.
    pub fn pinged_out(&self) -> String {
        render::error(0, &plugd_messages::PingError::PingedOut.into())
    }
}

/// Folds `next` into `last` when both are v4-style output requests for the same device (one
/// v4 `OutputCmd` each); returns `next` when it stays a step of its own.
fn merge_outputs(last: Option<&mut FrameStep>, next: FrameStep) -> Option<FrameStep> {
    let Some(FrameStep::Forward {
        ids,
        request: Request::Output(batch),
        shape: ReplyShape::Ok,
    }) = last
    else {
        return Some(next);
    };
    match next {
        FrameStep::Forward {
            ids: next_ids,
            request: Request::Output(output),
            shape: ReplyShape::Ok,
        } if output.device == batch.device
            && ids.len() == batch.commands.len()
            && output.commands.len() == 1 =>
        {
            ids.extend(next_ids);
            batch.commands.extend(output.commands);
            None
        }
        other => Some(other),
    }
}

/// Keeps replies in request order although the Server answers them concurrently.
#[derive(Debug, Default)]
pub struct ReplyQueue {
    /// The next sequence number to hand out.
    next_reserved: u64,
    /// The next sequence number to send.
    next_to_send: u64,
    /// Finished replies waiting for earlier ones.
    finished: BTreeMap<u64, String>,
}

impl ReplyQueue {
    /// A slot for the next reply, in arrival order.
    pub fn reserve(&mut self) -> u64 {
        let slot = self.next_reserved;
        self.next_reserved += 1;
        slot
    }

    /// Fills a slot; returns every reply that can now be sent, in order.
    pub fn complete(&mut self, slot: u64, frame: String) -> Vec<String> {
        if slot == self.next_to_send && self.finished.is_empty() {
            self.next_to_send += 1;
            return vec![frame];
        }
        self.finished.insert(slot, frame);
        let mut ready = Vec::new();
        while let Some(frame) = self.finished.remove(&self.next_to_send) {
            ready.push(frame);
            self.next_to_send += 1;
        }
        ready
    }

    /// Replies still outstanding.
    pub fn outstanding(&self) -> u64 {
        self.next_reserved - self.next_to_send
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_leave_in_request_order_whatever_order_they_finish_in() {
        let mut queue = ReplyQueue::default();
        let first = queue.reserve();
        let second = queue.reserve();
        let third = queue.reserve();
        assert!(queue.complete(third, "c".into()).is_empty());
        assert!(queue.complete(second, "b".into()).is_empty());
        assert_eq!(queue.complete(first, "a".into()), vec!["a", "b", "c"]);
        assert_eq!(queue.outstanding(), 0);
    }

    #[test]
    fn a_reply_finishing_in_order_goes_out_at_once() {
        let mut queue = ReplyQueue::default();
        let first = queue.reserve();
        assert_eq!(queue.complete(first, "a".into()), vec!["a"]);
    }

    #[test]
    fn a_frame_before_the_handshake_is_refused_with_error_init() {
        let session = ClientSession::new();
        match session.handshake_frame(r#"[{"Ping":{"Id":4}}]"#) {
            HandshakeStep::Refuse(frame) => {
                assert!(frame.contains(r#""ErrorCode":1"#), "{frame}");
                assert!(frame.contains(r#""Id":4"#), "{frame}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn device(index: u32) -> DeviceInfo {
        DeviceInfo {
            index: plugd_core::DeviceIndex(index),
            name: "Two Motors".to_string(),
            display_name: None,
            message_timing_gap_ms: 0,
            raw_endpoints: None,
            features: (0..2)
                .map(|feature| plugd_messages::FeatureInfo {
                    index: plugd_core::FeatureIndex(feature),
                    description: String::new(),
                    outputs: vec![plugd_messages::OutputInfo {
                        kind: plugd_core::OutputKind::Vibrate,
                        range: (0, 20),
                        duration: None,
                    }],
                    inputs: vec![plugd_messages::InputInfo {
                        kind: InputKind::Battery,
                        ranges: vec![(0, 100)],
                        commands: vec![InputCommand::Read, InputCommand::Subscribe],
                    }],
                })
                .collect(),
        }
    }

    #[test]
    fn output_cmds_for_one_device_in_one_frame_become_one_batch() {
        let mut session = ClientSession::new();
        session.accept(
            1,
            SpecVersion::V4,
            "s",
            0,
            &Arc::new(vec![device(0), device(1)]),
        );
        let frame = r#"[
            {"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":5}}}},
            {"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":1,"Command":{"Vibrate":{"Value":6}}}},
            {"OutputCmd":{"Id":4,"DeviceIndex":1,"FeatureIndex":0,"Command":{"Vibrate":{"Value":7}}}}
        ]"#;
        let steps = session.frame(frame);
        assert_eq!(steps.len(), 2, "{steps:?}");
        match &steps[0] {
            FrameStep::Forward {
                ids,
                request: Request::Output(batch),
                ..
            } => {
                assert_eq!(ids, &vec![2, 3]);
                assert_eq!(batch.commands.len(), 2);
            }
            other => panic!("expected a merged output, got {other:?}"),
        }
        assert!(matches!(&steps[1], FrameStep::Forward { ids, .. } if ids == &vec![4]));
    }

    #[test]
    fn a_client_newer_than_plugd_is_refused_and_closed() {
        let session = ClientSession::new();
        let frame = r#"[{"RequestServerInfo":{"Id":1,"ClientName":"x","ProtocolVersionMajor":5,"ProtocolVersionMinor":0}}]"#;
        assert!(matches!(
            session.handshake_frame(frame),
            HandshakeStep::RefuseAndClose(_)
        ));
    }

    fn limited(limits: MessageLimits) -> ClientSession {
        let mut session = ClientSession::with_limits(limits);
        session.accept(1, SpecVersion::V4, "s", 0, &Arc::new(vec![device(0)]));
        session
    }

    fn pings(count: u32) -> String {
        let pings: Vec<String> = (1..=count)
            .map(|id| format!(r#"{{"Ping":{{"Id":{id}}}}}"#))
            .collect();
        format!("[{}]", pings.join(","))
    }

    fn is_limit_error(step: &FrameStep) -> bool {
        matches!(step, FrameStep::Answer(frame) if frame.contains("LimitExceeded") || frame.contains("--max-"))
    }

    #[test]
    fn a_frame_with_more_messages_than_the_limit_is_refused_whole() {
        let mut session = limited(MessageLimits {
            max_messages_per_frame: 3,
            ..MessageLimits::default()
        });
        let steps = session.frame(&pings(4));
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert!(
            matches!(&steps[0], FrameStep::Answer(frame) if frame.contains("--max-messages-per-frame")),
            "{steps:?}"
        );
        assert_eq!(session.frame(&pings(3)).len(), 3);
    }

    #[test]
    fn messages_over_the_rate_get_an_error_and_stops_still_pass() {
        let mut session = limited(MessageLimits {
            max_messages_per_second: 2,
            ..MessageLimits::default()
        });
        let start = Instant::now();
        let frame =
            r#"[{"Ping":{"Id":1}},{"Ping":{"Id":2}},{"Ping":{"Id":3}},{"StopCmd":{"Id":4}}]"#;
        let steps = session.frame_at(frame, start);
        assert!(matches!(&steps[0], FrameStep::Forward { .. }));
        assert!(matches!(&steps[1], FrameStep::Forward { .. }));
        assert!(
            matches!(&steps[2], FrameStep::Answer(frame) if frame.contains("--max-messages-per-second") && frame.contains(r#""Id":3"#)),
            "{steps:?}"
        );
        assert!(
            matches!(
                &steps[3],
                FrameStep::Forward {
                    request: Request::Stop(_),
                    ..
                }
            ),
            "{steps:?}"
        );
        assert_eq!(
            steps.len(),
            4,
            "one refusal is no reason to close: {steps:?}"
        );
        let later = session.frame_at(&pings(2), start + Duration::from_millis(1500));
        assert!(
            later
                .iter()
                .all(|step| matches!(step, FrameStep::Forward { .. })),
            "{later:?}"
        );
    }

    #[test]
    fn a_client_over_the_rate_for_three_seconds_in_a_row_is_closed() {
        let mut session = limited(MessageLimits {
            max_messages_per_second: 2,
            ..MessageLimits::default()
        });
        let start = Instant::now();
        for second in 0..2u64 {
            let steps = session.frame_at(&pings(3), start + Duration::from_millis(1000 * second));
            assert!(
                !steps.iter().any(|step| matches!(step, FrameStep::Close(_))),
                "{steps:?}"
            );
            assert!(is_limit_error(&steps[2]), "{steps:?}");
        }
        let steps = session.frame_at(&pings(3), start + Duration::from_millis(2000));
        assert!(
            matches!(steps.last(), Some(FrameStep::Close(frame)) if frame.contains("closing")),
            "{steps:?}"
        );
    }

    #[test]
    fn a_quiet_second_forgives_earlier_refusals() {
        let mut session = limited(MessageLimits {
            max_messages_per_second: 2,
            ..MessageLimits::default()
        });
        let start = Instant::now();
        session.frame_at(&pings(3), start);
        session.frame_at(&pings(3), start + Duration::from_millis(1000));
        let steps = session.frame_at(&pings(3), start + Duration::from_millis(3500));
        assert!(
            !steps.iter().any(|step| matches!(step, FrameStep::Close(_))),
            "{steps:?}"
        );
    }

    fn subscribe(id: u32, feature: u32) -> String {
        format!(
            r#"[{{"InputCmd":{{"Id":{id},"DeviceIndex":0,"FeatureIndex":{feature},"Type":"Battery","Command":"Subscribe"}}}}]"#
        )
    }

    #[test]
    fn subscriptions_past_the_limit_are_refused_until_one_ends() {
        let mut session = limited(MessageLimits {
            max_subscriptions: 1,
            ..MessageLimits::default()
        });
        let key = SubscriptionKey::Input(DeviceIndex(0), FeatureIndex(0), InputKind::Battery);
        let first = session.frame(&subscribe(1, 0));
        match &first[..] {
            [FrameStep::Forward { request, .. }] => {
                assert_eq!(SubscriptionKey::subscribed_by(request), Some(key));
            }
            other => panic!("expected the subscribe to go through, got {other:?}"),
        }
        let second = session.frame(&subscribe(2, 1));
        assert!(
            matches!(&second[..], [FrameStep::Answer(frame)] if frame.contains("--max-subscriptions-per-client")),
            "{second:?}"
        );
        session.subscription_failed(key);
        assert_eq!(session.subscription_count(), 0);
        let third = session.frame(&subscribe(3, 1));
        assert!(
            matches!(&third[..], [FrameStep::Forward { .. }]),
            "{third:?}"
        );
    }
}

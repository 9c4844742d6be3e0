//! The logic of one client connection, without any socket: the handshake state, parsing each
//! frame with the negotiated spec version, converting messages onto the internal model,
//! rendering replies and events in the client's version, and keeping replies in request order.
//! The transport's Session actor feeds it frames and events and writes what it returns.

use plugd_messages::{
    convert::{Converter, ReplyShape},
    parse::{self, Handshake as ParsedHandshake},
    render, ButtplugError, DeviceInfo, Event, HandshakeError, Reply, Request, SpecVersion,
};
use std::collections::BTreeMap;

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
}

/// Where the connection is.
enum State {
    /// Waiting for RequestServerInfo.
    AwaitingHandshake,
    /// Handshaken with this version.
    Active {
        version: SpecVersion,
        converter: Converter,
        /// The device list as this client last saw it (for DeviceAdded/Removed diffs).
        devices: Vec<DeviceInfo>,
    },
}

/// One client connection's protocol state.
pub struct ClientSession {
    state: State,
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
    /// A connection waiting for its handshake.
    pub fn new() -> Self {
        ClientSession {
            state: State::AwaitingHandshake,
        }
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
        devices: &[DeviceInfo],
    ) -> String {
        let mut converter = Converter::default();
        converter.set_devices(devices);
        self.state = State::Active {
            version,
            converter,
            devices: devices.to_vec(),
        };
        render::server_info(version, id, server_name, max_ping_time_ms)
    }

    /// Parses and converts a frame from a handshaken client, one step per message, in order.
    pub fn frame(&mut self, text: &str) -> Vec<FrameStep> {
        let State::Active {
            version, converter, ..
        } = &mut self.state
        else {
            return vec![FrameStep::Answer(render::error(
                0,
                &HandshakeError::RequestServerInfoExpected.into(),
            ))];
        };
        let mut steps: Vec<FrameStep> = Vec::new();
        for parsed in parse::parse_frame(text, *version) {
            let step = match parsed {
                Err(rejected) => FrameStep::Answer(render::error(rejected.id, &rejected.error)),
                Ok(message) => {
                    let id = message.id();
                    match converter.to_request(&message) {
                        Ok(converted) => FrameStep::Forward {
                            ids: vec![id],
                            request: converted.request,
                            shape: converted.reply,
                        },
                        Err(error) => FrameStep::Answer(render::error(id, &error)),
                    }
                }
            };
            if let Some(merged) = merge_outputs(steps.last_mut(), step) {
                steps.push(merged);
            }
        }
        steps
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
                let frames = render::device_list_changed(*version, devices, current);
                converter.set_devices(current);
                devices.clone_from(current);
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
                    inputs: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn output_cmds_for_one_device_in_one_frame_become_one_batch() {
        let mut session = ClientSession::new();
        session.accept(1, SpecVersion::V4, "s", 0, &[device(0), device(1)]);
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
}

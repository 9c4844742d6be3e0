//! The fuzz targets: one function per kind of outside data plugd parses. Each takes the case's
//! random source and the shared [`Fixtures`], writes the input it built into `record` (shown
//! when the case panics) and runs plugd's own parser on it. A target checks one property:
//! nothing panics. Errors are expected answers.

use crate::mutate::{self, Vocabulary};
use crate::rng::Rng;
use plugd_config::{
    DeviceConfigStore, DeviceDatabase, DeviceDefinition, DeviceIdentity, Transport,
};
use plugd_core::{DeviceIndex, Endpoint, FeatureIndex, OutputKind};
use plugd_messages::{
    parse_frame, parse_handshake, render, ButtplugError, Converter, DeviceError, DeviceInfo, Event,
    Reply, SpecVersion,
};
use plugd_protocols::{
    EncodeContext, InitContext, InitReply, InitRound, OutputState, OutputValue, Protocol,
    ProtocolSession, PROTOCOLS,
};
use plugd_server::{ClientSession, FrameStep, HandshakeStep};
use std::fmt::Write as _;

/// One fuzz target.
#[derive(Clone, Copy)]
pub struct Target {
    /// Its name (`--target NAME`).
    pub name: &'static str,
    /// What it feeds, for the runner's listing.
    pub about: &'static str,
    /// Builds one input, records it, runs the parser; true when the input got past the
    /// parser (a measure of how near-valid the generated inputs are).
    pub run: fn(&mut Rng, &Fixtures, &mut String) -> bool,
}

/// Every target, in the order cases cycle through them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "client-handshake",
        about: "a connection's first frame: parse_handshake, then check_version",
        run: client_handshake,
    },
    Target {
        name: "client-frame",
        about: "client frames, each read at every spec version: parse_frame (checked against the general parser), Converter::to_request, render::error",
        run: client_frame,
    },
    Target {
        name: "client-session",
        about: "a whole connection's text: ClientSession handshake_frame, accept, frame (limits, merged outputs), render_result, device-list events",
        run: client_session,
    },
    Target {
        name: "device-socket",
        about: "device WebSocket text frames: both greetings and the frames after Accepted",
        run: device_socket,
    },
    Target {
        name: "device-config",
        about: "device database files: DeviceDatabase::from_json, then every definition resolved",
        run: device_config,
    },
    Target {
        name: "user-config",
        about: "user device config files: UserConfig::from_json, layered on a database",
        run: user_config,
    },
    Target {
        name: "protocol-replies",
        about: "every protocol: resolve_identifier, switch_protocol, initialize rounds, read_input parse, parse_notification, encode — with arbitrary device replies",
        run: protocol_replies,
    },
];

/// Device socket frames as documented (docs/simulated-devices.md) and as tests send them.
const DEVICE_SOCKET_SEEDS: &[&str] = &[
    r#"{"simulate":{"transport":"btle","name":"LVS-Z36","address":"AA:BB:CC:DD:EE:01"}}"#,
    r#"{"simulate":{"transport":"btle","name":"LVS-Z36","address":"AA:BB","manufacturer_data":[{"company":620,"data":[255,33]}],"services":["6E400001-B5A3-F393-E0A9-E50E24DCCA9E"]}}"#,
    r#"{"simulate":{"transport":"serial","port":"/dev/ttyUSB0","address":"serial-1"}}"#,
    r#"{"simulate":{"transport":"hid","vendor_id":1118,"product_id":654,"address":"hid-1"}}"#,
    r#"{"simulate":{"transport":"usb","name":"Trance","vendor_id":2843,"product_id":1}}"#,
    r#"{"simulate":{"transport":"lovense_connect","name":"nora","address":"lc-1"}}"#,
    r#"{"identifier":"LVSDevice","address":"1A2B3C","version":0}"#,
    r#"{"Notification":{"endpoint":"rx","data":[90,58,49,49,58,48,59]}}"#,
    r#"{"Notification":{"endpoint":"generic3","data":[]}}"#,
    r#"{"ReadReply":{"id":7,"data":[1,2,3]}}"#,
    r#"{"Disconnect":{}}"#,
];

/// User device configs: the published example (a copy of
/// `../shared/device-config/example-user-device-config-v4.json`) and the shapes plugd's tests use.
const USER_CONFIG_SEEDS: &[&str] = &[
    include_str!("../corpus/user-config-example-v4.json"),
    r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}}}}"#,
    r#"{"version":{"major":5,"minor":0},"user_configs":{"simulated_devices":[{"identifier":"simulated-1vibe","display_name":"Desk Buzzer","address":"sim-desk"}]}}"#,
    r#"{"version":{"major":4,"minor":0},"user_configs":{"devices":[{"identifier":{"protocol":"lovense","identifier":"Z","address":"AA"},"config":{"id":"u1","base_id":"b1","user_config":{"allow":true,"deny":false,"index":3,"display_name":"mine"},"features":[{"id":"f1","base_id":"fb1","output":{"vibrate":{"value":[2,15],"disabled":false}}}]}}]}}"#,
];

/// Built-in protocol files used as device-database seeds (wrapped into a whole file).
const DATABASE_SEED_PROTOCOLS: &[(&str, &str)] = &[
    (
        "lovense",
        include_str!("../../../config/protocols/lovense.json"),
    ),
    (
        "kgoal-boost",
        include_str!("../../../config/protocols/kgoal-boost.json"),
    ),
    (
        "simulated",
        include_str!("../../../config/protocols/simulated.json"),
    ),
    (
        "vorze-sa",
        include_str!("../../../config/protocols/vorze-sa.json"),
    ),
    (
        "tcode-v03",
        include_str!("../../../config/protocols/tcode-v03.json"),
    ),
    (
        "xinput",
        include_str!("../../../config/protocols/xinput.json"),
    ),
];

/// Payloads that look like real device answers (Lovense text, battery bytes, handshakes).
const REPLY_MODELS: &[&[u8]] = &[
    b"Z:11:0;",
    b"P:37:AABBCCDDEEFF;",
    b"EI:17:0082059AD3BD;",
    b"s:11;",
    b"85;",
    b"OK;",
    b"Battery:50;",
    &[0x00, 0x64],
    &[0x55, 0x04, 0x00, 0x00, 0x01, 0x00],
    &[0xff, 0xff, 0xff, 0xff],
    &[0x01],
    &[0x00; 20],
];

/// Everything the targets share, built once per run.
pub struct Fixtures {
    handshakes: Vec<String>,
    client_frames: Vec<String>,
    client_vocabulary: Vocabulary,
    device_greetings: Vec<String>,
    device_socket_frames: Vec<String>,
    device_socket_vocabulary: Vocabulary,
    databases: Vec<String>,
    database_vocabulary: Vocabulary,
    user_configs: Vec<String>,
    user_config_vocabulary: Vocabulary,
    /// A small database user configs are layered on (cloned per case).
    small_database: DeviceDatabase,
    /// A converter that knows a spread of built-in devices (cloned per case).
    converter: Converter,
    /// The same devices, for whole sessions.
    devices: Vec<DeviceInfo>,
    /// Every (protocol, definition) pair the built-in database resolves, one per identifier.
    definitions: Vec<(Protocol, DeviceDefinition)>,
}

impl Fixtures {
    /// Loads the seeds and the built-in database.
    pub fn new() -> Fixtures {
        let client_frames: Vec<String> = include_str!("../corpus/client-frames.txt")
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(str::to_string)
            .collect();
        let handshakes: Vec<String> = client_frames
            .iter()
            .filter(|frame| frame.contains("RequestServerInfo"))
            .cloned()
            .collect();
        let (device_greetings, device_socket_frames): (Vec<String>, Vec<String>) =
            DEVICE_SOCKET_SEEDS
                .iter()
                .map(|s| s.to_string())
                .partition(|frame| {
                    frame.contains("\"simulate\"") || frame.contains("\"identifier\"")
                });
        let mut databases: Vec<String> = DATABASE_SEED_PROTOCOLS
            .iter()
            .map(|(name, body)| {
                format!(r#"{{"version":{{"major":4,"minor":0}},"protocols":{{"{name}":{body}}}}}"#)
            })
            .collect();
        let all: Vec<String> = DATABASE_SEED_PROTOCOLS
            .iter()
            .map(|(name, body)| format!("\"{name}\":{body}"))
            .collect();
        databases.push(format!(
            r#"{{"version":{{"major":4,"minor":189}},"protocols":{{{}}}}}"#,
            all.join(",")
        ));
        let small_database = databases
            .last()
            .and_then(|text| DeviceDatabase::from_json(text).ok())
            .unwrap_or_else(DeviceDatabase::builtin);
        let user_configs: Vec<String> = USER_CONFIG_SEEDS.iter().map(|s| s.to_string()).collect();

        let builtin = DeviceDatabase::builtin();
        let store = DeviceConfigStore::new(builtin.clone(), None);
        let mut definitions = Vec::new();
        for protocol in PROTOCOLS {
            let Some(entry) = builtin.protocol(protocol.name) else {
                continue;
            };
            let mut identifiers: Vec<Option<String>> = vec![None];
            identifiers.extend(entry.identifiers().map(|id| Some(id.to_string())));
            identifiers.dedup();
            for identifier in identifiers {
                if let Some(definition) =
                    store.definition(protocol.name, identifier.as_deref(), "fuzz-address")
                {
                    definitions.push((*protocol, definition));
                }
            }
        }
        let devices = devices_for(&definitions);
        let mut converter = Converter::new();
        converter.set_devices(&devices);
        Fixtures {
            handshakes,
            client_vocabulary: Vocabulary::from_seeds(client_frames.iter().map(String::as_str)),
            client_frames,
            device_socket_vocabulary: Vocabulary::from_seeds(DEVICE_SOCKET_SEEDS.iter().copied()),
            device_greetings,
            device_socket_frames,
            database_vocabulary: Vocabulary::from_seeds(databases.iter().map(String::as_str)),
            databases,
            user_config_vocabulary: Vocabulary::from_seeds(user_configs.iter().map(String::as_str)),
            user_configs,
            small_database,
            converter,
            devices,
            definitions,
        }
    }

    /// How many (protocol, definition) pairs the protocol target draws from.
    pub fn definition_count(&self) -> usize {
        self.definitions.len()
    }
}

impl Default for Fixtures {
    fn default() -> Self {
        Fixtures::new()
    }
}

/// The devices a session knows, 0..n: first the six devices plugd-messages' own tests use
/// (protocol.md §5's Example Toy, a Launch, a Vorze, a multi-output toy, a one-way rotator, a
/// servo — the seed frames address them), then, for each distinct feature layout in the
/// built-in database, the first definition with it (every other one with raw endpoints).
fn devices_for(definitions: &[(Protocol, DeviceDefinition)]) -> Vec<DeviceInfo> {
    let mut devices = message_test_devices();
    let mut seen = Vec::new();
    for (_, definition) in definitions {
        let signature: Vec<String> = definition
            .features
            .iter()
            .map(|feature| format!("{:?}{:?}", feature.outputs, feature.inputs.len()))
            .collect();
        let kinds = format!("{}{signature:?}", definition.features.len());
        if seen.contains(&kinds) || devices.len() >= 46 {
            continue;
        }
        seen.push(kinds);
        let index = DeviceIndex(devices.len() as u32);
        let raw = [Endpoint::Tx, Endpoint::Rx];
        let raw_endpoints = (devices.len() % 2 == 1).then_some(&raw[..]);
        devices.push(plugd_device::describe::describe(
            definition,
            index,
            definition.message_gap,
            raw_endpoints,
        ));
    }
    devices
}

/// The devices of plugd-messages' `fixtures.rs`, at indices 0–5.
fn message_test_devices() -> Vec<DeviceInfo> {
    use plugd_core::{InputCommand, InputKind};
    use plugd_messages::{FeatureInfo, InputInfo, OutputInfo};
    let output = |kind, low, high| OutputInfo {
        kind,
        range: (low, high),
        duration: None,
    };
    let feature = |index, outputs: Vec<OutputInfo>, inputs: Vec<InputInfo>| FeatureInfo {
        index: FeatureIndex(index),
        description: String::new(),
        outputs,
        inputs,
    };
    let battery = |commands| InputInfo {
        kind: InputKind::Battery,
        ranges: vec![(0, 100)],
        commands,
    };
    let device = |index, name: &str, features| DeviceInfo {
        index: DeviceIndex(index),
        name: name.to_string(),
        display_name: None,
        message_timing_gap_ms: 100,
        features,
        raw_endpoints: None,
    };
    let mut stroke = output(OutputKind::HwPositionWithDuration, 0, 99);
    stroke.duration = Some((0, 100_000));
    vec![
        device(
            0,
            "Example Toy",
            vec![
                feature(0, vec![output(OutputKind::Vibrate, 0, 20)], vec![]),
                feature(1, vec![output(OutputKind::Rotate, -20, 20)], vec![]),
                feature(2, vec![output(OutputKind::Oscillate, 0, 10)], vec![]),
                feature(3, vec![], vec![battery(vec![InputCommand::Read])]),
            ],
        ),
        device(
            1,
            "Fleshlight Launch",
            vec![
                feature(0, vec![stroke], vec![]),
                feature(
                    1,
                    vec![],
                    vec![battery(vec![InputCommand::Read, InputCommand::Subscribe])],
                ),
            ],
        ),
        device(
            2,
            "Vorze SA",
            vec![feature(
                0,
                vec![output(OutputKind::Rotate, -99, 99)],
                vec![],
            )],
        ),
        device(
            3,
            "Multi Toy",
            vec![
                feature(
                    0,
                    vec![
                        output(OutputKind::Vibrate, 0, 10),
                        output(OutputKind::Oscillate, 0, 7),
                        output(OutputKind::Constrict, 0, 5),
                    ],
                    vec![],
                ),
                feature(1, vec![output(OutputKind::Vibrate, 0, 20)], vec![]),
            ],
        ),
        device(
            4,
            "Spinner",
            vec![feature(0, vec![output(OutputKind::Rotate, 0, 10)], vec![])],
        ),
        device(
            5,
            "Servo",
            vec![
                feature(0, vec![output(OutputKind::Position, 0, 100)], vec![]),
                feature(1, vec![output(OutputKind::Led, 0, 1)], vec![]),
            ],
        ),
    ]
}

const VERSIONS: [SpecVersion; 5] = [
    SpecVersion::V0,
    SpecVersion::V1,
    SpecVersion::V2,
    SpecVersion::V3,
    SpecVersion::V4,
];

fn client_handshake(rng: &mut Rng, fixtures: &Fixtures, record: &mut String) -> bool {
    let seeds = if rng.chance(3, 4) {
        &fixtures.handshakes
    } else {
        &fixtures.client_frames
    };
    let text = mutate::generate(rng, seeds, &fixtures.client_vocabulary);
    record.push_str(&text);
    match parse_handshake(&text) {
        Ok(handshake) => handshake.check_version().is_ok(),
        Err(rejected) => {
            let _ = render::error(rejected.id, &rejected.error);
            false
        }
    }
}

fn client_frame(rng: &mut Rng, fixtures: &Fixtures, record: &mut String) -> bool {
    let text = mutate::generate(rng, &fixtures.client_frames, &fixtures.client_vocabulary);
    record.push_str(&text);
    // Every version reads the same frame: a message is valid in some and refused in others.
    let mut parsed_one = false;
    for version in VERSIONS {
        let mut converter = fixtures.converter.clone();
        let parsed = parse_frame(&text, version);
        // The hot-frame path (plugd-messages fast.rs) must agree with the general one.
        assert_eq!(
            parsed,
            plugd_messages::parse::parse_frame_in_general(&text, version),
            "the hot and general parsers disagree at v{}",
            version.number()
        );
        for parsed in parsed {
            match parsed {
                Ok(message) => {
                    parsed_one = true;
                    let _ = message.name();
                    if let Err(error) = converter.to_request(&message) {
                        let _ = render::error(message.id(), &error);
                    }
                }
                Err(rejected) => {
                    let _ = render::error(rejected.id, &rejected.error);
                }
            }
        }
    }
    parsed_one
}

fn client_session(rng: &mut Rng, fixtures: &Fixtures, record: &mut String) -> bool {
    let mut session = ClientSession::new();
    // Mostly a valid handshake, so most cases reach the frames; sometimes a mutated one.
    let first = match rng.pick(&fixtures.handshakes) {
        Some(valid) if rng.chance(3, 4) => valid.clone(),
        _ => mutate::generate(rng, &fixtures.handshakes, &fixtures.client_vocabulary),
    };
    let _ = write!(record, "handshake: {first}");
    let HandshakeStep::Request(handshake, version) = session.handshake_frame(&first) else {
        return false;
    };
    let max_ping = if rng.chance(1, 2) { 0 } else { 1000 };
    let _ = session.accept(
        handshake.id,
        version,
        "plugd-fuzz",
        max_ping,
        &std::sync::Arc::new(fixtures.devices.clone()),
    );
    let mut forwarded = false;
    for _ in 0..rng.between(1, 3) {
        let text = mutate::generate(rng, &fixtures.client_frames, &fixtures.client_vocabulary);
        let _ = write!(record, "\nframe: {text}");
        for step in session.frame(&text) {
            if let FrameStep::Forward { ids, shape, .. } = step {
                forwarded = true;
                let result: Result<Reply, ButtplugError> = match rng.below(3) {
                    0 => Ok(Reply::Ok),
                    1 => Ok(Reply::DeviceList(fixtures.devices.clone())),
                    _ => Err(DeviceError::DeviceNotAvailable(0).into()),
                };
                for id in ids {
                    let _ = session.render_result(id, &shape, &result);
                }
            }
        }
        if rng.chance(1, 4) {
            let kept: Vec<DeviceInfo> = fixtures
                .devices
                .iter()
                .filter(|_| rng.chance(1, 2))
                .cloned()
                .collect();
            let _ = write!(record, "\ndevice list: {} devices", kept.len());
            let _ = session.event(&Event::DeviceListChanged(std::sync::Arc::new(kept)));
        }
    }
    forwarded
}

fn device_socket(rng: &mut Rng, fixtures: &Fixtures, record: &mut String) -> bool {
    let greeting = rng.chance(1, 2);
    let seeds = if greeting {
        &fixtures.device_greetings
    } else {
        &fixtures.device_socket_frames
    };
    let text = mutate::generate(rng, seeds, &fixtures.device_socket_vocabulary);
    let _ = write!(record, "greeting {greeting}: {text}");
    plugd_dcm_sim::parse_device_text(&text, greeting).is_ok()
}

fn device_config(rng: &mut Rng, fixtures: &Fixtures, record: &mut String) -> bool {
    let text = mutate::generate(rng, &fixtures.databases, &fixtures.database_vocabulary);
    record.push_str(&text);
    let Ok(database) = DeviceDatabase::from_json(&text) else {
        return false;
    };
    let names: Vec<String> = database.protocol_names().map(str::to_string).collect();
    let mut lookups = Vec::new();
    for name in &names {
        lookups.push((name.clone(), None));
        if let Some(entry) = database.protocol(name) {
            for specifier in entry.communication() {
                let _ = specifier.endpoints();
            }
            lookups.extend(
                entry
                    .identifiers()
                    .take(8)
                    .map(|id| (name.clone(), Some(id.to_string()))),
            );
        }
    }
    let store = DeviceConfigStore::new(database, None);
    for (name, identifier) in lookups {
        if let Some(definition) = store.definition(&name, identifier.as_deref(), "fuzz") {
            exercise_definition(&definition);
        }
    }
    let identity = DeviceIdentity::named(Transport::Btle, "LVS-Z36", "fuzz");
    let _ = store.find_protocols(&identity);
    true
}

fn user_config(rng: &mut Rng, fixtures: &Fixtures, record: &mut String) -> bool {
    let text = mutate::generate(
        rng,
        &fixtures.user_configs,
        &fixtures.user_config_vocabulary,
    );
    record.push_str(&text);
    let Ok(user) = plugd_config::UserConfig::from_json(&text) else {
        return false;
    };
    let _ = user.simulated_devices().len();
    let store = DeviceConfigStore::new(fixtures.small_database.clone(), Some(user));
    let _ = store.reserved_indices();
    let _ = store.user_simulated_devices();
    for address in [
        "AA",
        "sim-desk",
        "PeripheralId(81b8f016-ba95-e1ae-3a71-a2e6b1d83b21)",
    ] {
        let _ = store.is_allowed(address);
        for (protocol, identifier) in [
            ("lovense", Some("Z")),
            ("lovense", Some("EL")),
            ("lovense", None),
        ] {
            if let Some(definition) = store.definition(protocol, identifier, address) {
                exercise_definition(&definition);
            }
        }
    }
    for transport in [Transport::Btle, Transport::Websocket, Transport::Serial] {
        let _ = store.specifiers_for(transport);
        let identity = DeviceIdentity::named(transport, "LVSDevice", "AA");
        let _ = store.find_protocols(&identity);
    }
    true
}

/// What the Device and the description do with a definition from outside: describe it and
/// map every step of every output (clamped to a few thousand) to a device value.
fn exercise_definition(definition: &DeviceDefinition) {
    let _ = plugd_device::describe::describe(definition, DeviceIndex(0), None, None);
    for feature in &definition.features {
        for output in &feature.outputs {
            let (low, high) = output.client_range();
            for step in [
                low,
                high,
                0,
                low.saturating_sub(1),
                high.saturating_add(1),
                i32::MIN,
                i32::MAX,
            ] {
                let _ = output.device_value(step);
            }
        }
    }
}

/// An endpoint a device might answer from.
fn endpoint(rng: &mut Rng, definition_endpoints: &[Endpoint]) -> Endpoint {
    match rng.below(4) {
        0 => Endpoint::Generic(rng.byte()),
        1 => *rng
            .pick(&[
                Endpoint::Rx,
                Endpoint::Tx,
                Endpoint::Command,
                Endpoint::RxBleBattery,
            ])
            .unwrap_or(&Endpoint::Rx),
        _ => rng
            .pick(definition_endpoints)
            .copied()
            .unwrap_or(Endpoint::Rx),
    }
}

fn replies(rng: &mut Rng, endpoints: &[Endpoint], record: &mut String) -> Vec<InitReply> {
    (0..rng.below(4))
        .map(|_| {
            let reply = InitReply {
                endpoint: endpoint(rng, endpoints),
                data: mutate::random_bytes(rng, 64, REPLY_MODELS),
            };
            let _ = write!(record, " reply {}:{:?}", reply.endpoint, reply.data);
            reply
        })
        .collect()
}

fn protocol_replies(rng: &mut Rng, fixtures: &Fixtures, record: &mut String) -> bool {
    let Some((protocol, definition)) = rng.pick(&fixtures.definitions) else {
        return false;
    };
    let _ = write!(
        record,
        "protocol {} identifier {:?}:",
        protocol.name, definition.identifier
    );
    let endpoints = vec![
        Endpoint::Tx,
        Endpoint::Rx,
        Endpoint::Command,
        Endpoint::Whitelist,
    ];
    let name = if rng.chance(1, 2) {
        definition.name.clone()
    } else {
        mutate::random_text(rng)
    };
    let _ = write!(record, " name {name:?}");
    let identity = DeviceIdentity::named(Transport::Btle, name, "fuzz");

    // Identification.
    let identify_replies = replies(rng, &endpoints, record);
    if let Some(steps) = protocol.identify_steps {
        let _ = steps(&identity);
    }
    if let Some(resolve) = protocol.resolve_identifier {
        let _ = resolve(&identity, &identify_replies);
    }
    if let Some(switch) = protocol.switch_protocol {
        let _ = switch(&identity, &identify_replies);
    }

    // Init in rounds, each answered with arbitrary replies.
    let mut entropy = [0u8; 32];
    entropy.iter_mut().for_each(|byte| *byte = rng.byte());
    let session = ProtocolSession {
        identifier: definition.identifier.clone(),
        init_replies: identify_replies,
        counter: rng.next_u64() as u32,
        entropy,
        endpoints: endpoints.clone(),
        manufacturer_data: Vec::new(),
    };
    if let Some(initialize) = protocol.initialize {
        let mut gathered: Vec<InitReply> = Vec::new();
        for round in 0..6 {
            let context = InitContext {
                definition,
                session: &session,
                replies: &gathered,
                round,
            };
            match initialize(&context) {
                Ok(InitRound::Steps(_)) => gathered.extend(replies(rng, &endpoints, record)),
                Ok(InitRound::Done) | Err(_) => break,
            }
        }
    }

    // Inputs: read plans' parsers and notifications.
    for feature in &definition.features {
        for input in &feature.inputs {
            if let Some(read_input) = protocol.read_input {
                if let Ok(plan) = read_input(definition, feature.index, input.kind) {
                    let data = mutate::random_bytes(rng, 32, REPLY_MODELS);
                    let _ = write!(record, " read {:?}:{data:?}", input.kind);
                    let _ = (plan.parse)(&data);
                }
            }
            if let Some(subscribe) = protocol.subscribe_input {
                let _ = subscribe(definition, feature.index, input.kind);
            }
        }
    }
    if let Some(parse_notification) = protocol.parse_notification {
        let at = endpoint(rng, &endpoints);
        let data = mutate::random_bytes(rng, 64, REPLY_MODELS);
        let _ = write!(record, " notification {at}:{data:?}");
        let _ = parse_notification(definition, at, &data);
    }

    // Encoding: values the Device would let through (inside each output's database range).
    let mut current = OutputState::new();
    let mut previous = OutputState::new();
    let mut changed: Vec<(FeatureIndex, OutputKind)> = Vec::new();
    for feature in &definition.features {
        for output in &feature.outputs {
            let key = (feature.index, output.kind);
            let (low, high) = output.value;
            let pick = |rng: &mut Rng| OutputValue {
                value: match rng.below(4) {
                    0 => low,
                    1 => high,
                    2 => 0.clamp(low.min(high), high.max(low)),
                    _ => rng.between(i64::from(low.min(high)), i64::from(high.max(low))) as i32,
                },
                duration: output.duration.map(|(shortest, longest)| {
                    rng.between(i64::from(shortest.max(0)), i64::from(longest.max(0))) as u32
                }),
            };
            if rng.chance(1, 2) {
                let value = pick(rng);
                previous.insert(key, value);
            }
            if rng.chance(2, 3) {
                let value = pick(rng);
                current.insert(key, value);
                changed.push(key);
            }
        }
    }
    if changed.is_empty() {
        return false;
    }
    for (key, value) in &previous {
        current.entry(*key).or_insert(*value);
    }
    let _ = write!(record, " encode {current:?} from {previous:?}");
    let context = EncodeContext {
        definition,
        current: &current,
        previous: &previous,
        changed: &changed,
        session: &session,
    };
    (protocol.encode)(&context).is_ok()
}

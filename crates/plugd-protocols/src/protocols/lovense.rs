//! Lovense: every BLE toy of the brand, spoken to as ASCII commands over a UART-like service
//! (`tx` to write, `rx` for notifications), each command ending in `;` (`Vibrate:10;`).
//!
//! **Identification** (device-config.md §2.5). The database configurations are keyed by the
//! model letters the toy reports, not by its advertised name. Identification subscribes to `rx`,
//! then writes `DeviceType;` and waits 500 ms for a notification, six times at most. The answer is
//! `TYPE:VERSION:ADDRESS;` (`Z:11:0082059AD3BD;`): `TYPE` is the identifier, except that a
//! Flexer (`EI`) on firmware 3 or later becomes `EI-FW3` (only then can its motors be driven
//! separately). A reply with fewer than two fields, or one that is not UTF-8, selects the
//! protocol's defaults. A silent toy falls back to its advertised name: `LVS-<letters><digits>`
//! gives the letters. The Device actor runs the retries; [`resolve_identifier`] only reads what
//! they gathered.
//!
//! **Encoding.** Upstream picks one of six handlers when the device connects; here the same
//! choice is made from the definition's shape on every [`encode`] call (a few counts over the
//! features, no state). A "motor" below is a feature that has outputs.
//!
//! | shape | writes |
//! |---|---|
//! | identifier `BA` or `H` (Solace Pro, Solace) | oscillate → `Mply:<speed>:20;` (`H` stops with `Mply:0:0;`); hw_position_with_duration → `FSetSite:<position>;` |
//! | one motor | vibrate or oscillate → `Vibrate:<n>;` |
//! | one vibrate motor + one constrict motor (Max) | `Vibrate:<n>;`, constrict → `Air:Level:<n>;` |
//! | one vibrate motor + one rotate motor (Nora) | `Vibrate:<n>;`, rotate → `RotateChange;` before every negative value, then `Rotate:<\|n\|>;` |
//! | ≥ 3 vibrate/oscillate motors, or 2 plus another motor (Lapis, Flexer) | one `Mply:<a>:<b>:<c>;` holding every motor's current value, rotation as its magnitude |
//! | anything else (Edge, Osci 3, Spinel) | `Vibrate<k>:<n>;` per changed motor, `k` = feature index + 1, oscillate too |
//!
//! Every write goes to `tx` without response. Per-output variants write one command per changed
//! output, in the order the Device lists them (feature order); the `Mply` variant writes one
//! packet whatever changed.
//!
//! **Quirks.**
//! - Rotation direction is not a value but a toggle: `RotateChange;` flips it. Upstream sends it
//!   before *every* negative rotation (the Nora case sends it twice for two negative commands)
//!   and so does plugd; the Device's per-feature dedup keeps a repeated command from toggling
//!   again.
//! - The Solace Pro moves to a position with `FSetSite:<pos>;`, at the toy's own pace. Upstream
//!   approximates a timed move by stepping towards the target every 100 ms from a spawned loop;
//!   plugd writes the target once. That interpolation, if wanted, is a timer the Device will own,
//!   calling this pure encoder with intermediate positions.
//! - Battery: write `Battery;`, the next `rx` notification holds the percentage, prefixed with
//!   `s` while the toy is running (`s85;`).
//! - Upstream keeps connections alive by re-sending `DeviceType;` only where the transport
//!   demands it (iOS); plugd registers no keepalive.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/lovense/` of buttplugio/buttplug.

use crate::{EncodeContext, InitReply, InitStep, InputReadPlan, ProtocolError, ReadSource};
use plugd_config::{DeviceDefinition, DeviceIdentity, FeatureDefinition};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, InputKind, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "lovense";

/// Asks the toy for `TYPE:VERSION:ADDRESS;`.
const DEVICE_TYPE_QUERY: &[u8] = b"DeviceType;";
/// How long each identification attempt waits; old serial dongles need it this long.
const IDENTIFY_TIMEOUT: Duration = Duration::from_millis(500);
/// `DeviceType;` writes before falling back to the advertised name (~3 s in all).
const IDENTIFY_ATTEMPTS: u32 = 6;
/// The Flexer's model letters, and the identifier of its configuration on firmware 3 or later.
const FLEXER: &str = "EI";
const FLEXER_SPLIT_MOTORS: &str = "EI-FW3";
const FLEXER_SPLIT_MOTORS_VERSION: u32 = 3;
/// The advertised-name prefix used when the toy does not answer.
const NAME_PREFIX: &str = "LVS-";
/// Asks for the battery level.
const BATTERY_QUERY: &[u8] = b"Battery;";
/// Flips the rotation direction.
const ROTATE_CHANGE: &[u8] = b"RotateChange;";
/// The stroke range a Solace is told to use while it moves.
const STROKER_FULL_RANGE: u32 = 20;

/// Identification: subscribe to `rx`, then ask `DeviceType;` up to six times, 500 ms apart,
/// taking the first notification from any endpoint.
pub fn identify_steps(_identity: &DeviceIdentity) -> Vec<InitStep> {
    vec![
        InitStep::Send(HardwareCommand::Subscribe {
            endpoint: Endpoint::Rx,
        }),
        InitStep::SendAwaitNotification {
            command: HardwareCommand::write(Endpoint::Tx, DEVICE_TYPE_QUERY),
            endpoint: None,
            timeout: IDENTIFY_TIMEOUT,
            attempts: IDENTIFY_ATTEMPTS,
        },
    ]
}

/// Picks the configuration's identifier: the model letters of the `DeviceType;` reply (`EI` on
/// firmware ≥ 3 → `EI-FW3`), or, when the toy stayed silent, the letters of an
/// `LVS-<letters><digits>` name. `None` (the protocol's defaults) for a reply with fewer than two
/// fields, a reply that is not UTF-8, or a silent toy with another name.
pub fn resolve_identifier(identity: &DeviceIdentity, replies: &[InitReply]) -> Option<String> {
    match replies.first() {
        Some(reply) => model_from_device_type(&reply.data),
        None => model_from_name(&identity.name),
    }
}

/// `TYPE:VERSION:ADDRESS;` → `TYPE`. An unparsable version counts as 0, as upstream.
fn model_from_device_type(reply: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(reply).ok()?;
    let text = text.strip_suffix(';').unwrap_or(text);
    let mut fields = text.split(':');
    let model = fields.next()?;
    let version = fields.next()?;
    if model.is_empty() {
        return None;
    }
    let version: u32 = version.parse().unwrap_or(0);
    if model == FLEXER && version >= FLEXER_SPLIT_MOTORS_VERSION {
        Some(FLEXER_SPLIT_MOTORS.to_owned())
    } else {
        Some(model.to_owned())
    }
}

/// The first capture of upstream's `LVS-([A-Z]+)\d+`, searched anywhere in the name. Digits are
/// ASCII here (the regex would also take other Unicode digits; advertised names are ASCII).
fn model_from_name(name: &str) -> Option<String> {
    name.match_indices(NAME_PREFIX).find_map(|(start, _)| {
        let rest = name.get(start + NAME_PREFIX.len()..)?;
        let letters = rest.bytes().take_while(u8::is_ascii_uppercase).count();
        let digit_follows = rest.as_bytes().get(letters).is_some_and(u8::is_ascii_digit);
        if letters > 0 && digit_follows {
            rest.get(..letters).map(str::to_owned)
        } else {
            None
        }
    })
}

/// Which of upstream's handlers the device's shape calls for (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoder {
    /// Solace (`H`, `zero_range_at_stop`) and Solace Pro (`BA`).
    Stroker { zero_range_at_stop: bool },
    /// One motor: `Vibrate:<n>;`.
    Single,
    /// Max: `Vibrate:<n>;` and `Air:Level:<n>;`.
    VibrateConstrict,
    /// Nora, Ridge: `Vibrate:<n>;` and `[RotateChange;]Rotate:<n>;`.
    VibrateRotate,
    /// Lapis, Flexer (firmware 3): one `Mply:<a>:<b>:…;` for all motors.
    Packed,
    /// Edge, Osci 3, Spinel: `Vibrate<k>:<n>;` per motor.
    Numbered,
}

/// Output kinds the `Mply` packet carries.
const PACKED_KINDS: [OutputKind; 3] = [
    OutputKind::Vibrate,
    OutputKind::Oscillate,
    OutputKind::Rotate,
];

impl Encoder {
    fn for_device(definition: &DeviceDefinition, identifier: Option<&str>) -> Self {
        match identifier {
            Some("BA") => {
                return Encoder::Stroker {
                    zero_range_at_stop: false,
                }
            }
            Some("H") => {
                return Encoder::Stroker {
                    zero_range_at_stop: true,
                }
            }
            _ => {}
        }
        let all_motors = || motors(definition);
        let motors_with = |kinds: &[OutputKind]| {
            all_motors()
                .filter(|feature| kinds.iter().any(|&kind| feature.output(kind).is_some()))
                .count()
        };
        let motor_count = all_motors().count();
        let vibrators = motors_with(&[OutputKind::Vibrate, OutputKind::Oscillate]);
        let one_vibrator_and = |kind| {
            motor_count == 2
                && motors_with(&[OutputKind::Vibrate]) == 1
                && motors_with(&[kind]) == 1
        };
        if motor_count == 1 {
            Encoder::Single
        } else if one_vibrator_and(OutputKind::Constrict) {
            Encoder::VibrateConstrict
        } else if one_vibrator_and(OutputKind::Rotate) {
            Encoder::VibrateRotate
        } else if vibrators > 2 || (vibrators == 2 && motor_count > 2) {
            Encoder::Packed
        } else {
            Encoder::Numbered
        }
    }
}

/// Features with at least one output, in feature order.
fn motors(definition: &DeviceDefinition) -> impl Iterator<Item = &FeatureDefinition> {
    definition
        .features
        .iter()
        .filter(|feature| !feature.outputs.is_empty())
}

/// Turns the changed outputs into Lovense commands (see the module table). Values are device
/// values; directional values are written as magnitudes.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition;
/// [`ProtocolError::UnsupportedOutput`] when the device's variant has no command for its kind.
/// Nothing is written when any changed output fails.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let definition = context.definition;
    let identifier = definition
        .identifier
        .as_deref()
        .or(context.session.identifier.as_deref());
    let encoder = Encoder::for_device(definition, identifier);
    for &(feature, kind) in context.changed {
        let present = definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !present {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
    }

    if encoder == Encoder::Packed {
        if let Some(&(_, kind)) = context
            .changed
            .iter()
            .find(|(_, kind)| !PACKED_KINDS.contains(kind))
        {
            return Err(unsupported(kind));
        }
        return Ok(vec![packed(context)]);
    }

    let mut commands = Vec::with_capacity(context.changed.len());
    for &(feature, kind) in context.changed {
        let value = context.value(feature, kind);
        let magnitude = value.unsigned_abs();
        match (encoder, kind) {
            (Encoder::Stroker { zero_range_at_stop }, OutputKind::Oscillate) => {
                let range = if magnitude == 0 && zero_range_at_stop {
                    0
                } else {
                    STROKER_FULL_RANGE
                };
                commands.push(write(format!("Mply:{magnitude}:{range};")));
            }
            (Encoder::Stroker { .. }, OutputKind::HwPositionWithDuration) => {
                commands.push(write(format!("FSetSite:{magnitude};")));
            }
            (
                Encoder::Single | Encoder::VibrateConstrict | Encoder::VibrateRotate,
                OutputKind::Vibrate | OutputKind::Oscillate,
            ) => commands.push(write(format!("Vibrate:{magnitude};"))),
            (Encoder::VibrateConstrict, OutputKind::Constrict) => {
                commands.push(write(format!("Air:Level:{magnitude};")));
            }
            (Encoder::VibrateRotate, OutputKind::Rotate) => {
                if value < 0 {
                    commands.push(HardwareCommand::write(Endpoint::Tx, ROTATE_CHANGE));
                }
                commands.push(write(format!("Rotate:{magnitude};")));
            }
            (Encoder::Numbered, OutputKind::Vibrate | OutputKind::Oscillate) => {
                let motor = u64::from(feature.0) + 1;
                commands.push(write(format!("Vibrate{motor}:{magnitude};")));
            }
            _ => return Err(unsupported(kind)),
        }
    }
    Ok(commands)
}

/// `Mply:<a>:<b>:…;`: one slot per motor in feature order, holding the magnitude of its
/// vibrate, oscillate or rotate value (0 when it has none or it was never set).
fn packed(context: &EncodeContext<'_>) -> HardwareCommand {
    let slots: Vec<String> = motors(context.definition)
        .map(|feature| {
            feature
                .outputs
                .iter()
                .find(|output| PACKED_KINDS.contains(&output.kind))
                .map_or(0, |output| {
                    context.value(feature.index, output.kind).unsigned_abs()
                })
                .to_string()
        })
        .collect();
    write(format!("Mply:{};", slots.join(":")))
}

/// A command to `tx`, without response.
fn write(command: String) -> HardwareCommand {
    HardwareCommand::write(Endpoint::Tx, command.into_bytes())
}

fn unsupported(kind: OutputKind) -> ProtocolError {
    ProtocolError::UnsupportedOutput {
        protocol: NAME,
        kind,
    }
}

/// Battery: write `Battery;` to `tx`, parse the next `rx` notification (`85;` or `s85;`, a
/// percentage).
///
/// # Errors
/// [`ProtocolError::UnsupportedInput`] for any other input kind.
pub fn read_input(
    _definition: &DeviceDefinition,
    feature: FeatureIndex,
    kind: InputKind,
) -> Result<InputReadPlan, ProtocolError> {
    match kind {
        InputKind::Battery => Ok(InputReadPlan {
            send: vec![HardwareCommand::write(Endpoint::Tx, BATTERY_QUERY)],
            source: ReadSource::Notification {
                endpoint: Endpoint::Rx,
            },
            parse: parse_battery,
        }),
        other => Err(ProtocolError::UnsupportedInput {
            protocol: NAME,
            what: format!("{other} on feature {feature}"),
        }),
    }
}

/// `85;` or `s85;` (the `s` appears while the toy runs) → 85. The percentage is 0 to 100.
///
/// # Errors
/// [`ProtocolError::BadReply`] for anything else.
fn parse_battery(reply: &[u8]) -> Result<i32, ProtocolError> {
    let bad = || {
        ProtocolError::BadReply(format!(
            "battery reply {:?}",
            String::from_utf8_lossy(reply)
        ))
    };
    let body = reply.strip_suffix(b";").ok_or_else(bad)?;
    let digits = body.strip_prefix(b"s").unwrap_or(body);
    if digits.is_empty() || digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let percent = digits
        .iter()
        .fold(0, |total, digit| total * 10 + i32::from(digit - b'0'));
    if percent > 100 {
        return Err(bad());
    }
    Ok(percent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OutputState, OutputValue, ProtocolSession};
    use plugd_config::{InputDefinition, OutputDefinition, Transport, UserDeviceSettings};
    use plugd_core::InputCommand;
    use OutputKind::{Constrict, HwPositionWithDuration, Oscillate, Rotate, Vibrate};

    /// One output of a hand-built definition: kind and database range.
    type Output = (OutputKind, (i32, i32));
    /// One output value: feature index, kind, device value.
    type Set = (u32, OutputKind, i32);

    /// A Lovense definition: one feature per entry of `motors` (index = position), then a battery
    /// feature, as in the database.
    fn device(identifier: Option<&str>, name: &str, motors: &[&[Output]]) -> DeviceDefinition {
        let mut features: Vec<FeatureDefinition> = motors
            .iter()
            .zip(0..)
            .map(|(outputs, index)| FeatureDefinition {
                index: FeatureIndex(index),
                id: format!("feature-{index}"),
                description: String::new(),
                outputs: outputs
                    .iter()
                    .map(|&(kind, value)| OutputDefinition {
                        kind,
                        value,
                        user_range: None,
                        duration: (kind == HwPositionWithDuration).then_some((0, 100_000)),
                        disabled: false,
                        reverse: false,
                    })
                    .collect(),
                inputs: Vec::new(),
            })
            .collect();
        let battery = FeatureIndex(u32::try_from(features.len()).expect("few features"));
        features.push(FeatureDefinition {
            index: battery,
            id: "battery".to_owned(),
            description: "battery Level".to_owned(),
            outputs: Vec::new(),
            inputs: vec![InputDefinition {
                kind: InputKind::Battery,
                value: vec![(0, 100)],
                commands: vec![InputCommand::Read],
            }],
        });
        DeviceDefinition {
            protocol: NAME.to_owned(),
            identifier: identifier.map(str::to_owned),
            name: name.to_owned(),
            id: format!("{name}-id"),
            features,
            message_gap: None,
            protocol_variant: None,
            user: UserDeviceSettings::default(),
        }
    }

    const VIBRATE: Output = (Vibrate, (0, 20));
    const OSCILLATE: Output = (Oscillate, (0, 20));

    fn edge() -> DeviceDefinition {
        device(Some("P"), "Lovense Edge", &[&[VIBRATE], &[VIBRATE]])
    }
    fn osci3() -> DeviceDefinition {
        device(Some("OC"), "Lovense Osci 3", &[&[VIBRATE], &[VIBRATE]])
    }
    fn nora() -> DeviceDefinition {
        device(
            Some("A"),
            "Lovense Nora",
            &[&[VIBRATE], &[(Rotate, (-20, 20))]],
        )
    }
    fn max() -> DeviceDefinition {
        device(
            Some("B"),
            "Lovense Max",
            &[&[VIBRATE], &[(Constrict, (0, 3))]],
        )
    }
    fn lapis() -> DeviceDefinition {
        device(
            Some("U"),
            "Lovense Lapis",
            &[&[VIBRATE], &[VIBRATE], &[VIBRATE]],
        )
    }
    fn spinel() -> DeviceDefinition {
        device(Some("WD"), "Lovense Spinel", &[&[VIBRATE], &[OSCILLATE]])
    }
    fn flexer_fw3() -> DeviceDefinition {
        device(
            Some("EI-FW3"),
            "Lovense Flexer",
            &[&[VIBRATE], &[VIBRATE], &[(Rotate, (0, 20))]],
        )
    }
    fn solace_pro() -> DeviceDefinition {
        device(
            Some("BA"),
            "Lovense Solace Pro",
            &[&[OSCILLATE, (HwPositionWithDuration, (0, 100))]],
        )
    }
    fn solace() -> DeviceDefinition {
        device(Some("H"), "Lovense Solace", &[&[OSCILLATE]])
    }
    /// The protocol's defaults ("Lovense Device"), as a Lush or an unknown letter gets them.
    fn lush() -> DeviceDefinition {
        device(None, "Lovense Device", &[&[VIBRATE]])
    }
    fn sex_machine() -> DeviceDefinition {
        device(Some("F"), "Lovense Sex Machine", &[&[OSCILLATE]])
    }

    /// Encodes `set` on top of `before`: the current state is `before` overlaid with `set`, and
    /// `set`'s outputs are the changed ones, in feature order.
    fn run(
        definition: &DeviceDefinition,
        session: &ProtocolSession,
        before: &[Set],
        set: &[Set],
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let mut current = OutputState::new();
        for &(feature, kind, value) in before.iter().chain(set) {
            let duration = (kind == HwPositionWithDuration).then_some(500);
            current.insert(
                (FeatureIndex(feature), kind),
                OutputValue { value, duration },
            );
        }
        let mut changed: Vec<(FeatureIndex, OutputKind)> = set
            .iter()
            .map(|&(feature, kind, _)| (FeatureIndex(feature), kind))
            .collect();
        changed.sort();
        encode(&EncodeContext {
            definition,
            current: &current,
            previous: &OutputState::new(),
            changed: &changed,
            session,
        })
    }

    /// Each row: outputs already set, outputs this command sets, the exact writes to `tx`
    /// (without response) in order.
    fn check(definition: &DeviceDefinition, rows: &[(&[Set], &[Set], &[&str])]) {
        for (before, set, expected) in rows {
            let commands = run(definition, &ProtocolSession::default(), before, set)
                .unwrap_or_else(|error| panic!("{}: {set:?} failed: {error}", definition.name));
            let expected: Vec<HardwareCommand> = expected
                .iter()
                .map(|text| HardwareCommand::write(Endpoint::Tx, text.as_bytes()))
                .collect();
            assert_eq!(
                commands, expected,
                "{}: before {before:?}, set {set:?}",
                definition.name
            );
        }
    }

    #[test]
    fn edge_writes_one_command_per_changed_motor() {
        // test_lovense_edge.yaml, step by step: the Device drops the unchanged motor 1 of the
        // third message, and Stop zeroes both motors.
        check(
            &edge(),
            &[
                (&[], &[(0, Vibrate, 5)], &["Vibrate1:5;"]),
                (
                    &[(0, Vibrate, 5)],
                    &[(0, Vibrate, 10), (1, Vibrate, 10)],
                    &["Vibrate1:10;", "Vibrate2:10;"],
                ),
                (&[(0, Vibrate, 10)], &[(1, Vibrate, 15)], &["Vibrate2:15;"]),
                (
                    &[],
                    &[(0, Vibrate, 0), (1, Vibrate, 0)],
                    &["Vibrate1:0;", "Vibrate2:0;"],
                ),
            ],
        );
    }

    #[test]
    fn edge_writes_off_middle_and_full_speed_per_motor() {
        check(
            &edge(),
            &[
                (&[], &[(1, Vibrate, 0)], &["Vibrate2:0;"]),
                (&[], &[(1, Vibrate, 10)], &["Vibrate2:10;"]),
                (&[], &[(0, Vibrate, 20)], &["Vibrate1:20;"]),
            ],
        );
    }

    #[test]
    fn osci3_numbers_its_two_vibrators() {
        // test_lovense_osci3.yaml.
        check(
            &osci3(),
            &[
                (
                    &[],
                    &[(0, Vibrate, 10), (1, Vibrate, 10)],
                    &["Vibrate1:10;", "Vibrate2:10;"],
                ),
                (&[(1, Vibrate, 10)], &[(0, Vibrate, 15)], &["Vibrate1:15;"]),
                (
                    &[],
                    &[(0, Vibrate, 0), (1, Vibrate, 0)],
                    &["Vibrate1:0;", "Vibrate2:0;"],
                ),
            ],
        );
    }

    #[test]
    fn spinel_writes_oscillation_as_numbered_vibrator() {
        // test_lovense_spinel.yaml.
        check(
            &spinel(),
            &[
                (
                    &[],
                    &[(0, Vibrate, 10), (1, Oscillate, 10)],
                    &["Vibrate1:10;", "Vibrate2:10;"],
                ),
                (
                    &[(1, Oscillate, 10)],
                    &[(0, Vibrate, 15)],
                    &["Vibrate1:15;"],
                ),
                (&[], &[(1, Oscillate, 20)], &["Vibrate2:20;"]),
                (
                    &[],
                    &[(0, Vibrate, 0), (1, Oscillate, 0)],
                    &["Vibrate1:0;", "Vibrate2:0;"],
                ),
            ],
        );
    }

    #[test]
    fn single_vibrator_writes_unnumbered_vibrate() {
        // test_lovense_flexer_fw2.yaml: an `EI` before firmware 3 gets the defaults, like a Lush.
        check(
            &lush(),
            &[
                (&[], &[(0, Vibrate, 0)], &["Vibrate:0;"]),
                (&[], &[(0, Vibrate, 10)], &["Vibrate:10;"]),
                (&[], &[(0, Vibrate, 20)], &["Vibrate:20;"]),
            ],
        );
    }

    #[test]
    fn sex_machine_writes_oscillation_as_unnumbered_vibrate() {
        // test_lovense_ridge.yaml (its device answers `F`, the Sex Machine).
        check(
            &sex_machine(),
            &[
                (&[], &[(0, Oscillate, 10)], &["Vibrate:10;"]),
                (&[], &[(0, Oscillate, 0)], &["Vibrate:0;"]),
            ],
        );
    }

    #[test]
    fn max_writes_air_level_for_constriction() {
        check(
            &max(),
            &[
                (&[], &[(0, Vibrate, 10)], &["Vibrate:10;"]),
                (&[(0, Vibrate, 10)], &[(1, Constrict, 2)], &["Air:Level:2;"]),
                (&[], &[(1, Constrict, 3)], &["Air:Level:3;"]),
                (
                    &[],
                    &[(0, Vibrate, 20), (1, Constrict, 1)],
                    &["Vibrate:20;", "Air:Level:1;"],
                ),
                (
                    &[],
                    &[(0, Vibrate, 0), (1, Constrict, 0)],
                    &["Vibrate:0;", "Air:Level:0;"],
                ),
            ],
        );
    }

    #[test]
    fn nora_writes_rotate_change_before_every_negative_rotation() {
        check(
            &nora(),
            &[
                (&[], &[(0, Vibrate, 10)], &["Vibrate:10;"]),
                (
                    &[(0, Vibrate, 10)],
                    &[(1, Rotate, -20)],
                    &["RotateChange;", "Rotate:20;"],
                ),
                (
                    &[],
                    &[(0, Vibrate, 0), (1, Rotate, 0)],
                    &["Vibrate:0;", "Rotate:0;"],
                ),
                (&[], &[(1, Rotate, -10)], &["RotateChange;", "Rotate:10;"]),
                (
                    &[(1, Rotate, -10)],
                    &[(1, Rotate, -15)],
                    &["RotateChange;", "Rotate:15;"],
                ),
                (&[(1, Rotate, -15)], &[(1, Rotate, 5)], &["Rotate:5;"]),
                (
                    &[],
                    &[(0, Vibrate, 20), (1, Rotate, -20)],
                    &["Vibrate:20;", "RotateChange;", "Rotate:20;"],
                ),
            ],
        );
    }

    #[test]
    fn lapis_packs_all_three_motors_into_one_mply() {
        check(
            &lapis(),
            &[
                (&[], &[(0, Vibrate, 10)], &["Mply:10:0:0;"]),
                (&[(0, Vibrate, 10)], &[(2, Vibrate, 5)], &["Mply:10:0:5;"]),
                (
                    &[(1, Vibrate, 3)],
                    &[(0, Vibrate, 20), (2, Vibrate, 20)],
                    &["Mply:20:3:20;"],
                ),
                (
                    &[],
                    &[(0, Vibrate, 20), (1, Vibrate, 20), (2, Vibrate, 20)],
                    &["Mply:20:20:20;"],
                ),
                (
                    &[],
                    &[(0, Vibrate, 0), (1, Vibrate, 0), (2, Vibrate, 0)],
                    &["Mply:0:0:0;"],
                ),
            ],
        );
    }

    #[test]
    fn flexer_fw3_packs_rotation_with_its_vibrators() {
        check(
            &flexer_fw3(),
            &[
                (
                    &[],
                    &[(0, Vibrate, 10), (1, Vibrate, 10)],
                    &["Mply:10:10:0;"],
                ),
                (
                    &[(1, Vibrate, 10)],
                    &[(0, Vibrate, 15), (2, Rotate, 5)],
                    &["Mply:15:10:5;"],
                ),
                (&[], &[(2, Rotate, 20)], &["Mply:0:0:20;"]),
                (
                    &[],
                    &[(0, Vibrate, 0), (1, Vibrate, 0), (2, Rotate, 0)],
                    &["Mply:0:0:0;"],
                ),
            ],
        );
    }

    #[test]
    fn solace_pro_strokes_with_mply_and_moves_with_fset_site() {
        check(
            &solace_pro(),
            &[
                (&[], &[(0, Oscillate, 10)], &["Mply:10:20;"]),
                (&[], &[(0, Oscillate, 20)], &["Mply:20:20;"]),
                (&[], &[(0, Oscillate, 0)], &["Mply:0:20;"]),
                (&[], &[(0, HwPositionWithDuration, 0)], &["FSetSite:0;"]),
                (
                    &[(0, Oscillate, 10)],
                    &[(0, HwPositionWithDuration, 50)],
                    &["FSetSite:50;"],
                ),
                (
                    &[],
                    &[(0, Oscillate, 5), (0, HwPositionWithDuration, 100)],
                    &["Mply:5:20;", "FSetSite:100;"],
                ),
            ],
        );
    }

    #[test]
    fn solace_stops_with_a_zeroed_stroke_range() {
        check(
            &solace(),
            &[
                (&[], &[(0, Oscillate, 10)], &["Mply:10:20;"]),
                (&[], &[(0, Oscillate, 15)], &["Mply:15:20;"]),
                (&[], &[(0, Oscillate, 0)], &["Mply:0:0;"]),
            ],
        );
    }

    #[test]
    fn stroker_is_recognised_from_the_session_identifier_too() {
        let mut definition = solace();
        definition.identifier = None;
        let session = ProtocolSession {
            identifier: Some("H".to_owned()),
            ..ProtocolSession::default()
        };
        assert_eq!(
            run(&definition, &session, &[], &[(0, Oscillate, 0)]),
            Ok(vec![HardwareCommand::write(Endpoint::Tx, b"Mply:0:0;")])
        );
    }

    #[test]
    fn output_missing_from_the_definition_is_a_definition_error() {
        let session = ProtocolSession::default();
        let result = run(&edge(), &session, &[], &[(0, Vibrate, 5), (0, Rotate, 5)]);
        assert!(
            matches!(result, Err(ProtocolError::Definition(_))),
            "{result:?}"
        );
        let result = run(&edge(), &session, &[], &[(7, Vibrate, 5)]);
        assert!(
            matches!(result, Err(ProtocolError::Definition(_))),
            "{result:?}"
        );
    }

    #[test]
    fn output_the_variant_has_no_command_for_is_refused_without_writes() {
        let session = ProtocolSession::default();
        let cases = [
            (
                device(None, "Rotator", &[&[(Rotate, (-20, 20))]]),
                vec![(0, Rotate, 5)],
                Rotate,
            ),
            (
                device(
                    None,
                    "Vibrating squeezer",
                    &[&[VIBRATE], &[VIBRATE], &[(Constrict, (0, 3))]],
                ),
                vec![(0, Vibrate, 5), (2, Constrict, 1)],
                Constrict,
            ),
            (
                device(Some("BA"), "Solace Pro", &[&[OSCILLATE], &[VIBRATE]]),
                vec![(0, Oscillate, 5), (1, Vibrate, 5)],
                Vibrate,
            ),
        ];
        for (definition, set, kind) in cases {
            assert_eq!(
                run(&definition, &session, &[], &set),
                Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind
                }),
                "{}",
                definition.name
            );
        }
    }

    fn identity(name: &str) -> DeviceIdentity {
        DeviceIdentity::named(Transport::Btle, name, "AA:BB:CC:DD:EE:FF")
    }

    fn reply(data: &[u8]) -> InitReply {
        InitReply {
            endpoint: Endpoint::Rx,
            data: data.to_vec(),
        }
    }

    #[test]
    fn identification_subscribes_then_asks_device_type_six_times() {
        assert_eq!(
            identify_steps(&identity("LVS-Z36")),
            vec![
                InitStep::Send(HardwareCommand::Subscribe {
                    endpoint: Endpoint::Rx
                }),
                InitStep::SendAwaitNotification {
                    command: HardwareCommand::write(Endpoint::Tx, b"DeviceType;"),
                    endpoint: None,
                    timeout: Duration::from_millis(500),
                    attempts: 6,
                },
            ]
        );
    }

    #[test]
    fn device_type_reply_selects_the_model_letters() {
        let name = identity("LVS-DoesntMatter");
        let cases: [(&[u8], Option<&str>); 9] = [
            (b"Z:11:0082059AD3BD;", Some("Z")),
            (b"P:02:0082059AD3BD;", Some("P")),
            (b"OC:253:0082059AD3BD;", Some("OC")),
            (b"EI:02:0082059AD3BD;", Some("EI")),
            (b"EI:03:0082059AD3BD;", Some("EI-FW3")),
            (b"EI:3;", Some("EI-FW3")),
            (b"EI:beta:0082059AD3BD;", Some("EI")),
            (b"S:", Some("S")),
            (b"BA:1:0082059AD3BD;", Some("BA")),
        ];
        for (data, expected) in cases {
            assert_eq!(
                resolve_identifier(&name, &[reply(data)]).as_deref(),
                expected,
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn garbage_reply_selects_the_defaults_even_with_a_telling_name() {
        let name = identity("LVS-Z36");
        let cases: [&[u8]; 6] = [
            b"Z;",
            b"hello",
            b"",
            b":11:00;",
            &[0xff, b':', b'1'],
            b"OK;",
        ];
        for data in cases {
            assert_eq!(resolve_identifier(&name, &[reply(data)]), None, "{data:?}");
        }
    }

    #[test]
    fn only_the_first_reply_counts() {
        assert_eq!(
            resolve_identifier(
                &identity("LVS-DoesntMatter"),
                &[reply(b"W:1:00;"), reply(b"Z:1:00;")]
            )
            .as_deref(),
            Some("W")
        );
    }

    #[test]
    fn silent_toy_falls_back_to_the_letters_of_its_name() {
        let cases = [
            ("LVS-Z36", Some("Z")),
            ("LVS-OC1", Some("OC")),
            ("xLVS-AB12y", Some("AB")),
            ("LVS-LVS-P2", Some("P")),
            ("LVS-DoesntMatter", None),
            ("LVS-Z", None),
            ("LVS-36", None),
            ("LVS-", None),
            ("LOVE-Z36", None),
            ("", None),
        ];
        for (name, expected) in cases {
            assert_eq!(
                resolve_identifier(&identity(name), &[]).as_deref(),
                expected,
                "{name:?}"
            );
        }
    }

    #[test]
    fn battery_read_writes_battery_and_waits_for_an_rx_notification() {
        let plan = read_input(&edge(), FeatureIndex(2), InputKind::Battery).expect("battery");
        assert_eq!(
            plan.send,
            vec![HardwareCommand::write(Endpoint::Tx, b"Battery;")]
        );
        assert_eq!(
            plan.source,
            ReadSource::Notification {
                endpoint: Endpoint::Rx
            }
        );
        // test_lovense_battery.yaml answers `100;`.
        assert_eq!((plan.parse)(b"100;"), Ok(100));
    }

    #[test]
    fn battery_reply_parses_with_or_without_the_running_prefix() {
        let cases: [(&[u8], i32); 5] = [
            (b"85;", 85),
            (b"s85;", 85),
            (b"0;", 0),
            (b"s100;", 100),
            (b"007;", 7),
        ];
        for (data, percent) in cases {
            assert_eq!(parse_battery(data), Ok(percent), "{data:?}");
        }
    }

    #[test]
    fn battery_reply_that_is_not_a_percentage_is_a_bad_reply() {
        let cases: [&[u8]; 10] = [
            b"abc",
            b"101;",
            b"85",
            b";",
            b"s;",
            b"-5;",
            b"+5;",
            b"8 5;",
            b"1000;",
            &[0xff, b';'],
        ];
        for data in cases {
            assert!(
                matches!(parse_battery(data), Err(ProtocolError::BadReply(_))),
                "{data:?}"
            );
        }
    }

    #[test]
    fn inputs_other_than_battery_are_unsupported() {
        for kind in [InputKind::Rssi, InputKind::Pressure, InputKind::Button] {
            assert!(
                matches!(
                    read_input(&edge(), FeatureIndex(2), kind),
                    Err(ProtocolError::UnsupportedInput { protocol: NAME, .. })
                ),
                "{kind}"
            );
        }
    }
}

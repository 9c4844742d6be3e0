//! Vorze SA family: A10 Cyclone SA, UFO SA, UFO TW, Piston, Bach, Omorfi and Adult Festa's Rocket.
//! Every packet is three bytes on `tx`, **with response**, starting with the model's device
//! byte. Five variants, chosen by the configuration's `protocol_variant` and, for two of them,
//! by the advertised name (lower-cased, searched for a part):
//!
//! | variant | name contains → device byte | packet |
//! |---|---|---|
//! | `vorze-sa-single-rotator` | `cycsa` → 01, `ufo` → 02 | `<device> 01 <dir·speed>` per rotate |
//! | `vorze-sa-dual-rotator` | — → 05 (UFO TW) | `05 <dir·left> <dir·right>`, both rotators |
//! | `vorze-sa-single-vibrator` | `bach` → 06, `rocket` → 07 | `<device> 03 <speed>` per vibrate |
//! | `vorze-sa-dual-vibrator` | `omor` → 09 (Omorfi) | `09 <first> <second>`, both vibrators |
//! | `vorze-sa-piston` | — → 03 | `03 <position> <speed>` per move |
//!
//! `dir·speed` is the rotation speed (0–99) with bit 7 set for clockwise; 0 counts as clockwise,
//! so a stopped rotator is `80`. `01` and `03` in the single-motor packets are the action
//! (rotate, vibrate).
//!
//! **Piston.** The toy moves to a position (0–99) at a speed (0–100), not over a duration. The
//! speed comes from the distance to the previous position and the requested duration: the
//! duration is scaled to a full 200-unit stroke (`200 × duration / distance`, distance capped
//! at 200), then speed = `(scaled / 6658) ^ −1.21`, clamped to 0–100 and truncated; no movement
//! gives 100. The previous position is the last one written (0 before the first move).
//!
//! **Packing.** The dual variants write one packet holding both motors' current values (a
//! never-set motor is 0), whatever changed; upstream keeps them in atomics behind one fixed
//! command id, so its message gap also leaves one write per command (the UFO TW stop is one
//! `05 80 80`).
//!
//! **Init** only checks that the variant and name pick a handler: upstream refuses the device
//! at that point otherwise ("No protocol implementation for Vorze Device"), and so does plugd.
//! The name is the identifier identification produced (the advertised name).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/vorze_sa/` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, ProtocolError};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "vorze-sa";

/// Action bytes of the single-motor packets.
const ACTION_ROTATE: u8 = 0x01;
const ACTION_VIBRATE: u8 = 0x03;
/// Bit 7 of a rotation byte: clockwise.
const CLOCKWISE: u8 = 0x80;

/// The model byte every packet starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Model {
    Cyclone = 1,
    Ufo = 2,
    Piston = 3,
    UfoTw = 5,
    Bach = 6,
    Rocket = 7,
    Omorfi = 9,
}

/// Which packet layout the device speaks (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    SingleRotator(Model),
    DualRotator,
    SingleVibrator(Model),
    DualVibrator,
    Piston,
}

impl Variant {
    /// From the definition's `protocol_variant` and the device's name, as upstream.
    fn for_device(
        definition: &DeviceDefinition,
        name: Option<&str>,
    ) -> Result<Variant, ProtocolError> {
        let name = name.unwrap_or_default().to_ascii_lowercase();
        let variant = match definition.protocol_variant.as_deref() {
            Some("vorze-sa-single-rotator") if name.contains("cycsa") => {
                Some(Variant::SingleRotator(Model::Cyclone))
            }
            Some("vorze-sa-single-rotator") if name.contains("ufo") => {
                Some(Variant::SingleRotator(Model::Ufo))
            }
            Some("vorze-sa-dual-rotator") => Some(Variant::DualRotator),
            Some("vorze-sa-single-vibrator") if name.contains("bach") => {
                Some(Variant::SingleVibrator(Model::Bach))
            }
            Some("vorze-sa-single-vibrator") if name.contains("rocket") => {
                Some(Variant::SingleVibrator(Model::Rocket))
            }
            Some("vorze-sa-dual-vibrator") if name.contains("omor") => Some(Variant::DualVibrator),
            Some("vorze-sa-piston") => Some(Variant::Piston),
            _ => None,
        };
        variant.ok_or_else(|| {
            ProtocolError::Definition(format!(
                "no Vorze handler for variant {:?} and name {name:?}",
                definition.protocol_variant
            ))
        })
    }
}

/// The name the variant is chosen by: the identifier identification produced, else the one the
/// definition was selected with.
fn device_name<'a>(
    definition: &'a DeviceDefinition,
    session_identifier: Option<&'a str>,
) -> Option<&'a str> {
    session_identifier.or(definition.identifier.as_deref())
}

/// Checks that the device's variant and name pick a handler; nothing is written.
///
/// # Errors
/// [`ProtocolError::Definition`] when they do not (an unknown model, or a configuration without
/// `protocol_variant` such as the defaults).
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    let name = device_name(context.definition, context.session.identifier.as_deref());
    Variant::for_device(context.definition, name)?;
    Ok(InitRound::Done)
}

/// The packets of the device's variant (see the module table).
///
/// # Errors
/// [`ProtocolError::Definition`] when no variant applies or a value does not fit its byte;
/// [`ProtocolError::UnsupportedOutput`] when a changed output is not the variant's kind.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let name = device_name(context.definition, context.session.identifier.as_deref());
    let variant = Variant::for_device(context.definition, name)?;
    let expected = match variant {
        Variant::SingleRotator(_) | Variant::DualRotator => OutputKind::Rotate,
        Variant::SingleVibrator(_) | Variant::DualVibrator => OutputKind::Vibrate,
        Variant::Piston => OutputKind::HwPositionWithDuration,
    };
    if let Some(&(_, kind)) = context.changed.iter().find(|(_, kind)| *kind != expected) {
        return Err(ProtocolError::UnsupportedOutput {
            protocol: NAME,
            kind,
        });
    }
    let packets = match variant {
        Variant::SingleRotator(model) => context
            .changed
            .iter()
            .map(|&(feature, kind)| {
                let rotation = rotation(context.value(feature, kind))?;
                Ok([model as u8, ACTION_ROTATE, rotation])
            })
            .collect::<Result<Vec<_>, ProtocolError>>()?,
        Variant::SingleVibrator(model) => context
            .changed
            .iter()
            .map(|&(feature, kind)| {
                let speed = byte(context.value(feature, kind), "speed")?;
                Ok([model as u8, ACTION_VIBRATE, speed])
            })
            .collect::<Result<Vec<_>, ProtocolError>>()?,
        Variant::DualRotator => {
            let [left, right] = pair(context, OutputKind::Rotate);
            vec![[Model::UfoTw as u8, rotation(left)?, rotation(right)?]]
        }
        Variant::DualVibrator => {
            let [first, second] = pair(context, OutputKind::Vibrate);
            vec![[
                Model::Omorfi as u8,
                byte(first, "speed")?,
                byte(second, "speed")?,
            ]]
        }
        Variant::Piston => context
            .changed
            .iter()
            .map(|&(feature, kind)| {
                let target = context.current.get(&(feature, kind));
                let position = byte(target.map_or(0, |target| target.value), "position")?;
                let duration = target.and_then(|target| target.duration).unwrap_or(0);
                let previous = context.previous_value(feature, kind).unwrap_or(0);
                let distance = (f64::from(previous) - f64::from(position)).abs();
                Ok([
                    Model::Piston as u8,
                    position,
                    piston_speed(distance, f64::from(duration)),
                ])
            })
            .collect::<Result<Vec<_>, ProtocolError>>()?,
    };
    Ok(packets
        .into_iter()
        .map(|packet| HardwareCommand::write_with_response(Endpoint::Tx, packet.to_vec()))
        .collect())
}

/// The current values of the device's first two outputs of `kind`, in feature order (0 when
/// absent or never set).
fn pair(context: &EncodeContext<'_>, kind: OutputKind) -> [i32; 2] {
    let mut features = context
        .definition
        .features
        .iter()
        .filter(|feature| feature.output(kind).is_some())
        .map(|feature| feature.index);
    let mut next = || {
        features
            .next()
            .map_or(0, |feature: FeatureIndex| context.value(feature, kind))
    };
    [next(), next()]
}

/// Speed magnitude (at most 127) with bit 7 set when clockwise (0 included).
fn rotation(value: i32) -> Result<u8, ProtocolError> {
    let magnitude = byte(value.saturating_abs(), "rotation speed")?;
    if magnitude >= CLOCKWISE {
        return Err(ProtocolError::Definition(format!(
            "rotation speed {value} does not fit in 7 bits"
        )));
    }
    Ok(if value >= 0 {
        CLOCKWISE | magnitude
    } else {
        magnitude
    })
}

fn byte(value: i32, what: &str) -> Result<u8, ProtocolError> {
    u8::try_from(value)
        .map_err(|_| ProtocolError::Definition(format!("{what} {value} does not fit in a byte")))
}

/// The Piston's speed (0–100) for moving `distance` position units in `duration` ms (see the
/// module doc).
fn piston_speed(distance: f64, duration: f64) -> u8 {
    if distance <= 0.0 {
        return 100;
    }
    let distance = distance.min(200.0);
    let full_stroke_duration = 200.0 * duration / distance;
    let speed = (full_stroke_duration / 6658.0)
        .powf(-1.21)
        .clamp(0.0, 100.0);
    // In 0..=100 after the clamp (NaN cannot occur: distance > 0, duration ≥ 0).
    speed as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use OutputKind::{HwPositionWithDuration, Oscillate, Rotate, Vibrate};

    fn packet(bytes: [u8; 3]) -> HardwareCommand {
        write_with_response(Endpoint::Tx, &bytes)
    }

    fn init(device: &Harness) -> Result<InitRound, ProtocolError> {
        initialize(&InitContext {
            definition: &device.definition,
            session: &device.session,
            replies: &[],
            round: 0,
        })
    }

    #[test]
    fn shared_case_vorze_cyclone_bytes() {
        // test_vorze_cyclone.yaml: 0.5 of 99 clockwise → 50 | 0x80; 1.0 counter-clockwise → 99;
        // stop → clockwise 0.
        let mut cyclone = Harness::builtin(NAME, Some("CycSA"));
        assert_eq!(init(&cyclone), Ok(InitRound::Done));
        assert_eq!(
            cyclone.set(&[(0, Rotate, 50)]),
            vec![packet([0x01, 0x01, 0xb2])]
        );
        assert_eq!(
            cyclone.set(&[(0, Rotate, -99)]),
            vec![packet([0x01, 0x01, 0x63])]
        );
        assert_eq!(cyclone.stop(), vec![packet([0x01, 0x01, 0x80])]);
    }

    #[test]
    fn shared_case_vorze_ufo_bytes() {
        // test_vorze_ufo.yaml: as the Cyclone with device byte 02.
        let mut ufo = Harness::builtin(NAME, Some("UFOSA"));
        assert_eq!(init(&ufo), Ok(InitRound::Done));
        assert_eq!(
            ufo.set(&[(0, Rotate, 50)]),
            vec![packet([0x02, 0x01, 0xb2])]
        );
        assert_eq!(
            ufo.set(&[(0, Rotate, -99)]),
            vec![packet([0x02, 0x01, 0x63])]
        );
        assert_eq!(ufo.stop(), vec![packet([0x02, 0x01, 0x80])]);
    }

    #[test]
    fn shared_case_vorze_ufo_tw_bytes() {
        // test_vorze_ufo_tw.yaml: left 50 cw; left 99 ccw; left 99 ccw (unchanged) with right
        // 0.25 → 25 cw; left 25 cw; stop is one packet for both.
        let mut tw = Harness::builtin(NAME, Some("UFO-TW"));
        assert_eq!(init(&tw), Ok(InitRound::Done));
        assert_eq!(tw.set(&[(0, Rotate, 50)]), vec![packet([0x05, 0xb2, 0x80])]);
        assert_eq!(
            tw.set(&[(0, Rotate, -99)]),
            vec![packet([0x05, 0x63, 0x80])]
        );
        assert_eq!(tw.set(&[(1, Rotate, 25)]), vec![packet([0x05, 0x63, 0x99])]);
        assert_eq!(tw.set(&[(0, Rotate, 25)]), vec![packet([0x05, 0x99, 0x99])]);
        assert_eq!(tw.stop(), vec![packet([0x05, 0x80, 0x80])]);
    }

    #[test]
    fn ufo_tw_writes_one_packet_when_both_rotators_change() {
        let mut tw = Harness::builtin(NAME, Some("UFO-TW"));
        assert_eq!(
            tw.set(&[(0, Rotate, -1), (1, Rotate, 99)]),
            vec![packet([0x05, 0x01, 0xe3])]
        );
    }

    #[test]
    fn bach_and_rocket_vibrate_with_their_own_device_bytes() {
        let mut bach = Harness::builtin(NAME, Some("Bach smart"));
        assert_eq!(init(&bach), Ok(InitRound::Done));
        assert_eq!(
            bach.set(&[(0, Vibrate, 100)]),
            vec![packet([0x06, 0x03, 0x64])]
        );
        assert_eq!(bach.stop(), vec![packet([0x06, 0x03, 0x00])]);
        let mut rocket = Harness::builtin(NAME, Some("ROCKET"));
        assert_eq!(
            rocket.set(&[(0, Vibrate, 42)]),
            vec![packet([0x07, 0x03, 0x2a])]
        );
    }

    #[test]
    fn omorfi_packs_both_vibrators() {
        for name in ["OMORFI", "OMOR"] {
            let mut omorfi = Harness::builtin(NAME, Some(name));
            assert_eq!(init(&omorfi), Ok(InitRound::Done), "{name}");
            assert_eq!(
                omorfi.set(&[(1, Vibrate, 99)]),
                vec![packet([0x09, 0x00, 0x63])]
            );
            assert_eq!(
                omorfi.set(&[(0, Vibrate, 10), (1, Vibrate, 20)]),
                vec![packet([0x09, 0x0a, 0x14])]
            );
            assert_eq!(omorfi.stop(), vec![packet([0x09, 0x00, 0x00])]);
        }
    }

    #[test]
    fn piston_speed_follows_distance_and_duration() {
        let mut piston = Harness::builtin(NAME, Some("VorzePiston"));
        assert_eq!(init(&piston), Ok(InitRound::Done));
        // 0 → 99 in 1000 ms: scaled 2020.2 ms, (2020.2 / 6658)^-1.21 = 4.23 → 4.
        assert_eq!(
            piston.set_with_duration(&[(0, HwPositionWithDuration, 99, Some(1000))]),
            vec![packet([0x03, 0x63, 0x04])]
        );
        // 99 → 49 in 100 ms: scaled 400 ms → 30.1 → 30.
        assert_eq!(
            piston.set_with_duration(&[(0, HwPositionWithDuration, 49, Some(100))]),
            vec![packet([0x03, 0x31, 0x1e])]
        );
        // 49 → 0 at once: the speed is capped at 100.
        assert_eq!(
            piston.set_with_duration(&[(0, HwPositionWithDuration, 0, Some(0))]),
            vec![packet([0x03, 0x00, 0x64])]
        );
        // A slow move: 0 → 1 in 100 s → scaled 20 000 s → 0.
        assert_eq!(
            piston.set_with_duration(&[(0, HwPositionWithDuration, 1, Some(100_000))]),
            vec![packet([0x03, 0x01, 0x00])]
        );
    }

    #[test]
    fn piston_without_movement_moves_at_full_speed() {
        let mut piston = Harness::builtin(NAME, Some("VorzePiston"));
        assert_eq!(
            piston.set_with_duration(&[(0, HwPositionWithDuration, 0, Some(500))]),
            vec![packet([0x03, 0x00, 0x64])]
        );
        assert_eq!(piston_speed(0.0, 500.0), 100);
        assert_eq!(piston_speed(-1.0, 500.0), 100);
        // Distances beyond a full stroke count as one.
        assert_eq!(piston_speed(400.0, 6658.0), piston_speed(200.0, 6658.0));
        assert_eq!(piston_speed(200.0, 6658.0), 1);
    }

    #[test]
    fn unknown_names_and_missing_variants_are_refused_at_init() {
        let mut cyclone = Harness::builtin(NAME, Some("CycSA"));
        cyclone.session.identifier = Some("Spinner".to_owned());
        assert!(matches!(init(&cyclone), Err(ProtocolError::Definition(_))));
        assert!(matches!(
            cyclone.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        let defaults = Harness::builtin(NAME, None);
        assert!(defaults.definition.protocol_variant.is_none());
        assert!(matches!(init(&defaults), Err(ProtocolError::Definition(_))));
    }

    #[test]
    fn name_match_ignores_case_and_surroundings() {
        let mut ufo = Harness::builtin(NAME, Some("UFOSA"));
        ufo.session.identifier = Some("my-Ufo-2".to_owned());
        assert_eq!(ufo.set(&[(0, Rotate, 1)]), vec![packet([0x02, 0x01, 0x81])]);
    }

    #[test]
    fn wrong_kinds_and_out_of_range_values_are_errors() {
        let mut cyclone = Harness::builtin(NAME, Some("CycSA"));
        assert_eq!(
            cyclone.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            cyclone.try_set(&[(0, Rotate, 128)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            cyclone.try_set(&[(0, Rotate, i32::MIN)]),
            Err(ProtocolError::Definition(_))
        ));
        let mut piston = Harness::builtin(NAME, Some("VorzePiston"));
        assert!(matches!(
            piston.try_set_with_duration(&[(0, HwPositionWithDuration, 300, Some(10))]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

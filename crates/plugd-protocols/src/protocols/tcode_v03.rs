//! tcode-v03: strokers and vibrators speaking TCode v0.3 (OSR2, SR6 and home-made devices),
//! usually over a serial port (115200 baud, 8-N-1; the database's defaults are one linear
//! axis, 1000 steps, with a 20 ms message gap). Users describe other devices (more axes, a
//! vibrator, a BLE bridge) in their user config.
//!
//! **Wire format.** ASCII lines on `tx` without response, one per changed output:
//!
//! | output | line |
//! |---|---|
//! | `hw_position_with_duration` on feature `i` | `L<i><magnitude>I<duration ms>\n` (`L051I200\n`) |
//! | `position` | `L0<magnitude>\nR0<magnitude>\n` (upstream writes the linear and the twist axis 0 together) |
//! | `vibrate` on feature `i` | `V<i><magnitude>\n` (`V199\n`) |
//!
//! TCode reads the digits after the channel as a decimal fraction in [0, 1): `L05`, `L050` and
//! `L0500` all mean half way (multiaxis/TCode-Specification, "Axes Conventions"). The
//! magnitude of a value `v` in a range `[0, hi]` is therefore written with `w` digits, `w` the
//! number of digits of `hi − 1`, as `floor(v × 10^w / hi)`, capped at all nines. For the ranges
//! in use that is the value itself, zero-padded: `[0, 100]` → 2 digits (`51` → `51`),
//! `[0, 99]` → 2 digits, `[0, 1000]` → 3 digits (`500` → `500`).
//!
//! **Where it differs from upstream, and why.** Upstream prints the raw value, `{:02}` for
//! moves and vibration, `{:03}` for positions. Those bytes equal plugd's wherever they mean
//! what was asked; they differ where upstream's do not: at the range end (`100` of `[0, 100]`
//! becomes `L0100`, which TCode reads as 0.100, so "all the way up" went to 10 %; plugd writes
//! `L099`) and for moves on the database's `[0, 1000]` axis below 100 (`50` was `L050` = half
//! way instead of 5 %; plugd writes `L0050`). Channels are single digits in TCode, so a feature
//! index above 9 is refused rather than written as a different channel.
//!
//! **Quirks.** Stop leaves positions alone (the Device stops only vibrators here). A move
//! without a duration (never sent by the Device for this kind) is written without `I`.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/tcode_v03.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "tcode-v03";

/// One line per changed output, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for outputs other than the three above;
/// [`ProtocolError::Definition`] for a feature index above 9, an output missing from the
/// definition or with a range ending at or below 0, or a negative value.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let output = context.current.get(&(feature, kind));
            let value = output.map_or(0, |output| output.value);
            let magnitude = magnitude(context.definition, feature, kind, value)?;
            let line = match kind {
                OutputKind::HwPositionWithDuration => {
                    let channel = channel(feature)?;
                    match output.and_then(|output| output.duration) {
                        Some(duration) => format!("L{channel}{magnitude}I{duration}\n"),
                        None => format!("L{channel}{magnitude}\n"),
                    }
                }
                OutputKind::Position => format!("L0{magnitude}\nR0{magnitude}\n"),
                OutputKind::Vibrate => format!("V{}{magnitude}\n", channel(feature)?),
                other => {
                    return Err(ProtocolError::UnsupportedOutput {
                        protocol: NAME,
                        kind: other,
                    })
                }
            };
            Ok(HardwareCommand::write(Endpoint::Tx, line.into_bytes()))
        })
        .collect()
}

/// The TCode channel digit of a feature.
fn channel(feature: FeatureIndex) -> Result<u32, ProtocolError> {
    if feature.0 <= 9 {
        Ok(feature.0)
    } else {
        Err(ProtocolError::Definition(format!(
            "{NAME} channels are 0-9, feature index {} has none",
            feature.0
        )))
    }
}

/// `value` of `[0, hi]` as TCode fraction digits (module doc).
fn magnitude(
    definition: &DeviceDefinition,
    feature: FeatureIndex,
    kind: OutputKind,
    value: i32,
) -> Result<String, ProtocolError> {
    let range_end = definition
        .feature(feature)
        .and_then(|feature| feature.output(kind))
        .map(|output| output.value.1)
        .ok_or_else(|| {
            ProtocolError::Definition(format!("feature {} has no {kind} output", feature.0))
        })?;
    let range_end = u64::try_from(range_end)
        .ok()
        .filter(|end| *end > 0)
        .ok_or_else(|| {
            ProtocolError::Definition(format!("{NAME} {kind} range ends at {range_end}"))
        })?;
    let value = u64::try_from(value).map_err(|_| {
        ProtocolError::Definition(format!("{NAME} {kind} value {value} is negative"))
    })?;
    let digits = decimal_digits(range_end - 1).max(1);
    // A range end is an i32, so 10^digits ≤ 10^10 and value × 10^digits fits in u64.
    let scale = 10u64.pow(digits);
    let fraction = (value.saturating_mul(scale) / range_end).min(scale - 1);
    Ok(format!("{fraction:0width$}", width = digits as usize))
}

/// How many decimal digits `number` has (0 for 0).
fn decimal_digits(number: u64) -> u32 {
    number.checked_ilog10().map_or(0, |log| log + 1)
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use plugd_config::{DeviceConfigStore, DeviceDatabase, UserConfig};
    use plugd_core::{Endpoint, OutputKind, OutputKind::*};

    /// The user config of the shared case (`tcode_linear_and_vibrate_user_config.json`), cut to
    /// what selects the device: a BLE name, a configuration with a move axis [0, 100] and a
    /// vibrator [0, 99], and the device entry for address `COM7`.
    const CASE_USER_CONFIG: &str = r#"{
      "version": { "major": 4, "minor": 999 },
      "user_configs": {
        "protocols": { "tcode-v03": {
          "communication": [ { "btle": { "names": [ "tcode-v03-linear-vibrate" ],
            "services": { "0000eea0-0000-1000-8000-00805f9b34fb": {
              "tx": "0000ee01-0000-1000-8000-00805f9b34fb" } } } } ],
          "configurations": [ {
            "identifier": [ "tcode-v03-linear-vibrate" ],
            "name": "TCode v0.3 (Single Linear Axis + Single Vibe)",
            "id": "e4384a37-fd37-4b9e-8464-a510dd8410a7",
            "features": [
              { "index": 0, "description": "", "id": "c5e6384e-399b-4c2b-9791-eb48abaf3bf7",
                "output": { "hw_position_with_duration": { "value": [0, 100],
                                                           "duration": [0, 100000] } } },
              { "index": 1, "description": "", "id": "e4384a37-fd37-4b9e-8464-a510dd8410a7",
                "output": { "vibrate": { "value": [0, 99] } } } ] } ] } },
        "devices": [ {
          "identifier": { "protocol": "tcode-v03", "identifier": "tcode-v03-linear-vibrate",
                          "address": "COM7" },
          "config": { "id": "6d3f0643-1933-4df6-85ff-5675bf1a3dd4",
            "base_id": "e4384a37-fd37-4b9e-8464-a510dd8410a7",
            "features": [
              { "base_id": "c5e6384e-399b-4c2b-9791-eb48abaf3bf7",
                "id": "a9e532ff-f72f-4c2f-9ae6-02a6ddcb2d74" },
              { "description": "", "base_id": "e4384a37-fd37-4b9e-8464-a510dd8410a7",
                "id": "10deb5c9-9d44-4dab-abf3-500b7df51e9f" } ],
            "user_config": { "allow": false, "deny": false, "index": 0 } } } ] } }"#;

    fn case_device() -> Harness {
        let user = UserConfig::from_json(CASE_USER_CONFIG).expect("user config parses");
        let store = DeviceConfigStore::new(DeviceDatabase::builtin(), Some(user));
        let definition = store
            .definition(super::NAME, Some("tcode-v03-linear-vibrate"), "COM7")
            .expect("the user device entry applies");
        Harness::with_definition(definition)
    }

    fn lines(device: &mut Harness, outputs: &[(u32, OutputKind, i32, Option<u32>)]) -> Vec<String> {
        device
            .set_with_duration(outputs)
            .into_iter()
            .map(|command| match command {
                plugd_core::HardwareCommand::Write {
                    endpoint: Endpoint::Tx,
                    data,
                    write_with_response: false,
                } => String::from_utf8(data).expect("ASCII"),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn shared_case_move_vibrate_then_stop() {
        // test_tcode_linear_and_vibrate.yaml: 0.51 of 100 in 200 ms, vibrate 1.0 of 99, Stop.
        let mut device = case_device();
        assert_eq!(
            device.definition.name,
            "TCode v0.3 (Single Linear Axis + Single Vibe)"
        );
        assert_eq!(
            device.set_with_duration(&[(0, HwPositionWithDuration, 51, Some(200))]),
            vec![write(Endpoint::Tx, &[76, 48, 53, 49, 73, 50, 48, 48, 10])]
        );
        assert_eq!(
            device.set(&[(1, Vibrate, 99)]),
            vec![write(Endpoint::Tx, &[86, 49, 57, 57, 10])]
        );
        assert_eq!(
            device.stop(),
            vec![write(Endpoint::Tx, &[86, 49, 48, 48, 10])]
        );
    }

    #[test]
    fn moves_and_vibration_on_a_two_digit_device() {
        let mut device = case_device();
        let mut check = |outputs: &[(u32, OutputKind, i32, Option<u32>)], expected: &[&str]| {
            assert_eq!(lines(&mut device, outputs), expected, "{outputs:?}");
        };
        check(&[(0, HwPositionWithDuration, 0, Some(0))], &["L000I0\n"]);
        check(
            &[(0, HwPositionWithDuration, 5, Some(1500))],
            &["L005I1500\n"],
        );
        // The range end is written as the largest fraction, not as "100" (= 0.100).
        check(
            &[(0, HwPositionWithDuration, 100, Some(100))],
            &["L099I100\n"],
        );
        check(&[(1, Vibrate, 0, None)], &["V100\n"]);
        check(&[(1, Vibrate, 50, None)], &["V150\n"]);
        check(
            &[
                (0, HwPositionWithDuration, 20, Some(300)),
                (1, Vibrate, 1, None),
            ],
            &["L020I300\n", "V101\n"],
        );
    }

    #[test]
    fn the_database_axis_writes_three_digits() {
        let mut device = Harness::builtin(super::NAME, None);
        assert_eq!(device.definition.name, "TCode v0.3 (Single Linear Axis)");
        let mut check = |outputs: &[(u32, OutputKind, i32, Option<u32>)], expected: &[&str]| {
            assert_eq!(lines(&mut device, outputs), expected, "{outputs:?}");
        };
        check(
            &[(0, HwPositionWithDuration, 500, Some(250))],
            &["L0500I250\n"],
        );
        check(
            &[(0, HwPositionWithDuration, 50, Some(250))],
            &["L0050I250\n"],
        );
        check(
            &[(0, HwPositionWithDuration, 1000, Some(250))],
            &["L0999I250\n"],
        );
        check(&[(0, HwPositionWithDuration, 0, None)], &["L0000\n"]);
        check(&[(0, Position, 0, None)], &["L0000\nR0000\n"]);
        check(&[(0, Position, 7, None)], &["L0007\nR0007\n"]);
        check(&[(0, Position, 1000, None)], &["L0999\nR0999\n"]);
    }

    #[test]
    fn a_serial_port_named_in_the_user_config_selects_its_configuration() {
        use plugd_config::{DeviceIdentity, Transport};
        // device-config.md §3.1: the serial identifier is the port name.
        let user = UserConfig::from_json(
            r#"{ "version": { "major": 4, "minor": 0 }, "user_configs": { "protocols": {
              "tcode-v03": {
                "communication": [ { "serial": { "port": "/dev/ttyUSB0", "baud_rate": 115200,
                                     "data_bits": 8, "parity": "N", "stop_bits": 1 } } ],
                "configurations": [ { "identifier": ["/dev/ttyUSB0"], "name": "My Stroker",
                  "id": "b0000000-0000-4000-8000-000000000001",
                  "features": [ { "index": 0, "id": "b0000000-0000-4000-8000-0000000000a0",
                    "output": { "hw_position_with_duration": { "value": [0, 100],
                                                               "duration": [0, 100000] } } } ]
                } ] } } } }"#,
        )
        .expect("user config parses");
        let store = DeviceConfigStore::new(DeviceDatabase::builtin(), Some(user));
        let port = DeviceIdentity::named(Transport::Serial, "/dev/ttyUSB0", "/dev/ttyUSB0");
        let matched: Vec<String> = store
            .find_protocols(&port)
            .into_iter()
            .map(|found| found.protocol)
            .collect();
        assert_eq!(matched, [super::NAME]);
        let definition = store
            .definition(super::NAME, Some("/dev/ttyUSB0"), "/dev/ttyUSB0")
            .expect("the user configuration");
        assert_eq!(definition.name, "My Stroker");
        let mut device = Harness::with_definition(definition);
        assert_eq!(
            lines(&mut device, &[(0, HwPositionWithDuration, 75, Some(400))]),
            ["L075I400\n"]
        );
    }

    #[test]
    fn stop_leaves_the_database_axis_alone() {
        let mut device = Harness::builtin(super::NAME, None);
        assert_eq!(device.stop(), vec![]);
    }

    #[test]
    fn magnitudes_scale_any_range_into_fraction_digits() {
        use super::decimal_digits;
        assert_eq!(decimal_digits(0), 0);
        assert_eq!(decimal_digits(9), 1);
        assert_eq!(decimal_digits(99), 2);
        assert_eq!(decimal_digits(999), 3);
        // A 20-step vibrator: 2 digits, 10 of 20 is 0.50, 20 of 20 the largest fraction.
        let mut device = case_device();
        if let Some(output) = device
            .definition
            .features
            .get_mut(1)
            .and_then(|feature| feature.outputs.first_mut())
        {
            output.value = (0, 20);
        }
        assert_eq!(lines(&mut device, &[(1, Vibrate, 10, None)]), ["V150\n"]);
        assert_eq!(lines(&mut device, &[(1, Vibrate, 20, None)]), ["V199\n"]);
        assert_eq!(lines(&mut device, &[(1, Vibrate, 1, None)]), ["V105\n"]);
    }

    #[test]
    fn bad_values_ranges_and_kinds_are_errors() {
        let mut device = case_device();
        assert!(device.try_set(&[(1, Vibrate, -1)]).is_err());
        // No rotate output on this device, and rotation has no TCode line here.
        assert!(device.try_set(&[(1, Rotate, 1)]).is_err());
        assert!(device.try_set(&[(7, Vibrate, 1)]).is_err());
        let mut zero_range = case_device();
        if let Some(output) = zero_range
            .definition
            .features
            .get_mut(1)
            .and_then(|feature| feature.outputs.first_mut())
        {
            output.value = (0, 0);
        }
        assert!(zero_range.try_set(&[(1, Vibrate, 0)]).is_err());
    }

    #[test]
    fn feature_indexes_above_nine_have_no_channel() {
        let mut device = case_device();
        if let Some(feature) = device.definition.features.get_mut(1) {
            feature.index = plugd_core::FeatureIndex(10);
        }
        assert!(device.try_set(&[(10, Vibrate, 1)]).is_err());
    }
}

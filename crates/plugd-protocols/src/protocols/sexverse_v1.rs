//! Sexverse v1: the Sexverse (formerly metaXsire) Rex, Cali, Olis, BuCUE, Tadpole, Upton, Una and
//! the Cooxer Bullet Vibe, over a BLE serial service (`tx` to write; the `rx` endpoint exists but
//! nothing is read from it).
//!
//! **Wire format.** Every command is one packet holding *every* motor's current value, written to
//! `tx` without response:
//!
//! ```text
//! 23 07 <3 × motors> { 80|<motor number> <motor type> <value> }… <XOR of all previous bytes>
//! ```
//!
//! Motors are the device's vibrate, rotate, oscillate and constrict outputs in feature order,
//! numbered from 1. The motor type byte is `03` for a vibrator, `04` for a pump (constrict and
//! oscillate) and `06` for a rotator. Values are the database's 0–255 steps; an output never set
//! is sent as 0. Cali at half vibration: `23 07 06 81 03 80 82 04 00 a6`.
//!
//! **Differences from upstream.** Upstream keeps one atomic per output and picks the slot to
//! update by *feature index*; for every database device (one output per feature, indexes 0..n)
//! that is the same slot as the (feature, kind) used here. Rotation is written as its magnitude
//! (the database ranges are unsigned, so this only matters for hand-made definitions); values
//! that do not fit a byte are an error instead of being truncated.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/sexverse_v1.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_config::DeviceDefinition;
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "sexverse-v1";

/// The first two bytes of every packet.
const HEADER: [u8; 2] = [0x23, 0x07];
/// Set on every motor number byte.
const MOTOR_NUMBER_FLAG: u8 = 0x80;
/// Motor type bytes.
const VIBRATOR: u8 = 0x03;
const PUMP: u8 = 0x04;
const ROTATOR: u8 = 0x06;

/// The motor type byte of an output kind, `None` for kinds the protocol cannot drive.
fn motor_type(kind: OutputKind) -> Option<u8> {
    match kind {
        OutputKind::Vibrate => Some(VIBRATOR),
        OutputKind::Constrict | OutputKind::Oscillate => Some(PUMP),
        OutputKind::Rotate => Some(ROTATOR),
        _ => None,
    }
}

/// The motors of a device: (feature, kind, motor type) for every drivable output, in feature
/// order.
fn motors(definition: &DeviceDefinition) -> Vec<(FeatureIndex, OutputKind, u8)> {
    definition
        .features
        .iter()
        .flat_map(|feature| {
            feature.outputs.iter().filter_map(move |output| {
                motor_type(output.kind).map(|motor_type| (feature.index, output.kind, motor_type))
            })
        })
        .collect()
}

/// One packet with every motor's current value (see the module doc).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for a changed output of another kind than vibrate,
/// rotate, oscillate or constrict; [`ProtocolError::Definition`] when a changed output is not in
/// the definition, a value does not fit a byte, or the device has more motors than a packet can
/// number.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let definition = context.definition;
    for &(feature, kind) in context.changed {
        if motor_type(kind).is_none() {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        let present = definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !present {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
    }

    let motors = motors(definition);
    let too_many = || ProtocolError::Definition(format!("{} motors in one packet", motors.len()));
    let length = motors
        .len()
        .checked_mul(3)
        .and_then(|length| u8::try_from(length).ok())
        .ok_or_else(too_many)?;
    let mut packet = Vec::with_capacity(motors.len() * 3 + 4);
    packet.extend_from_slice(&HEADER);
    packet.push(length);
    for (position, &(feature, kind, motor_type)) in motors.iter().enumerate() {
        let number = u8::try_from(position + 1)
            .ok()
            .filter(|number| *number < MOTOR_NUMBER_FLAG)
            .ok_or_else(too_many)?;
        let value = context.value(feature, kind).unsigned_abs();
        let value = u8::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!("{kind} value {value} does not fit a byte"))
        })?;
        packet.extend_from_slice(&[MOTOR_NUMBER_FLAG | number, motor_type, value]);
    }
    let checksum = packet.iter().fold(0, |sum, byte| sum ^ byte);
    packet.push(checksum);
    Ok(vec![HardwareCommand::write(Endpoint::Tx, packet)])
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, HardwareCommand, OutputKind};
    use OutputKind::{Constrict, Oscillate, Rotate, Vibrate};

    fn packet(bytes: &[u8]) -> Vec<HardwareCommand> {
        vec![write(Endpoint::Tx, bytes)]
    }

    #[test]
    fn rex_writes_its_one_vibrator_off_middle_and_full() {
        let mut rex = Harness::builtin(super::NAME, Some("Rex"));
        assert_eq!(
            rex.set(&[(0, Vibrate, 128)]),
            packet(&[0x23, 0x07, 0x03, 0x81, 0x03, 0x80, 0x25])
        );
        assert_eq!(
            rex.set(&[(0, Vibrate, 192)]),
            packet(&[0x23, 0x07, 0x03, 0x81, 0x03, 0xc0, 0x65])
        );
        assert_eq!(
            rex.set(&[(0, Vibrate, 255)]),
            packet(&[0x23, 0x07, 0x03, 0x81, 0x03, 0xff, 0x5a])
        );
        assert_eq!(
            rex.stop(),
            packet(&[0x23, 0x07, 0x03, 0x81, 0x03, 0x00, 0xa5])
        );
    }

    #[test]
    fn cali_packs_vibrator_and_pump_into_one_packet_as_in_its_case() {
        let mut cali = Harness::builtin(super::NAME, Some("Cali"));
        assert_eq!(
            cali.set(&[(0, Vibrate, 128)]),
            packet(&[0x23, 0x07, 0x06, 0x81, 0x03, 0x80, 0x82, 0x04, 0x00, 0xa6])
        );
        assert_eq!(
            cali.set(&[(0, Vibrate, 192), (1, Constrict, 128)]),
            packet(&[0x23, 0x07, 0x06, 0x81, 0x03, 0xc0, 0x82, 0x04, 0x80, 0x66])
        );
        assert_eq!(
            cali.set(&[(0, Vibrate, 0)]),
            packet(&[0x23, 0x07, 0x06, 0x81, 0x03, 0x00, 0x82, 0x04, 0x80, 0xa6])
        );
        assert_eq!(
            cali.set(&[(1, Constrict, 0)]),
            packet(&[0x23, 0x07, 0x06, 0x81, 0x03, 0x00, 0x82, 0x04, 0x00, 0x26])
        );
    }

    #[test]
    fn olis_writes_two_vibrators_and_a_rotator_as_in_its_case() {
        let mut olis = Harness::builtin(super::NAME, Some("Olis"));
        assert_eq!(
            olis.set(&[(0, Vibrate, 128)]),
            packet(&[0x23, 0x07, 0x09, 0x81, 0x03, 0x80, 0x82, 0x03, 0x00, 0x83, 0x06, 0x00, 0x2b])
        );
        assert_eq!(
            olis.set(&[(0, Vibrate, 192), (1, Vibrate, 128)]),
            packet(&[0x23, 0x07, 0x09, 0x81, 0x03, 0xc0, 0x82, 0x03, 0x80, 0x83, 0x06, 0x00, 0xeb])
        );
        assert_eq!(
            olis.set(&[(0, Vibrate, 0), (1, Vibrate, 0), (2, Rotate, 128)]),
            packet(&[0x23, 0x07, 0x09, 0x81, 0x03, 0x00, 0x82, 0x03, 0x00, 0x83, 0x06, 0x80, 0x2b])
        );
        assert_eq!(
            olis.stop(),
            packet(&[0x23, 0x07, 0x09, 0x81, 0x03, 0x00, 0x82, 0x03, 0x00, 0x83, 0x06, 0x00, 0xab])
        );
    }

    #[test]
    fn bucue_writes_its_oscillator_as_a_pump_before_the_vibrator() {
        let mut bucue = Harness::builtin(super::NAME, Some("LY213A01"));
        assert_eq!(
            bucue.set(&[(0, Oscillate, 255), (1, Vibrate, 1)]),
            packet(&[0x23, 0x07, 0x06, 0x81, 0x04, 0xff, 0x82, 0x03, 0x01, 0xd8])
        );
    }

    #[test]
    fn unknown_names_get_the_one_vibrator_default() {
        let mut unknown = Harness::builtin(super::NAME, None);
        assert_eq!(
            unknown.set(&[(0, Vibrate, 1)]),
            packet(&[0x23, 0x07, 0x03, 0x81, 0x03, 0x01, 0xa4])
        );
    }

    #[test]
    fn outputs_the_device_lacks_are_errors_not_bytes() {
        let mut rex = Harness::builtin(super::NAME, Some("Rex"));
        assert!(matches!(
            rex.try_set(&[(1, Vibrate, 10)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            rex.try_set(&[(0, OutputKind::Temperature, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
    }

    #[test]
    fn values_beyond_a_byte_are_errors() {
        let mut rex = Harness::builtin(super::NAME, Some("Rex"));
        assert!(matches!(
            rex.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

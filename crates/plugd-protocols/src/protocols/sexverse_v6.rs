//! sexverse-v6: Sexverse Aether (`A06K01C`: a vibrator and a thruster) and Sirius (`A14M01C`:
//! vibrator, thruster and suction), v5 database; every output 0–100.
//!
//! **Wire format.** One six-byte packet to `tx` (`aa02` of service `ffaa`), without response,
//! carrying every motor: `aa 03 03 <vibrate> <oscillate> <constrict>`. A motor the model lacks
//! (the Aether's suction) is always 0. The slots are chosen by output kind, not feature index.
//! Stop is the packet with every slot 0.
//!
//! **Packing.** Upstream keeps the three speeds in atomics and tags every packet with one fixed
//! command id, so its message gap keeps only the newest packet of a multi-motor command; plugd
//! gets every motor changed by one client frame in one encode call and writes one packet with
//! all current values.
//!
//! ref: `src/device/protocol_impl/sexverse_v6.rs` of the `buttplug_server` 12 crate.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "sexverse-v6";

/// The packet's first three bytes.
const HEADER: [u8; 3] = [0xAA, 0x03, 0x03];

/// The kinds of the packet's three slots, in packet order.
const SLOTS: [OutputKind; 3] = [
    OutputKind::Vibrate,
    OutputKind::Oscillate,
    OutputKind::Constrict,
];

/// One packet with every motor's current value.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds without a slot; [`ProtocolError::Definition`]
/// for a changed output the definition lacks or a value beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if !SLOTS.contains(&kind) {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        if context
            .definition
            .feature(feature)
            .and_then(|found| found.output(kind))
            .is_none()
        {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
    }
    let mut packet = HEADER.to_vec();
    for kind in SLOTS {
        let value = context
            .definition
            .features
            .iter()
            .find(|feature| feature.output(kind).is_some())
            .map(|feature| context.value(feature.index, kind))
            .unwrap_or(0);
        packet.push(u8::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!("{kind} value {value} does not fit in a byte"))
        })?);
    }
    Ok(vec![HardwareCommand::write(Endpoint::Tx, packet)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Constrict, Oscillate, Rotate, Vibrate};

    fn packet(vibrate: u8, oscillate: u8, constrict: u8) -> HardwareCommand {
        write(
            Endpoint::Tx,
            &[0xAA, 0x03, 0x03, vibrate, oscillate, constrict],
        )
    }

    fn sirius() -> Harness {
        Harness::builtin(NAME, Some("A14M01C"))
    }

    #[test]
    fn each_output_fills_its_slot_and_keeps_the_others() {
        let mut device = sirius();
        assert_eq!(device.definition.name, "Sexverse Sirius");
        assert_eq!(device.set(&[(0, Vibrate, 50)]), vec![packet(50, 0, 0)]);
        assert_eq!(device.set(&[(1, Oscillate, 100)]), vec![packet(50, 100, 0)]);
        assert_eq!(device.set(&[(2, Constrict, 1)]), vec![packet(50, 100, 1)]);
        assert_eq!(device.set(&[(0, Vibrate, 0)]), vec![packet(0, 100, 1)]);
        assert_eq!(
            device.set(&[(2, Constrict, 100)]),
            vec![packet(0, 100, 100)]
        );
    }

    #[test]
    fn several_motors_in_one_command_make_one_packet() {
        let mut device = sirius();
        assert_eq!(
            device.set(&[(0, Vibrate, 20), (1, Oscillate, 30), (2, Constrict, 40)]),
            vec![packet(20, 30, 40)]
        );
    }

    #[test]
    fn stop_writes_one_packet_of_zeros() {
        let mut device = sirius();
        device.set(&[(0, Vibrate, 20), (1, Oscillate, 30), (2, Constrict, 40)]);
        assert_eq!(device.stop(), vec![packet(0, 0, 0)]);
    }

    #[test]
    fn the_aether_has_no_suction_so_its_slot_stays_zero() {
        let mut device = Harness::builtin(NAME, Some("A06K01C"));
        assert_eq!(device.definition.name, "Sexverse Aether");
        assert_eq!(
            device.set(&[(0, Vibrate, 100), (1, Oscillate, 60)]),
            vec![packet(100, 60, 0)]
        );
        assert_eq!(device.stop(), vec![packet(0, 0, 0)]);
        assert!(matches!(
            device.try_set(&[(2, Constrict, 5)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn kinds_without_a_slot_and_oversized_values_are_errors() {
        let mut device = sirius();
        assert_eq!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Magic Motion, second generation (Eidolon, Awaken, Equinox, Solstice, Zenith, FunTown Jive):
//! up to two motors and a standard BLE battery.
//!
//! **Wire format.** One 17-byte packet on `tx`, without response, holding both motors:
//! `10 ff 04 0a 32 0a 00 04 08 <m0> 64 00 04 08 <m1> 64 01`, slot `n` = the output of feature
//! index `n` (speed 0–100; a one-motor toy leaves `m1` at 0). Every write carries both current
//! speeds; one command changing both motors is one packet. The battery is the standard
//! `rxblebattery` characteristic, read by the Device's default (first byte = percentage).
//!
//! **Difference from upstream.** The FunTown Jive (`CBT001`) declares an oscillate output on
//! feature 1, which upstream has no handler for (device-config.md §1.8: a panic in debug
//! builds, an error in release). plugd puts it in slot 1 like a second vibrator: the packet
//! drives the toy's second motor whatever that motor does.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/magic_motion_v2.rs` of
//! buttplugio/buttplug; cases `test_magic_motion_2_equinox.yaml`,
//! `test_magic_motion_2_eidolon.yaml` (not run upstream).

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "magic-motion-2";

/// Motor slots in the packet: feature indices 0 and 1.
const SLOTS: usize = 2;

/// One packet with both motors' current speeds.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition, sits on a
/// feature index above 1, or a speed does not fit in a byte;
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and oscillate.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let [first, second] = slots(context, NAME)?;
    Ok(vec![HardwareCommand::write(
        Endpoint::Tx,
        [
            0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, first, 0x64, 0x00, 0x04, 0x08,
            second, 0x64, 0x01,
        ],
    )])
}

/// The two motor slots of the second- and fourth-generation packets: slot `n` holds the current
/// speed of the vibrate or oscillate output on feature index `n`, 0 if none. Checks the changed
/// outputs first.
pub(crate) fn slots(
    context: &EncodeContext<'_>,
    protocol: &'static str,
) -> Result<[u8; SLOTS], ProtocolError> {
    for &(feature, kind) in context.changed {
        let present = context
            .definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !present {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
        if !matches!(kind, OutputKind::Vibrate | OutputKind::Oscillate) {
            return Err(ProtocolError::UnsupportedOutput { protocol, kind });
        }
        if usize::try_from(feature.0).map_or(true, |index| index >= SLOTS) {
            return Err(ProtocolError::Definition(format!(
                "{kind} on feature {feature}: the packet has motor slots for features 0 and 1"
            )));
        }
    }
    let mut slots = [0_u8; SLOTS];
    for (index, slot) in (0_u32..).zip(slots.iter_mut()) {
        let feature = plugd_core::FeatureIndex(index);
        let value = [OutputKind::Vibrate, OutputKind::Oscillate]
            .into_iter()
            .find(|kind| {
                context
                    .definition
                    .feature(feature)
                    .is_some_and(|found| found.output(*kind).is_some())
            })
            .map_or(0, |kind| context.value(feature, kind));
        *slot = u8::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
        })?;
    }
    Ok(slots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn packet(first: u8, second: u8) -> HardwareCommand {
        write(
            Endpoint::Tx,
            &[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, first, 0x64, 0x00, 0x04,
                0x08, second, 0x64, 0x01,
            ],
        )
    }

    #[test]
    fn equinox_drives_slot_0_and_leaves_slot_1_at_zero() {
        // test_magic_motion_2_equinox.yaml: 0.5, 0.75, stop.
        let mut device = Harness::builtin(NAME, Some("Sword"));
        assert_eq!(device.definition.name, "MagicMotion Equinox");
        assert_eq!(device.set(&[(0, Vibrate, 50)]), vec![packet(0x32, 0)]);
        assert_eq!(device.set(&[(0, Vibrate, 75)]), vec![packet(0x4b, 0)]);
        assert_eq!(device.stop(), vec![packet(0, 0)]);
    }

    #[test]
    fn eidolon_packs_both_vibrators() {
        // test_magic_motion_2_eidolon.yaml: (50, 25), (75, 50), (0, 50), stop.
        let mut device = Harness::builtin(NAME, Some("Eidolon"));
        assert_eq!(device.definition.name, "MagicMotion Eidolon");
        assert_eq!(
            device.set(&[(0, Vibrate, 50), (1, Vibrate, 25)]),
            vec![packet(0x32, 0x19)]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 75), (1, Vibrate, 50)]),
            vec![packet(0x4b, 0x32)]
        );
        assert_eq!(device.set(&[(0, Vibrate, 0)]), vec![packet(0, 0x32)]);
        assert_eq!(device.stop(), vec![packet(0, 0)]);
        assert_eq!(device.set(&[(1, Vibrate, 100)]), vec![packet(0, 100)]);
    }

    #[test]
    fn jive_oscillator_takes_slot_1() {
        let mut device = Harness::builtin(NAME, Some("CBT001"));
        assert_eq!(device.definition.name, "FunTown Jive");
        assert_eq!(
            device.set(&[(0, Vibrate, 10), (1, Oscillate, 90)]),
            vec![packet(10, 90)]
        );
        assert_eq!(device.stop(), vec![packet(0, 0)]);
    }

    #[test]
    fn output_missing_or_too_large_is_a_definition_error() {
        let mut device = Harness::builtin(NAME, Some("Sword"));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Svakom family: what the `svakom-*` protocols share. Not a protocol of its own (no database
//! key): byte helpers used by the per-key modules `svakom_v1` … `svakom_v6`, `svakom_pulse`,
//! `svakom_sam`, `svakom_sam2`, `svakom_alex`, `svakom_alex_v2`, `svakom_avaneo`,
//! `svakom_barnard`, `svakom_barney`, `svakom_dice`, `svakom_dt250a`, `svakom_iker`,
//! `svakom_jordan`, `svakom_suitcase` and `svakom_tarax`.
//!
//! Svakom toys (and the Fantasy Cup, ToyCod, BeYourLover, Coleur Dor, Momonii models built on
//! the same boards) take short fixed-length frames on a BLE characteristic (`tx`, `ffe1` of
//! service `ffe0`). Almost every frame starts with `0x55`, then a command byte (`0x03`
//! vibrate, `0x07` a second vibrator, `0x08` rotate or oscillate, `0x09` a second motor or
//! suction, `0x06` a vibrator's pattern), a mode byte, `0x00`, and one or two value bytes:
//! often an on/off flag before the speed. Upstream keeps one Rust file per wire variant
//! (ref: `crates/buttplug_server/src/device/protocol_impl/svakom/`); plugd mirrors that, one
//! module per database key, each a pure function of the output values.
//!
//! Upstream declares `HardwareRequiredRepeatLastPacketStrategy` for all of them, which repeats
//! the last packet only where the transport demands keepalives (iOS); plugd registers no
//! keepalive for these keys, as for Lovense.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{FeatureIndex, OutputKind};

/// The first byte of almost every Svakom frame.
pub(crate) const HEADER: u8 = 0x55;

/// Checks that every changed output is declared by the definition and is of a kind the
/// protocol encodes, before anything is built (so a bad command writes nothing).
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition;
/// [`ProtocolError::UnsupportedOutput`] when the protocol has no frame for its kind.
pub(crate) fn check_changed(
    context: &EncodeContext<'_>,
    protocol: &'static str,
    kinds: &[OutputKind],
) -> Result<(), ProtocolError> {
    for &(feature, kind) in context.changed {
        let declared = context
            .definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !declared {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
        if !kinds.contains(&kind) {
            return Err(ProtocolError::UnsupportedOutput { protocol, kind });
        }
    }
    Ok(())
}

/// The current device value of an output as one byte (0 when never set).
///
/// # Errors
/// [`ProtocolError::Definition`] when the value is negative or above 255: the definition's
/// range does not fit these one-byte frames.
pub(crate) fn byte(
    context: &EncodeContext<'_>,
    feature: FeatureIndex,
    kind: OutputKind,
) -> Result<u8, ProtocolError> {
    let value = context.value(feature, kind);
    u8::try_from(value).map_err(|_| {
        ProtocolError::Definition(format!(
            "feature {feature} {kind} value {value} does not fit in one byte"
        ))
    })
}

/// `value + offset` for the frames that carry a shifted speed (Pulse, Alex Neo 2).
///
/// # Errors
/// [`ProtocolError::Definition`] when the sum passes 255.
pub(crate) fn shifted(
    value: u8,
    offset: u8,
    feature: FeatureIndex,
    kind: OutputKind,
) -> Result<u8, ProtocolError> {
    value.checked_add(offset).ok_or_else(|| {
        ProtocolError::Definition(format!(
            "feature {feature} {kind} value {value} + {offset} does not fit in one byte"
        ))
    })
}

/// The on/off flag many frames put next to the speed: 1 while running, 0 for stop.
pub(crate) fn running(value: u8) -> u8 {
    u8::from(value != 0)
}

/// The speeds of the two vibrators a dual-vibrator frame carries: features 0 and 1 (0 when
/// absent or never set).
///
/// # Errors
/// [`ProtocolError::Definition`] when a value does not fit a byte.
pub(crate) fn vibrator_pair(context: &EncodeContext<'_>) -> Result<(u8, u8), ProtocolError> {
    Ok((
        byte(context, FIRST_VIBRATOR, OutputKind::Vibrate)?,
        byte(context, SECOND_VIBRATOR, OutputKind::Vibrate)?,
    ))
}

/// Where the dual-vibrator frame's two motors sit.
pub(crate) const FIRST_VIBRATOR: FeatureIndex = FeatureIndex(0);
/// See [`FIRST_VIBRATOR`].
pub(crate) const SECOND_VIBRATOR: FeatureIndex = FeatureIndex(1);

/// Whether the definition has exactly one vibrator (the dual-vibrator frame then always uses
/// mode 0).
pub(crate) fn single_vibrator(context: &EncodeContext<'_>) -> bool {
    context.definition.outputs_of(OutputKind::Vibrate).count() == 1
}

/// The error for a vibrator at a feature index the protocol's frames have no slot for
/// (upstream indexes a fixed array with the feature index and would panic or ignore it).
pub(crate) fn no_slot(protocol: &'static str, feature: FeatureIndex) -> ProtocolError {
    ProtocolError::Definition(format!(
        "{protocol} has no frame for a vibrator at feature {feature}"
    ))
}

/// The two-vibrator frame of `svakom-v4`, `svakom-v5` and `svakom-v6` (six bytes; v4 and v6
/// append a `0x00`): `55 03 <mode> 00 <running> <max(first, second)>`. The mode picks the
/// motors: `00` both (also when both run at the same speed, both are stopped, or
/// `single_vibrator`), `01` the first only, `02` the second only. One speed drives whichever
/// motors the mode selects, so two different non-zero speeds both run at the larger one.
pub(crate) fn dual_vibrator_frame(first: u8, second: u8, single_vibrator: bool) -> [u8; 6] {
    let mode = if single_vibrator || (first > 0 && second > 0) || first == second {
        0x00
    } else if first > 0 {
        0x01
    } else {
        0x02
    };
    let running = u8::from(first != 0 || second != 0);
    [HEADER, 0x03, mode, 0x00, running, first.max(second)]
}

/// Test support: asserts that a Svakom key registers only an encoder — identification by
/// advertised name, no init, no input reader, no keepalive.
#[cfg(test)]
pub(crate) fn assert_encoder_only(name: &str) {
    let protocol = crate::find(name).unwrap_or_else(|| panic!("{name} is not registered"));
    assert!(
        protocol.identify_steps.is_none(),
        "{name} identifies by name"
    );
    assert!(
        protocol.resolve_identifier.is_none(),
        "{name} identifies by name"
    );
    assert!(
        protocol.switch_protocol.is_none(),
        "{name} keeps its devices"
    );
    assert!(protocol.initialize.is_none(), "{name} has no init");
    assert!(protocol.read_input.is_none(), "{name} reads no inputs");
    assert!(protocol.keepalive.is_none(), "{name} has no keepalive");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dual_vibrator_frame_selects_the_running_motor() {
        assert_eq!(
            dual_vibrator_frame(5, 0, false),
            [0x55, 0x03, 0x01, 0x00, 0x01, 0x05]
        );
        assert_eq!(
            dual_vibrator_frame(0, 10, false),
            [0x55, 0x03, 0x02, 0x00, 0x01, 0x0a]
        );
        assert_eq!(
            dual_vibrator_frame(1, 8, false),
            [0x55, 0x03, 0x00, 0x00, 0x01, 0x08]
        );
        assert_eq!(
            dual_vibrator_frame(0, 0, false),
            [0x55, 0x03, 0x00, 0x00, 0x00, 0x00]
        );
    }

    #[test]
    fn dual_vibrator_frame_always_uses_mode_zero_for_a_single_vibrator() {
        assert_eq!(
            dual_vibrator_frame(5, 0, true),
            [0x55, 0x03, 0x00, 0x00, 0x01, 0x05]
        );
    }

    #[test]
    fn running_flag_is_zero_only_for_zero() {
        assert_eq!((running(0), running(1), running(255)), (0, 1, 1));
    }
}

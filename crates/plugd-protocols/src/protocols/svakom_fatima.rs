//! svakom-fatima: Svakom Fatima Pro (advertised as `SL278B`, v5 database) — vibration
//! (0–10), suction (constrict 0–10), thrusting (oscillate 0–7) and heat (temperature on/off).
//!
//! Wire: one frame per changed output on `tx` (`ffe1` of service `ffe0`), **without** response:
//!
//! | output | running | off |
//! |---|---|---|
//! | vibrate | `55 03 00 00 01 <intensity>` | `55 03 00 00 00 00` |
//! | constrict (suction) | `55 09 00 00 01 <intensity>` | `55 09 00 00 00 00` |
//! | oscillate (thrust) | `55 08 00 00 <pattern> ff` | `55 08 00 00 00 00` |
//! | temperature (heat) | `55 05 01 37 02 00 00` | `55 05 00 00 02 00 00` |
//!
//! Vibration and suction run the toy's steady mode (`01`) at the given intensity. Thrusting has
//! no continuous speed: the value picks one of the firmware's seven patterns. Heat is on/off
//! (the `01 37` of the on frame is fixed, as captured upstream). No init and no inputs:
//! upstream's notes say the app's handshake is not needed to drive the toy. Stop turns off all
//! four, heat included (the Device's stop covers temperature).
//!
//! Upstream declares `HardwareRequiredRepeatLastPacketStrategy`, which repeats the last packet
//! only where the transport demands keepalives (iOS); plugd registers no keepalive, as for the
//! rest of the Svakom family.
//!
//! ref: `src/device/protocol_impl/svakom/svakom_fatima.rs` of the `buttplug_server` 12 crate.

use crate::protocols::svakom::{byte, check_changed, HEADER};
use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "svakom-fatima";

/// Function byte: vibration.
const VIBRATE: u8 = 0x03;
/// Function byte: heat.
const HEAT: u8 = 0x05;
/// Function byte: thrusting.
const THRUST: u8 = 0x08;
/// Function byte: suction.
const SUCTION: u8 = 0x09;
/// The steady mode of vibration and suction.
const STEADY: u8 = 0x01;

/// One frame per changed output, in feature order, written without response.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not in the definition or its value
/// does not fit a byte; [`ProtocolError::UnsupportedOutput`] for kinds the toy lacks.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    check_changed(
        context,
        NAME,
        &[
            OutputKind::Vibrate,
            OutputKind::Constrict,
            OutputKind::Oscillate,
            OutputKind::Temperature,
        ],
    )?;
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let value = byte(context, feature, kind)?;
            let frame = match kind {
                OutputKind::Temperature => heat(value != 0),
                OutputKind::Oscillate => off_or(THRUST, [value, 0xFF], value),
                OutputKind::Constrict => off_or(SUCTION, [STEADY, value], value),
                _ => off_or(VIBRATE, [STEADY, value], value),
            };
            Ok(HardwareCommand::write(Endpoint::Tx, frame))
        })
        .collect()
}

/// `55 <function> 00 00 <tail>` while `value` is not 0, else `55 <function> 00 00 00 00`.
fn off_or(function: u8, tail: [u8; 2], value: u8) -> Vec<u8> {
    let tail = if value == 0 { [0x00, 0x00] } else { tail };
    vec![HEADER, function, 0x00, 0x00, tail[0], tail[1]]
}

/// The heat frame.
fn heat(on: bool) -> Vec<u8> {
    if on {
        vec![HEADER, HEAT, 0x01, 0x37, 0x02, 0x00, 0x00]
    } else {
        vec![HEADER, HEAT, 0x00, 0x00, 0x02, 0x00, 0x00]
    }
}

#[cfg(test)]
mod tests {
    use super::NAME;
    use crate::protocols::svakom::assert_encoder_only;
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, HardwareCommand, OutputKind};
    use OutputKind::{Constrict, Oscillate, Rotate, Temperature, Vibrate};

    fn fatima() -> Harness {
        Harness::builtin(NAME, Some("SL278B"))
    }

    fn tx(bytes: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, bytes)
    }

    #[test]
    fn the_advertised_name_selects_the_fatima_pro_and_nothing_else_is_registered() {
        assert_eq!(fatima().definition.name, "Svakom Fatima Pro");
        assert_encoder_only(NAME);
    }

    #[test]
    fn vibration_runs_steady_at_the_intensity_and_zero_turns_it_off() {
        let mut device = fatima();
        for (value, expected) in [
            (1, [0x55, 0x03, 0x00, 0x00, 0x01, 0x01]),
            (5, [0x55, 0x03, 0x00, 0x00, 0x01, 0x05]),
            (10, [0x55, 0x03, 0x00, 0x00, 0x01, 0x0A]),
            (0, [0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(device.set(&[(0, Vibrate, value)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn suction_runs_steady_at_the_intensity_and_zero_turns_it_off() {
        let mut device = fatima();
        for (value, expected) in [
            (5, [0x55, 0x09, 0x00, 0x00, 0x01, 0x05]),
            (10, [0x55, 0x09, 0x00, 0x00, 0x01, 0x0A]),
            (0, [0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(device.set(&[(1, Constrict, value)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn thrusting_picks_a_pattern_and_zero_turns_it_off() {
        let mut device = fatima();
        for (value, expected) in [
            (1, [0x55, 0x08, 0x00, 0x00, 0x01, 0xFF]),
            (4, [0x55, 0x08, 0x00, 0x00, 0x04, 0xFF]),
            (7, [0x55, 0x08, 0x00, 0x00, 0x07, 0xFF]),
            (0, [0x55, 0x08, 0x00, 0x00, 0x00, 0x00]),
        ] {
            assert_eq!(device.set(&[(2, Oscillate, value)]), vec![tx(&expected)]);
        }
    }

    #[test]
    fn heat_is_on_or_off() {
        let mut device = fatima();
        assert_eq!(
            device.set(&[(3, Temperature, 1)]),
            vec![tx(&[0x55, 0x05, 0x01, 0x37, 0x02, 0x00, 0x00])]
        );
        assert_eq!(
            device.set(&[(3, Temperature, 0)]),
            vec![tx(&[0x55, 0x05, 0x00, 0x00, 0x02, 0x00, 0x00])]
        );
    }

    #[test]
    fn several_outputs_write_one_frame_each_in_feature_order_and_stop_turns_all_off() {
        let mut device = fatima();
        assert_eq!(
            device.set(&[
                (3, Temperature, 1),
                (0, Vibrate, 3),
                (2, Oscillate, 2),
                (1, Constrict, 6)
            ]),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x03]),
                tx(&[0x55, 0x09, 0x00, 0x00, 0x01, 0x06]),
                tx(&[0x55, 0x08, 0x00, 0x00, 0x02, 0xFF]),
                tx(&[0x55, 0x05, 0x01, 0x37, 0x02, 0x00, 0x00]),
            ]
        );
        assert_eq!(
            device.stop(),
            vec![
                tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x05, 0x00, 0x00, 0x02, 0x00, 0x00]),
            ]
        );
    }

    #[test]
    fn upstream_case_bytes() {
        // test_svakom_fatima.yaml (upstream, after 12.0): vibrate 1.0 → 10, vibrate 0,
        // constrict 1.0 → 10, oscillate 1.0 → 7, temperature 1.0 then 0.0.
        let mut device = fatima();
        assert_eq!(
            device.set(&[(0, Vibrate, 10)]),
            vec![tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x0A])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 0)]),
            vec![tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00])]
        );
        assert_eq!(
            device.set(&[(1, Constrict, 10)]),
            vec![tx(&[0x55, 0x09, 0x00, 0x00, 0x01, 0x0A])]
        );
        assert_eq!(
            device.set(&[(2, Oscillate, 7)]),
            vec![tx(&[0x55, 0x08, 0x00, 0x00, 0x07, 0xFF])]
        );
        assert_eq!(
            device.set(&[(3, Temperature, 1)]),
            vec![tx(&[0x55, 0x05, 0x01, 0x37, 0x02, 0x00, 0x00])]
        );
        assert_eq!(
            device.set(&[(3, Temperature, 0)]),
            vec![tx(&[0x55, 0x05, 0x00, 0x00, 0x02, 0x00, 0x00])]
        );
    }

    #[test]
    fn undeclared_outputs_other_kinds_and_oversized_values_are_errors() {
        let mut device = fatima();
        assert!(matches!(
            device.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(4, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(device.try_set(&[(0, Rotate, 1)]).is_err());
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 300)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! vorze-cyclone-x: Vorze Cyclone X10 and its USB controller (HID, VID `0483`, PID `5750`) —
//! one rotator, 10 speeds each way (the database's signed range −10…10; negative =
//! counter-clockwise).
//!
//! Upstream's Rust server has no encoder for this entry; the bytes here are those of the C#
//! server that supported it (`CycloneX10Protocol.cs`, buttplug-csharp, removed in 7c353fe).
//!
//! **What goes where.** The HID DCM writes each `tx` payload as one HID output report with
//! hidapi's convention: byte 0 is the report ID (`00`, the controller has none), then the
//! report. Each command is one 16-byte payload, an ASCII-framed packet after the report ID:
//!
//! `00 3c 30 31 35 32 30 <30 + direction> <30 + speed> 30 30 01 02 03 68 3e`
//!
//! (`<01520` … `h>`), direction `0` clockwise / `1` counter-clockwise, speed 0–10 (10 is
//! `3a`, `:`). C#'s own comments put pause, speed and mode at other offsets and its author
//! flagged them as not matching the code; plugd follows the code, which is what the toy got.
//!
//! **Stop** is speed 0. C# keeps the last direction when stopping; plugd does the same from
//! the previous value (a stop after a counter-clockwise turn keeps direction `1`). No init, no
//! inputs, no keepalive.
//!
//! ref: buttplug-csharp `Buttplug/Devices/Protocols/CycloneX10Protocol.cs` (earlier
//! `Buttplug.Server.Managers.HidManager/Devices/CycloneX10.cs`).

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "vorze-cyclone-x";

/// ASCII `0`: direction and speed are digits added to it.
const DIGIT_ZERO: u8 = 0x30;
/// Where the direction and speed digits sit in the payload.
const DIRECTION_OFFSET: usize = 7;
const SPEED_OFFSET: usize = 8;
/// The highest speed the controller takes.
const MAX_SPEED: u32 = 10;
/// The payload with direction and speed digits at 0.
const TEMPLATE: [u8; 16] = [
    0x00, 0x3c, 0x30, 0x31, 0x35, 0x32, 0x30, 0x30, 0x30, 0x30, 0x30, 0x01, 0x02, 0x03, 0x68, 0x3e,
];

/// One packet per changed rotator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but rotate; [`ProtocolError::Definition`]
/// for a changed output the definition lacks or a speed beyond 10 either way.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if kind != OutputKind::Rotate {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind,
                });
            }
            let declared = context
                .definition
                .feature(feature)
                .is_some_and(|found| found.output(kind).is_some());
            if !declared {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} has no rotate output"
                )));
            }
            let value = context.value(feature, kind);
            let speed = value.unsigned_abs();
            if speed > MAX_SPEED {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} speed {value} is beyond ±{MAX_SPEED}"
                )));
            }
            let counter_clockwise =
                value < 0 || (value == 0 && context.previous_value(feature, kind).unwrap_or(0) < 0);
            let mut packet = TEMPLATE;
            packet[DIRECTION_OFFSET] = DIGIT_ZERO + u8::from(counter_clockwise);
            // speed ≤ 10, checked above.
            packet[SPEED_OFFSET] = DIGIT_ZERO + speed as u8;
            Ok(HardwareCommand::write(Endpoint::Tx, packet))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Rotate, Vibrate};

    fn packet(direction: u8, speed: u8) -> HardwareCommand {
        write(
            Endpoint::Tx,
            &[
                0x00, 0x3c, 0x30, 0x31, 0x35, 0x32, 0x30, direction, speed, 0x30, 0x30, 0x01, 0x02,
                0x03, 0x68, 0x3e,
            ],
        )
    }

    #[test]
    fn clockwise_and_counter_clockwise_at_middle_and_full_speed() {
        let mut cyclone = Harness::builtin(NAME, None);
        assert_eq!(cyclone.definition.name, "Vorze Cyclone X10 Device");
        for (value, direction, speed) in [
            (5, 0x30, 0x35),
            (10, 0x30, 0x3a),
            (-5, 0x31, 0x35),
            (-10, 0x31, 0x3a),
            (1, 0x30, 0x31),
        ] {
            assert_eq!(
                cyclone.set(&[(0, Rotate, value)]),
                vec![packet(direction, speed)],
                "value {value}"
            );
        }
    }

    #[test]
    fn stop_is_speed_zero_in_the_last_direction() {
        let mut cyclone = Harness::builtin(NAME, None);
        cyclone.set(&[(0, Rotate, -7)]);
        assert_eq!(cyclone.stop(), vec![packet(0x31, 0x30)]);
        cyclone.set(&[(0, Rotate, 7)]);
        assert_eq!(cyclone.stop(), vec![packet(0x30, 0x30)]);
    }

    #[test]
    fn a_first_stop_is_clockwise() {
        let mut cyclone = Harness::builtin(NAME, None);
        assert_eq!(cyclone.stop(), vec![packet(0x30, 0x30)]);
    }

    #[test]
    fn registers_only_an_encoder() {
        let protocol = crate::find(NAME).expect("registered");
        assert!(protocol.initialize.is_none());
        assert!(protocol.identify_steps.is_none());
        assert!(protocol.keepalive.is_none());
        assert!(protocol.read_input.is_none());
    }

    #[test]
    fn other_kinds_undeclared_features_and_speeds_beyond_ten_are_refused() {
        let mut cyclone = Harness::builtin(NAME, None);
        assert_eq!(
            cyclone.try_set(&[(0, Vibrate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Vibrate
            })
        );
        assert!(matches!(
            cyclone.try_set(&[(1, Rotate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            cyclone.try_set(&[(0, Rotate, 11)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            cyclone.try_set(&[(0, Rotate, i32::MIN)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! nintendo-joycon: Nintendo Joy-Con (L, R) and Pro Controller over HID — the rumble motor as
//! one vibrator (0–1000). The database entry exists in v4 only.
//!
//! **What goes where.** The HID DCM writes each `tx` payload as one HID output report with
//! hidapi's convention: byte 0 is the report ID, the rest is the report. Every report here is
//! 64 bytes:
//!
//! | bytes | rumble report | subcommand report |
//! |---|---|---|
//! | 0 | `10` (report ID: rumble only) | `01` (report ID: rumble + subcommand) |
//! | 1 | packet number | packet number |
//! | 2–5 | left rumble data | zeros (no rumble) |
//! | 6–9 | right rumble data | zeros |
//! | 10 | `00` | subcommand |
//! | 11… | zeros | subcommand data, then zeros |
//!
//! **Init:** one subcommand report, packet number 0, subcommand `48` (enable vibration) with
//! data `01`.
//!
//! **Rumble.** A speed `s` becomes the amplitude `s / 1000`; above 0.001 both motors rumble at
//! 200 Hz with that amplitude, otherwise they get the "stop" rumble (frequency and amplitude
//! 0). The four rumble bytes are the Joy-Con HD-rumble encoding as upstream computes it
//! (single-precision): `f = round(log2(freq / 10) · 32)`, high-band frequency
//! `hf = (f − 0x60) · 4`, low-band frequency `lf = f − 0x41 + 1` (both saturating at 0); the
//! amplitude code `a` is `round(log2(amp · 8.7) · 32)` above 0.23, `round(log2(amp · 17) ·
//! 16)` above 0.12, else `round((log2(amp) · 32 − 96) / (4 − 2 · amp))` (negative → 0);
//! `hf_amp = min(2a, 0x1fc)`, `lf_amp = min(a / 2 + 64, 0x7f)`; bytes
//! `[hf & ff, hf_amp + (hf >> 8), lf, lf_amp]`. Full speed is `a8 c8 4a 72`, stop is
//! `00 00 01 40`.
//!
//! **Differences from upstream.** (1) Upstream adds `lf_amp` shifted right by 8 to the third
//! byte, meaning its high byte (0 here, `lf_amp` ≤ `7f`), but shifts a `u8` with
//! `wrapping_shr(8)`, which shifts by 0 and adds `lf_amp` itself (full speed `a8 c8 bc 72`,
//! stop `00 00 41 40`), corrupting the low-band frequency; plugd writes `lf` alone as the
//! encoding intends. (2) Upstream's handler writes nothing itself: a task re-sends the
//! current rumble every 15 ms, forever, with packet number 1. plugd writes the rumble report at
//! once (packet number 1 too) and registers a 15 ms keepalive, so the Device repeats the last
//! report while nothing else is written and sends a stop right after connecting.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/nintendo_joycon.rs` of
//! buttplugio/buttplug; the HD-rumble encoding is dekuNukem's Nintendo Switch reverse
//! engineering notes (`rumble_data_table.md`), as used by joycon-rs.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "nintendo-joycon";

/// How often upstream re-sends the rumble: the Device repeats the last report this long after
/// the last write.
pub const KEEPALIVE: Duration = Duration::from_millis(15);

/// Every report's length, report ID included.
const REPORT_LENGTH: usize = 64;
/// Report ID of a rumble-only report.
const RUMBLE_REPORT: u8 = 0x10;
/// Report ID of a rumble-and-subcommand report.
const SUBCOMMAND_REPORT: u8 = 0x01;
/// The packet number of every rumble report (upstream's).
const RUMBLE_PACKET_NUMBER: u8 = 1;
/// Subcommand "enable vibration" and its argument.
const ENABLE_VIBRATION: u8 = 0x48;
const ENABLE: u8 = 0x01;
/// The device values of full amplitude.
const FULL_SCALE: f32 = 1000.0;
/// The rumble frequency upstream always uses (Hz).
const FREQUENCY: f32 = 200.0;
/// Amplitudes at or below this are sent as the stop rumble.
const SILENT: f32 = 0.001;
/// Upstream's amplitude ceiling (above about 1.0 the actuators risk damage; the database's
/// range never gets there).
const MAX_AMPLITUDE: f32 = 1.799;

/// Init: round 0 sends the "enable vibration" subcommand; then done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => {
            let mut report = [0_u8; REPORT_LENGTH];
            report[0] = SUBCOMMAND_REPORT;
            report[10] = ENABLE_VIBRATION;
            report[11] = ENABLE;
            InitRound::Steps(vec![InitStep::Send(HardwareCommand::write(
                Endpoint::Tx,
                report,
            ))])
        }
        _ => InitRound::Done,
    })
}

/// One rumble report for the vibrator's current speed, both motors alike.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate; [`ProtocolError::Definition`]
/// for a changed output the definition lacks or a speed outside 0–65535.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mut reports = Vec::with_capacity(1);
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Vibrate {
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
                "feature {feature} has no vibrate output"
            )));
        }
        let value = context.value(feature, kind);
        let speed = u16::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!("feature {feature} speed {value} out of range"))
        })?;
        reports.push(HardwareCommand::write(
            Endpoint::Tx,
            rumble_report(f32::from(speed) / FULL_SCALE),
        ));
    }
    Ok(reports)
}

/// The rumble-only report driving both motors at `amplitude` (see the module doc).
fn rumble_report(amplitude: f32) -> [u8; REPORT_LENGTH] {
    let rumble = if amplitude > SILENT {
        rumble_bytes(FREQUENCY, amplitude.min(MAX_AMPLITUDE))
    } else {
        rumble_bytes(0.0, 0.0)
    };
    let mut report = [0_u8; REPORT_LENGTH];
    report[0] = RUMBLE_REPORT;
    report[1] = RUMBLE_PACKET_NUMBER;
    report[2..6].copy_from_slice(&rumble);
    report[6..10].copy_from_slice(&rumble);
    report
}

/// The four HD-rumble bytes of one motor (see the module doc). Float-to-byte casts saturate,
/// so the stop rumble's `log2(0)` (−∞) gives 0, as upstream.
fn rumble_bytes(frequency: f32, amplitude: f32) -> [u8; 4] {
    let encoded_frequency = f32::round(f32::log2(frequency / 10.0) * 32.0) as u8;
    let high_frequency = u16::from(encoded_frequency).saturating_sub(0x60) * 4;
    let low_frequency = encoded_frequency.saturating_sub(0x41) + 1;
    let encoded_amplitude = if amplitude > 0.23 {
        f32::round(f32::log2(amplitude * 8.7) * 32.0) as u8
    } else if amplitude > 0.12 {
        f32::round(f32::log2(amplitude * 17.0) * 16.0) as u8
    } else {
        f32::round(((f32::log2(amplitude) * 32.0) - 96.0) / (4.0 - 2.0 * amplitude)) as u8
    };
    let high_amplitude = (u16::from(encoded_amplitude) * 2).min(0x1fc);
    let low_amplitude = (encoded_amplitude / 2 + 64).min(0x7f);
    [
        (high_frequency & 0xff) as u8,
        (high_amplitude + (high_frequency >> 8)) as u8,
        low_frequency,
        low_amplitude,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use crate::ProtocolSession;
    use OutputKind::{Oscillate, Vibrate};

    /// The 64-byte rumble report with these rumble bytes on both motors.
    fn rumble(bytes: [u8; 4]) -> HardwareCommand {
        let mut report = vec![0x10, 0x01];
        report.extend_from_slice(&bytes);
        report.extend_from_slice(&bytes);
        report.resize(64, 0);
        write(Endpoint::Tx, &report)
    }

    #[test]
    fn init_enables_vibration_with_subcommand_48() {
        let joycon = Harness::builtin(NAME, None);
        assert_eq!(joycon.definition.name, "Nintendo Joycon");
        let session = ProtocolSession::default();
        let context = |round| InitContext {
            definition: &joycon.definition,
            session: &session,
            replies: &[],
            round,
        };
        let mut report = vec![0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x01];
        report.resize(64, 0);
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![InitStep::Send(write(
                Endpoint::Tx,
                &report
            ))]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn speeds_become_200_hz_rumble_at_speed_over_1000() {
        let mut joycon = Harness::builtin(NAME, None);
        for (speed, bytes) in [
            (1000, [0xa8, 0xc8, 0x4a, 0x72]),
            (700, [0xa8, 0xa6, 0x4a, 0x69]),
            (500, [0xa8, 0x88, 0x4a, 0x62]),
            (200, [0xa8, 0x38, 0x4a, 0x4e]),
            (150, [0xa8, 0x2c, 0x4a, 0x4b]),
            // At or below 0.12 upstream's formula goes negative: amplitude code 0.
            (100, [0xa8, 0x00, 0x4a, 0x40]),
            (2, [0xa8, 0x00, 0x4a, 0x40]),
        ] {
            assert_eq!(
                joycon.set(&[(0, Vibrate, speed)]),
                vec![rumble(bytes)],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn zero_and_the_lowest_step_send_the_stop_rumble() {
        let mut joycon = Harness::builtin(NAME, None);
        joycon.set(&[(0, Vibrate, 500)]);
        assert_eq!(
            joycon.set(&[(0, Vibrate, 1)]),
            vec![rumble([0x00, 0x00, 0x01, 0x40])]
        );
        joycon.set(&[(0, Vibrate, 500)]);
        assert_eq!(joycon.stop(), vec![rumble([0x00, 0x00, 0x01, 0x40])]);
    }

    #[test]
    fn amplitudes_beyond_upstreams_ceiling_are_clamped() {
        // 1.799: amplitude code round(log2(1.799 · 8.7) · 32) = 127.
        let mut joycon = Harness::builtin(NAME, None);
        assert_eq!(
            joycon.set(&[(0, Vibrate, 5000)]),
            vec![rumble([0xa8, 0xfe, 0x4a, 0x7f])]
        );
    }

    #[test]
    fn registers_init_and_a_15_ms_keepalive() {
        let protocol = crate::find(NAME).expect("registered");
        assert!(protocol.initialize.is_some());
        assert_eq!(protocol.keepalive, Some(Duration::from_millis(15)));
        assert!(protocol.read_input.is_none());
    }

    #[test]
    fn other_kinds_undeclared_features_and_negative_speeds_are_refused() {
        let mut joycon = Harness::builtin(NAME, None);
        assert_eq!(
            joycon.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            joycon.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            joycon.try_set(&[(0, Vibrate, -1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

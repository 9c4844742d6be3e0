//! Sexverse v2: the Sexverse Nolan and HH010, Libo Miao and Duopeak Saphette, over one BLE
//! characteristic (`tx`), every write with response.
//!
//! **Init.** One write, `aa 04`, before the device is announced.
//!
//! **Wire format.** One packet per changed output, in feature order:
//! `aa 03 01 <feature index + 1> 64 <value>`, for vibrate and oscillate alike (the motor is
//! chosen by its feature index, not its kind). Values are the database's 0–20 steps: Nolan's
//! vibrator at half speed is `aa 03 01 01 64 0a`.
//!
//! **Differences from upstream.** None in the bytes; values that do not fit a byte are an error
//! instead of being truncated.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/sexverse_v2.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "sexverse-v2";

/// Written once while connecting.
const INIT: [u8; 2] = [0xaa, 0x04];
/// The bytes before the motor number.
const COMMAND_HEADER: [u8; 3] = [0xaa, 0x03, 0x01];
/// The byte between the motor number and the value.
const COMMAND_MARKER: u8 = 0x64;

/// Round 0 writes `aa 04` with response; then init is done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(match context.round {
        0 => InitRound::Steps(vec![InitStep::Send(HardwareCommand::write_with_response(
            Endpoint::Tx,
            INIT,
        ))]),
        _ => InitRound::Done,
    })
}

/// One `aa 03 01 <motor> 64 <value>` per changed vibrate or oscillate output.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for other kinds; [`ProtocolError::Definition`] when a
/// changed output is not in the definition or a number does not fit a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if !matches!(kind, OutputKind::Vibrate | OutputKind::Oscillate) {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind,
                });
            }
            let present = context
                .definition
                .feature(feature)
                .is_some_and(|found| found.output(kind).is_some());
            if !present {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} has no {kind} output"
                )));
            }
            let motor = feature
                .0
                .checked_add(1)
                .and_then(|motor| u8::try_from(motor).ok())
                .ok_or_else(|| {
                    ProtocolError::Definition(format!("feature {feature} has no motor number"))
                })?;
            let value = context.value(feature, kind);
            let value = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("{kind} value {value} does not fit a byte"))
            })?;
            let mut packet = COMMAND_HEADER.to_vec();
            packet.extend_from_slice(&[motor, COMMAND_MARKER, value]);
            Ok(HardwareCommand::write_with_response(Endpoint::Tx, packet))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::initialize;
    use crate::testing::{write_with_response, Harness};
    use crate::{InitContext, InitRound, InitStep, ProtocolError};
    use plugd_core::{Endpoint, OutputKind};
    use OutputKind::{Oscillate, Vibrate};

    #[test]
    fn init_writes_aa_04_with_response_once() {
        let nolan = Harness::builtin(super::NAME, Some("LY272A01"));
        let round = |round| {
            initialize(&InitContext {
                definition: &nolan.definition,
                session: &nolan.session,
                replies: &[],
                round,
            })
        };
        assert_eq!(
            round(0),
            Ok(InitRound::Steps(vec![InitStep::Send(write_with_response(
                Endpoint::Tx,
                &[0xaa, 0x04]
            ))]))
        );
        assert_eq!(round(1), Ok(InitRound::Done));
    }

    #[test]
    fn nolan_writes_one_packet_per_changed_motor_as_in_its_case() {
        // Unknown names fall back to the defaults, which are the Nolan.
        let mut nolan = Harness::builtin(super::NAME, None);
        assert_eq!(nolan.definition.name, "Sexverse Nolan");
        assert_eq!(
            nolan.set(&[(0, Vibrate, 10)]),
            vec![write_with_response(
                Endpoint::Tx,
                &[0xaa, 0x03, 0x01, 0x01, 0x64, 0x0a]
            )]
        );
        assert_eq!(
            nolan.set(&[(0, Vibrate, 15), (1, Oscillate, 10)]),
            vec![
                write_with_response(Endpoint::Tx, &[0xaa, 0x03, 0x01, 0x01, 0x64, 0x0f]),
                write_with_response(Endpoint::Tx, &[0xaa, 0x03, 0x01, 0x02, 0x64, 0x0a]),
            ]
        );
        assert_eq!(
            nolan.stop(),
            vec![
                write_with_response(Endpoint::Tx, &[0xaa, 0x03, 0x01, 0x01, 0x64, 0x00]),
                write_with_response(Endpoint::Tx, &[0xaa, 0x03, 0x01, 0x02, 0x64, 0x00]),
            ]
        );
    }

    #[test]
    fn saphette_numbers_motors_by_feature_whatever_their_kind() {
        let mut saphette = Harness::builtin(super::NAME, Some("NBQ-B619RX"));
        assert_eq!(
            saphette.set(&[(0, Oscillate, 20), (2, Vibrate, 1)]),
            vec![
                write_with_response(Endpoint::Tx, &[0xaa, 0x03, 0x01, 0x01, 0x64, 0x14]),
                write_with_response(Endpoint::Tx, &[0xaa, 0x03, 0x01, 0x03, 0x64, 0x01]),
            ]
        );
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut miao = Harness::builtin(super::NAME, Some("LB-W01"));
        assert!(matches!(
            miao.try_set(&[(0, OutputKind::Rotate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            miao.try_set(&[(0, Oscillate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

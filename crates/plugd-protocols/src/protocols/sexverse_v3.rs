//! Sexverse v3: the Sexverse Tay 1/6/9 and the dual-motor Zeus, over one BLE characteristic
//! (`tx`), every write with response.
//!
//! **Wire format.** One packet per changed output, in feature order:
//! `a1 04 <value> <feature index + 1>`. Values are the database's 0–20 steps (Tay at half speed:
//! `a1 04 0a 01`).
//!
//! **Keepalive.** The toys stop when the packets stop: the last packet is re-sent after 100 ms of
//! silence (the Device's keepalive, which also stops the device right after it connects).
//!
//! **Differences from upstream.**
//! - The Zeus (`TA-S001A`) declares an *oscillate* output, which upstream's encoder has no
//!   handler for (a panic in debug builds, an error in release; device-config.md §1.8). The
//!   commit that added the Zeus (metaXsire v3, January 2025) wrote every actuator the same way,
//!   `a1 04 <value> <motor>`; plugd follows it, so the Zeus's thruster works. Upstream's current
//!   encoder also accepts rotate, which no database device has; it is kept.
//! - Keepalive repeats the *last batch* written, as upstream's `RepeatLastPacketStrategy` does:
//!   when only the Zeus's second motor changed, only its packet is repeated. (The original
//!   metaXsire loop re-sent every running motor every 100 ms; that needs a Device keepalive that
//!   repeats the newest packet *per motor*.)
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/sexverse_v3.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "sexverse-v3";

/// How long the toy may go without a packet before the last one is repeated.
pub const KEEPALIVE: Duration = Duration::from_millis(100);

/// The bytes before the value.
const COMMAND_HEADER: [u8; 2] = [0xa1, 0x04];

/// One `a1 04 <value> <motor>` per changed vibrate, oscillate or rotate output.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for other kinds; [`ProtocolError::Definition`] when a
/// changed output is not in the definition or a number does not fit a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if !matches!(
                kind,
                OutputKind::Vibrate | OutputKind::Oscillate | OutputKind::Rotate
            ) {
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
            let value = context.value(feature, kind).unsigned_abs();
            let value = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("{kind} value {value} does not fit a byte"))
            })?;
            let mut packet = COMMAND_HEADER.to_vec();
            packet.extend_from_slice(&[value, motor]);
            Ok(HardwareCommand::write_with_response(Endpoint::Tx, packet))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::testing::{write_with_response, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind};
    use OutputKind::{Oscillate, Vibrate};

    #[test]
    fn tay_writes_off_middle_and_full_speed() {
        let mut tay = Harness::builtin(super::NAME, Some("TAY001"));
        assert_eq!(
            tay.set(&[(0, Vibrate, 10)]),
            vec![write_with_response(Endpoint::Tx, &[0xa1, 0x04, 0x0a, 0x01])]
        );
        assert_eq!(
            tay.set(&[(0, Vibrate, 20)]),
            vec![write_with_response(Endpoint::Tx, &[0xa1, 0x04, 0x14, 0x01])]
        );
        assert_eq!(
            tay.stop(),
            vec![write_with_response(Endpoint::Tx, &[0xa1, 0x04, 0x00, 0x01])]
        );
    }

    #[test]
    fn zeus_writes_its_thruster_as_motor_two() {
        let mut zeus = Harness::builtin(super::NAME, Some("TA-S001A"));
        assert_eq!(
            zeus.set(&[(0, Vibrate, 5), (1, Oscillate, 20)]),
            vec![
                write_with_response(Endpoint::Tx, &[0xa1, 0x04, 0x05, 0x01]),
                write_with_response(Endpoint::Tx, &[0xa1, 0x04, 0x14, 0x02]),
            ]
        );
        assert_eq!(
            zeus.stop(),
            vec![
                write_with_response(Endpoint::Tx, &[0xa1, 0x04, 0x00, 0x01]),
                write_with_response(Endpoint::Tx, &[0xa1, 0x04, 0x00, 0x02]),
            ]
        );
    }

    #[test]
    fn the_keepalive_is_100_ms() {
        let protocol = crate::find(super::NAME).expect("registered");
        assert_eq!(protocol.keepalive, Some(super::KEEPALIVE));
        assert_eq!(super::KEEPALIVE.as_millis(), 100);
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut tay = Harness::builtin(super::NAME, None);
        assert!(matches!(
            tay.try_set(&[(0, OutputKind::Constrict, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            tay.try_set(&[(1, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

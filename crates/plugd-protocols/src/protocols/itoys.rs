//! iToys (Seagull, Twinkling Stars) and the Defyeah ASFO16 sex machine: 6-byte packets on `tx`,
//! without response, one per output kind:
//!
//! | output | packet |
//! |---|---|
//! | vibrate (0–3) | `a0 01 00 00 <speed> ff` |
//! | oscillate (0–255) | `a0 06 <on> 00 <on> <speed>`, `on` = `01`, or `00` when the speed is 0 |
//!
//! Neither packet names a motor: every model has at most one output of each kind. Stateless: one
//! write per changed output, in feature order. Same bytes as upstream.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/itoys.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "itoys";

/// One packet per changed output (see the module table).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate and oscillate;
/// [`ProtocolError::Definition`] for a speed that does not fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            let value = context.value(feature, kind);
            let speed = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
            })?;
            let packet = match kind {
                OutputKind::Vibrate => vec![0xa0, 0x01, 0x00, 0x00, speed, 0xff],
                OutputKind::Oscillate => {
                    let on = u8::from(speed != 0);
                    vec![0xa0, 0x06, on, 0x00, on, speed]
                }
                other => {
                    return Err(ProtocolError::UnsupportedOutput {
                        protocol: NAME,
                        kind: other,
                    })
                }
            };
            Ok(HardwareCommand::write(Endpoint::Tx, packet))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, Harness};
    use OutputKind::{Oscillate, Rotate, Vibrate};

    #[test]
    fn vibrate_puts_the_speed_before_ff() {
        let mut seagull = Harness::builtin(NAME, Some("26-021-B"));
        for speed in [0, 2, 3] {
            assert_eq!(
                seagull.set(&[(0, Vibrate, speed)]),
                vec![write(
                    Endpoint::Tx,
                    &[0xa0, 0x01, 0x00, 0x00, speed as u8, 0xff]
                )],
                "{speed}"
            );
        }
    }

    #[test]
    fn shared_case_itoys_protocol_bytes() {
        // test_itoys_protocol.yaml: 0.5 of 3 → 2, 0.1 → 1, stop.
        let mut seagull = Harness::builtin(NAME, Some("26-021-B"));
        assert_eq!(
            seagull.set(&[(0, Vibrate, 2)]),
            vec![write(Endpoint::Tx, &[0xa0, 0x01, 0x00, 0x00, 0x02, 0xff])]
        );
        assert_eq!(
            seagull.set(&[(0, Vibrate, 1)]),
            vec![write(Endpoint::Tx, &[0xa0, 0x01, 0x00, 0x00, 0x01, 0xff])]
        );
        assert_eq!(
            seagull.stop(),
            vec![write(Endpoint::Tx, &[0xa0, 0x01, 0x00, 0x00, 0x00, 0xff])]
        );
    }

    #[test]
    fn oscillate_switches_on_with_a_speed_and_off_at_zero() {
        let mut machine = Harness::builtin(NAME, Some("ASF-001-BT-R"));
        assert_eq!(
            machine.set(&[(0, Oscillate, 128)]),
            vec![write(Endpoint::Tx, &[0xa0, 0x06, 0x01, 0x00, 0x01, 0x80])]
        );
        assert_eq!(
            machine.set(&[(0, Oscillate, 255)]),
            vec![write(Endpoint::Tx, &[0xa0, 0x06, 0x01, 0x00, 0x01, 0xff])]
        );
        assert_eq!(
            machine.stop(),
            vec![write(Endpoint::Tx, &[0xa0, 0x06, 0x00, 0x00, 0x00, 0x00])]
        );
    }

    #[test]
    fn upstream_case_itoys_twinklingstars_bytes() {
        // Upstream test_itoys_twinklingstars.yaml: vibrate 2, 1; oscillate 0.9 of 255 → 230;
        // stop writes both outputs in feature order.
        let mut stars = Harness::builtin(NAME, Some("SML-2310-SZ-B"));
        assert_eq!(
            stars.set(&[(0, Vibrate, 2)]),
            vec![write(Endpoint::Tx, &[0xa0, 0x01, 0x00, 0x00, 0x02, 0xff])]
        );
        assert_eq!(
            stars.set(&[(0, Vibrate, 1)]),
            vec![write(Endpoint::Tx, &[0xa0, 0x01, 0x00, 0x00, 0x01, 0xff])]
        );
        assert_eq!(
            stars.set(&[(1, Oscillate, 230)]),
            vec![write(Endpoint::Tx, &[0xa0, 0x06, 0x01, 0x00, 0x01, 0xe6])]
        );
        assert_eq!(
            stars.stop(),
            vec![
                write(Endpoint::Tx, &[0xa0, 0x01, 0x00, 0x00, 0x00, 0xff]),
                write(Endpoint::Tx, &[0xa0, 0x06, 0x00, 0x00, 0x00, 0x00])
            ]
        );
    }

    #[test]
    fn both_outputs_at_once_give_two_packets() {
        let mut stars = Harness::builtin(NAME, Some("SML-2310-SZ-B"));
        assert_eq!(
            stars.set(&[(0, Vibrate, 3), (1, Oscillate, 10)]),
            vec![
                write(Endpoint::Tx, &[0xa0, 0x01, 0x00, 0x00, 0x03, 0xff]),
                write(Endpoint::Tx, &[0xa0, 0x06, 0x01, 0x00, 0x01, 0x0a])
            ]
        );
    }

    #[test]
    fn other_kinds_and_oversized_speeds_are_errors() {
        let mut stars = Harness::builtin(NAME, Some("SML-2310-SZ-B"));
        assert_eq!(
            stars.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            stars.try_set(&[(1, Oscillate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

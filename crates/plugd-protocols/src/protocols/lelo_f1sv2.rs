//! Lelo F1s V2, F1s V3 and F2S: two vibrators (speeds 0–100) set together by one packet on `tx`,
//! **with response**: `01 <motor 1> <motor 2>`.
//!
//! **Pairing (init)** is the Lelo handshake of [`super::lelo_harmony`] on the `whitelist`
//! characteristic, with exact states: eight zero bytes = not trusted yet (press the power
//! button), `01` + seven zero bytes = trusted, anything else = the password to write back.
//!
//! Packing: whatever changed, the packet carries both motors' current values (a never-set motor
//! is 0). Upstream (its F1s handler with responses) keeps them in atomics and tags the packet
//! with one fixed command id, so its message gap leaves one write per command as well.
//!
//! Difference from upstream: upstream picks a variant from the connected hardware's endpoints.
//! When the device has no `whitelist` endpoint it pairs on `generic0` instead and then speaks
//! the Harmony packets. The published database gives every F1s V2 a `whitelist` endpoint, so
//! that variant only arises from a user BLE specifier without one; encoders and init here do
//! not see the hardware's endpoints, so plugd always uses the `whitelist` variant. Supporting
//! the other needs the Device to pass the connected endpoints to `initialize` and `encode`.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/lelof1sv2.rs` and `lelof1s.rs` of
//! buttplugio/buttplug.

use super::lelo_harmony::{pairing_round, Pairing};
use crate::{EncodeContext, InitContext, InitRound, ProtocolError};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "lelo-f1sv2";

/// First byte of the speed packet.
const HEADER: u8 = 0x01;
/// The packet has a slot for features 0 and 1.
const MOTORS: u32 = 2;
/// The security states the toy notifies.
const NOT_TRUSTED: [u8; 8] = [0; 8];
const TRUSTED: [u8; 8] = [1, 0, 0, 0, 0, 0, 0, 0];

/// The F1s V2 reading of a security notification: exactly eight zeros → not trusted; exactly
/// `01` + seven zeros → trusted; anything else → password.
fn classify(data: &[u8]) -> Pairing {
    if data == NOT_TRUSTED {
        Pairing::NotTrusted
    } else if data == TRUSTED {
        Pairing::Trusted
    } else {
        Pairing::Password
    }
}

/// Pairing over `whitelist` (see [`super::lelo_harmony`]).
///
/// # Errors
/// [`ProtocolError::BadReply`] when a pairing state did not arrive in time.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    pairing_round(context, Endpoint::Whitelist, classify)
}

/// One `01 <motor 1> <motor 2>` packet with both current speeds, with response.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate;
/// [`ProtocolError::Definition`] for a feature beyond the second motor or a speed that does not
/// fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Vibrate {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        if feature.0 >= MOTORS {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} is not one of the two motors"
            )));
        }
    }
    let mut packet = vec![HEADER];
    for motor in 0..MOTORS {
        let value = context.value(FeatureIndex(motor), OutputKind::Vibrate);
        packet.push(u8::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
        })?);
    }
    Ok(vec![HardwareCommand::write_with_response(
        Endpoint::Tx,
        packet,
    )])
}

#[cfg(test)]
mod tests {
    use super::super::lelo_harmony::PAIRING_TIMEOUT;
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use crate::{InitReply, InitStep};
    use OutputKind::{Rotate, Vibrate};

    fn f1s_v2() -> Harness {
        Harness::builtin(NAME, Some("F1SV2A"))
    }

    fn packet(first: u8, second: u8) -> HardwareCommand {
        write_with_response(Endpoint::Tx, &[0x01, first, second])
    }

    fn state(data: &[u8]) -> InitReply {
        InitReply {
            endpoint: Endpoint::Whitelist,
            data: data.to_vec(),
        }
    }

    fn round(
        device: &Harness,
        replies: &[InitReply],
        round: u32,
    ) -> Result<InitRound, ProtocolError> {
        initialize(&InitContext {
            definition: &device.definition,
            session: &device.session,
            replies,
            round,
        })
    }

    fn await_state() -> InitStep {
        InitStep::AwaitNotification {
            endpoint: Some(Endpoint::Whitelist),
            timeout: PAIRING_TIMEOUT,
        }
    }

    fn subscribe_and_await_state() -> InitStep {
        InitStep::SendAwaitNotification {
            command: HardwareCommand::Subscribe {
                endpoint: Endpoint::Whitelist,
            },
            endpoint: Some(Endpoint::Whitelist),
            timeout: PAIRING_TIMEOUT,
            attempts: 1,
        }
    }

    #[test]
    fn upstream_case_lelo_f1sv2_pairing() {
        // Upstream test_lelo_f1sv2.yaml: subscribe; eight zeros; password → unsubscribe, write
        // back with response, subscribe; `01` + seven zeros → trusted.
        let device = f1s_v2();
        let not_trusted = state(&[0; 8]);
        let password = state(&[1, 2, 3, 4, 5, 6, 8]);
        let trusted = state(&[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            round(&device, &[], 0),
            Ok(InitRound::Steps(vec![subscribe_and_await_state(),]))
        );
        assert_eq!(
            round(&device, std::slice::from_ref(&not_trusted), 1),
            Ok(InitRound::Steps(vec![await_state()]))
        );
        assert_eq!(
            round(&device, &[not_trusted.clone(), password.clone()], 2),
            Ok(InitRound::Steps(vec![
                InitStep::Send(HardwareCommand::Unsubscribe {
                    endpoint: Endpoint::Whitelist
                }),
                InitStep::Send(write_with_response(
                    Endpoint::Whitelist,
                    &[1, 2, 3, 4, 5, 6, 8]
                )),
                subscribe_and_await_state(),
            ]))
        );
        assert_eq!(
            round(&device, &[not_trusted, password, trusted], 3),
            Ok(InitRound::Done)
        );
    }

    #[test]
    fn states_must_match_exactly() {
        let cases: [(&[u8], Pairing); 6] = [
            (&[0; 8], Pairing::NotTrusted),
            (&[1, 0, 0, 0, 0, 0, 0, 0], Pairing::Trusted),
            (&[0], Pairing::Password),
            (&[1], Pairing::Password),
            (&[], Pairing::Password),
            (&[1, 0, 0, 0, 0, 0, 0, 0, 0], Pairing::Password),
        ];
        for (data, expected) in cases {
            assert_eq!(classify(data), expected, "{data:?}");
        }
    }

    #[test]
    fn a_missing_pairing_state_fails_the_connection() {
        assert!(matches!(
            round(&f1s_v2(), &[], 1),
            Err(ProtocolError::BadReply(_))
        ));
    }

    #[test]
    fn upstream_case_lelo_f1sv2_bytes() {
        // Upstream test_lelo_f1sv2.yaml: motor 1 at 50; (75, 50) in one packet; stop.
        let mut device = f1s_v2();
        assert_eq!(device.set(&[(0, Vibrate, 50)]), vec![packet(0x32, 0x00)]);
        assert_eq!(
            device.set(&[(0, Vibrate, 75), (1, Vibrate, 50)]),
            vec![packet(0x4b, 0x32)]
        );
        assert_eq!(device.stop(), vec![packet(0x00, 0x00)]);
    }

    #[test]
    fn each_motor_keeps_the_other_ones_speed() {
        let mut device = Harness::builtin(NAME, Some("F2"));
        assert_eq!(device.set(&[(1, Vibrate, 100)]), vec![packet(0, 100)]);
        assert_eq!(device.set(&[(0, Vibrate, 1)]), vec![packet(1, 100)]);
    }

    #[test]
    fn other_kinds_features_and_oversized_speeds_are_errors() {
        let mut device = f1s_v2();
        assert_eq!(
            device.try_set(&[(0, Rotate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Rotate
            })
        );
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

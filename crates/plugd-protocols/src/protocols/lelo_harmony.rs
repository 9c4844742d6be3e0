//! Lelo's "Harmony" generation (Ida Wave, Tiani Harmony, Tor 3, Hugo 2, Enigma Double Sonic,
//! Gigi 3, Liv 3): a vibrator and, on some models, a second vibrator or a rotator, each set by
//! its own 10-byte packet on `tx`, without response:
//! `0a 12 <1 + motor> 08 00 00 00 00 <speed> 00`, motor being the feature index, speed 0–100.
//!
//! **Pairing (init).** Lelo toys only take commands from a host they trust, negotiated over the
//! `whitelist` characteristic:
//!
//! 1. Subscribe to `whitelist`; the toy notifies its state.
//! 2. All zero bytes: not trusted yet — the user must press the power button, after which the
//!    toy notifies a password. plugd keeps waiting.
//! 3. `01` followed only by zeros (or `01` alone): trusted, init is done.
//! 4. Anything else is the password: unsubscribe (the toy refuses writes while notifying),
//!    write it back to `whitelist` with response, subscribe again and wait for the next state.
//!
//! Each state is awaited in its own init round, so the bytes of the next round depend on the
//! previous answer. [`pairing_round`] is shared with `lelo-f1sv2`, which only classifies the
//! notifications differently.
//!
//! Each subscription and the wait for its answer are one `SendAwaitNotification` step, so the
//! Device is listening before the toy can answer.
//!
//! Differences from upstream: upstream waits for the button press without a time limit and
//! buffers notifications in an event stream. plugd waits up to [`PAIRING_TIMEOUT`] per state
//! (and the Device bounds the whole init); a state that does not come fails the connection.
//! The Device drops a notification that arrives while no init step is waiting for one, so a
//! toy that sends "not trusted" and the password back to back (as the reference test case does)
//! loses the password unless the Device queues notifications of subscribed endpoints during
//! init and hands them to the next `AwaitNotification`.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/lelo_harmony.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "lelo-harmony";

/// How long each pairing state is awaited: long enough for a person to press the button.
pub const PAIRING_TIMEOUT: Duration = Duration::from_secs(30);

/// The packet's fixed bytes before and after the motor number and the speed.
const HEADER: [u8; 2] = [0x0a, 0x12];
const MIDDLE: [u8; 5] = [0x08, 0x00, 0x00, 0x00, 0x00];
const TAIL: u8 = 0x00;

/// What one notification on the security characteristic says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pairing {
    /// The host is not trusted yet; wait for the button press.
    NotTrusted,
    /// The host is trusted: pairing is complete.
    Trusted,
    /// The bytes are the password to write back.
    Password,
}

/// The Harmony reading of a security notification: all zeros (or nothing) → not trusted;
/// `01` then only zeros → trusted; anything else → password.
fn classify(data: &[u8]) -> Pairing {
    match data.split_first() {
        None => Pairing::NotTrusted,
        Some(_) if data.iter().all(|byte| *byte == 0) => Pairing::NotTrusted,
        Some((1, rest)) if rest.iter().all(|byte| *byte == 0) => Pairing::Trusted,
        Some(_) => Pairing::Password,
    }
}

/// Pairing over `whitelist` (see the module doc).
///
/// # Errors
/// [`ProtocolError::BadReply`] when a pairing state did not arrive in time.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    pairing_round(context, Endpoint::Whitelist, classify)
}

/// One round of Lelo pairing on `endpoint`: round 0 subscribes and awaits a state; every later
/// round reads the state the previous round awaited (each round awaits exactly one, so reply n
/// belongs to round n) and either finishes, keeps waiting, or answers the password and awaits
/// again.
pub(crate) fn pairing_round(
    context: &InitContext<'_>,
    endpoint: Endpoint,
    classify: fn(&[u8]) -> Pairing,
) -> Result<InitRound, ProtocolError> {
    if context.round == 0 {
        return Ok(InitRound::Steps(vec![subscribe_and_await(endpoint)]));
    }
    let answered = usize::try_from(context.round).ok() == Some(context.replies.len());
    let state = context.replies.last().filter(|_| answered).ok_or_else(|| {
        ProtocolError::BadReply(format!(
            "no pairing state on {endpoint}: press the toy's power button while it connects"
        ))
    })?;
    Ok(match classify(&state.data) {
        Pairing::Trusted => InitRound::Done,
        Pairing::NotTrusted => InitRound::Steps(vec![InitStep::AwaitNotification {
            endpoint: Some(endpoint),
            timeout: PAIRING_TIMEOUT,
        }]),
        Pairing::Password => InitRound::Steps(vec![
            InitStep::Send(HardwareCommand::Unsubscribe { endpoint }),
            InitStep::Send(HardwareCommand::write_with_response(
                endpoint,
                state.data.clone(),
            )),
            subscribe_and_await(endpoint),
        ]),
    })
}

/// Subscribes and waits for the state the toy notifies in answer. One step, so the Device is
/// already listening when the subscription goes out (the toy answers at once).
fn subscribe_and_await(endpoint: Endpoint) -> InitStep {
    InitStep::SendAwaitNotification {
        command: HardwareCommand::Subscribe { endpoint },
        endpoint: Some(endpoint),
        timeout: PAIRING_TIMEOUT,
        attempts: 1,
    }
}

/// `0a 12 <1 + motor> 08 00 00 00 00 <speed> 00` per changed vibrate or rotate output.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for other kinds; [`ProtocolError::Definition`] for a
/// speed or feature index that does not fit in the packet.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if !matches!(kind, OutputKind::Vibrate | OutputKind::Rotate) {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind,
                });
            }
            let value = context.value(feature, kind);
            let speed = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
            })?;
            let motor = u8::try_from(feature.0)
                .ok()
                .and_then(|index| index.checked_add(1))
                .ok_or_else(|| {
                    ProtocolError::Definition(format!("feature {feature} has no motor number"))
                })?;
            let mut packet = Vec::with_capacity(10);
            packet.extend_from_slice(&HEADER);
            packet.push(motor);
            packet.extend_from_slice(&MIDDLE);
            packet.push(speed);
            packet.push(TAIL);
            Ok(HardwareCommand::write(Endpoint::Tx, packet))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, write_with_response, Harness};
    use crate::InitReply;
    use OutputKind::{Oscillate, Rotate, Vibrate};

    fn ida_wave() -> Harness {
        Harness::builtin(NAME, Some("IdaWave"))
    }

    fn packet(motor: u8, speed: u8) -> HardwareCommand {
        write(
            Endpoint::Tx,
            &[0x0a, 0x12, motor, 0x08, 0x00, 0x00, 0x00, 0x00, speed, 0x00],
        )
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
    fn pairing_starts_by_subscribing_to_the_whitelist() {
        assert_eq!(
            round(&ida_wave(), &[], 0),
            Ok(InitRound::Steps(vec![subscribe_and_await_state(),]))
        );
    }

    #[test]
    fn shared_case_lelo_idawave_pairing() {
        // test_lelo_idawave.yaml: subscribe; `00` (not trusted); password `01 02 03 04 05 06
        // 08` → unsubscribe, write it back with response, subscribe; `01` → trusted.
        let device = ida_wave();
        let not_trusted = state(&[0]);
        let password = state(&[1, 2, 3, 4, 5, 6, 8]);
        let trusted = state(&[0x01]);
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
    fn notifications_are_classified_like_upstream() {
        let cases: [(&[u8], Pairing); 8] = [
            (&[], Pairing::NotTrusted),
            (&[0], Pairing::NotTrusted),
            (&[0; 8], Pairing::NotTrusted),
            (&[1], Pairing::Trusted),
            (&[1, 0, 0, 0, 0, 0, 0, 0], Pairing::Trusted),
            (&[1, 0, 1], Pairing::Password),
            (&[2], Pairing::Password),
            (&[0, 1], Pairing::Password),
        ];
        for (data, expected) in cases {
            assert_eq!(classify(data), expected, "{data:?}");
        }
    }

    #[test]
    fn a_missing_pairing_state_fails_the_connection() {
        let device = ida_wave();
        assert!(matches!(
            round(&device, &[], 1),
            Err(ProtocolError::BadReply(_))
        ));
        // Round 2 awaited a second state that never came.
        assert!(matches!(
            round(&device, &[state(&[0])], 2),
            Err(ProtocolError::BadReply(_))
        ));
    }

    #[test]
    fn shared_case_lelo_idawave_bytes() {
        // test_lelo_idawave.yaml: vibrate 0.5 → 50; vibrate 0.75 with rotate 0.5; stop.
        let mut device = ida_wave();
        assert_eq!(device.set(&[(0, Vibrate, 50)]), vec![packet(1, 0x32)]);
        assert_eq!(
            device.set(&[(0, Vibrate, 75), (1, Rotate, 50)]),
            vec![packet(1, 0x4b), packet(2, 0x32)]
        );
        assert_eq!(device.stop(), vec![packet(1, 0x00), packet(2, 0x00)]);
    }

    #[test]
    fn upstream_case_lelo_tianiharmony_bytes() {
        // Upstream test_lelo_tianiharmony.yaml (the defaults: two vibrators).
        let mut device = Harness::builtin(NAME, Some("TianiHarmony"));
        assert_eq!(device.definition.name, "Lelo Tiani Harmony");
        assert_eq!(device.set(&[(0, Vibrate, 50)]), vec![packet(1, 0x32)]);
        assert_eq!(
            device.set(&[(0, Vibrate, 75), (1, Vibrate, 50)]),
            vec![packet(1, 0x4b), packet(2, 0x32)]
        );
        assert_eq!(device.stop(), vec![packet(1, 0x00), packet(2, 0x00)]);
    }

    #[test]
    fn full_speed_and_single_motor_models() {
        let mut tor = Harness::builtin(NAME, Some("TOR3"));
        assert_eq!(tor.set(&[(0, Vibrate, 100)]), vec![packet(1, 0x64)]);
        assert_eq!(tor.stop(), vec![packet(1, 0x00)]);
    }

    #[test]
    fn other_kinds_oversized_speeds_and_huge_indexes_are_errors() {
        let mut device = ida_wave();
        assert_eq!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(255, Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

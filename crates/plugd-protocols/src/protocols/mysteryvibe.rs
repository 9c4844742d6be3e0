//! MysteryVibe (Crescendo, Tenuto, Poco): up to six vibrators (speeds 0–56) set together by one
//! packet on `txvibrate`, without response: one byte per motor, in feature order.
//!
//! **Init** writes `43 02 00` to `txmode`, with response: it puts the toy into remote-control
//! mode.
//!
//! **Keepalive.** The toy stops a motor that has not heard from the host for a moment, so the
//! last packet must be repeated every 93 ms ([`KEEPALIVE`]); the Device does that and, like
//! upstream, stops the toy right after connecting (device-config.md §2.6).
//!
//! Packing: whatever changed, the packet holds every motor's current value (a never-set motor is
//! 0). Upstream keeps the speeds in atomics, sized by the number of features with outputs, and
//! tags the packet with one fixed command id, so its message gap leaves one write per command as
//! well. The `mysteryvibe-v2` protocol reuses this encoder with another init packet.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/mysteryvibe.rs` of buttplugio/buttplug.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "mysteryvibe";

/// How often the last packet is repeated.
pub const KEEPALIVE: Duration = Duration::from_millis(93);

/// What init writes to `txmode`.
const INIT: [u8; 3] = [0x43, 0x02, 0x00];

/// Round 0 writes `43 02 00` to `txmode` with response; then init is done.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(init_with(context, &INIT))
}

/// The one-write init shared with `mysteryvibe-v2`.
pub(crate) fn init_with(context: &InitContext<'_>, packet: &[u8]) -> InitRound {
    match context.round {
        0 => InitRound::Steps(vec![InitStep::Send(HardwareCommand::write_with_response(
            Endpoint::TxMode,
            packet.to_vec(),
        ))]),
        _ => InitRound::Done,
    }
}

/// One packet on `txvibrate`: every motor's current speed, in feature order.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for kinds other than vibrate;
/// [`ProtocolError::Definition`] for a speed that does not fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    if let Some(&(_, kind)) = context
        .changed
        .iter()
        .find(|(_, kind)| *kind != OutputKind::Vibrate)
    {
        return Err(ProtocolError::UnsupportedOutput {
            protocol: NAME,
            kind,
        });
    }
    let packet = context
        .definition
        .features
        .iter()
        .filter(|feature| !feature.outputs.is_empty())
        .map(|feature| {
            let value = context.value(feature.index, OutputKind::Vibrate);
            u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("speed {value} does not fit in a byte"))
            })
        })
        .collect::<Result<Vec<u8>, _>>()?;
    Ok(vec![HardwareCommand::write(Endpoint::TxVibrate, packet)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, write_with_response, Harness};
    use OutputKind::{Oscillate, Vibrate};

    fn crescendo() -> Harness {
        Harness::builtin(NAME, Some("MV Crescendo"))
    }

    fn round(device: &Harness, round: u32) -> Result<InitRound, ProtocolError> {
        initialize(&InitContext {
            definition: &device.definition,
            session: &device.session,
            replies: &[],
            round,
        })
    }

    #[test]
    fn init_puts_the_toy_in_remote_mode_once() {
        let device = crescendo();
        assert_eq!(
            round(&device, 0),
            Ok(InitRound::Steps(vec![InitStep::Send(write_with_response(
                Endpoint::TxMode,
                &[0x43, 0x02, 0x00]
            ))]))
        );
        assert_eq!(round(&device, 1), Ok(InitRound::Done));
    }

    #[test]
    fn shared_case_mysteryvibe_bytes() {
        // test_mysteryvibe.yaml: the stop on connect, then motor 1 at 0.5 of 56 → 28 with
        // motor 6 at 56 in one packet, then stop.
        let mut device = crescendo();
        assert_eq!(
            device.stop(),
            vec![write(Endpoint::TxVibrate, &[0, 0, 0, 0, 0, 0])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 28), (5, Vibrate, 56)]),
            vec![write(Endpoint::TxVibrate, &[28, 0, 0, 0, 0, 56])]
        );
        assert_eq!(
            device.stop(),
            vec![write(Endpoint::TxVibrate, &[0, 0, 0, 0, 0, 0])]
        );
    }

    #[test]
    fn one_motor_keeps_the_others_speeds() {
        let mut device = crescendo();
        device.set(&[(1, Vibrate, 10)]);
        assert_eq!(
            device.set(&[(3, Vibrate, 20)]),
            vec![write(Endpoint::TxVibrate, &[0, 10, 0, 20, 0, 0])]
        );
    }

    #[test]
    fn poco_packet_has_two_bytes() {
        let mut poco = Harness::builtin(NAME, Some("MV Poco     "));
        assert_eq!(poco.definition.name, "MysteryVibe Poco");
        assert_eq!(
            poco.set(&[(1, Vibrate, 56)]),
            vec![write(Endpoint::TxVibrate, &[0, 56])]
        );
    }

    #[test]
    fn keepalive_repeats_every_93_ms() {
        let protocol = crate::find(NAME).expect("registered");
        assert_eq!(protocol.keepalive, Some(Duration::from_millis(93)));
        assert!(protocol.initialize.is_some());
    }

    #[test]
    fn other_kinds_and_oversized_speeds_are_errors() {
        let mut device = crescendo();
        assert_eq!(
            device.try_set(&[(0, Oscillate, 5)]),
            Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind: Oscillate
            })
        );
        assert!(matches!(
            device.try_set(&[(2, Vibrate, 256)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

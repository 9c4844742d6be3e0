//! Ankni (sold as Roselex, advertised as "DSJM"): one vibrator, levels 0–3.
//!
//! **Handshake.** Init reads the Device Information service's PnP ID characteristic
//! (`generic0`, up to 16 bytes, 100 ms). Toys that want a handshake answer with their 6-byte
//! BLE address there; longer answers (a real PnP ID) mean no handshake. For the handshake the
//! check byte is the high byte of CRC-16/XMODEM (polynomial 0x1021, initial value 0) over
//! `01` followed by the answer, and two 20-byte writes go to `tx` *with* response:
//! `01` × 20, then `01 02 <check × 16> 00 00`. test_ankni_protocol.yaml reads
//! `A2 31 35 53 52 D8`, whose check byte is `C1`.
//!
//! **Wire format.** A level is the 20-byte `03 12 <level> 00 × 17`, written to `tx` with
//! response, one write per changed vibrator. No keepalive, no state.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/ankni.rs` of buttplugio/buttplug; same
//! bytes as upstream. Upstream fails the connection when the read fails; so does the Device.

use crate::{EncodeContext, InitContext, InitRound, InitStep, ProtocolError};
use crc::{Crc, CRC_16_XMODEM};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "ankni";

/// The PnP ID characteristic of the Device Information service.
const PNP_ID: Endpoint = Endpoint::Generic(0);
/// How many bytes the PnP ID read asks for.
const PNP_ID_LENGTH: u32 = 16;
/// How long the PnP ID read may take.
const PNP_ID_TIMEOUT: Duration = Duration::from_millis(100);
/// A PnP ID answer longer than this is a real PnP ID: no handshake.
const ADDRESS_LENGTH: usize = 6;
/// Every packet is this long.
const PACKET_LENGTH: usize = 20;
/// The checksum the handshake is built from.
const XMODEM: Crc<u16> = Crc::<u16>::new(&CRC_16_XMODEM);

/// Round 0 reads the PnP ID; round 1 writes the handshake when the answer is an address.
///
/// # Errors
/// [`ProtocolError::BadReply`] when round 1 finds no answer to the read.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    match context.round {
        0 => Ok(InitRound::Steps(vec![InitStep::Read {
            endpoint: PNP_ID,
            length: PNP_ID_LENGTH,
            timeout: PNP_ID_TIMEOUT,
        }])),
        1 => {
            let answer = context
                .replies
                .iter()
                .find(|reply| reply.endpoint == PNP_ID)
                .ok_or_else(|| ProtocolError::BadReply("no PnP ID answer".to_owned()))?;
            if answer.data.len() > ADDRESS_LENGTH {
                return Ok(InitRound::Done);
            }
            Ok(InitRound::Steps(
                handshake(&answer.data)
                    .into_iter()
                    .map(InitStep::Send)
                    .collect(),
            ))
        }
        _ => Ok(InitRound::Done),
    }
}

/// The two handshake writes for a PnP ID answer.
fn handshake(answer: &[u8]) -> [HardwareCommand; 2] {
    let mut digest = XMODEM.digest();
    digest.update(&[0x01]);
    digest.update(answer);
    let [check, _] = digest.finalize().to_be_bytes();
    let mut confirm = vec![0x01, 0x02];
    confirm.extend([check; 16]);
    confirm.extend([0x00, 0x00]);
    [
        HardwareCommand::write_with_response(Endpoint::Tx, vec![0x01; PACKET_LENGTH]),
        HardwareCommand::write_with_response(Endpoint::Tx, confirm),
    ]
}

/// One `03 12 <level> 00…` write (with response) per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for anything but vibrate;
/// [`ProtocolError::Definition`] for a feature the device lacks or a level beyond a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    context
        .changed
        .iter()
        .map(|&(feature, kind)| {
            if kind != OutputKind::Vibrate {
                return Err(ProtocolError::UnsupportedOutput {
                    protocol: NAME,
                    kind,
                });
            }
            if context
                .definition
                .feature(feature)
                .and_then(|found| found.output(kind))
                .is_none()
            {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} has no {kind} output"
                )));
            }
            let level = context.value(feature, kind);
            let level = u8::try_from(level).map_err(|_| {
                ProtocolError::Definition(format!("level {level} does not fit in a byte"))
            })?;
            let mut data = vec![0x03, 0x12, level];
            data.resize(PACKET_LENGTH, 0x00);
            Ok(HardwareCommand::write_with_response(Endpoint::Tx, data))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write_with_response, Harness};
    use crate::InitReply;
    use OutputKind::Vibrate;

    fn roselex() -> Harness {
        Harness::builtin(NAME, Some("DSJM"))
    }

    fn round(device: &Harness, round: u32, replies: &[InitReply]) -> InitRound {
        initialize(&InitContext {
            definition: &device.definition,
            session: &device.session,
            replies,
            round,
        })
        .expect("init round")
    }

    fn pnp_id(data: &[u8]) -> InitReply {
        InitReply {
            endpoint: Endpoint::Generic(0),
            data: data.to_vec(),
        }
    }

    fn level_packet(level: u8) -> Vec<u8> {
        let mut data = vec![0x03, 0x12, level];
        data.resize(20, 0x00);
        data
    }

    #[test]
    fn init_reads_the_pnp_id_first() {
        assert_eq!(
            round(&roselex(), 0, &[]),
            InitRound::Steps(vec![InitStep::Read {
                endpoint: Endpoint::Generic(0),
                length: 16,
                timeout: Duration::from_millis(100),
            }])
        );
    }

    #[test]
    fn an_address_answer_gets_the_crc_handshake() {
        // test_ankni_protocol.yaml.
        let device = roselex();
        let replies = [pnp_id(&[0xA2, 0x31, 0x35, 0x53, 0x52, 0xD8])];
        let mut confirm = vec![0x01, 0x02];
        confirm.extend([0xC1; 16]);
        confirm.extend([0x00, 0x00]);
        assert_eq!(
            round(&device, 1, &replies),
            InitRound::Steps(vec![
                InitStep::Send(write_with_response(Endpoint::Tx, &[0x01; 20])),
                InitStep::Send(write_with_response(Endpoint::Tx, &confirm)),
            ])
        );
        assert_eq!(round(&device, 2, &replies), InitRound::Done);
    }

    #[test]
    fn a_real_pnp_id_means_no_handshake() {
        let device = roselex();
        let replies = [pnp_id(&[0x02, 0x5E, 0x00, 0x01, 0x00, 0x10, 0x00])];
        assert_eq!(round(&device, 1, &replies), InitRound::Done);
    }

    #[test]
    fn short_or_empty_answers_still_get_a_handshake_without_panicking() {
        let device = roselex();
        for data in [&[][..], &[0xFF][..]] {
            let InitRound::Steps(steps) = round(&device, 1, &[pnp_id(data)]) else {
                panic!("expected a handshake for {data:?}");
            };
            assert_eq!(steps.len(), 2);
        }
    }

    #[test]
    fn a_missing_answer_is_a_bad_reply() {
        let device = roselex();
        let result = initialize(&InitContext {
            definition: &device.definition,
            session: &device.session,
            replies: &[],
            round: 1,
        });
        assert!(matches!(result, Err(ProtocolError::BadReply(_))));
    }

    #[test]
    fn levels_are_twenty_byte_packets_with_response() {
        // test_ankni_protocol.yaml: 0.5 → 2, then Stop.
        let mut device = roselex();
        for level in [2, 3, 1] {
            assert_eq!(
                device.set(&[(0, Vibrate, i32::from(level))]),
                vec![write_with_response(Endpoint::Tx, &level_packet(level))]
            );
        }
        assert_eq!(
            device.stop(),
            vec![write_with_response(Endpoint::Tx, &level_packet(0))]
        );
    }

    #[test]
    fn other_outputs_are_errors() {
        let mut device = roselex();
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Oscillate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, -3)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

//! Satisfyer: the brand's "Connect" BLE toys (one to three vibration motors, air-pulse heads
//! driven as vibrators).
//!
//! **Identification** (device-config.md §2.3). Every Satisfyer advertises as `SF <something>`, so
//! the name says nothing; the configurations are keyed by a model number. The toy's
//! advertisement carries it as manufacturer data (company 93): the payload read as a big-endian
//! u32, written in decimal (`00 00 27 b0` → `10160`, a Double Desire). Toys that do not
//! advertise it are asked instead: a read of `rxblemodel` (the standard model-number
//! characteristic), parsed the same way. A payload that is not exactly 4 bytes gives `0` (no
//! configuration: the protocol's one-vibrator defaults), as upstream.
//!
//! **Init.** Write `01` to `command` with response; the toy then listens on `tx`.
//!
//! **Wire format.** One packet on `tx` (without response) holds every motor: per feature with an
//! output, in feature order, its speed (0–100) repeated four times (`32 32 32 32 19 19 19 19`
//! for a two-motor toy at 50 % and 25 %). Every write carries all motors; one command touching
//! several motors is one packet.
//!
//! **Keepalive.** The toy stops by itself after a few seconds without a packet, so the last
//! packet is re-sent after 3 s of silence; as for every keepalive protocol the Device stops the
//! toy right after init, which is the all-zero packet the cases expect first.
//!
//! **Differences from upstream.** Upstream takes the first manufacturer-data entry whatever its
//! payload; plugd skips entries with an empty payload (they cannot hold a model number, and the
//! `rxblemodel` read can). Upstream indexes its speed table by feature index and would panic on
//! a motor past the motor count; plugd lays motors out in feature order.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/satisfyer.rs` of buttplugio/buttplug;
//! cases `test_satisfyer_*.yaml`.

use crate::{EncodeContext, InitContext, InitReply, InitRound, InitStep, ProtocolError};
use plugd_config::DeviceIdentity;
use plugd_core::{Endpoint, HardwareCommand};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "satisfyer";

/// Re-send the last packet after this much silence.
pub const KEEPALIVE: Duration = Duration::from_secs(3);

/// The model-number read when the advertisement carries none: length and timeout as upstream.
const MODEL_READ_LENGTH: u32 = 128;
const MODEL_READ_TIMEOUT: Duration = Duration::from_millis(500);
/// Each motor's speed is repeated this many times in the packet.
const BYTES_PER_MOTOR: usize = 4;

/// Identification: nothing when the advertisement carries a model number, else one read of
/// `rxblemodel`.
pub fn identify_steps(identity: &DeviceIdentity) -> Vec<InitStep> {
    if advertised_model(identity).is_some() {
        Vec::new()
    } else {
        vec![InitStep::Read {
            endpoint: Endpoint::RxBleModel,
            length: MODEL_READ_LENGTH,
            timeout: MODEL_READ_TIMEOUT,
        }]
    }
}

/// The model number in decimal: from the advertisement, else from the `rxblemodel` read.
/// `None` (the defaults) only when neither is there.
pub fn resolve_identifier(identity: &DeviceIdentity, replies: &[InitReply]) -> Option<String> {
    let payload = advertised_model(identity).or_else(|| {
        replies
            .iter()
            .find(|reply| reply.endpoint == Endpoint::RxBleModel)
            .map(|reply| reply.data.as_slice())
    })?;
    Some(model_number(payload).to_string())
}

/// The first manufacturer-data payload that is not empty.
fn advertised_model(identity: &DeviceIdentity) -> Option<&[u8]> {
    identity
        .manufacturer_data
        .iter()
        .map(|entry| entry.data.as_slice())
        .find(|data| !data.is_empty())
}

/// Exactly four bytes, big-endian; anything else is 0.
fn model_number(payload: &[u8]) -> u32 {
    <[u8; 4]>::try_from(payload).map_or(0, u32::from_be_bytes)
}

/// Init: write `01` to `command` with response, once.
///
/// # Errors
/// Never.
pub fn initialize(context: &InitContext<'_>) -> Result<InitRound, ProtocolError> {
    Ok(if context.round == 0 {
        InitRound::Steps(vec![InitStep::Send(HardwareCommand::write_with_response(
            Endpoint::Command,
            [0x01],
        ))])
    } else {
        InitRound::Done
    })
}

/// One packet with every motor's speed, four bytes each, in feature order.
///
/// # Errors
/// [`ProtocolError::Definition`] when a changed output is not a vibrate output of the definition
/// or a speed does not fit in a byte.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let definition = context.definition;
    for &(feature, kind) in context.changed {
        let present = definition
            .feature(feature)
            .is_some_and(|found| found.output(kind).is_some());
        if !present {
            return Err(ProtocolError::Definition(format!(
                "feature {feature} has no {kind} output"
            )));
        }
    }
    let mut packet = Vec::with_capacity(definition.features.len() * BYTES_PER_MOTOR);
    for feature in &definition.features {
        let Some(output) = feature.outputs.first() else {
            continue;
        };
        let value = context.value(feature.index, output.kind);
        let speed = u8::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!("speed {value} does not fit in a Satisfyer byte"))
        })?;
        packet.extend([speed; BYTES_PER_MOTOR]);
    }
    Ok(vec![HardwareCommand::write(Endpoint::Tx, packet)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{write, write_with_response, Harness};
    use crate::ProtocolSession;
    use plugd_config::{ManufacturerData, Transport};
    use plugd_core::OutputKind::Vibrate;

    fn tx(data: &[u8]) -> HardwareCommand {
        write(Endpoint::Tx, data)
    }

    fn identity(manufacturer_data: &[&[u8]]) -> DeviceIdentity {
        let mut identity = DeviceIdentity::named(Transport::Btle, "SF Whatever", "AA:BB");
        identity.manufacturer_data = manufacturer_data
            .iter()
            .map(|data| ManufacturerData {
                company: 93,
                data: data.to_vec(),
            })
            .collect();
        identity
    }

    fn model_reply(data: &[u8]) -> InitReply {
        InitReply {
            endpoint: Endpoint::RxBleModel,
            data: data.to_vec(),
        }
    }

    #[test]
    fn name_only_toy_is_identified_by_reading_rxblemodel() {
        assert_eq!(
            identify_steps(&identity(&[])),
            vec![InitStep::Read {
                endpoint: Endpoint::RxBleModel,
                length: 128,
                timeout: Duration::from_millis(500),
            }]
        );
        // test_satisfyer_dual_vibrator.yaml reads 00 00 27 b0.
        assert_eq!(
            resolve_identifier(&identity(&[]), &[model_reply(&[0, 0, 0x27, 0xb0])]).as_deref(),
            Some("10160")
        );
        assert_eq!(
            resolve_identifier(&identity(&[]), &[model_reply(&[0, 0, 0x27, 0x51])]).as_deref(),
            Some("10065")
        );
    }

    #[test]
    fn advertised_model_needs_no_read() {
        let advertised = identity(&[&[0, 0, 0x27, 0x15]]);
        assert_eq!(identify_steps(&advertised), Vec::new());
        assert_eq!(
            resolve_identifier(&advertised, &[]).as_deref(),
            Some("10005")
        );
    }

    #[test]
    fn empty_manufacturer_payloads_are_skipped() {
        let advertised = identity(&[&[], &[0, 0, 0x28, 0x01]]);
        assert_eq!(identify_steps(&advertised), Vec::new());
        assert_eq!(
            resolve_identifier(&advertised, &[]).as_deref(),
            Some("10241")
        );
        assert_eq!(identify_steps(&identity(&[&[]])).len(), 1);
    }

    #[test]
    fn model_payload_of_the_wrong_length_is_model_0() {
        for data in [&[][..], &[0x27], &[0, 0x27, 0xb0], &[0, 0, 0, 0x27, 0xb0]] {
            assert_eq!(
                resolve_identifier(&identity(&[]), &[model_reply(data)]).as_deref(),
                Some("0"),
                "{data:?}"
            );
        }
        assert_eq!(
            resolve_identifier(&identity(&[&[0xff; 6]]), &[]).as_deref(),
            Some("0")
        );
        assert_eq!(resolve_identifier(&identity(&[]), &[]), None);
    }

    #[test]
    fn init_writes_01_to_command_with_response_once() {
        let device = Harness::builtin(NAME, Some("10160"));
        let session = ProtocolSession::default();
        let context = |round| InitContext {
            definition: &device.definition,
            session: &session,
            replies: &[],
            round,
        };
        assert_eq!(
            initialize(&context(0)),
            Ok(InitRound::Steps(vec![InitStep::Send(write_with_response(
                Endpoint::Command,
                &[0x01]
            ))]))
        );
        assert_eq!(initialize(&context(1)), Ok(InitRound::Done));
    }

    #[test]
    fn double_desire_packs_both_motors_four_bytes_each() {
        // test_satisfyer_dual_vibrator.yaml: stop on connect, (50, 25), (75, 50), stop.
        let mut device = Harness::builtin(NAME, Some("10160"));
        assert_eq!(device.definition.name, "Satisfyer Double Desire");
        assert_eq!(device.stop(), vec![tx(&[0; 8])]);
        assert_eq!(
            device.set(&[(0, Vibrate, 50), (1, Vibrate, 25)]),
            vec![tx(&[0x32, 0x32, 0x32, 0x32, 0x19, 0x19, 0x19, 0x19])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 75), (1, Vibrate, 50)]),
            vec![tx(&[0x4b, 0x4b, 0x4b, 0x4b, 0x32, 0x32, 0x32, 0x32])]
        );
        assert_eq!(device.stop(), vec![tx(&[0; 8])]);
    }

    #[test]
    fn one_motor_change_keeps_the_other_motors_speed() {
        let mut device = Harness::builtin(NAME, Some("10160"));
        device.set(&[(0, Vibrate, 100)]);
        assert_eq!(
            device.set(&[(1, Vibrate, 1)]),
            vec![tx(&[100, 100, 100, 100, 1, 1, 1, 1])]
        );
    }

    #[test]
    fn double_flex_packs_three_motors() {
        // test_satisfyer_triple_vibrator.yaml.
        let mut device = Harness::builtin(NAME, Some("10065"));
        assert_eq!(device.definition.name, "Satisfyer Double Flex");
        assert_eq!(device.stop(), vec![tx(&[0; 12])]);
        assert_eq!(
            device.set(&[(0, Vibrate, 50), (1, Vibrate, 25)]),
            vec![tx(&[
                0x32, 0x32, 0x32, 0x32, 0x19, 0x19, 0x19, 0x19, 0, 0, 0, 0
            ])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 75), (1, Vibrate, 50)]),
            vec![tx(&[
                0x4b, 0x4b, 0x4b, 0x4b, 0x32, 0x32, 0x32, 0x32, 0, 0, 0, 0
            ])]
        );
        assert_eq!(
            device.set(&[(2, Vibrate, 25)]),
            vec![tx(&[
                0x4b, 0x4b, 0x4b, 0x4b, 0x32, 0x32, 0x32, 0x32, 0x19, 0x19, 0x19, 0x19
            ])]
        );
        assert_eq!(device.stop(), vec![tx(&[0; 12])]);
    }

    #[test]
    fn hot_spot_has_one_motor() {
        // test_satisfyer_single_vibrator.yaml (upstream).
        let mut device = Harness::builtin(NAME, Some("10005"));
        assert_eq!(device.definition.name, "Satisfyer Hot Spot");
        assert_eq!(device.stop(), vec![tx(&[0; 4])]);
        assert_eq!(
            device.set(&[(0, Vibrate, 50)]),
            vec![tx(&[0x32, 0x32, 0x32, 0x32])]
        );
        assert_eq!(
            device.set(&[(0, Vibrate, 100)]),
            vec![tx(&[100, 100, 100, 100])]
        );
        assert_eq!(device.stop(), vec![tx(&[0; 4])]);
    }

    #[test]
    fn unknown_model_drives_the_default_single_motor() {
        let mut device = Harness::builtin(NAME, Some("0"));
        assert_eq!(device.definition.name, "Satisfyer Device");
        assert_eq!(device.set(&[(0, Vibrate, 7)]), vec![tx(&[7, 7, 7, 7])]);
    }

    #[test]
    fn output_missing_from_the_definition_is_refused() {
        let mut device = Harness::builtin(NAME, Some("10005"));
        assert!(matches!(
            device.try_set(&[(1, Vibrate, 5)]),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(
            device.try_set(&[(0, Vibrate, 300)]),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn registry_entry_keeps_alive_every_3_seconds() {
        let protocol = crate::find(NAME).expect("registered");
        assert_eq!(protocol.keepalive, Some(Duration::from_secs(3)));
        assert!(protocol.identify_steps.is_some());
        assert!(protocol.initialize.is_some());
    }
}

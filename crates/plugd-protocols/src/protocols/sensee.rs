//! Sensee: the Sensee Diandou Rabbit, over one BLE characteristic (`tx`), written without
//! response. (Newer Sensee toys speak `sensee-v2`.)
//!
//! **Wire format.** One packet per changed vibrator:
//! `55 aa f0 01 01 0b 65 f7 01 01 <value>`, values in the database's 0–100 steps (half speed:
//! `… 01 01 32`). The packet names no motor: the toy has one.
//!
//! **Differences from upstream.** None in the bytes; values that do not fit a byte are an error
//! instead of being truncated.
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/sensee.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};

/// Database key.
pub const NAME: &str = "sensee";

/// The bytes before the value.
const COMMAND_HEADER: [u8; 10] = [0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01];

/// One packet per changed vibrator.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for other kinds; [`ProtocolError::Definition`] when a
/// changed output is not in the definition or its value does not fit a byte.
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
            let present = context
                .definition
                .feature(feature)
                .is_some_and(|found| found.output(kind).is_some());
            if !present {
                return Err(ProtocolError::Definition(format!(
                    "feature {feature} has no {kind} output"
                )));
            }
            let value = context.value(feature, kind);
            let value = u8::try_from(value).map_err(|_| {
                ProtocolError::Definition(format!("{kind} value {value} does not fit a byte"))
            })?;
            let mut packet = COMMAND_HEADER.to_vec();
            packet.push(value);
            Ok(HardwareCommand::write(Endpoint::Tx, packet))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::testing::{write, Harness};
    use crate::ProtocolError;
    use plugd_core::{Endpoint, OutputKind};

    const HEADER: [u8; 10] = [0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01];

    fn packet(value: u8) -> Vec<u8> {
        let mut packet = HEADER.to_vec();
        packet.push(value);
        packet
    }

    #[test]
    fn rabbit_writes_its_case_bytes_and_full_speed() {
        let mut rabbit = Harness::builtin(super::NAME, Some("CTY222S4"));
        assert_eq!(rabbit.definition.name, "Sensee Diandou Rabbit");
        for (value, byte) in [(50, 0x32), (75, 0x4b), (100, 0x64)] {
            assert_eq!(
                rabbit.set(&[(0, OutputKind::Vibrate, value)]),
                vec![write(Endpoint::Tx, &packet(byte))]
            );
        }
        assert_eq!(rabbit.stop(), vec![write(Endpoint::Tx, &packet(0))]);
    }

    #[test]
    fn other_kinds_and_missing_outputs_are_errors() {
        let mut rabbit = Harness::builtin(super::NAME, None);
        assert!(matches!(
            rabbit.try_set(&[(0, OutputKind::Constrict, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
        assert!(matches!(
            rabbit.try_set(&[(1, OutputKind::Vibrate, 1)]),
            Err(ProtocolError::Definition(_))
        ));
    }
}

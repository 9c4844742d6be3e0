//! xuanhuan: the Xuanhuan masturbator (advertised as `QUXIN`), one vibrator with 10 steps,
//! which stops unless its speed keeps coming.
//!
//! **Wire format.** `03 02 00 <speed>` on `tx` **with** response, one per changed vibrator
//! (`03 02 00 00` to stop).
//!
//! **Repeats.** Upstream spawns a loop that re-sends `03 02 00 <speed>` every 300 ms while the
//! speed is not 0, next to the immediate write of each command. Here the first write is
//! immediate and the repeats are the Device's keepalive (300 ms, the registry line).
//!
//! **Where it differs from upstream, and why.**
//! - Keepalive protocols get a Stop right after connecting. Upstream writes nothing on connect
//!   (its loop only repeats non-zero speeds) and the shared case expects the first write to be
//!   the first speed, so a zero for a vibrator that was never written on this connection encodes
//!   to **no** command: nothing runs that this connection started, and an empty encode also
//!   keeps the Device from repeating anything.
//! - After a Stop the Device's keepalive repeats `03 02 00 00` every 300 ms, where upstream's
//!   loop goes quiet. Repeating "off" is harmless to the toy. **Device support that would
//!   remove it:** a keepalive that does not repeat a packet the protocol marks as final (or
//!   repeats only while an output is non-zero).
//!
//! ref: `crates/buttplug_server/src/device/protocol_impl/xuanhuan.rs` of buttplugio/buttplug.

use crate::{EncodeContext, ProtocolError};
use plugd_core::{Endpoint, HardwareCommand, OutputKind};
use std::time::Duration;

/// Database key.
pub const NAME: &str = "xuanhuan";

/// Silence after which the Device re-sends the last packet (upstream's loop period).
pub const KEEPALIVE: Duration = Duration::from_millis(300);

/// The bytes before the speed.
const HEADER: [u8; 3] = [0x03, 0x02, 0x00];

/// One packet per changed vibrator, in feature order; none for a zero on a vibrator never
/// written before (the Device's stop on connect).
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for any output but vibrate;
/// [`ProtocolError::Definition`] for a speed outside 0–255 (the database range is 0–10).
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    let mut commands = Vec::with_capacity(context.changed.len());
    for &(feature, kind) in context.changed {
        if kind != OutputKind::Vibrate {
            return Err(ProtocolError::UnsupportedOutput {
                protocol: NAME,
                kind,
            });
        }
        let value = context.value(feature, kind);
        if value == 0 && context.previous_value(feature, kind).is_none() {
            continue;
        }
        let speed = u8::try_from(value).map_err(|_| {
            ProtocolError::Definition(format!("{NAME} speed {value} is not a byte"))
        })?;
        let mut packet = HEADER.to_vec();
        packet.push(speed);
        commands.push(HardwareCommand::write_with_response(Endpoint::Tx, packet));
    }
    Ok(commands)
}

#[cfg(test)]
mod tests {
    use crate::testing::{write_with_response, Harness};
    use plugd_core::{Endpoint, OutputKind};

    fn check(device: &mut Harness, steps: &[(i32, [u8; 4])]) {
        for &(speed, bytes) in steps {
            assert_eq!(
                device.set(&[(0, OutputKind::Vibrate, speed)]),
                vec![write_with_response(Endpoint::Tx, &bytes)],
                "speed {speed}"
            );
        }
    }

    #[test]
    fn vibrate_writes_the_speed_with_response() {
        check(
            &mut Harness::builtin(super::NAME, None),
            &[
                (1, [0x03, 0x02, 0x00, 0x01]),
                (5, [0x03, 0x02, 0x00, 0x05]),
                (10, [0x03, 0x02, 0x00, 0x0a]),
                (0, [0x03, 0x02, 0x00, 0x00]),
            ],
        );
    }

    #[test]
    fn the_stop_on_connect_writes_nothing() {
        let mut device = Harness::builtin(super::NAME, None);
        assert_eq!(device.stop(), vec![]);
        // A later speed is written as usual, and so is the stop after it.
        check(
            &mut device,
            &[(3, [0x03, 0x02, 0x00, 0x03]), (0, [0x03, 0x02, 0x00, 0x00])],
        );
    }

    #[test]
    fn shared_case_stop_on_connect_half_tenth_then_stop() {
        // test_xuanhuan_protocol.yaml: nothing on connect, then 0.5 and 0.1 of 10 steps.
        let mut device = Harness::builtin(super::NAME, Some("QUXIN"));
        assert_eq!(device.definition.name, "Xuanhuan Masturbator");
        assert_eq!(device.stop(), vec![]);
        check(
            &mut device,
            &[(5, [0x03, 0x02, 0x00, 0x05]), (1, [0x03, 0x02, 0x00, 0x01])],
        );
        assert_eq!(
            device.stop(),
            vec![write_with_response(Endpoint::Tx, &[0x03, 0x02, 0x00, 0x00])]
        );
    }

    #[test]
    fn the_registry_repeats_packets_every_300_ms() {
        let protocol = crate::find(super::NAME).expect("registered");
        assert_eq!(protocol.keepalive, Some(super::KEEPALIVE));
        assert_eq!(super::KEEPALIVE.as_millis(), 300);
    }

    #[test]
    fn bad_speeds_and_other_outputs_are_refused() {
        let mut device = Harness::builtin(super::NAME, None);
        assert!(device.try_set(&[(0, OutputKind::Vibrate, 256)]).is_err());
        assert!(device.try_set(&[(0, OutputKind::Rotate, 1)]).is_err());
    }
}

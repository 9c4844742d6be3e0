//! Twerking Butt (advertised as "BODIKANG", "Twerking Butt", "TwerkingButt"): a moving novelty
//! toy whose database entry declares no features, so there is nothing to encode and no byte is
//! ever written. Registering the protocol lets the device connect and be listed (no outputs, no
//! inputs) instead of being ignored with a log line; a Stop has nothing to zero.
//!
//! **Sources.** Upstream has no handler for this key (device-config.md §1.8). No public
//! description of its speed commands exists: the Buttplug project's STPIHKAL issue #69 holds a
//! few captured packets with guessed meanings for pattern, audio and stop modes only, and
//! neither buttplug-rs's history, buttplug-csharp (configuration data only) nor buttplug-js has
//! an encoder. When the database gains features for it, this file gains bytes.

use crate::{EncodeContext, ProtocolError};
use plugd_core::HardwareCommand;

/// Database key.
pub const NAME: &str = "twerkingbutt";

/// The toy has no declared outputs: every output is refused.
///
/// # Errors
/// [`ProtocolError::UnsupportedOutput`] for the first changed output.
pub fn encode(context: &EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError> {
    match context.changed.first() {
        Some(&(_, kind)) => Err(ProtocolError::UnsupportedOutput {
            protocol: NAME,
            kind,
        }),
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Harness;
    use plugd_core::OutputKind;

    #[test]
    fn the_toy_connects_with_no_features_and_a_stop_writes_nothing() {
        let mut device = Harness::builtin(NAME, None);
        assert_eq!(device.definition.name, "Twerking Butt");
        assert!(device.definition.features.is_empty());
        assert_eq!(device.stop(), Vec::new());
    }

    #[test]
    fn any_output_is_refused() {
        let mut device = Harness::builtin(NAME, None);
        assert!(matches!(
            device.try_set(&[(0, OutputKind::Vibrate, 1)]),
            Err(ProtocolError::UnsupportedOutput { .. })
        ));
    }
}

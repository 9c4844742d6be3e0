//! Test support for protocol files: a [`Harness`] that plays the Device's part for one protocol
//! — a definition from plugd's built-in database, the current and previous output values, the
//! protocol session with its counter — so a test reads "set these outputs, expect these bytes".

// Not every protocol test uses every helper.
#![allow(dead_code)]

use crate::{EncodeContext, OutputState, OutputValue, ProtocolSession};
use plugd_config::{DeviceConfigStore, DeviceDatabase, DeviceDefinition};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, OutputKind};

/// The Device's part, for one protocol, in tests.
pub struct Harness {
    /// The device.
    pub definition: DeviceDefinition,
    /// What the Device keeps for the protocol (set `identifier` / `init_replies` as init would).
    pub session: ProtocolSession,
    current: OutputState,
    previous: OutputState,
    encode: crate::registry::EncodeFn,
}

impl Harness {
    /// The built-in database's definition for `protocol` and `identifier` (`None`: defaults).
    ///
    /// # Panics
    /// When the protocol is not registered or not in the built-in database: a test bug.
    pub fn builtin(protocol: &str, identifier: Option<&str>) -> Harness {
        let store = DeviceConfigStore::new(DeviceDatabase::builtin(), None);
        let definition = store
            .definition(protocol, identifier, "test-address")
            .unwrap_or_else(|| panic!("no built-in definition for {protocol} {identifier:?}"));
        Harness::with_definition(definition)
    }

    /// A harness for a hand-built definition.
    ///
    /// # Panics
    /// When the definition's protocol is not registered.
    pub fn with_definition(definition: DeviceDefinition) -> Harness {
        let protocol = crate::find(&definition.protocol)
            .unwrap_or_else(|| panic!("protocol {} is not registered", definition.protocol));
        Harness {
            session: ProtocolSession {
                identifier: definition.identifier.clone(),
                ..ProtocolSession::default()
            },
            definition,
            current: OutputState::new(),
            previous: OutputState::new(),
            encode: protocol.encode,
        }
    }

    /// Sets outputs (device values) as one command and returns what the protocol writes,
    /// advancing the counter like the Device when something was written.
    ///
    /// # Panics
    /// When the encoder fails: use [`Harness::try_set`] to test errors.
    pub fn set(&mut self, outputs: &[(u32, OutputKind, i32)]) -> Vec<HardwareCommand> {
        self.try_set(outputs).expect("encode")
    }

    /// Like [`Harness::set`] with durations (`hw_position_with_duration`).
    pub fn set_with_duration(
        &mut self,
        outputs: &[(u32, OutputKind, i32, Option<u32>)],
    ) -> Vec<HardwareCommand> {
        self.try_set_with_duration(outputs).expect("encode")
    }

    /// Sets outputs; returns the encoder's result.
    pub fn try_set(
        &mut self,
        outputs: &[(u32, OutputKind, i32)],
    ) -> Result<Vec<HardwareCommand>, crate::ProtocolError> {
        let with_duration: Vec<_> = outputs
            .iter()
            .map(|&(feature, kind, value)| (feature, kind, value, None))
            .collect();
        self.try_set_with_duration(&with_duration)
    }

    /// Sets outputs with durations; returns the encoder's result.
    pub fn try_set_with_duration(
        &mut self,
        outputs: &[(u32, OutputKind, i32, Option<u32>)],
    ) -> Result<Vec<HardwareCommand>, crate::ProtocolError> {
        let mut changed = Vec::new();
        for &(feature, kind, value, duration) in outputs {
            let key = (FeatureIndex(feature), kind);
            self.current.insert(key, OutputValue { value, duration });
            changed.push(key);
        }
        changed.sort();
        changed.dedup();
        let result = (self.encode)(&EncodeContext {
            definition: &self.definition,
            current: &self.current,
            previous: &self.previous,
            changed: &changed,
            session: &self.session,
        });
        if let Ok(commands) = &result {
            let written = u32::try_from(commands.len()).unwrap_or(u32::MAX);
            self.session.counter = self.session.counter.wrapping_add(written);
            for key in &changed {
                if let Some(value) = self.current.get(key) {
                    self.previous.insert(*key, *value);
                }
            }
        }
        result
    }

    /// Stops every output the way the Device does (first stoppable kind per feature → 0).
    pub fn stop(&mut self) -> Vec<HardwareCommand> {
        let outputs: Vec<(u32, OutputKind, i32)> = self
            .definition
            .features
            .iter()
            .filter_map(|feature| {
                OutputKind::STOP_ORDER
                    .into_iter()
                    .find(|kind| feature.output(*kind).is_some())
                    .map(|kind| (feature.index.0, kind, 0))
            })
            .collect();
        self.set(&outputs)
    }
}

/// A write without response to `endpoint`.
pub fn write(endpoint: Endpoint, data: &[u8]) -> HardwareCommand {
    HardwareCommand::write(endpoint, data.to_vec())
}

/// A write with response to `endpoint`.
pub fn write_with_response(endpoint: Endpoint, data: &[u8]) -> HardwareCommand {
    HardwareCommand::write_with_response(endpoint, data.to_vec())
}

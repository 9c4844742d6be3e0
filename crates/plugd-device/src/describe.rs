//! How a device definition looks to clients: placeholder features and disabled outputs hidden,
//! ranges in client steps (after user ranges); with raw access, the endpoints raw messages may
//! address.

use plugd_config::DeviceDefinition;
use plugd_core::{DeviceIndex, Endpoint};
use plugd_messages::{DeviceInfo, FeatureInfo, InputInfo, OutputInfo};
use std::time::Duration;

/// The client-visible description of `definition` at `index`. `message_gap` is the gap the
/// Device really applies; it is advertised as `DeviceMessageTimingGap`. `raw_endpoints` is
/// `Some` (the hardware's endpoints) only when raw access is enabled: the description then
/// lists them, sorted by name, and the name warns " (Raw Messages Allowed)" as 9.x did.
pub fn describe(
    definition: &DeviceDefinition,
    index: DeviceIndex,
    message_gap: Option<Duration>,
    raw_endpoints: Option<&[Endpoint]>,
) -> DeviceInfo {
    let features = definition
        .features
        .iter()
        .filter_map(|feature| {
            let outputs: Vec<OutputInfo> = feature
                .outputs
                .iter()
                .filter(|output| !output.disabled)
                .map(|output| OutputInfo {
                    kind: output.kind,
                    range: output.client_range(),
                    duration: output.duration,
                })
                .collect();
            let inputs: Vec<InputInfo> = feature
                .inputs
                .iter()
                .map(|input| InputInfo {
                    kind: input.kind,
                    ranges: input.value.clone(),
                    commands: input.commands.clone(),
                })
                .collect();
            if outputs.is_empty() && inputs.is_empty() {
                return None;
            }
            Some(FeatureInfo {
                index: feature.index,
                description: feature.description.clone(),
                outputs,
                inputs,
            })
        })
        .collect();
    let raw_endpoints = raw_endpoints.map(|endpoints| {
        let mut endpoints = endpoints.to_vec();
        endpoints.sort_by_key(|endpoint| endpoint.name());
        endpoints.dedup();
        endpoints
    });
    let name = match raw_endpoints {
        Some(_) => format!("{} (Raw Messages Allowed)", definition.name),
        None => definition.name.clone(),
    };
    DeviceInfo {
        index,
        name,
        display_name: definition.user.display_name.clone(),
        message_timing_gap_ms: message_gap
            .map(|gap| u32::try_from(gap.as_millis()).unwrap_or(u32::MAX))
            .unwrap_or(0),
        features,
        raw_endpoints,
    }
}

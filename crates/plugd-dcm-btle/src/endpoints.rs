//! Pure steps of the BLE DCM: an advertisement as a `DeviceIdentity`, which `btle` specifier of
//! the matched protocol maps its GATT services (the first one, as upstream), which
//! characteristic serves each endpoint, and which kind of write a characteristic can take.

use crate::backend::{Advertisement, CharacteristicProperties, GattCharacteristic};
use plugd_config::{CommunicationSpecifier, DeviceIdentity, Transport};
use plugd_core::Endpoint;
use std::collections::BTreeMap;

/// Service UUID → endpoint → characteristic UUID, as a `btle` specifier gives it.
pub type ServiceMap = BTreeMap<String, BTreeMap<Endpoint, String>>;

/// What DeviceConfig matches an advertisement by.
pub fn identity(advertisement: &Advertisement) -> DeviceIdentity {
    let mut identity = DeviceIdentity::named(
        Transport::Btle,
        advertisement.name.clone(),
        advertisement.address.clone(),
    );
    identity.manufacturer_data = advertisement.manufacturer_data.clone();
    identity.advertised_services = advertisement.services.clone();
    identity
}

/// Nameless devices that advertise no service cannot match anything (device-config.md §2.2);
/// they are not even looked up.
pub fn worth_a_lookup(advertisement: &Advertisement) -> bool {
    !advertisement.name.is_empty()
        || !advertisement.services.is_empty()
        || !advertisement.manufacturer_data.is_empty()
}

/// The services map of `protocol`'s first `btle` specifier in `specifiers` (user specifiers
/// come first there, as DeviceConfig lists them).
pub fn services_for(protocol: &str, specifiers: &[(String, CommunicationSpecifier)]) -> ServiceMap {
    specifiers
        .iter()
        .find_map(|(name, specifier)| match specifier {
            CommunicationSpecifier::Btle { services, .. } if name == protocol => {
                Some(services.clone())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// Which characteristic serves each endpoint, and the endpoints of services the device has
/// whose characteristic it lacks (logged; the endpoint is then absent, as upstream).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointMap {
    /// Endpoint → characteristic.
    pub endpoints: BTreeMap<Endpoint, GattCharacteristic>,
    /// (endpoint, characteristic UUID) the specifier names but the device does not have.
    pub missing: Vec<(Endpoint, String)>,
}

/// Maps the specifier's services onto what discovery found. Services the device does not have
/// are skipped (the Lovense entry lists 38, one per model family); UUIDs compare
/// case-insensitively.
pub fn map_endpoints(services: &ServiceMap, found: &[GattCharacteristic]) -> EndpointMap {
    let mut map = EndpointMap::default();
    for (service, endpoints) in services {
        let in_service: Vec<&GattCharacteristic> = found
            .iter()
            .filter(|characteristic| characteristic.service.eq_ignore_ascii_case(service))
            .collect();
        if in_service.is_empty() {
            continue;
        }
        for (endpoint, uuid) in endpoints {
            match in_service
                .iter()
                .find(|characteristic| characteristic.uuid.eq_ignore_ascii_case(uuid))
            {
                Some(characteristic) => {
                    map.endpoints
                        .entry(*endpoint)
                        .or_insert_with(|| (*characteristic).clone());
                }
                None => map.missing.push((*endpoint, uuid.clone())),
            }
        }
    }
    map
}

/// The write to use: the one asked for if the characteristic takes it, else the other kind if
/// it takes that (upstream falls back the same way), else `None`. `true` = with response.
pub fn write_kind(properties: CharacteristicProperties, with_response: bool) -> Option<bool> {
    match (
        with_response,
        properties.write,
        properties.write_without_response,
    ) {
        (true, true, _) | (false, _, true) => Some(with_response),
        (true, false, true) => Some(false),
        (false, true, false) => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugd_config::ManufacturerData;

    fn characteristic(service: &str, uuid: &str) -> GattCharacteristic {
        GattCharacteristic {
            service: service.to_string(),
            uuid: uuid.to_string(),
            properties: CharacteristicProperties {
                write_without_response: true,
                notify: true,
                ..CharacteristicProperties::default()
            },
        }
    }

    fn services(entries: &[(&str, &[(Endpoint, &str)])]) -> ServiceMap {
        entries
            .iter()
            .map(|(service, endpoints)| {
                (
                    service.to_string(),
                    endpoints
                        .iter()
                        .map(|(endpoint, uuid)| (*endpoint, uuid.to_string()))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn endpoints_map_to_characteristics_of_the_service_the_device_has() {
        let spec = services(&[
            (
                "5a300001-0023-4bd4-bbd5-a6920e4c5653",
                &[
                    (Endpoint::Tx, "5a300002-0023-4bd4-bbd5-a6920e4c5653"),
                    (Endpoint::Rx, "5a300003-0023-4bd4-bbd5-a6920e4c5653"),
                ],
            ),
            (
                "6e400001-b5a3-f393-e0a9-e50e24dcca9e",
                &[
                    (Endpoint::Tx, "6e400002-b5a3-f393-e0a9-e50e24dcca9e"),
                    (Endpoint::Rx, "6e400003-b5a3-f393-e0a9-e50e24dcca9e"),
                ],
            ),
        ]);
        let found = [
            characteristic(
                "6E400001-B5A3-F393-E0A9-E50E24DCCA9E",
                "6E400002-B5A3-F393-E0A9-E50E24DCCA9E",
            ),
            characteristic(
                "6e400001-b5a3-f393-e0a9-e50e24dcca9e",
                "6e400003-b5a3-f393-e0a9-e50e24dcca9e",
            ),
            characteristic(
                "0000180f-0000-1000-8000-00805f9b34fb",
                "00002a19-0000-1000-8000-00805f9b34fb",
            ),
        ];
        let map = map_endpoints(&spec, &found);
        assert_eq!(map.endpoints.len(), 2);
        assert_eq!(
            map.endpoints[&Endpoint::Tx].uuid,
            "6E400002-B5A3-F393-E0A9-E50E24DCCA9E"
        );
        assert_eq!(
            map.endpoints[&Endpoint::Rx].uuid,
            "6e400003-b5a3-f393-e0a9-e50e24dcca9e"
        );
        assert!(map.missing.is_empty());
    }

    #[test]
    fn a_missing_characteristic_leaves_its_endpoint_out_and_is_reported() {
        let spec = services(&[(
            "0000fe00-0000-1000-8000-00805f9b34fb",
            &[
                (Endpoint::Tx, "0000fe01-0000-1000-8000-00805f9b34fb"),
                (
                    Endpoint::RxBleBattery,
                    "0000fe09-0000-1000-8000-00805f9b34fb",
                ),
            ],
        )]);
        let found = [characteristic(
            "0000fe00-0000-1000-8000-00805f9b34fb",
            "0000fe01-0000-1000-8000-00805f9b34fb",
        )];
        let map = map_endpoints(&spec, &found);
        assert_eq!(
            map.endpoints.keys().copied().collect::<Vec<_>>(),
            vec![Endpoint::Tx]
        );
        assert_eq!(
            map.missing,
            vec![(
                Endpoint::RxBleBattery,
                "0000fe09-0000-1000-8000-00805f9b34fb".to_string()
            )]
        );
    }

    #[test]
    fn a_device_without_the_configured_services_maps_nothing() {
        let spec = services(&[(
            "0000fe00-0000-1000-8000-00805f9b34fb",
            &[(Endpoint::Tx, "0000fe01-0000-1000-8000-00805f9b34fb")],
        )]);
        let map = map_endpoints(
            &spec,
            &[characteristic(
                "0000aaaa-0000-1000-8000-00805f9b34fb",
                "0000fe01-0000-1000-8000-00805f9b34fb",
            )],
        );
        assert!(map.endpoints.is_empty());
        assert!(map.missing.is_empty());
    }

    #[test]
    fn writes_fall_back_to_the_kind_the_characteristic_takes() {
        let both = CharacteristicProperties {
            write: true,
            write_without_response: true,
            ..Default::default()
        };
        let acknowledged = CharacteristicProperties {
            write: true,
            ..Default::default()
        };
        let unacknowledged = CharacteristicProperties {
            write_without_response: true,
            ..Default::default()
        };
        assert_eq!(write_kind(both, true), Some(true));
        assert_eq!(write_kind(both, false), Some(false));
        assert_eq!(write_kind(acknowledged, false), Some(true));
        assert_eq!(write_kind(unacknowledged, true), Some(false));
        assert_eq!(write_kind(CharacteristicProperties::default(), false), None);
    }

    #[test]
    fn an_advertisement_becomes_an_identity_with_everything_matching_uses() {
        let advertisement = Advertisement {
            address: "DC:0D:30:05:16:D5".into(),
            name: "LVS-Z36".into(),
            manufacturer_data: vec![ManufacturerData {
                company: 0xff,
                data: vec![1, 2],
            }],
            services: vec!["5a300001-0023-4bd4-bbd5-a6920e4c5653".into()],
        };
        let identity = identity(&advertisement);
        assert_eq!(identity.transport, Transport::Btle);
        assert_eq!(identity.name, "LVS-Z36");
        assert_eq!(identity.address, "DC:0D:30:05:16:D5");
        assert_eq!(identity.manufacturer_data, advertisement.manufacturer_data);
        assert_eq!(identity.advertised_services, advertisement.services);
    }

    #[test]
    fn btleplug_writes_addresses_as_upper_case_hex_pairs_like_the_lovense_dongle_dcm() {
        let address = btleplug::api::BDAddr::from([0xdc, 0x0d, 0x30, 0x05, 0x16, 0xd5]);
        assert_eq!(address.to_string(), "DC:0D:30:05:16:D5");
    }

    #[test]
    fn nameless_silent_advertisements_are_not_looked_up() {
        let mut advertisement = Advertisement {
            address: "00:11:22:33:44:55".into(),
            name: String::new(),
            manufacturer_data: Vec::new(),
            services: Vec::new(),
        };
        assert!(!worth_a_lookup(&advertisement));
        advertisement
            .services
            .push("6e400001-b5a3-f393-e0a9-e50e24dcca9e".into());
        assert!(worth_a_lookup(&advertisement));
    }

    #[test]
    fn the_services_map_comes_from_the_matched_protocols_first_btle_specifier() {
        let btle = |service: &str| CommunicationSpecifier::Btle {
            names: vec!["X".into()],
            manufacturer_data: Vec::new(),
            advertised_services: Vec::new(),
            services: services(&[(
                service,
                &[(Endpoint::Tx, "0000fe01-0000-1000-8000-00805f9b34fb")],
            )]),
        };
        let specifiers = vec![
            (
                "other".to_string(),
                btle("0000aaaa-0000-1000-8000-00805f9b34fb"),
            ),
            (
                "acme".to_string(),
                btle("0000fe00-0000-1000-8000-00805f9b34fb"),
            ),
            (
                "acme".to_string(),
                btle("0000bbbb-0000-1000-8000-00805f9b34fb"),
            ),
        ];
        let map = services_for("acme", &specifiers);
        assert!(map.contains_key("0000fe00-0000-1000-8000-00805f9b34fb"));
        assert_eq!(map.len(), 1);
        assert!(services_for("none", &specifiers).is_empty());
    }
}

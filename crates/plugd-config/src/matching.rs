//! Is this found hardware described by that communication specifier? The equality rules of
//! device-config.md §2.2 (ref: upstream `specifier.rs`) as pure functions; the store applies
//! them to the user's and the database's specifier lists.
//!
//! The transport must agree first: a BLE identity only meets `btle` specifiers, a gamepad only
//! `xinput` / `sdl-gamepad`, and so on. Then, per transport:
//!
//! * BLE: equal names, or a trailing `*` on either side as a prefix wildcard; or manufacturer
//!   data of the same company whose bytes are absent in the specifier, equal, or one a
//!   contiguous part of the other; or a shared advertised service (UUIDs compared
//!   case-insensitively). Names are compared exactly (case, spaces and control characters count).
//! * serial: the port string equals the identity's name (the port the DCM found).
//! * HID / USB: the identity's vendor/product pair is one of the specifier's pairs.
//! * websocket: `name` equals the greeting's identifier (the identity's name).
//! * simulated: one of `names` equals the identity's name.
//! * lovense_connect_service, xinput, sdl-gamepad: always, for their transport.

use crate::database::{CommunicationSpecifier, ManufacturerDataSpecifier};
use crate::identity::{DeviceIdentity, ManufacturerData};

/// True when `specifier` describes `identity`.
pub(crate) fn specifier_matches(
    specifier: &CommunicationSpecifier,
    identity: &DeviceIdentity,
) -> bool {
    if specifier.transport() != identity.transport {
        return false;
    }
    match specifier {
        CommunicationSpecifier::Btle {
            names,
            manufacturer_data,
            advertised_services,
            ..
        } => {
            names
                .iter()
                .any(|configured| names_match(configured, &identity.name))
                || manufacturer_data.iter().any(|expected| {
                    identity
                        .manufacturer_data
                        .iter()
                        .any(|seen| manufacturer_data_matches(expected, seen))
                })
                || services_intersect(advertised_services, &identity.advertised_services)
        }
        CommunicationSpecifier::Serial { port, .. } => *port == identity.name,
        CommunicationSpecifier::Hid { pairs } | CommunicationSpecifier::Usb { pairs } => identity
            .vendor_product
            .is_some_and(|(vendor_id, product_id)| {
                pairs
                    .iter()
                    .any(|pair| pair.vendor_id == vendor_id && pair.product_id == product_id)
            }),
        CommunicationSpecifier::Websocket { name } => *name == identity.name,
        CommunicationSpecifier::Simulated { names } => names.contains(&identity.name),
        CommunicationSpecifier::Xinput
        | CommunicationSpecifier::LovenseConnectService
        | CommunicationSpecifier::SdlGamepad => true,
    }
}

/// Two BLE names are equal, or one ends in `*` and the other starts with what precedes it.
/// The configured side's wildcard is tried first, as upstream does.
pub(crate) fn names_match(configured: &str, seen: &str) -> bool {
    if configured == seen {
        return true;
    }
    if let Some(prefix) = configured.strip_suffix('*') {
        return seen.starts_with(prefix);
    }
    if let Some(prefix) = seen.strip_suffix('*') {
        return configured.starts_with(prefix);
    }
    false
}

/// Same company, and the specifier's bytes absent, equal, or the shorter of the two byte
/// strings found contiguously inside the longer (either way round, as upstream does).
pub(crate) fn manufacturer_data_matches(
    expected: &ManufacturerDataSpecifier,
    seen: &ManufacturerData,
) -> bool {
    if expected.company != seen.company {
        return false;
    }
    match &expected.data {
        None => true,
        Some(data) => contains(data, &seen.data) || contains(&seen.data, data),
    }
}

/// True when `needle` occurs contiguously in `haystack` (an empty needle always does).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// True when the two UUID lists share one, compared case-insensitively.
pub(crate) fn services_intersect(configured: &[String], seen: &[String]) -> bool {
    configured
        .iter()
        .any(|uuid| seen.iter().any(|other| uuid.eq_ignore_ascii_case(other)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database::VendorProductPair;
    use crate::identity::Transport;
    use std::collections::BTreeMap;

    fn btle(names: &[&str]) -> CommunicationSpecifier {
        CommunicationSpecifier::Btle {
            names: names.iter().map(|name| name.to_string()).collect(),
            manufacturer_data: Vec::new(),
            advertised_services: Vec::new(),
            services: BTreeMap::new(),
        }
    }

    fn ble_identity(name: &str) -> DeviceIdentity {
        DeviceIdentity::named(Transport::Btle, name, "AA:BB:CC:DD:EE:FF")
    }

    #[test]
    fn equal_ble_names_match_exactly_and_case_sensitively() {
        assert!(btle(&["LVS-Z36"]).matches(&ble_identity("LVS-Z36")));
        assert!(!btle(&["LVS-Z36"]).matches(&ble_identity("lvs-z36")));
        assert!(!btle(&["LVS-Z36"]).matches(&ble_identity("LVS-Z36 ")));
        assert!(btle(&["\u{7}HISMITH"]).matches(&ble_identity("\u{7}HISMITH")));
    }

    #[test]
    fn a_trailing_star_in_the_database_is_a_prefix_wildcard() {
        assert!(btle(&["LVS-*"]).matches(&ble_identity("LVS-Z36")));
        assert!(btle(&["NobraControl*"]).matches(&ble_identity("NobraController  ")));
        assert!(!btle(&["LVS-*"]).matches(&ble_identity("LV-Z36")));
        assert!(
            !btle(&["LVS*X"]).matches(&ble_identity("LVSYX")),
            "only a trailing star is a wildcard"
        );
    }

    #[test]
    fn a_trailing_star_on_the_device_name_is_a_wildcard_too() {
        assert!(names_match("LVS-Z36", "LVS-*"));
        assert!(!names_match("LOVE-Z36", "LVS-*"));
    }

    #[test]
    fn manufacturer_data_matches_by_company_and_contiguous_bytes_either_way() {
        let expected = |data: Option<Vec<u8>>| ManufacturerDataSpecifier { company: 620, data };
        let seen = |company: u16, data: &[u8]| ManufacturerData {
            company,
            data: data.to_vec(),
        };
        assert!(manufacturer_data_matches(
            &expected(None),
            &seen(620, &[9, 9])
        ));
        assert!(manufacturer_data_matches(
            &expected(Some(vec![255, 33])),
            &seen(620, &[255, 33])
        ));
        assert!(manufacturer_data_matches(
            &expected(Some(vec![255, 33])),
            &seen(620, &[1, 255, 33, 7])
        ));
        assert!(manufacturer_data_matches(
            &expected(Some(vec![1, 255, 33, 7])),
            &seen(620, &[255, 33])
        ));
        assert!(!manufacturer_data_matches(
            &expected(Some(vec![255, 33])),
            &seen(620, &[255, 7, 33])
        ));
        assert!(!manufacturer_data_matches(
            &expected(None),
            &seen(621, &[255, 33])
        ));
    }

    #[test]
    fn ble_specifier_matches_a_nameless_device_by_manufacturer_data() {
        let specifier = CommunicationSpecifier::Btle {
            names: vec!["LVS-*".to_string()],
            manufacturer_data: vec![ManufacturerDataSpecifier {
                company: 620,
                data: Some(vec![255, 33]),
            }],
            advertised_services: Vec::new(),
            services: BTreeMap::new(),
        };
        let mut identity = ble_identity("");
        identity.manufacturer_data = vec![ManufacturerData {
            company: 620,
            data: vec![0, 255, 33],
        }];
        assert!(specifier.matches(&identity));
        identity.manufacturer_data[0].company = 1;
        assert!(!specifier.matches(&identity));
    }

    #[test]
    fn advertised_services_match_case_insensitively() {
        let specifier = CommunicationSpecifier::Btle {
            names: vec!["Nothing".to_string()],
            manufacturer_data: Vec::new(),
            advertised_services: vec!["6e400001-b5a3-f393-e0a9-e50e24dcca9e".to_string()],
            services: BTreeMap::new(),
        };
        let mut identity = ble_identity("Stray");
        identity.advertised_services = vec!["6E400001-B5A3-F393-E0A9-E50E24DCCA9E".to_string()];
        assert!(specifier.matches(&identity));
        identity.advertised_services = vec!["0000fe00-0000-1000-8000-00805f9b34fb".to_string()];
        assert!(!specifier.matches(&identity));
    }

    #[test]
    fn the_transport_must_agree() {
        let serial_identity = DeviceIdentity::named(Transport::Serial, "LVS-Z36", "/dev/ttyUSB0");
        assert!(!btle(&["LVS-Z36"]).matches(&serial_identity));
        let websocket = CommunicationSpecifier::Websocket {
            name: "LVSDevice".to_string(),
        };
        assert!(websocket.matches(&DeviceIdentity::named(
            Transport::Websocket,
            "LVSDevice",
            "1A"
        )));
        assert!(!websocket.matches(&DeviceIdentity::named(Transport::Btle, "LVSDevice", "1A")));
        assert!(!websocket.matches(&DeviceIdentity::named(Transport::Websocket, "Other", "1A")));
    }

    #[test]
    fn serial_matches_the_port_name() {
        let serial = CommunicationSpecifier::Serial {
            port: "/dev/ttyUSB0".to_string(),
            baud_rate: 115200,
            data_bits: 8,
            parity: 'N',
            stop_bits: 1,
        };
        assert!(serial.matches(&DeviceIdentity::named(
            Transport::Serial,
            "/dev/ttyUSB0",
            "/dev/ttyUSB0"
        )));
        assert!(!serial.matches(&DeviceIdentity::named(
            Transport::Serial,
            "/dev/ttyUSB1",
            "/dev/ttyUSB1"
        )));
    }

    #[test]
    fn hid_and_usb_match_a_vendor_product_pair_on_their_own_transport() {
        let pairs = vec![
            VendorProductPair {
                vendor_id: 1406,
                product_id: 8199,
            },
            VendorProductPair {
                vendor_id: 1406,
                product_id: 8198,
            },
        ];
        let hid = CommunicationSpecifier::Hid {
            pairs: pairs.clone(),
        };
        let usb = CommunicationSpecifier::Usb { pairs };
        let mut identity = DeviceIdentity::named(Transport::Hid, "Joy-Con", "hid-1");
        identity.vendor_product = Some((1406, 8198));
        assert!(hid.matches(&identity));
        assert!(!usb.matches(&identity));
        identity.vendor_product = Some((1406, 1));
        assert!(!hid.matches(&identity));
        identity.vendor_product = None;
        assert!(!hid.matches(&identity));
    }

    #[test]
    fn simulated_names_match_the_identity_name() {
        let simulated = CommunicationSpecifier::Simulated {
            names: vec![
                "simulated-1vibe".to_string(),
                "simulated-rotator".to_string(),
            ],
        };
        assert!(simulated.matches(&DeviceIdentity::named(
            Transport::Simulated,
            "simulated-rotator",
            "s1"
        )));
        assert!(!simulated.matches(&DeviceIdentity::named(
            Transport::Simulated,
            "simulated-2vibe",
            "s1"
        )));
    }

    #[test]
    fn app_and_gamepad_specifiers_match_any_device_of_their_transport() {
        let lovense_connect = CommunicationSpecifier::LovenseConnectService;
        assert!(lovense_connect.matches(&DeviceIdentity::named(
            Transport::LovenseConnect,
            "Edge",
            "x"
        )));
        assert!(!lovense_connect.matches(&DeviceIdentity::named(Transport::Gamepad, "Edge", "x")));
        for gamepad in [
            CommunicationSpecifier::Xinput,
            CommunicationSpecifier::SdlGamepad,
        ] {
            assert!(gamepad.matches(&DeviceIdentity::named(Transport::Gamepad, "Pad", "0")));
            assert!(!gamepad.matches(&DeviceIdentity::named(Transport::Btle, "Pad", "0")));
        }
    }
}

//! The device WebSocket's frames (docs/simulated-devices.md): greetings, and after `Accepted`
//! one JSON object per frame each way.

use plugd_config::{DeviceIdentity, ManufacturerData, Transport};
use plugd_core::Endpoint;
use serde::{Deserialize, Serialize};

/// The upstream-compatible greeting: `{"identifier": "LVSDevice", "address": "1A2B3C", "version": 0}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamGreeting {
    pub identifier: String,
    pub address: String,
    #[serde(default)]
    #[allow(dead_code)]
    pub version: u32,
}

/// `{"simulate": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulateGreeting {
    pub simulate: SimulatedHardware,
}

/// The identity a simulated device claims.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatedHardware {
    pub transport: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub manufacturer_data: Vec<WireManufacturerData>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub port: Option<String>,
    #[serde(default)]
    pub vendor_id: Option<u16>,
    #[serde(default)]
    pub product_id: Option<u16>,
}

/// `{"company": 1234, "data": [..]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireManufacturerData {
    pub company: u16,
    #[serde(default)]
    pub data: Vec<u8>,
}

impl SimulatedHardware {
    /// The identity a real DCM of that transport would report.
    pub fn identity(self, fallback_address: String) -> Result<DeviceIdentity, String> {
        let transport = match self.transport.as_str() {
            "btle" => Transport::Btle,
            "serial" => Transport::Serial,
            "hid" => Transport::Hid,
            "usb" => Transport::Usb,
            "lovense_connect" => Transport::LovenseConnect,
            other => {
                return Err(format!(
                "unknown transport {other:?}: expected btle, serial, hid, usb or lovense_connect"
            ))
            }
        };
        let name = match transport {
            Transport::Serial => self.port.or(self.name),
            _ => self.name,
        };
        let vendor_product = match (self.vendor_id, self.product_id) {
            (Some(vendor), Some(product)) => Some((vendor, product)),
            (None, None) => None,
            _ => return Err("vendor_id and product_id go together".to_string()),
        };
        if matches!(transport, Transport::Hid | Transport::Usb) && vendor_product.is_none() {
            return Err(format!(
                "{} devices need vendor_id and product_id",
                transport.name()
            ));
        }
        let name = match name {
            Some(name) => name,
            None if vendor_product.is_some() => String::new(),
            None => return Err(format!("{} devices need a name", transport.name())),
        };
        Ok(DeviceIdentity {
            transport,
            name,
            address: self.address.unwrap_or(fallback_address),
            manufacturer_data: self
                .manufacturer_data
                .into_iter()
                .map(|entry| ManufacturerData {
                    company: entry.company,
                    data: entry.data,
                })
                .collect(),
            advertised_services: self
                .services
                .into_iter()
                .map(|service| service.to_ascii_lowercase())
                .collect(),
            vendor_product,
        })
    }
}

/// Frames plugd sends to a simulated device.
#[derive(Debug, Serialize)]
pub enum ToDevice<'a> {
    Accepted {
        protocol: &'a str,
        endpoints: &'a [Endpoint],
    },
    Rejected {
        reason: &'a str,
    },
    Error {
        reason: &'a str,
    },
    Write {
        endpoint: Endpoint,
        data: &'a [u8],
        write_with_response: bool,
    },
    Read {
        id: u64,
        endpoint: Endpoint,
        length: u32,
        timeout_ms: u64,
    },
    Subscribe {
        endpoint: Endpoint,
    },
    Unsubscribe {
        endpoint: Endpoint,
    },
}

impl ToDevice<'_> {
    /// The frame's text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Frames a simulated device sends after `Accepted`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FromDevice {
    Notification { endpoint: Endpoint, data: Vec<u8> },
    ReadReply { id: u64, data: Vec<u8> },
    Disconnect {},
}

/// What plugd makes of one text frame a simulated device sends, without a socket: the greeting
/// (`greeting: true`; its identity, or why it is refused) or a frame after `Accepted`. The same
/// parsing `DeviceSocket` does, public so plugd-fuzz can feed it outside data.
///
/// # Errors
/// The refusal reason a device would be sent.
pub fn parse_device_text(text: &str, greeting: bool) -> Result<Option<DeviceIdentity>, String> {
    if !greeting {
        return serde_json::from_str::<FromDevice>(text)
            .map(|_| None)
            .map_err(|error| error.to_string());
    }
    if let Ok(greeting) = serde_json::from_str::<SimulateGreeting>(text) {
        return greeting.simulate.identity("sim-fuzz".to_string()).map(Some);
    }
    serde_json::from_str::<UpstreamGreeting>(text)
        .map(|greeting| {
            Some(DeviceIdentity::named(
                Transport::Websocket,
                greeting.identifier,
                greeting.address,
            ))
        })
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_frame_matches_the_documented_shape() {
        let frame = ToDevice::Write {
            endpoint: Endpoint::Tx,
            data: &[86, 105],
            write_with_response: false,
        };
        assert_eq!(
            frame.to_text(),
            r#"{"Write":{"endpoint":"tx","data":[86,105],"write_with_response":false}}"#
        );
    }

    #[test]
    fn device_frames_parse_and_unknown_fields_are_refused() {
        let parsed: FromDevice =
            serde_json::from_str(r#"{"Notification":{"endpoint":"rx","data":[66,58]}}"#).unwrap();
        assert!(matches!(
            parsed,
            FromDevice::Notification {
                endpoint: Endpoint::Rx,
                ..
            }
        ));
        assert!(serde_json::from_str::<FromDevice>(r#"{"Disconnect":{}}"#).is_ok());
        assert!(
            serde_json::from_str::<FromDevice>(r#"{"Notification":{"endpoint":"rx"}}"#).is_err()
        );
        assert!(
            serde_json::from_str::<FromDevice>(r#"{"ReadReply":{"id":1,"data":[300]}}"#).is_err()
        );
    }

    #[test]
    fn btle_greeting_becomes_a_btle_identity() {
        let greeting: SimulateGreeting = serde_json::from_str(
            r#"{"simulate":{"transport":"btle","name":"LVS-Z36","address":"AA","manufacturer_data":[],"services":[]}}"#,
        )
        .unwrap();
        let identity = greeting.simulate.identity("x".into()).unwrap();
        assert_eq!(identity.transport, Transport::Btle);
        assert_eq!(identity.name, "LVS-Z36");
        assert_eq!(identity.address, "AA");
    }

    #[test]
    fn hid_greeting_without_ids_is_refused() {
        let greeting: SimulateGreeting =
            serde_json::from_str(r#"{"simulate":{"transport":"hid","name":"x"}}"#).unwrap();
        assert!(greeting.simulate.identity("x".into()).is_err());
    }
}

//! Endpoint names: the roles a device's characteristics (or a serial/HID pipe) play. The device
//! database maps each role to a UUID; protocols and the simulated-device wire speak in roles.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A name that is not an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown endpoint {0:?}")]
pub struct UnknownEndpoint(pub String);

/// A named endpoint of a device (device-config.md §1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// `command`
    Command,
    /// `firmware`
    Firmware,
    /// `rx`: notifications from the device.
    Rx,
    /// `rxaccel`
    RxAccel,
    /// `rxblebattery`: the standard BLE battery characteristic.
    RxBleBattery,
    /// `rxblemodel`: a model-number characteristic.
    RxBleModel,
    /// `rxpressure`
    RxPressure,
    /// `rxtouch`
    RxTouch,
    /// `tx`: commands to the device.
    Tx,
    /// `txmode`
    TxMode,
    /// `txshock`
    TxShock,
    /// `txvibrate`
    TxVibrate,
    /// `txvendorcontrol`
    TxVendorControl,
    /// `whitelist`
    Whitelist,
    /// `generic0` … `generic31`
    Generic(u8),
}

const NAMED: [(Endpoint, &str); 14] = [
    (Endpoint::Command, "command"),
    (Endpoint::Firmware, "firmware"),
    (Endpoint::Rx, "rx"),
    (Endpoint::RxAccel, "rxaccel"),
    (Endpoint::RxBleBattery, "rxblebattery"),
    (Endpoint::RxBleModel, "rxblemodel"),
    (Endpoint::RxPressure, "rxpressure"),
    (Endpoint::RxTouch, "rxtouch"),
    (Endpoint::Tx, "tx"),
    (Endpoint::TxMode, "txmode"),
    (Endpoint::TxShock, "txshock"),
    (Endpoint::TxVibrate, "txvibrate"),
    (Endpoint::TxVendorControl, "txvendorcontrol"),
    (Endpoint::Whitelist, "whitelist"),
];

impl Endpoint {
    /// The lower-case name used by the device database and the simulated-device wire.
    pub fn name(self) -> String {
        match self {
            Endpoint::Generic(n) => format!("generic{n}"),
            other => NAMED
                .iter()
                .find(|(endpoint, _)| *endpoint == other)
                .map(|(_, name)| (*name).to_string())
                .unwrap_or_default(),
        }
    }
}

impl FromStr for Endpoint {
    type Err = UnknownEndpoint;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        if let Some((endpoint, _)) = NAMED.iter().find(|(_, known)| *known == name) {
            return Ok(*endpoint);
        }
        name.strip_prefix("generic")
            .filter(|digits| !digits.is_empty() && !digits.starts_with('+'))
            .and_then(|digits| digits.parse::<u8>().ok())
            .filter(|n| *n < 32 && name == format!("generic{n}"))
            .map(Endpoint::Generic)
            .ok_or_else(|| UnknownEndpoint(name.to_string()))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_endpoint_round_trips() {
        for (endpoint, name) in NAMED {
            assert_eq!(endpoint.name(), name);
            assert_eq!(name.parse(), Ok(endpoint));
        }
    }

    #[test]
    fn generic_endpoints_stop_at_31() {
        assert_eq!("generic0".parse(), Ok(Endpoint::Generic(0)));
        assert_eq!("generic31".parse(), Ok(Endpoint::Generic(31)));
        assert!("generic32".parse::<Endpoint>().is_err());
        assert!("generic01".parse::<Endpoint>().is_err());
        assert!("generic".parse::<Endpoint>().is_err());
        assert!("TX".parse::<Endpoint>().is_err());
    }

    #[test]
    fn serde_uses_the_lower_case_name() {
        let json = serde_json::to_string(&Endpoint::RxBleBattery).unwrap();
        assert_eq!(json, "\"rxblebattery\"");
        let back: Endpoint = serde_json::from_str("\"generic7\"").unwrap();
        assert_eq!(back, Endpoint::Generic(7));
    }
}

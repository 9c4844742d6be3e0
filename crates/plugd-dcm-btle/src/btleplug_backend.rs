//! The backend on btleplug (BlueZ over D-Bus on Linux, CoreBluetooth, WinRT). [`open`] finds
//! the adapter (the one `--bluetooth-adapter` names, else the first) and says which one is in
//! use; without D-Bus, BlueZ or an adapter it returns the one sentence the DCM logs.

use crate::backend::{
    AdapterEvent, Advertisement, BleAdapter, BleFuture, BleLink, CharacteristicProperties,
    GattCharacteristic,
};
use btleplug::api::{
    Central as _, CentralEvent, CharPropFlags, Characteristic, Manager as _, Peripheral as _,
    ScanFilter, WriteType,
};
use btleplug::platform::{Adapter, Manager, Peripheral, PeripheralId};
use futures_util::{FutureExt, StreamExt};
use plugd_config::ManufacturerData;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long finding the adapter may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the Bluetooth adapter: the one whose name contains `wanted` (`hci1`), else the first.
/// Answers the adapter and a description of it for the log.
///
/// # Errors
/// What is missing (D-Bus, BlueZ, an adapter, the named adapter) and how to fix it.
pub async fn open(wanted: Option<String>) -> Result<(Arc<dyn BleAdapter>, String), String> {
    tokio::time::timeout(OPEN_TIMEOUT, open_inner(wanted))
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "the Bluetooth stack did not answer within {OPEN_TIMEOUT:?} (is bluetoothd running? systemctl status bluetooth)"
            ))
        })
}

async fn open_inner(wanted: Option<String>) -> Result<(Arc<dyn BleAdapter>, String), String> {
    let manager = Manager::new().await.map_err(|error| {
        format!(
            "cannot reach BlueZ over the D-Bus system bus ({error}); install and start dbus and bluez \
             (apt install bluez; systemctl start bluetooth)"
        )
    })?;
    let adapters = manager.adapters().await.map_err(|error| {
        format!("cannot list Bluetooth adapters ({error}); is bluetoothd running? (systemctl start bluetooth)")
    })?;
    let mut described = Vec::new();
    for adapter in adapters {
        let info = adapter
            .adapter_info()
            .await
            .unwrap_or_else(|_| "unknown adapter".to_string());
        described.push((adapter, info));
    }
    let names: Vec<String> = described.iter().map(|(_, info)| info.clone()).collect();
    let (position, description) = choose_adapter(&names, wanted.as_deref())?;
    let adapter = described
        .into_iter()
        .nth(position)
        .map(|(adapter, _)| adapter)
        .ok_or("no Bluetooth adapter")?;
    Ok((
        Arc::new(BtleplugAdapter {
            adapter,
            peripherals: Arc::new(Mutex::new(HashMap::new())),
        }),
        description,
    ))
}

/// Which adapter to use among `names` (btleplug's adapter descriptions, `hci0 (usb:…)`): the
/// first whose description contains `wanted`, else the first. Answers its position and the
/// line for the log (naming the others when there are several).
///
/// # Errors
/// No adapter, or none matching `wanted` (the sentence lists those present).
pub fn choose_adapter(names: &[String], wanted: Option<&str>) -> Result<(usize, String), String> {
    let position = match wanted {
        Some(wanted) => names
            .iter()
            .position(|name| name.contains(wanted))
            .ok_or_else(|| {
                format!(
                    "no Bluetooth adapter named {wanted:?} (--bluetooth-adapter); adapters present: {}",
                    names.join(", ")
                )
            })?,
        None if names.is_empty() => {
            return Err("no Bluetooth adapter found; plug one in (or unblock it: rfkill unblock bluetooth) and restart plugd".to_string())
        }
        None => 0,
    };
    let chosen = &names[position];
    let description = if names.len() > 1 {
        format!("{chosen} (of {})", names.join(", "))
    } else {
        chosen.clone()
    };
    Ok((position, description))
}

/// A btleplug adapter. `peripherals` maps addresses to btleplug's ids; it is filled by the
/// event stream and read by `connect`, both owned by the one DCM.
struct BtleplugAdapter {
    adapter: Adapter,
    peripherals: Arc<Mutex<HashMap<String, PeripheralId>>>,
}

fn uuid_text(uuid: &uuid::Uuid) -> String {
    uuid.hyphenated().to_string()
}

async fn advertisement(adapter: &Adapter, id: &PeripheralId) -> Option<Advertisement> {
    let peripheral = adapter.peripheral(id).await.ok()?;
    let properties = peripheral.properties().await.ok()??;
    let mut manufacturer_data: Vec<ManufacturerData> = properties
        .manufacturer_data
        .into_iter()
        .map(|(company, data)| ManufacturerData { company, data })
        .collect();
    manufacturer_data.sort_by_key(|entry| entry.company);
    Some(Advertisement {
        address: properties.address.to_string(),
        name: properties.local_name.unwrap_or_default(),
        manufacturer_data,
        services: properties.services.iter().map(uuid_text).collect(),
    })
}

impl BleAdapter for BtleplugAdapter {
    fn events(&self) -> BleFuture<futures_util::stream::BoxStream<'static, AdapterEvent>> {
        let adapter = self.adapter.clone();
        let peripherals = self.peripherals.clone();
        async move {
            let events = adapter
                .events()
                .await
                .map_err(|error| format!("cannot follow the adapter's events: {error}"))?;
            let stream = events.filter_map(move |event| {
                let adapter = adapter.clone();
                let peripherals = peripherals.clone();
                async move {
                    match event {
                        CentralEvent::DeviceDiscovered(id)
                        | CentralEvent::DeviceUpdated(id)
                        | CentralEvent::ManufacturerDataAdvertisement { id, .. }
                        | CentralEvent::ServicesAdvertisement { id, .. } => {
                            let seen = advertisement(&adapter, &id).await?;
                            if let Ok(mut map) = peripherals.lock() {
                                map.insert(seen.address.clone(), id);
                            }
                            Some(AdapterEvent::Advertised(seen))
                        }
                        CentralEvent::DeviceDisconnected(id) => {
                            let peripheral = adapter.peripheral(&id).await.ok()?;
                            Some(AdapterEvent::Disconnected {
                                address: peripheral.address().to_string(),
                            })
                        }
                        _ => None,
                    }
                }
            });
            Ok(stream.boxed())
        }
        .boxed()
    }

    fn start_scan(&self) -> BleFuture<()> {
        let adapter = self.adapter.clone();
        async move {
            adapter
                .start_scan(ScanFilter::default())
                .await
                .map_err(|error| error.to_string())
        }
        .boxed()
    }

    fn stop_scan(&self) -> BleFuture<()> {
        let adapter = self.adapter.clone();
        async move { adapter.stop_scan().await.map_err(|error| error.to_string()) }.boxed()
    }

    fn connect(&self, address: &str) -> BleFuture<Arc<dyn BleLink>> {
        let adapter = self.adapter.clone();
        let id = self
            .peripherals
            .lock()
            .ok()
            .and_then(|map| map.get(address).cloned());
        let address = address.to_string();
        async move {
            let id = id.ok_or_else(|| format!("{address} was never seen by the adapter"))?;
            let peripheral = adapter
                .peripheral(&id)
                .await
                .map_err(|error| error.to_string())?;
            if !peripheral.is_connected().await.unwrap_or(false) {
                peripheral
                    .connect()
                    .await
                    .map_err(|error| format!("connect: {error}"))?;
            }
            peripheral
                .discover_services()
                .await
                .map_err(|error| format!("service discovery: {error}"))?;
            Ok(Arc::new(BtleplugLink { peripheral }) as Arc<dyn BleLink>)
        }
        .boxed()
    }
}

struct BtleplugLink {
    peripheral: Peripheral,
}

impl BtleplugLink {
    fn find(&self, wanted: &GattCharacteristic) -> Result<Characteristic, String> {
        self.peripheral
            .characteristics()
            .into_iter()
            .find(|characteristic| {
                uuid_text(&characteristic.uuid).eq_ignore_ascii_case(&wanted.uuid)
                    && uuid_text(&characteristic.service_uuid).eq_ignore_ascii_case(&wanted.service)
            })
            .ok_or_else(|| format!("characteristic {} is gone", wanted.uuid))
    }
}

impl BleLink for BtleplugLink {
    fn characteristics(&self) -> Vec<GattCharacteristic> {
        self.peripheral
            .characteristics()
            .into_iter()
            .map(|characteristic| GattCharacteristic {
                service: uuid_text(&characteristic.service_uuid),
                uuid: uuid_text(&characteristic.uuid),
                properties: CharacteristicProperties {
                    read: characteristic.properties.contains(CharPropFlags::READ),
                    write: characteristic.properties.contains(CharPropFlags::WRITE),
                    write_without_response: characteristic
                        .properties
                        .contains(CharPropFlags::WRITE_WITHOUT_RESPONSE),
                    notify: characteristic.properties.contains(CharPropFlags::NOTIFY),
                    indicate: characteristic.properties.contains(CharPropFlags::INDICATE),
                },
            })
            .collect()
    }

    fn write(
        &self,
        characteristic: &GattCharacteristic,
        data: Vec<u8>,
        with_response: bool,
    ) -> BleFuture<()> {
        let found = self.find(characteristic);
        let peripheral = self.peripheral.clone();
        async move {
            let write_type = if with_response {
                WriteType::WithResponse
            } else {
                WriteType::WithoutResponse
            };
            peripheral
                .write(&found?, &data, write_type)
                .await
                .map_err(|error| error.to_string())
        }
        .boxed()
    }

    fn read(&self, characteristic: &GattCharacteristic) -> BleFuture<Vec<u8>> {
        let found = self.find(characteristic);
        let peripheral = self.peripheral.clone();
        async move {
            peripheral
                .read(&found?)
                .await
                .map_err(|error| error.to_string())
        }
        .boxed()
    }

    fn subscribe(&self, characteristic: &GattCharacteristic) -> BleFuture<()> {
        let found = self.find(characteristic);
        let peripheral = self.peripheral.clone();
        async move {
            peripheral
                .subscribe(&found?)
                .await
                .map_err(|error| error.to_string())
        }
        .boxed()
    }

    fn unsubscribe(&self, characteristic: &GattCharacteristic) -> BleFuture<()> {
        let found = self.find(characteristic);
        let peripheral = self.peripheral.clone();
        async move {
            peripheral
                .unsubscribe(&found?)
                .await
                .map_err(|error| error.to_string())
        }
        .boxed()
    }

    fn notifications(
        &self,
    ) -> BleFuture<futures_util::stream::BoxStream<'static, (String, Vec<u8>)>> {
        let peripheral = self.peripheral.clone();
        async move {
            let stream = peripheral
                .notifications()
                .await
                .map_err(|error| error.to_string())?;
            Ok(stream
                .map(|notification| (uuid_text(&notification.uuid), notification.value))
                .boxed())
        }
        .boxed()
    }

    fn disconnect(&self) -> BleFuture<()> {
        let peripheral = self.peripheral.clone();
        async move {
            peripheral
                .disconnect()
                .await
                .map_err(|error| error.to_string())
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapters() -> Vec<String> {
        vec![
            "hci0 (usb:v1D6Bp0246d0541)".to_string(),
            "hci1 (usb:v0A12p0001d8891)".to_string(),
        ]
    }

    #[test]
    fn the_first_adapter_is_used_unless_one_is_named() {
        let (position, description) = choose_adapter(&adapters(), None).unwrap();
        assert_eq!(position, 0);
        assert!(
            description.starts_with("hci0 (usb:v1D6Bp0246d0541) (of hci0"),
            "{description}"
        );
        let (position, description) = choose_adapter(&adapters(), Some("hci1")).unwrap();
        assert_eq!(position, 1);
        assert!(description.starts_with("hci1"), "{description}");
    }

    #[test]
    fn a_named_adapter_that_is_not_there_lists_those_that_are() {
        let error = choose_adapter(&adapters(), Some("hci7")).unwrap_err();
        assert!(
            error.contains("hci7") && error.contains("hci0") && error.contains("hci1"),
            "{error}"
        );
        assert!(choose_adapter(&[], None)
            .unwrap_err()
            .contains("no Bluetooth adapter"));
    }
}

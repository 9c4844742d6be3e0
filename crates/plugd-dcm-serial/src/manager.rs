//! SerialDcm: on each scan, opens the serial ports that serial specifiers name and that exist,
//! asks DeviceConfig what is on them, and hands matches to the DeviceManager. A port already in
//! use by plugd is skipped; a port that fails to open is logged once per scan.

use crate::hardware::{PortReleased, SerialHardware, SerialSettings};
use actix::prelude::*;
use plugd_config::{CommunicationSpecifier, DeviceIdentity, Transport};
use plugd_core::Endpoint;
use plugd_device::{
    Availability, DcmScanningFinished, DeviceConfig, DeviceManager, FindProtocol,
    HardwareConnected, RegisterDcm, StartScanning, StopScanning, TransportSpecifiers,
};
use std::collections::HashSet;

/// The name this DCM registers under.
pub const DCM_NAME: &str = "serial";

/// The actor.
pub struct SerialDcm {
    config: Addr<DeviceConfig>,
    device_manager: Addr<DeviceManager>,
    /// Ports with hardware open.
    open_ports: HashSet<String>,
    scanning: bool,
}

impl SerialDcm {
    /// A DCM reporting to `device_manager`.
    pub fn new(config: Addr<DeviceConfig>, device_manager: Addr<DeviceManager>) -> Self {
        SerialDcm {
            config,
            device_manager,
            open_ports: HashSet::new(),
            scanning: false,
        }
    }

    /// Opens every named, existing, unused port in turn, then reports the scan finished.
    fn scan(&mut self, ctx: &mut Context<Self>) {
        let config = self.config.clone();
        let already_open = self.open_ports.clone();
        let lookup = async move {
            let specifiers = config
                .send(TransportSpecifiers {
                    transport: Transport::Serial,
                })
                .await
                .unwrap_or_default();
            let mut found = Vec::new();
            let mut seen = HashSet::new();
            for (_, specifier) in specifiers {
                let CommunicationSpecifier::Serial {
                    port,
                    baud_rate,
                    data_bits,
                    parity,
                    stop_bits,
                } = specifier
                else {
                    continue;
                };
                if port == "default" || already_open.contains(&port) || !seen.insert(port.clone()) {
                    continue;
                }
                if !std::path::Path::new(&port).exists() {
                    tracing::debug!(%port, "serial specifier names a port that does not exist");
                    continue;
                }
                let identity = DeviceIdentity::named(Transport::Serial, port.clone(), port.clone());
                let Ok(Some(matched)) = config
                    .send(FindProtocol {
                        identity: identity.clone(),
                    })
                    .await
                else {
                    continue;
                };
                let settings = SerialSettings {
                    port,
                    baud_rate,
                    data_bits,
                    parity,
                    stop_bits,
                };
                let opened = tokio::task::spawn_blocking(move || {
                    settings.open().map(|port| (settings, port))
                })
                .await;
                match opened {
                    Ok(Ok((settings, port))) => found.push((identity, matched, settings, port)),
                    Ok(Err(error)) => {
                        tracing::warn!("serial: {error} (is your user in the dialout group?)")
                    }
                    Err(error) => tracing::warn!(%error, "serial: opening a port panicked"),
                }
            }
            found
        };
        lookup
            .into_actor(self)
            .map(|found, dcm, ctx| {
                for (identity, matched, settings, port) in found {
                    dcm.open_ports.insert(settings.port.clone());
                    tracing::info!(port = %settings.port, protocol = %matched.protocol, baud = settings.baud_rate, "serial device found");
                    let hardware =
                        SerialHardware::new(settings.port.clone(), port, ctx.address().recipient()).start();
                    dcm.device_manager.do_send(HardwareConnected {
                        identity,
                        protocol: matched,
                        endpoints: vec![Endpoint::Tx, Endpoint::Rx],
                        hardware: hardware.recipient(),
                        default_message_gap: None,
                    });
                }
                if dcm.scanning {
                    dcm.scanning = false;
                    dcm.device_manager.do_send(DcmScanningFinished { name: DCM_NAME });
                }
            })
            .spawn(ctx);
    }
}

impl Actor for SerialDcm {
    type Context = Context<Self>;
}

/// The registration the wiring sends to the DeviceManager for this DCM (before any scan).
pub fn registration(dcm: &Addr<SerialDcm>) -> RegisterDcm {
    RegisterDcm {
        name: DCM_NAME,
        availability: Availability::Available,
        start: dcm.clone().recipient(),
        stop: dcm.clone().recipient(),
    }
}

impl Handler<StartScanning> for SerialDcm {
    type Result = ();

    fn handle(&mut self, _: StartScanning, ctx: &mut Self::Context) {
        self.scanning = true;
        self.scan(ctx);
    }
}

impl Handler<StopScanning> for SerialDcm {
    type Result = ();

    fn handle(&mut self, _: StopScanning, _: &mut Self::Context) {
        self.scanning = false;
    }
}

impl Handler<PortReleased> for SerialDcm {
    type Result = ();

    fn handle(&mut self, message: PortReleased, _: &mut Self::Context) {
        self.open_ports.remove(&message.port);
    }
}

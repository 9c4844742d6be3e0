//! A snapshot of everything the dashboard and `/metrics` show: the Server's clients and
//! counters (`ServerStatus`) and every device with its output levels (`ObserveDevices`), as
//! plain data with a JSON form.

use actix::Addr;
use plugd_device::device_manager::{ObserveDevices, ObservedDevice};
use plugd_device::DeviceManager;
use plugd_server::metrics::{ServerMetrics, LATENCY_BUCKETS_SECONDS};
use plugd_server::{ClientSummary, Server, ServerStatus};
use serde_json::{json, Value};
use std::time::UNIX_EPOCH;

/// Clients, devices and counters at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Every connected client.
    pub clients: Vec<ClientSummary>,
    /// Every announced device.
    pub devices: Vec<ObservedDevice>,
    /// The Server's counters.
    pub metrics: ServerMetrics,
}

/// Asks the Server and the DeviceManager; `None` when either is gone (shutting down).
pub async fn observe(
    server: &Addr<Server>,
    device_manager: &Addr<DeviceManager>,
) -> Option<Snapshot> {
    let status = server.send(ServerStatus).await.ok()?;
    let devices = device_manager.send(ObserveDevices).await.ok()?;
    Some(Snapshot {
        clients: status.clients,
        devices,
        metrics: status.metrics,
    })
}

impl Snapshot {
    /// The device with this index.
    pub fn device(&self, index: u32) -> Option<&ObservedDevice> {
        self.devices
            .iter()
            .find(|device| device.info.index.0 == index)
    }

    /// The JSON the `status` event and `GET /api/v1/status` carry.
    pub fn to_json(&self) -> Value {
        json!({
            "clients": self.clients.iter().map(client_json).collect::<Vec<_>>(),
            "devices": self.devices.iter().map(ToJson::to_json).collect::<Vec<_>>(),
            "metrics": metrics_json(&self.metrics),
        })
    }
}

fn client_json(client: &ClientSummary) -> Value {
    json!({
        "session": client.session.0,
        "name": client.handshake.as_ref().map(|(name, _)| name.clone()),
        "spec_version": client.handshake.as_ref().map(|(_, version)| *version),
        "observer": client.observer,
        // As the client's socket saw it (`ip:port`); built-in observers have none.
        "address": client.address.map(|address| address.to_string()),
    })
}

fn metrics_json(metrics: &ServerMetrics) -> Value {
    let mut cumulative = 0;
    let buckets: Vec<Value> = LATENCY_BUCKETS_SECONDS
        .iter()
        .zip(metrics.latency_buckets.iter())
        .map(|(bound, count)| {
            cumulative += count;
            json!([bound, cumulative])
        })
        .collect();
    json!({
        "requests_total": metrics.requests.values().sum::<u64>(),
        "requests": metrics.requests,
        "errors": metrics.errors.iter().map(|(code, count)| (code.to_string(), *count)).collect::<std::collections::BTreeMap<_, _>>(),
        "latency_count": metrics.latency_count,
        "latency_sum_seconds": metrics.latency_sum_seconds,
        "latency_buckets": buckets,
        "recent_errors": metrics.recent_errors.iter().map(|error| json!({
            "at_ms": error.at.duration_since(UNIX_EPOCH).map(|since| since.as_millis() as u64).unwrap_or(0),
            "session": error.session,
            "request": error.request,
            "code": error.code,
            "message": error.message,
        })).collect::<Vec<_>>(),
    })
}

/// The JSON form of an observed device.
pub trait ToJson {
    /// As JSON.
    fn to_json(&self) -> Value;
}

impl ToJson for ObservedDevice {
    fn to_json(&self) -> Value {
        let level = |feature: u32, kind| {
            self.status
                .levels
                .iter()
                .find(|(index, candidate, _)| index.0 == feature && *candidate == kind)
                .map(|(_, _, step)| *step)
                .unwrap_or(0)
        };
        let features: Vec<Value> = self
            .info
            .features
            .iter()
            .map(|feature| {
                json!({
                    "index": feature.index.0,
                    "description": feature.description,
                    "outputs": feature.outputs.iter().map(|output| json!({
                        "type": output.kind.wire_name(),
                        "range": [output.range.0, output.range.1],
                        "duration": output.duration.map(|(low, high)| json!([low, high])),
                        "level": level(feature.index.0, output.kind),
                    })).collect::<Vec<_>>(),
                    "inputs": feature.inputs.iter().map(|input| json!({
                        "type": input.kind.wire_name(),
                        "commands": input.commands.iter().map(|command| command.wire_name()).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "index": self.info.index.0,
            "name": self.info.name,
            "display_name": self.info.display_name,
            "protocol": self.status.protocol,
            "transport": self.status.transport,
            "address": self.address,
            "features": features,
            "bytes_written": self.status.bytes_written,
        })
    }
}

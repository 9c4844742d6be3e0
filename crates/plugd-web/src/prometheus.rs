//! `/metrics` in the Prometheus text format (version 0.0.4): clients, devices, commands by
//! type, errors by code, the command latency histogram and bytes written to devices.

use crate::snapshot::Snapshot;
use plugd_server::metrics::LATENCY_BUCKETS_SECONDS;
use std::fmt::Write;

/// The wire name of an ErrorCode.
fn error_name(code: u32) -> &'static str {
    match code {
        0 => "ERROR_UNKNOWN",
        1 => "ERROR_INIT",
        2 => "ERROR_PING",
        3 => "ERROR_MSG",
        4 => "ERROR_DEVICE",
        _ => "ERROR_OTHER",
    }
}

/// Escapes a label value (backslash, quote, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Renders the snapshot.
pub fn render(snapshot: &Snapshot) -> String {
    let mut out = String::with_capacity(4096);
    let remote = snapshot
        .clients
        .iter()
        .filter(|client| !client.observer)
        .count();
    let _ = writeln!(
        out,
        "# HELP plugd_clients Clients connected (the built-in web observer not counted)."
    );
    let _ = writeln!(out, "# TYPE plugd_clients gauge");
    let _ = writeln!(out, "plugd_clients {remote}");
    let _ = writeln!(out, "# HELP plugd_devices Devices connected and announced.");
    let _ = writeln!(out, "# TYPE plugd_devices gauge");
    let _ = writeln!(out, "plugd_devices {}", snapshot.devices.len());
    let metrics = &snapshot.metrics;
    let _ = writeln!(
        out,
        "# HELP plugd_commands_total Client requests handled, by type."
    );
    let _ = writeln!(out, "# TYPE plugd_commands_total counter");
    for (kind, count) in &metrics.requests {
        let _ = writeln!(out, "plugd_commands_total{{type=\"{kind}\"}} {count}");
    }
    let _ = writeln!(
        out,
        "# HELP plugd_errors_total Requests answered with an Error, by ErrorCode."
    );
    let _ = writeln!(out, "# TYPE plugd_errors_total counter");
    for (code, count) in &metrics.errors {
        let _ = writeln!(
            out,
            "plugd_errors_total{{code=\"{code}\",name=\"{}\"}} {count}",
            error_name(*code)
        );
    }
    let _ = writeln!(out, "# HELP plugd_command_latency_seconds Time from the Server receiving a request to its reply being ready.");
    let _ = writeln!(out, "# TYPE plugd_command_latency_seconds histogram");
    let mut cumulative = 0;
    for (bound, count) in LATENCY_BUCKETS_SECONDS
        .iter()
        .zip(metrics.latency_buckets.iter())
    {
        cumulative += count;
        let _ = writeln!(
            out,
            "plugd_command_latency_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
        );
    }
    let _ = writeln!(
        out,
        "plugd_command_latency_seconds_bucket{{le=\"+Inf\"}} {}",
        metrics.latency_count
    );
    let _ = writeln!(
        out,
        "plugd_command_latency_seconds_sum {}",
        metrics.latency_sum_seconds
    );
    let _ = writeln!(
        out,
        "plugd_command_latency_seconds_count {}",
        metrics.latency_count
    );
    let _ = writeln!(out, "# HELP plugd_device_bytes_written_total Bytes written to each connected device by output commands (restarts from 0 when the device reconnects).");
    let _ = writeln!(out, "# TYPE plugd_device_bytes_written_total counter");
    for device in &snapshot.devices {
        let _ = writeln!(
            out,
            "plugd_device_bytes_written_total{{index=\"{}\",name=\"{}\",protocol=\"{}\"}} {}",
            device.info.index.0,
            label(&device.info.name),
            device.status.protocol,
            device.status.bytes_written
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugd_server::metrics::ServerMetrics;
    use std::time::Duration;

    #[test]
    fn the_latency_histogram_is_cumulative_and_ends_with_inf_sum_and_count() {
        let mut metrics = ServerMetrics::default();
        metrics.record(1, "Output", Duration::from_micros(50), None);
        metrics.record(
            1,
            "Output",
            Duration::from_millis(3),
            Some((4, "no".to_string())),
        );
        let text = render(&Snapshot {
            clients: Vec::new(),
            devices: Vec::new(),
            metrics,
        });
        assert!(
            text.contains("plugd_command_latency_seconds_bucket{le=\"0.0001\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("plugd_command_latency_seconds_bucket{le=\"0.005\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("plugd_command_latency_seconds_bucket{le=\"+Inf\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("plugd_command_latency_seconds_count 2\n"),
            "{text}"
        );
        assert!(
            text.contains("plugd_commands_total{type=\"Output\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("plugd_errors_total{code=\"4\",name=\"ERROR_DEVICE\"} 1\n"),
            "{text}"
        );
    }
}

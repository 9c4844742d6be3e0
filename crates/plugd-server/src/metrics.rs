//! What the Server counts for observers (`/metrics`, the web dashboard): requests by type,
//! errors by ErrorCode, the most recent errors, and a latency histogram of every client request
//! from the Server receiving it to its reply being ready. Plain data owned by the Server actor;
//! observers get a copy through [`crate::server::ServerStatus`].

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

/// Upper bounds of the latency histogram's buckets, in seconds (Prometheus `le`).
pub const LATENCY_BUCKETS_SECONDS: [f64; 13] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// How many recent errors are kept.
pub const RECENT_ERRORS: usize = 20;

/// One error a client was answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentError {
    /// When it happened.
    pub at: SystemTime,
    /// The client's session number.
    pub session: u64,
    /// The request type that failed (`"Output"`).
    pub request: &'static str,
    /// The wire ErrorCode (0–4).
    pub code: u32,
    /// The error's text.
    pub message: String,
}

/// The counters. Cumulative since start, as Prometheus expects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerMetrics {
    /// Requests by type (`"Output"`, `"Stop"`, ...).
    pub requests: BTreeMap<&'static str, u64>,
    /// Error replies by ErrorCode.
    pub errors: BTreeMap<u32, u64>,
    /// The last [`RECENT_ERRORS`] errors, newest last.
    pub recent_errors: VecDeque<RecentError>,
    /// Requests per latency bucket (not cumulative; index i counts `<= bucket[i]`, the last
    /// slot everything slower).
    pub latency_buckets: [u64; LATENCY_BUCKETS_SECONDS.len() + 1],
    /// Sum of every request's latency, in seconds.
    pub latency_sum_seconds: f64,
    /// Requests measured.
    pub latency_count: u64,
}

impl ServerMetrics {
    /// Records one finished request.
    pub fn record(
        &mut self,
        session: u64,
        request: &'static str,
        elapsed: Duration,
        error: Option<(u32, String)>,
    ) {
        *self.requests.entry(request).or_insert(0) += 1;
        let seconds = elapsed.as_secs_f64();
        let slot = LATENCY_BUCKETS_SECONDS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS_SECONDS.len());
        self.latency_buckets[slot] += 1;
        self.latency_sum_seconds += seconds;
        self.latency_count += 1;
        if let Some((code, message)) = error {
            *self.errors.entry(code).or_insert(0) += 1;
            if self.recent_errors.len() == RECENT_ERRORS {
                self.recent_errors.pop_front();
            }
            self.recent_errors.push_back(RecentError {
                at: SystemTime::now(),
                session,
                request,
                code,
                message,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_lands_in_the_first_bucket_at_or_above_its_latency() {
        let mut metrics = ServerMetrics::default();
        metrics.record(1, "Output", Duration::from_micros(300), None);
        metrics.record(1, "Output", Duration::from_secs(3), None);
        assert_eq!(metrics.latency_buckets[2], 1);
        assert_eq!(metrics.latency_buckets[LATENCY_BUCKETS_SECONDS.len()], 1);
        assert_eq!(metrics.requests.get("Output"), Some(&2));
        assert_eq!(metrics.latency_count, 2);
    }

    #[test]
    fn only_the_most_recent_errors_are_kept_and_every_error_is_counted() {
        let mut metrics = ServerMetrics::default();
        for number in 0..(RECENT_ERRORS + 5) {
            metrics.record(
                1,
                "Stop",
                Duration::ZERO,
                Some((4, format!("error {number}"))),
            );
        }
        assert_eq!(metrics.recent_errors.len(), RECENT_ERRORS);
        assert_eq!(metrics.errors.get(&4), Some(&(RECENT_ERRORS as u64 + 5)));
        assert_eq!(
            metrics
                .recent_errors
                .back()
                .map(|error| error.message.as_str()),
            Some("error 24")
        );
    }
}

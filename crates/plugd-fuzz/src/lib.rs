//! plugd-fuzz: property-based fuzzing, on stable Rust, of everything plugd parses from outside
//! — client frames at every spec version, device WebSocket frames, device databases and user
//! configs, and every protocol's handling of device replies and notifications. The property is
//! the same everywhere: plugd's parsers answer with errors, they never panic.
//!
//! Principal items: [`targets::TARGETS`] (one [`targets::Target`] per kind of data),
//! [`mutate`] (structured generation: real valid messages changed in field names, types,
//! ranges and nesting, plus byte damage and random bytes), [`run`] (cases round-robin over the
//! chosen targets, each rebuilt from `(seed, case number)`, panics caught and recorded), and
//! the `plugd-fuzz` binary (`--inputs N --seed S`, docs/security.md "Fuzzing").

pub mod mutate;
pub mod rng;
pub mod targets;

use rng::Rng;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};
use targets::{Fixtures, Target};

/// A case that panicked: enough to replay it (`--seed`, `--case`) and read it.
#[derive(Debug, Clone)]
pub struct Crash {
    /// The target's name.
    pub target: &'static str,
    /// The run's seed.
    pub seed: u64,
    /// The case number.
    pub case: u64,
    /// The input the case built.
    pub input: String,
    /// The panic message.
    pub message: String,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Cases run, per target name.
    pub per_target: Vec<(&'static str, u64)>,
    /// Cases whose input got past the parser (accepted, converted), per target, in the same
    /// order: how near-valid the generation is.
    pub accepted: Vec<u64>,
    /// Cases run in all.
    pub inputs: u64,
    /// Cases that panicked (the first 20 are kept).
    pub crash_count: u64,
    /// The first crashes.
    pub crashes: Vec<Crash>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Runs `inputs` cases from `first_case` on, round-robin over `targets`; case `n` goes to
/// `targets[n % len]` and is built from `Rng::for_case(seed, n)`, so any case replays alone.
/// Panics are caught, counted and kept; the default panic message is silenced meanwhile.
/// `progress` is called about once a second with the cases done so far.
pub fn run(
    targets: &[Target],
    fixtures: &Fixtures,
    seed: u64,
    first_case: u64,
    inputs: u64,
    mut progress: impl FnMut(u64, Duration),
) -> Summary {
    let started = Instant::now();
    let mut summary = Summary {
        per_target: targets.iter().map(|target| (target.name, 0)).collect(),
        accepted: vec![0; targets.len()],
        ..Summary::default()
    };
    if targets.is_empty() {
        return summary;
    }
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let mut last_report = Instant::now();
    for case in first_case..first_case.saturating_add(inputs) {
        let slot = (case % targets.len() as u64) as usize;
        let target = targets[slot];
        let mut record = String::new();
        let mut rng = Rng::for_case(seed, case);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            (target.run)(&mut rng, fixtures, &mut record)
        }));
        summary.per_target[slot].1 += 1;
        summary.inputs += 1;
        if let Ok(true) = outcome {
            summary.accepted[slot] += 1;
        }
        if let Err(payload) = outcome {
            summary.crash_count += 1;
            if summary.crashes.len() < 20 {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|text| text.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_string());
                summary.crashes.push(Crash {
                    target: target.name,
                    seed,
                    case,
                    input: record,
                    message,
                });
            }
        }
        if last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            progress(summary.inputs, started.elapsed());
        }
    }
    panic::set_hook(previous_hook);
    summary.elapsed = started.elapsed();
    summary
}

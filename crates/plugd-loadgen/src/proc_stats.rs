//! A process's memory and CPU time from `/proc/<pid>/status` (VmRSS, VmHWM, RssAnon) and
//! `/proc/<pid>/stat` (utime + stime), and the machine's load average from `/proc/loadavg`.

use std::collections::BTreeMap;
use std::time::Duration;

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcSample {
    /// Resident set size, KiB.
    pub rss_kib: u64,
    /// Peak resident set size so far, KiB.
    pub hwm_kib: u64,
    /// The anonymous part of the RSS (heap, stacks), KiB. The rest is file-backed: mostly the
    /// executable's code, paged in the first time a code path runs, shared and never a leak.
    pub anon_kib: u64,
    /// User + system CPU time, in clock ticks.
    pub cpu_ticks: u64,
}

/// Reads process `pid` (`None` when it is gone or /proc is unreadable).
pub fn sample(pid: u32) -> Option<ProcSample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(ProcSample {
        rss_kib: status_kib(&status, "VmRSS:").unwrap_or(0),
        hwm_kib: status_kib(&status, "VmHWM:").unwrap_or(0),
        anon_kib: status_kib(&status, "RssAnon:").unwrap_or(0),
        cpu_ticks: stat_cpu_ticks(&stat)?,
    })
}

/// This process.
pub fn sample_self() -> Option<ProcSample> {
    sample(std::process::id())
}

/// `VmRSS:    1234 kB` → 1234.
fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// utime + stime: fields 14 and 15 of /proc/<pid>/stat, counted after the `(comm)` field, which
/// may itself hold spaces and parentheses.
fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // after_comm starts at field 3 (state), so field n is fields[n - 3].
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// CPU time of each thread of `pid`, by thread name (threads with the same name added up):
/// name → (threads, ticks).
pub fn threads(pid: u32) -> BTreeMap<String, (usize, u64)> {
    let mut by_name: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return by_name;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        if let Some(ticks) = stat_cpu_ticks(&stat) {
            let entry = by_name.entry(name).or_default();
            entry.0 += 1;
            entry.1 += ticks;
        }
    }
    by_name
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
pub fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions; it only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as u64
    } else {
        100
    }
}

/// CPU seconds between two samples.
pub fn cpu_seconds(before: &ProcSample, after: &ProcSample) -> f64 {
    after.cpu_ticks.saturating_sub(before.cpu_ticks) as f64 / clock_ticks_per_second() as f64
}

/// CPU use over `wall` as a percentage of one core.
pub fn cpu_percent(before: &ProcSample, after: &ProcSample, wall: Duration) -> f64 {
    let wall = wall.as_secs_f64();
    if wall <= 0.0 {
        return 0.0;
    }
    100.0 * cpu_seconds(before, after) / wall
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` writes them ("2.20 4.40 3.57").
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_a_tricky_command_name() {
        let stat = "1234 (a) b (c)) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 1 0";
        assert_eq!(stat_cpu_ticks(stat), Some(300));
    }

    #[test]
    fn parses_status() {
        let status = "Name:\tplugd\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\nRssAnon:\t    512 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(1024));
        assert_eq!(status_kib(status, "VmHWM:"), Some(2048));
        assert_eq!(status_kib(status, "RssAnon:"), Some(512));
    }

    #[test]
    fn reads_this_process() {
        let me = sample_self().expect("/proc/self");
        assert!(me.rss_kib > 0);
        assert!(!load_average().is_empty());
        assert!(!threads(std::process::id()).is_empty());
    }
}

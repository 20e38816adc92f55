//! The whole machine's CPU over a measurement window: how busy all its cores were
//! (`/proc/stat`: every process, so the nodes, the load generator and this tool together)
//! and how long runnable tasks waited for a core (`/proc/pressure/cpu`, PSI "some": the share
//! of wall time in which at least one task was runnable but not running).
//!
//! A run whose cores were more than [`SATURATED_SHARE`] busy measured CPU queueing as much as
//! propagation: the report says so and marks its latency figures CPU-bound. Measured on this
//! kind of machine (CALIBRATION.md, issue #13): 16 nodes at 100 msg/s use ~45% of 2 cores and
//! report latencies that reproduce; 32 nodes at 200 msg/s saturate both cores and report
//! seconds of queueing as "propagation".
//!
//! This file reads the counters; the readings and the load between them are report data
//! ([`rumor_report::records::machine`]).

pub use rumor_report::records::machine::{
    MachineLoad, MachineSample, SATURATED_SHARE, between, nodes_within_budget,
};

/// Reads the counters now; `None` off Linux or if `/proc/stat` cannot be read.
pub fn sample() -> Option<MachineSample> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let (busy_ticks, total_ticks) = parse_stat(&stat)?;
    let cpu_stall_us = std::fs::read_to_string("/proc/pressure/cpu")
        .ok()
        .and_then(|s| parse_pressure(&s));
    Some(MachineSample {
        busy_ticks,
        total_ticks,
        cpu_stall_us,
        at_us: crate::util::timefmt::now_us(),
        tool_pid: Some(std::process::id()),
        tool_ticks: crate::process::procfs::own_cpu_seconds()
            .map(|s| (s * crate::process::procfs::USER_HZ).round() as u64),
    })
}

/// Busy and total ticks from the aggregate `cpu` line of `/proc/stat`.
fn parse_stat(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// The `total=` of the `some` line of `/proc/pressure/cpu`.
fn parse_pressure(s: &str) -> Option<u64> {
    s.lines()
        .find(|l| l.starts_with("some "))?
        .split_whitespace()
        .find_map(|f| f.strip_prefix("total="))?
        .parse()
        .ok()
}

/// This machine's cores.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_share_and_pressure_come_from_the_counters() {
        let stat = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(parse_stat(stat), Some((150, 1000)));
        let psi = "some avg10=1.00 avg60=0.50 avg300=0.10 total=12345\nfull avg10=0 total=0\n";
        assert_eq!(parse_pressure(psi), Some(12345));
        let a = MachineSample {
            busy_ticks: 150,
            total_ticks: 1000,
            cpu_stall_us: Some(0),
            at_us: 0,
            tool_pid: None,
            tool_ticks: None,
        };
        let b = MachineSample {
            busy_ticks: 950,
            total_ticks: 2000,
            cpu_stall_us: Some(500_000),
            at_us: 1_000_000,
            tool_pid: None,
            tool_ticks: None,
        };
        let l = between(&a, &b, 2).unwrap();
        assert!((l.cpu_share - 0.8).abs() < 1e-9);
        assert_eq!(l.cpu_pressure, Some(0.5));
        assert!(l.saturated);
        assert!(l.line().starts_with("WARNING"));
        let quiet = MachineSample {
            busy_ticks: 450,
            ..b
        };
        assert!(!between(&a, &quiet, 2).unwrap().saturated);
        assert_eq!(between(&b, &a, 2), None, "counters went backwards");
        assert_eq!(nodes_within_budget(32, 1.0), Some(22));
        assert_eq!(nodes_within_budget(16, 0.35), Some(32));
        assert_eq!(nodes_within_budget(16, 0.0), None);
    }

    #[test]
    fn this_machine_can_be_read() {
        if std::path::Path::new("/proc/stat").exists() {
            let s = sample().expect("readable /proc/stat");
            assert!(s.total_ticks >= s.busy_ticks);
        }
    }
}

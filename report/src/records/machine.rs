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
//! The readings and the load between two of them are report data; reading `/proc` is the
//! harness's (`rumor_testnet::machine::sample`).

use serde::{Deserialize, Serialize};

/// Above this share of all cores busy, latency figures are CPU-bound.
pub const SATURATED_SHARE: f64 = 0.70;

/// One reading of the machine's CPU counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineSample {
    /// Clock ticks all cores spent busy (everything but idle and iowait), and in total.
    pub busy_ticks: u64,
    pub total_ticks: u64,
    /// PSI "some" stall time, µs (absent on kernels without pressure stall information).
    pub cpu_stall_us: Option<u64>,
    /// When it was read (µs since the epoch).
    pub at_us: u64,
    /// The process that took the reading, and its own CPU time then in clock ticks (with
    /// `--in-process` the nodes run in the process that runs the testnet).
    #[serde(default)]
    pub tool_pid: Option<u32>,
    #[serde(default)]
    pub tool_ticks: Option<u64>,
}

/// The machine's CPU over a window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MachineLoad {
    pub cores: usize,
    /// Share of all cores busy (0–1).
    pub cpu_share: f64,
    /// Share of the window in which some runnable task waited for a core (0–1).
    pub cpu_pressure: Option<f64>,
    /// `cpu_share` above [`SATURATED_SHARE`]: the latency figures are CPU-bound.
    pub saturated: bool,
}

/// The load between two readings.
pub fn between(a: &MachineSample, b: &MachineSample, cores: usize) -> Option<MachineLoad> {
    let total = b
        .total_ticks
        .checked_sub(a.total_ticks)
        .filter(|t| *t > 0)?;
    let busy = b.busy_ticks.saturating_sub(a.busy_ticks);
    let cpu_share = busy as f64 / total as f64;
    let wall_us = b.at_us.saturating_sub(a.at_us);
    let cpu_pressure = a
        .cpu_stall_us
        .zip(b.cpu_stall_us)
        .filter(|_| wall_us > 0)
        .map(|(x, y)| (y.saturating_sub(x) as f64 / wall_us as f64).min(1.0));
    Some(MachineLoad {
        cores,
        cpu_share,
        cpu_pressure,
        saturated: cpu_share > SATURATED_SHARE,
    })
}

/// The node count this machine would hold at the same rate under [`SATURATED_SHARE`], from
/// one run's `nodes` and busy share: each node handles every message, so the machine's CPU
/// grows about linearly with the node count at a fixed rate. An estimate for choosing the next
/// run's size, not a measurement.
pub fn nodes_within_budget(nodes: usize, cpu_share: f64) -> Option<usize> {
    (cpu_share > 0.0).then(|| (nodes as f64 * SATURATED_SHARE / cpu_share).floor() as usize)
}

impl MachineLoad {
    /// One line for the summary and the Markdown report.
    pub fn line(&self) -> String {
        let pressure = self.cpu_pressure.map_or(String::new(), |p| {
            format!(", tasks waiting for a core {:.0}% of the time", p * 100.0)
        });
        if self.saturated {
            format!(
                "WARNING: the machine was saturated ({:.0}% of {} cores busy{pressure}): latency figures are CPU-bound (queueing), not propagation",
                self.cpu_share * 100.0,
                self.cores
            )
        } else {
            format!(
                "Machine: {:.0}% of {} cores busy{pressure}; under {:.0}%, so latencies are network figures",
                self.cpu_share * 100.0,
                self.cores,
                SATURATED_SHARE * 100.0
            )
        }
    }
}

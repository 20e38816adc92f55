//! What the harness reads of processes and reports: memory from `/proc/<pid>/status`, CPU
//! tick rate, and how the nodes went down.

use serde::{Deserialize, Serialize};

/// Memory of a process in KiB: peak resident set (VmHWM) and current (VmRSS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemUsage {
    pub hwm_kib: u64,
    pub rss_kib: u64,
}

/// Clock ticks per second of `/proc/<pid>/stat` times. The kernel reports them in USER_HZ,
/// which is 100 on every Linux ABI this tool runs on (it is part of the ABI, unlike HZ); the
/// workspace forbids `unsafe`, so `sysconf(_SC_CLK_TCK)` is not an option.
pub const USER_HZ: f64 = 100.0;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StopReport {
    /// Exited after SIGTERM within the grace period.
    pub terminated: Vec<usize>,
    /// Needed SIGKILL.
    pub killed: Vec<usize>,
    /// Already gone (or the pid now belongs to something else, which is left alone).
    pub not_running: Vec<usize>,
}

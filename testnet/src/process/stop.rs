//! Stopping nodes: SIGTERM to all (they flush traces and exit within 5 s by contract), then
//! SIGKILL to whatever is left after the grace period.

use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

pub use rumor_report::records::process::StopReport;

use super::procfs;
use super::signal::{self, Signal};

/// A node this tool knows about. `child` is set when this process started it (then it must
/// also reap it); a node started by an earlier `up` is identified by pid and data dir only.
#[derive(Debug)]
pub struct Running {
    pub index: usize,
    pub pid: u32,
    pub data_dir: PathBuf,
    pub child: Option<Child>,
}

impl Running {
    pub fn alive(&mut self) -> bool {
        match &mut self.child {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => procfs::is_node(self.pid, &self.data_dir),
        }
    }
}

/// 5 s is the contract; the rest is slack for a loaded 2-core machine.
pub const GRACE: Duration = Duration::from_secs(8);

/// Blocking: call from a blocking context (`spawn_blocking`).
pub fn stop_all(mut nodes: Vec<Running>, grace: Duration) -> StopReport {
    let mut report = StopReport::default();
    let mut pending: Vec<Running> = Vec::new();
    for mut n in nodes.drain(..) {
        if n.alive() && signal::send(n.pid, Signal::Term) {
            pending.push(n);
        } else {
            reap(&mut n);
            report.not_running.push(n.index);
        }
    }
    let deadline = Instant::now() + grace;
    while !pending.is_empty() && Instant::now() < deadline {
        pending.retain_mut(|n| {
            if n.alive() {
                return true;
            }
            reap(n);
            report.terminated.push(n.index);
            false
        });
        std::thread::sleep(Duration::from_millis(50));
    }
    for mut n in pending {
        // Re-check identity right before the SIGKILL: the pid may have been recycled.
        if n.alive() {
            signal::send(n.pid, Signal::Kill);
        }
        reap(&mut n);
        report.killed.push(n.index);
    }
    for list in [
        &mut report.terminated,
        &mut report.killed,
        &mut report.not_running,
    ] {
        list.sort_unstable();
    }
    report
}

fn reap(n: &mut Running) {
    if let Some(c) = &mut n.child {
        let deadline = Instant::now() + Duration::from_secs(2);
        while matches!(c.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

//! The nodes this process has started, shared between the start-up code and the Ctrl-C /
//! error path that must stop them. The lock is never held across an `.await`.

use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::backend::container::{self, ComposeEntry};
use crate::process::inproc::Embedded;
use crate::setup::manifest::Manifest;
use rumor_report::records::process::StopReport;

use super::stop::{GRACE, Running, stop_all};

#[derive(Debug, Clone, Default)]
pub struct Started {
    processes: Arc<Mutex<Vec<Running>>>,
    /// Nodes running inside this process (`--in-process`).
    pub embedded: Embedded,
    /// The Prometheus server started for these nodes (`--prometheus`), with the testnet's
    /// directory that identifies it.
    prometheus: Arc<Mutex<Option<(Child, std::path::PathBuf)>>>,
    /// The Compose project of a `--backend compose` testnet started here: stopping it stops
    /// and removes its containers, volumes, network and filters.
    compose: Arc<Mutex<Option<ComposeEntry>>>,
}

impl Started {
    fn lock(&self) -> MutexGuard<'_, Vec<Running>> {
        // A panic elsewhere must not stop us from stopping nodes.
        self.processes.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, index: usize, data_dir: &Path, child: Child) {
        self.lock().push(Running {
            index,
            pid: child.id(),
            data_dir: data_dir.to_path_buf(),
            child: Some(child),
        });
    }

    /// `Some(status)` if node `index` was started here and has exited.
    pub fn exited(&self, index: usize) -> Option<String> {
        if let Some(how) = self.embedded.exited(index) {
            return Some(how);
        }
        let mut all = self.lock();
        let r = all.iter_mut().find(|r| r.index == index)?;
        let status = r.child.as_mut()?.try_wait().ok()??;
        Some(status.to_string())
    }

    /// SIGKILLs node `index` (fault injection) and reaps it; `false` if it was not running
    /// here. It stays in the registry, so a [`Self::replace`] can bring it back.
    pub fn kill(&self, index: usize) -> bool {
        let mut all = self.lock();
        let Some(r) = all.iter_mut().find(|r| r.index == index) else {
            return false;
        };
        let Some(child) = r.child.as_mut() else {
            return false;
        };
        let killed = child.kill().is_ok();
        let _ = child.wait();
        killed
    }

    /// Node `index` runs again as `child` (a restart from its data directory).
    pub fn replace(&self, index: usize, data_dir: &Path, child: Child) {
        let mut all = self.lock();
        all.retain(|r| r.index != index);
        all.push(Running {
            index,
            pid: child.id(),
            data_dir: data_dir.to_path_buf(),
            child: Some(child),
        });
    }

    /// Records the Compose project started here (before its first container exists).
    pub fn set_compose(&self, entry: ComposeEntry) {
        *self.compose.lock().unwrap_or_else(|e| e.into_inner()) = Some(entry);
    }

    fn take_compose(&self) -> Option<ComposeEntry> {
        self.compose
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Hands the nodes over (e.g. `up` leaving them running): nothing here stops them then.
    pub fn release(&self) -> Vec<Running> {
        drop(self.take_prometheus());
        drop(self.take_compose());
        std::mem::take(&mut *self.lock())
    }

    /// Records the Prometheus server started for the testnet in `dir`.
    fn set_prometheus(&self, child: Child, dir: &Path) {
        *self.prometheus.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((child, dir.to_path_buf()));
    }

    fn take_prometheus(&self) -> Option<(Child, std::path::PathBuf)> {
        self.prometheus
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// `Some(status)` if the Prometheus server started here has exited.
    fn prometheus_exited(&self) -> Option<String> {
        let mut p = self.prometheus.lock().unwrap_or_else(|e| e.into_inner());
        let status = p.as_mut()?.0.try_wait().ok()??;
        Some(status.to_string())
    }

    /// Stops the Prometheus server started here (if any), reaps it and clears its pid.
    pub async fn stop_prometheus(&self) {
        let Some((mut child, dir)) = self.take_prometheus() else {
            return;
        };
        // Our own child: no pid reuse is possible, so SIGKILL is safe if the /proc check declined.
        if !crate::prometheus::stop_server(child.id(), &dir).await {
            let _ = child.kill();
        }
        let _ = tokio::task::spawn_blocking(move || child.wait()).await;
        crate::prometheus::clear_pid(&dir);
    }

    /// Stops every node started here and clears their (and only their) pids in
    /// `DIR/testnet.json`.
    pub async fn stop(&self, dir: &Path) -> StopReport {
        let report = self.stop_nodes(dir).await;
        self.stop_prometheus().await;
        report
    }

    async fn stop_nodes(&self, dir: &Path) -> StopReport {
        if let Some(entry) = self.take_compose() {
            return stop_compose(&entry, dir).await;
        }
        if !self.embedded.is_empty() {
            let report = self.embedded.stop_all(GRACE).await;
            if let Ok(mut m) = Manifest::load(dir) {
                m.host_pid = None;
                let _ = m.save();
            }
            return report;
        }
        let nodes = std::mem::take(&mut *self.lock());
        if nodes.is_empty() {
            // Nothing started here: leave any existing testnet.json alone (e.g. `up` refused
            // a directory that holds another, running testnet).
            return StopReport::default();
        }
        let ours: Vec<usize> = nodes.iter().map(|n| n.index).collect();
        let report = tokio::task::spawn_blocking(move || stop_all(nodes, GRACE))
            .await
            .unwrap_or_default();
        clear_pids(dir, |i| ours.contains(&i));
        report
    }
}

/// Stops a compose testnet's containers (SIGTERM first: the nodes flush and exit 0), then
/// removes everything it made in Docker. Errors are printed, not returned: stopping goes on.
pub async fn stop_compose(entry: &ComposeEntry, dir: &Path) -> StopReport {
    let nodes = Manifest::load(dir).map(|m| m.nodes.len()).unwrap_or(0);
    let report = match container::stop(entry, nodes).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("warning: stopping containers: {e}");
            StopReport::default()
        }
    };
    if let Err(e) = container::remove(entry).await {
        eprintln!("warning: removing the compose testnet: {e}");
    }
    clear_pids(dir, |_| true);
    report
}

/// Sets `pid = None` for the nodes `which` selects, if the manifest is readable.
pub fn clear_pids(dir: &Path, which: impl Fn(usize) -> bool) {
    if let Ok(mut m) = Manifest::load(dir) {
        for n in m.nodes.iter_mut().filter(|n| which(n.index)) {
            n.pid = None;
        }
        let _ = m.save();
    }
}

/// The Prometheus server started here is stopped with the nodes.
impl crate::prometheus::Keeper for Started {
    fn keep(&self, child: Child, dir: &Path) {
        self.set_prometheus(child, dir);
    }

    fn exited(&self) -> Option<String> {
        self.prometheus_exited()
    }
}

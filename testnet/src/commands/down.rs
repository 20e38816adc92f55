//! `down`: stop this testnet's nodes (and its Prometheus server) and clear their pids.
//! Idempotent: a second `down` finds nothing running and changes nothing.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::process::procfs;
use crate::process::started::clear_pids;
use crate::process::{Running, StopReport, stop::GRACE, stop_all};
use crate::setup::manifest::{self, Manifest};

#[derive(Debug, Clone, Serialize)]
pub struct DownReport {
    pub dir: PathBuf,
    pub stop: StopReport,
    /// Nodes found in `/proc` under this directory but missing from `testnet.json` (an `up`
    /// killed between starting a node and recording it).
    pub unrecorded: Vec<u32>,
}

pub async fn down(dir: &Path) -> Result<DownReport> {
    let m = match Manifest::load(dir) {
        Ok(m) => Some(m),
        Err(Error::NoTestnet(_)) => None,
        Err(e) => return Err(e),
    };
    if let Some(m) = m.as_ref().filter(|m| m.attached) {
        return Err(Error::Invalid(format!(
            "{} is attached to nodes this tool did not start (--endpoints); it stops nothing",
            m.dir.display()
        )));
    }
    if let Some((m, entry)) = m.as_ref().and_then(|m| Some((m, m.compose.clone()?))) {
        let stop = crate::process::started::stop_compose(&entry, &m.dir).await;
        crate::prometheus::stop_recorded(m).await;
        return Ok(DownReport {
            dir: m.dir.clone(),
            stop,
            unrecorded: Vec::new(),
        });
    }
    if let Some(m) = m.as_ref().filter(|m| m.in_process) {
        let stop = stop_host(m).await;
        crate::prometheus::stop_recorded(m).await;
        return Ok(DownReport {
            dir: m.dir.clone(),
            stop,
            unrecorded: Vec::new(),
        });
    }
    // The manifest's own directory is the canonical one the nodes were started with.
    let root = m
        .as_ref()
        .map_or_else(|| dir.to_path_buf(), |m| m.dir.clone());
    let mut nodes: Vec<Running> = m
        .iter()
        .flat_map(|m| &m.nodes)
        .filter_map(|n| {
            Some(Running {
                index: n.index,
                pid: n.pid?,
                data_dir: n.data_dir.clone(),
                child: None,
            })
        })
        .collect();
    let mut unrecorded = Vec::new();
    for (pid, data_dir) in procfs::nodes_under(&root) {
        if nodes.iter().any(|n| n.pid == pid) {
            continue;
        }
        unrecorded.push(pid);
        nodes.push(Running {
            index: node_index(&data_dir).unwrap_or(usize::MAX),
            pid,
            data_dir,
            child: None,
        });
    }
    if m.is_none() && nodes.is_empty() {
        return Err(Error::NoTestnet(dir.to_path_buf()));
    }
    let stop = tokio::task::spawn_blocking(move || stop_all(nodes, GRACE))
        .await
        .unwrap_or_default();
    clear_pids(&root, |_| true);
    if let Some(m) = &m {
        crate::prometheus::stop_recorded(m).await;
    }
    remove_stale_temp_files(&root);
    Ok(DownReport {
        dir: root,
        stop,
        unrecorded,
    })
}

/// An in-process testnet stops with its host (`up --in-process` in the foreground): SIGTERM,
/// which makes it stop every node cleanly, then wait for it to exit. The host clears its pid
/// itself; a host that is gone (or a pid now used by another program) is only forgotten.
async fn stop_host(m: &Manifest) -> StopReport {
    let all: Vec<usize> = m.nodes.iter().map(|n| n.index).collect();
    let mut report = StopReport::default();
    let Some(pid) = m.host_pid.filter(|&p| procfs::is_in_process_command(p)) else {
        report.not_running = all;
        if let Ok(mut fresh) = Manifest::load(&m.dir) {
            fresh.host_pid = None;
            let _ = fresh.save();
        }
        return report;
    };
    crate::process::signal::send(pid, crate::process::signal::Signal::Term);
    let deadline = std::time::Instant::now() + GRACE;
    while procfs::is_host(pid) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if procfs::is_host(pid) {
        report.killed = all;
        crate::process::signal::send(pid, crate::process::signal::Signal::Kill);
    } else {
        report.terminated = all;
    }
    report
}

fn node_index(data_dir: &Path) -> Option<usize> {
    data_dir
        .file_name()?
        .to_str()?
        .strip_prefix("node-")?
        .parse()
        .ok()
}

/// Leftovers of an atomic write interrupted by a kill.
fn remove_stale_temp_files(dir: &Path) {
    let tmp = dir.join(format!("{}.tmp", manifest::FILE));
    let _ = std::fs::remove_file(tmp);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_from_dir_name() {
        assert_eq!(node_index(Path::new("/t/node-12")), Some(12));
        assert_eq!(node_index(Path::new("/t/other")), None);
    }

    #[tokio::test]
    async fn down_without_a_testnet_is_an_error_and_twice_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(down(dir.path()).await, Err(Error::NoTestnet(_))));
        let o = crate::setup::plan::tests::opts(2, crate::setup::RegionsOpt::None);
        let (mut m, g) = crate::setup::plan(&o, dir.path()).unwrap();
        // A recorded pid that is not a node (our own): must be left alone.
        m.nodes[0].pid = Some(std::process::id());
        crate::setup::write_files(&m, &g, &Default::default()).unwrap();
        let r = down(dir.path()).await.unwrap();
        assert_eq!(r.stop.not_running, vec![0]);
        assert!(
            Manifest::load(dir.path())
                .unwrap()
                .nodes
                .iter()
                .all(|n| n.pid.is_none())
        );
        let again = down(dir.path()).await.unwrap();
        assert!(again.stop.terminated.is_empty() && again.stop.killed.is_empty());
    }
}

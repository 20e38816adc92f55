//! The Prometheus process: found on `PATH` (or `--prometheus-bin`), started on a free
//! loopback port with its config, TSDB and log under `DIR/prometheus/`, in its own process
//! group (a Ctrl-C reaches this tool, which stops it in order), and stopped by pid — only after
//! checking from `/proc` that the pid still runs *this* testnet's config.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use super::config::CONFIG_FILE;
use crate::error::{Error, Result, io};
use crate::process::procfs;
use crate::process::signal::{self, Signal};

/// The server's log inside `DIR/prometheus/`.
pub const LOG_FILE: &str = "prometheus.log";
/// Its TSDB inside `DIR/prometheus/`.
pub const DATA_DIR: &str = "data";
/// How long a stopped server gets to flush its head block before SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long start-up may take (the TSDB replays its WAL when reopened).
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// `explicit`, else `prometheus` on `PATH`; `None` if neither is an executable file.
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    // Absolute: the server runs with `DIR/prometheus` as its working directory.
    if let Some(p) = explicit {
        return p.canonicalize().ok().filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("prometheus"))
        .find(|p| p.is_file())
        .and_then(|p| p.canonicalize().ok())
}

fn config_arg(testnet: &Path) -> String {
    format!(
        "--config.file={}",
        super::options::dir(testnet).join(CONFIG_FILE).display()
    )
}

/// The command line: config, TSDB (kept a day at most), loopback address.
pub fn args(testnet: &Path, addr: SocketAddr) -> Vec<String> {
    let dir = super::options::dir(testnet);
    vec![
        config_arg(testnet),
        format!("--storage.tsdb.path={}", dir.join(DATA_DIR).display()),
        "--storage.tsdb.retention.time=1d".into(),
        format!("--web.listen-address={addr}"),
    ]
}

/// Starts the server (config already written), logging to `prometheus.log`.
pub fn spawn(binary: &Path, testnet: &Path) -> Result<(Child, SocketAddr)> {
    let port = crate::setup::ports::free_ports(1).map_err(io("free port"))?[0];
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let log_path = super::options::dir(testnet).join(LOG_FILE);
    let child = crate::process::spawn::logged_command(binary, &log_path)?
        .args(args(testnet, addr))
        .current_dir(super::options::dir(testnet))
        .spawn()
        .map_err(|e| Error::Prometheus(format!("cannot start {}: {e}", binary.display())))?;
    Ok((child, addr))
}

/// Waits for `/-/ready`; fails early if `exited` reports the process gone.
pub async fn wait_ready(
    addr: SocketAddr,
    timeout: Duration,
    exited: &(dyn Fn() -> Option<String> + Sync),
    log: &Path,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = exited() {
            return Err(Error::Prometheus(format!(
                "exited during start-up ({status}); its log is {}",
                log.display()
            )));
        }
        if crate::observe::metrics::http::get(addr, "/-/ready", Duration::from_secs(2))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                what: format!("Prometheus at {addr} to be ready"),
                secs: timeout.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether `pid` is a Prometheus started for `testnet` (its config argument names it).
pub fn is_ours(pid: u32, testnet: &Path) -> bool {
    let want = config_arg(testnet);
    procfs::cmdline(pid).is_some_and(|args| args.contains(&want))
}

/// SIGTERM, up to `STOP_GRACE` for a clean exit, then SIGKILL. `false` if `pid` was not
/// this testnet's server (gone, or the pid reused): then nothing is signalled.
pub async fn stop(pid: u32, testnet: &Path) -> bool {
    if !is_ours(pid, testnet) {
        return false;
    }
    signal::send(pid, Signal::Term);
    let deadline = Instant::now() + STOP_GRACE;
    while is_ours(pid, testnet) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if is_ours(pid, testnet) {
        signal::send(pid, Signal::Kill);
    }
    true
}

/// Forgets the server's pid in `testnet.json` (it has stopped).
pub fn clear_pid(dir: &std::path::Path) {
    if let Ok(mut m) = crate::setup::manifest::Manifest::load(dir)
        && let Some(p) = m.prometheus.as_mut()
    {
        p.pid = None;
        let _ = m.save();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_args_under_the_testnet_dir() {
        let a = args(Path::new("/t"), "127.0.0.1:9090".parse().unwrap());
        assert!(a.contains(&"--config.file=/t/prometheus/prometheus.yml".to_owned()));
        assert!(a.contains(&"--storage.tsdb.path=/t/prometheus/data".to_owned()));
        assert!(a.contains(&"--web.listen-address=127.0.0.1:9090".to_owned()));
    }

    #[test]
    fn a_pid_that_is_not_our_server_is_left_alone() {
        assert!(!is_ours(std::process::id(), Path::new("/t")));
        assert!(locate(Some(Path::new("/nonexistent/prometheus"))).is_none());
    }
}

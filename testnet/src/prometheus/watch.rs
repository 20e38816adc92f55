//! Prometheus's part in a testnet's life: started with `up` before the first node (so the
//! series cover start-up), waited for until it has scraped every node, and stopped by `down`
//! or with the nodes of a `run`.

use std::time::{Duration, Instant};

use super::options::{Entry, Keeper, PrometheusOptions};
use super::{api, config, server};
use crate::error::{Error, Result};
use crate::setup::manifest::Manifest;

/// What the report and `up` say when `--prometheus` found no server binary.
pub const NOT_FOUND: &str =
    "no `prometheus` binary on PATH (install it: apt-get install prometheus)";

/// Writes the config and targets and, when the binary is there, starts the server and waits
/// for it to answer. The server is recorded in `manifest` (saved) and in `started` before the
/// wait, so a failure or Ctrl-C stops it.
pub async fn start(
    opts: &PrometheusOptions,
    manifest: &mut Manifest,
    started: &dyn Keeper,
) -> Result<()> {
    config::write(manifest, opts.scrape_interval)?;
    let mut entry = Entry {
        pid: None,
        addr: None,
        scrape_interval_ms: opts.scrape_interval.as_millis() as u64,
        not_started: None,
    };
    let Some(binary) = server::locate(opts.binary.as_deref()) else {
        let why = match &opts.binary {
            Some(b) => format!("{} is not a file", b.display()),
            None => NOT_FOUND.to_owned(),
        };
        eprintln!(
            "notice: --prometheus: {why}; wrote {} for a server started by hand",
            super::options::dir(&manifest.dir)
                .join(config::CONFIG_FILE)
                .display()
        );
        entry.not_started = Some(why);
        manifest.prometheus = Some(entry);
        return manifest.save();
    };
    let (child, addr) = server::spawn(&binary, &manifest.dir)?;
    entry.pid = Some(child.id());
    entry.addr = Some(addr);
    manifest.prometheus = Some(entry);
    started.keep(child, &manifest.dir);
    manifest.save()?;
    let log = super::options::dir(&manifest.dir).join(server::LOG_FILE);
    server::wait_ready(addr, server::READY_TIMEOUT, &|| started.exited(), &log).await
}

/// Waits until Prometheus reports every one of `nodes` targets `up` (each scraped at least
/// once, successfully).
pub async fn wait_targets_up(entry: &Entry, nodes: usize, timeout: Duration) -> Result<()> {
    let Some(addr) = entry.addr else {
        return Ok(());
    };
    let deadline = Instant::now() + timeout;
    loop {
        let last = match api::targets(addr).await {
            Ok(t) => {
                let up = t.iter().filter(|t| t.health == "up").count();
                if up >= nodes {
                    return Ok(());
                }
                format!("{up} of {nodes} targets up")
            }
            Err(e) => e.to_string(),
        };
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                what: format!("Prometheus to scrape every node ({last})"),
                secs: timeout.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `down`: stops the recorded server if it is still this testnet's, and clears its pid.
/// Returns whether one was stopped.
pub async fn stop_recorded(m: &Manifest) -> bool {
    let Some(pid) = m.prometheus.as_ref().and_then(|p| p.pid) else {
        return false;
    };
    let stopped = server::stop(pid, &m.dir).await;
    server::clear_pid(&m.dir);
    stopped
}

/// The line `up` prints about the server.
pub fn describe(m: &Manifest) -> Option<String> {
    let p = m.prometheus.as_ref()?;
    Some(match (&p.url(), &p.not_started) {
        (Some(url), _) if p.pid.is_none() => format!("Prometheus: stopped (was {url})"),
        (Some(url), _) => format!(
            "Prometheus: {url} (UI and API; config {}; stopped by `down`)",
            super::options::dir(&m.dir)
                .join(config::CONFIG_FILE)
                .display()
        ),
        (None, why) => format!(
            "Prometheus: not started ({}); config written to {}",
            why.as_deref().unwrap_or("unknown"),
            super::options::dir(&m.dir)
                .join(config::CONFIG_FILE)
                .display()
        ),
    })
}

//! `up`: create a testnet directory, start the nodes (in index order, each once its
//! bootnodes answer RPC, several at once: [`StartOrder`]), and wait until all of them have
//! peers and a mesh (and, with `--prometheus`, until the server has scraped every node).

use std::path::Path;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use indicatif::ProgressBar;

use crate::error::{Error, Result};
use crate::observe::collect;
use crate::observe::ready;
use crate::process::Started;
use crate::process::spawn_node;
use crate::setup::manifest::Manifest;
use crate::setup::plan::{Addressing, plan_at};
use crate::setup::{UpOptions, plan, write_files};
use crate::util::start_order::{START_LIMIT, StartOrder};
use crate::util::timefmt::now_us;

/// Starts the testnet described by `opts` in `opts.dir` (absolute, existing). Every node
/// started is recorded in `started` *and* in `testnet.json` before anything else happens, so
/// a Ctrl-C or a kill at any point leaves a way to stop it.
pub async fn start(opts: &UpOptions, started: &Started, quiet: bool) -> Result<Manifest> {
    refuse_existing(&opts.dir)?;
    let (mut manifest, genesis) = match &opts.compose {
        Some(c) => {
            opts.validate()?;
            let (entry, base) =
                crate::backend::container::prepare(&opts.dir, &opts.rumor, c).await?;
            // Recorded before anything else exists in Docker: an error or a Ctrl-C removes it.
            started.set_compose(entry.clone());
            let (mut m, g) = plan_at(opts, &opts.dir, Addressing::Subnet(base))?;
            m.compose = Some(entry);
            (m, g)
        }
        None => plan(opts, &opts.dir)?,
    };
    let template = node_template(opts);
    if opts.in_process {
        let fds = crate::util::fdlimit::raise_for(manifest.nodes.len())?;
        if let Some(w) = fds.shortfall(manifest.nodes.len()) {
            eprintln!("warning: {w}");
        }
        let pid = std::process::id();
        manifest.host_pid = Some(pid);
        manifest.host_rss_before_kib = crate::process::procfs::mem(pid).map(|m| m.rss_kib);
        manifest.host_heap_before = Some(crate::util::heap::live_bytes());
    }
    write_files(&manifest, &genesis, &template)?;
    if let Some(entry) = &manifest.compose {
        let spinner = crate::util::progress::spinner("containers", quiet);
        spinner.set_message(format!("creating {} containers", manifest.nodes.len()));
        crate::backend::container::create(entry, &manifest.nodes, &manifest.genesis).await?;
        spinner.finish_and_clear();
    }
    if let Some(p) = &opts.prometheus {
        crate::prometheus::start(p, &mut manifest, started).await?;
    }
    let rpcs = collect::clients(&manifest)?;

    let bar = crate::util::progress::bar(manifest.nodes.len() as u64, "start-up", quiet);
    let boots = manifest.nodes.iter().map(|n| n.bootnodes.clone()).collect();
    let mut order = StartOrder::new(boots, START_LIMIT);
    let mut coming_up = FuturesUnordered::new();
    while !order.done() {
        // Every node started is recorded before the next await: a Ctrl-C can stop it.
        let mut batch = Vec::new();
        while let Some(i) = order.start_next() {
            batch.push(i);
        }
        // Containers start in one Docker call per batch (the project is already recorded).
        if let Some(entry) = &manifest.compose {
            let pids = crate::backend::container::start(entry, &batch).await?;
            for (&i, pid) in batch.iter().zip(pids) {
                manifest.nodes[i].pid = pid;
            }
            manifest.save()?;
        }
        for i in batch {
            let node = manifest.nodes[i].clone();
            if manifest.compose.is_some() {
                // Started above.
            } else if opts.in_process {
                started.embedded.start(&manifest, &node, &template);
            } else {
                let child = spawn_node(&manifest, &node)?;
                manifest.nodes[i].pid = Some(child.id());
                started.push(i, &node.data_dir, child);
                manifest.save()?;
            }
            bar.set_message(format!("node {i}"));
            let rpc = &rpcs[i];
            coming_up.push(async move {
                ready::wait_rpc(&node, rpc, opts.ready_timeout, &|| started.exited(i)).await?;
                Ok::<_, Error>(i)
            });
        }
        // A node's bootnodes answer RPC before it starts (see `StartOrder`).
        match coming_up.next().await {
            Some(r) => {
                order.ready(r?);
                bar.inc(1);
            }
            None => break,
        }
    }
    manifest.save()?;
    bar.finish_with_message("all nodes answer RPC");

    let mesh = crate::util::progress::bar(manifest.nodes.len() as u64, "mesh", quiet);
    mesh.set_message("nodes with peers and a mesh for both topics");
    ready::wait_mesh(&rpcs, opts.ready_timeout, &mesh, opts.overrides.readiness).await?;
    mesh.finish();
    if let Some(p) = &manifest.prometheus {
        crate::prometheus::wait_targets_up(p, manifest.nodes.len(), opts.ready_timeout).await?;
    }
    manifest.ready_at_us = Some(now_us());
    manifest.save()?;
    Ok(manifest)
}

/// The config every node starts from: the benchmark's overrides, and for in-process nodes a
/// chain store in memory and no tx journal (see [`crate::process::inproc`]).
pub fn node_template(opts: &UpOptions) -> rumor_api::NodeConfig {
    let mut c = opts.overrides.config.clone();
    if opts.in_process {
        c.in_memory_store = true;
        c.tx_journal = false;
    }
    c
}

/// `up` never reuses a directory holding a testnet: its keys, chain data and traces would mix.
fn refuse_existing(dir: &Path) -> Result<()> {
    let Ok(m) = Manifest::load(dir) else {
        return Ok(());
    };
    let live: Vec<u32> = (0..m.nodes.len())
        .filter(|&i| collect::alive(&m, i))
        .filter_map(|i| m.nodes[i].pid)
        .collect();
    if !live.is_empty() {
        return Err(Error::AlreadyRunning {
            dir: dir.to_path_buf(),
            pids: live,
        });
    }
    Err(Error::Invalid(format!(
        "{} already holds a testnet; pass a new --dir",
        dir.display()
    )))
}

/// `up` as a command: start, then leave the nodes running. On failure or Ctrl-C, stops
/// whatever it started.
pub async fn up(opts: &UpOptions, quiet: bool) -> Result<Manifest> {
    let started = Started::default();
    let result = tokio::select! {
        r = start(opts, &started, quiet) => r,
        _ = crate::util::shutdown::signal() => Err(Error::Interrupted),
    };
    match result {
        Ok(m) => {
            crate::util::dirs::mark_latest(&m.dir);
            started.release();
            Ok(m)
        }
        Err(e) => {
            let spinner: ProgressBar = crate::util::progress::spinner("stopping", quiet);
            started.stop(&opts.dir).await;
            spinner.finish_and_clear();
            Err(e)
        }
    }
}

/// `up --in-process`: the nodes live in this process, so it stays in the foreground: start,
/// hand the manifest to `started_ok` (which prints it), run until Ctrl-C or SIGTERM, then stop
/// every node cleanly.
pub async fn up_in_foreground(
    opts: &UpOptions,
    quiet: bool,
    started_ok: impl FnOnce(&Manifest),
) -> Result<rumor_report::records::process::StopReport> {
    let started = Started::default();
    let result = tokio::select! {
        r = start(opts, &started, quiet) => r,
        _ = crate::util::shutdown::signal() => Err(Error::Interrupted),
    };
    let outcome = match result {
        Ok(m) => {
            crate::util::dirs::mark_latest(&m.dir);
            started_ok(&m);
            crate::util::shutdown::signal().await;
            Ok(())
        }
        Err(e) => Err(e),
    };
    let spinner: ProgressBar = crate::util::progress::spinner("stopping", quiet);
    let report = started.stop(&opts.dir).await;
    spinner.finish_and_clear();
    outcome.map(|()| report)
}

/// One line per node, for the `up` command's output.
pub fn describe(m: &Manifest) -> String {
    let rows: Vec<Vec<String>> = m
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.index.to_string(),
                rumor_report::render::text::opt(n.pid),
                if n.producer {
                    "yes".into()
                } else {
                    String::new()
                },
                n.region.clone().unwrap_or_else(|| "-".into()),
                n.rpc.to_string(),
                n.metrics.to_string(),
                n.p2p.clone(),
                n.peer_id.clone(),
            ]
        })
        .collect();
    let mut out = format!(
        "testnet {} (network {}) in {}\n{}",
        m.chain_id,
        m.network,
        m.dir.display(),
        rumor_report::render::text::render(
            &[
                "node", "pid", "producer", "region", "rpc", "metrics", "p2p", "peer id"
            ],
            &rows
        )
    );
    if let Some(line) = crate::prometheus::describe(m) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::RegionsOpt;

    #[tokio::test]
    async fn refuses_a_directory_with_a_testnet_and_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = crate::setup::plan::tests::opts(2, RegionsOpt::None);
        o.dir = dir.path().to_path_buf();
        let (mut m, g) = plan(&o, dir.path()).unwrap();
        m.nodes[1].pid = Some(4_000_000); // recorded, not running
        write_files(&m, &g, &Default::default()).unwrap();
        let err = up(&o, true).await.unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err}");
        assert_eq!(
            Manifest::load(dir.path()).unwrap().nodes[1].pid,
            Some(4_000_000)
        );
    }
}

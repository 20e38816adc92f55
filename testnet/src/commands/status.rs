//! `status`: one row per node — process, head, peers, mesh, mempool — and, with
//! `--prometheus`, the server's address and how many nodes it scrapes successfully.

use std::path::Path;
use std::time::Duration;

use crate::error::Result;
use crate::observe::rpc::Rpc;
use crate::setup::manifest::Manifest;
use rumor_report::render::text::{opt, render};

pub async fn status(dir: &Path) -> Result<String> {
    let m = Manifest::load(dir)?;
    let mut rows = Vec::new();
    for (i, n) in m.nodes.iter().enumerate() {
        let alive = crate::observe::collect::alive(&m, i);
        let rpc = Rpc::new(&n.rpc_url(), Duration::from_secs(2))?;
        let (head, peers, pool) = if alive {
            (
                rpc.chain_head().await.ok(),
                rpc.net_peers().await.ok(),
                rpc.mempool_status().await.ok(),
            )
        } else {
            (None, None, None)
        };
        let mesh = |k: &str| {
            peers
                .as_ref()
                .map(|p| p.iter().filter(|x| x.in_mesh(k)).count())
        };
        rows.push(vec![
            i.to_string(),
            match (n.pid, alive) {
                (Some(pid), true) => format!("{pid} up"),
                (Some(pid), false) => format!("{pid} gone"),
                (None, _) => "down".into(),
            },
            if n.producer {
                "yes".into()
            } else {
                String::new()
            },
            n.region.clone().unwrap_or_else(|| "-".into()),
            opt(head.as_ref().map(|h| h.height)),
            head.as_ref().map_or("-".into(), |h| {
                h.hash.to_string().chars().take(12).collect()
            }),
            opt(peers.as_ref().map(Vec::len)),
            format!("{}/{}", opt(mesh("tx")), opt(mesh("block"))),
            opt(pool.as_ref().map(|p| p.pending)),
            opt(pool.as_ref().map(|p| p.queued)),
        ]);
    }
    let mut out = format!(
        "testnet in {} (network {})\n{}",
        m.dir.display(),
        m.network,
        render(
            &[
                "node",
                "process",
                "producer",
                "region",
                "height",
                "head",
                "peers",
                "mesh tx/block",
                "pending",
                "queued",
            ],
            &rows,
        )
    );
    if let Some(line) = prometheus_line(&m).await {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

async fn prometheus_line(m: &Manifest) -> Option<String> {
    let p = m.prometheus.as_ref()?;
    let (Some(addr), Some(pid)) = (p.addr, p.pid) else {
        return crate::prometheus::describe(m);
    };
    if !crate::prometheus::is_ours(pid, &m.dir) {
        return Some(format!("Prometheus: pid {pid} gone"));
    }
    Some(match crate::prometheus::targets(addr).await {
        Ok(t) => format!(
            "Prometheus: http://{addr}, {} of {} targets up",
            t.iter().filter(|t| t.health == "up").count(),
            t.len()
        ),
        Err(e) => format!("Prometheus: http://{addr}, not answering ({e})"),
    })
}

//! Traces and clocks of nodes whose files this tool cannot open (containers, other hosts):
//! each node's trace is read over RPC (`trace_read`, whole lines, page by page from offset 0)
//! into the node's directory here, with the writer's counts (`trace_stats`) beside it, so the
//! rest of the pipeline reads them as it reads a local node's; each node's clock offset to this
//! tool is estimated ([`crate::observe::clock`]) and saved in `DIR/clocks.json`.
//!
//! Bound: one page (≤ 1 MiB) per node in memory at a time, [`CONCURRENT`] nodes at once.

use std::io::Write;

use futures::StreamExt;

use crate::error::{Error, Result, io};
use crate::observe::clock;
use crate::observe::rpc::Rpc;
use crate::setup::manifest::{Manifest, NodeEntry};

/// Nodes read at once.
pub const CONCURRENT: usize = 8;

/// Whether this testnet's traces are read over RPC rather than from the node's directory.
pub fn traces_over_rpc(m: &Manifest) -> bool {
    m.compose.is_some() || m.attached
}

/// Whether this testnet's nodes may not share this tool's clock: remote ones, or nodes started
/// with `--skew`. Their clocks are then measured over RPC and their trace times corrected.
pub fn clocks_differ(m: &Manifest) -> bool {
    traces_over_rpc(m) || m.nodes.iter().any(|n| n.clock_offset_ms != 0)
}

/// Copies one node's trace and counts; returns the bytes read.
pub async fn fetch(node: &NodeEntry, rpc: &Rpc) -> Result<u64> {
    let path = node.trace_file();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let part = path.with_extension("ndjson.part");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&part).map_err(io(&part))?);
    let mut offset = 0;
    loop {
        let page = rpc.trace_read(offset).await?;
        if page.lines.is_empty() {
            break;
        }
        if page.offset != offset || page.next_offset <= offset {
            return Err(Error::Rpc {
                endpoint: rpc.endpoint().into(),
                method: "trace_read".into(),
                message: format!(
                    "asked offset {offset}, got page {}..{}",
                    page.offset, page.next_offset
                ),
            });
        }
        out.write_all(page.lines.as_bytes()).map_err(io(&part))?;
        offset = page.next_offset;
    }
    out.flush().map_err(io(&part))?;
    drop(out);
    std::fs::rename(&part, &path).map_err(io(&path))?;
    let stats = rpc.trace_stats().await?;
    rumor_report::fsutil::write_json_atomic(&node.trace_stats_file(), &stats)?;
    Ok(offset)
}

/// Every node's trace (errors per node: a node that is down keeps whatever was read before).
pub async fn fetch_all(m: &Manifest, rpcs: &[Rpc]) -> Vec<Result<u64>> {
    futures::stream::iter(m.nodes.iter().zip(rpcs))
        .map(|(n, rpc)| fetch(n, rpc))
        .buffered(CONCURRENT)
        .collect()
        .await
}

pub use rumor_report::records::clock::Clocks;

/// Estimates and saves every node's clock offset (`DIR/clocks.json`).
pub async fn measure_clocks(m: &Manifest, rpcs: &[Rpc]) -> Result<Clocks> {
    let offsets = clock::measure_all(rpcs).await;
    let clocks: Clocks = offsets
        .into_iter()
        .enumerate()
        .filter_map(|(i, o)| Some((m.nodes.get(i)?.index, o?)))
        .collect();
    rumor_report::fsutil::write_json_atomic(&m.dir.join(clock::FILE), &clocks)?;
    Ok(clocks)
}

/// The offsets saved by [`measure_clocks`], if any.
pub fn load_clocks(m: &Manifest) -> Option<Clocks> {
    rumor_report::fsutil::read_json(&m.dir.join(clock::FILE)).ok()
}

/// Clocks, for a testnet whose nodes' clocks may differ from ours, then traces, for one whose
/// traces come over RPC; a progress message for each.
pub async fn collect(m: &Manifest, rpcs: &[Rpc], progress: &indicatif::ProgressBar) -> Result<()> {
    if !clocks_differ(m) {
        return Ok(());
    }
    progress.set_message("clock offsets (trace_clock)");
    measure_clocks(m, rpcs).await?;
    if !traces_over_rpc(m) {
        return Ok(());
    }
    progress.set_message("traces over RPC (trace_read)");
    for (i, r) in fetch_all(m, rpcs).await.into_iter().enumerate() {
        if let Err(e) = r {
            progress.println(format!("warning: node {i}: trace not read: {e}"));
        }
    }
    Ok(())
}

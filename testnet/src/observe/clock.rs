//! Each node's clock offset to this tool's, estimated over RPC the way NTP does: the tool
//! notes its clock before (`t0`) and after (`t3`) a `trace_clock` call whose answer is the
//! node's clock `t`; if the node read its clock anywhere within the round trip, its offset is
//! `t − (t0 + t3)/2` within ± (t3 − t0)/2. Of [`SAMPLES`] calls the one with the shortest round
//! trip is kept (its bound is the tightest; queueing only ever lengthens a round trip).
//!
//! Trace times are corrected by subtracting the offset; the report prints each offset with
//! its bound, and any latency smaller than the largest bound is not measurable.

use std::time::Duration;

use futures::StreamExt;

use crate::error::Result;
use crate::observe::rpc::Rpc;
use crate::util::timefmt::now_us;
pub use rumor_report::records::clock::{ClockOffset, correct, estimate};

/// Round trips per node (a few ms in all on a LAN).
pub const SAMPLES: usize = 8;
/// Nodes sampled at once (each node's samples run one after another, never overlapping).
pub const CONCURRENT: usize = 16;
/// The file in the testnet directory.
pub const FILE: &str = "clocks.json";

/// Samples one node.
pub async fn measure(rpc: &Rpc) -> Result<ClockOffset> {
    let mut samples = Vec::with_capacity(SAMPLES);
    let mut last_err = None;
    for _ in 0..SAMPLES {
        let t0 = now_us();
        match rpc.trace_clock().await {
            Ok(r) => samples.push((t0, r.t_us, now_us())),
            Err(e) => last_err = Some(e),
        }
    }
    match (estimate(&samples), last_err) {
        (Some(o), _) => Ok(o),
        (None, Some(e)) => Err(e),
        (None, None) => unreachable!("SAMPLES > 0"),
    }
}

/// Every node's offset (`None` where the node did not answer).
pub async fn measure_all(rpcs: &[Rpc]) -> Vec<Option<ClockOffset>> {
    futures::stream::iter(rpcs)
        .map(|rpc| async move {
            // One warm-up call opens the connection, so no sample pays for the handshake.
            let _ = tokio::time::timeout(Duration::from_secs(5), rpc.trace_clock()).await;
            measure(rpc).await.ok()
        })
        .buffered(CONCURRENT)
        .collect()
        .await
}

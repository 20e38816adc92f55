//! The propagation trace: one NDJSON line per first sight of a tx or block, written off the hot
//! path. Producers `try_send` into a bounded queue; when it is full the line is dropped and
//! counted, so tracing can never slow the node down. A writer task drains the queue and writes
//! it out every [`FLUSH_EVERY`].
//!
//! # Bounds
//!
//! - The queue holds `[node] trace_queue` lines (default 65 536): at the ingest bench's 20k
//!   tx/s that is 3 s of lines, 30 ticks.
//! - [`FLUSH_EVERY`] = 100 ms: lines reach the file within one tick. Before, the writer woke
//!   for each line and flushed whenever the queue ran dry, which at 100 tx/s meant a wake-up
//!   and a blocking-pool file write per tx on every node.
//!
//! The line format is `rumor_api::trace` (the testnet tool reads it with the same types).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rumor_api::trace::TraceStats;
pub use rumor_api::trace::{Kind, Origin, TraceLine as Line};
use rumor_chain::clock::Clock;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// How often the writer drains the queue into the file.
pub const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Cheap to clone; a disabled tracer does nothing. Lines are stamped by the caller with the
/// node's clock (`Ctx::clock`); the duplicate watch stamps with [`Tracer::with_clock`]'s.
#[derive(Debug, Clone)]
pub struct Tracer {
    tx: Option<mpsc::Sender<Line>>,
    clock: Clock,
    pub written: Arc<AtomicU64>,
    pub dropped: Arc<AtomicU64>,
}

impl Tracer {
    pub fn disabled() -> Self {
        Self {
            tx: None,
            clock: Clock::system(),
            written: Arc::default(),
            dropped: Arc::default(),
        }
    }

    /// Starts the writer task; returns the tracer and the task (await it to flush on shutdown).
    pub async fn start(
        path: PathBuf,
        capacity: usize,
    ) -> std::io::Result<(Self, tokio::task::JoinHandle<()>)> {
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .await?;
        let (tx, mut rx) = mpsc::channel::<Line>(capacity.max(1));
        let tracer = Self {
            tx: Some(tx),
            clock: Clock::system(),
            written: Arc::default(),
            dropped: Arc::default(),
        };
        let written = tracer.written.clone();
        let dropped = tracer.dropped.clone();
        let stats_path = path.with_file_name(rumor_api::layout::TRACE_STATS);
        let task = tokio::spawn(async move {
            let mut out = tokio::io::BufWriter::with_capacity(64 * 1024, file);
            let mut buf = Vec::with_capacity(256);
            let mut tick = tokio::time::interval(FLUSH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut open = true;
            while open {
                // Woken by the clock, never by a line: a sender's `try_send` finds no waiting
                // receiver, so recording a line costs no wake-up, and the file write (a
                // blocking-pool hop in tokio::fs) happens once per tick, not once per line.
                tick.tick().await;
                loop {
                    let line = match rx.try_recv() {
                        Ok(l) => l,
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        Err(mpsc::error::TryRecvError::Disconnected) => {
                            open = false;
                            break;
                        }
                    };
                    buf.clear();
                    if serde_json::to_writer(&mut buf, &line).is_ok() {
                        buf.push(b'\n');
                        if out.write_all(&buf).await.is_err() {
                            dropped.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        written.fetch_add(1, Ordering::Relaxed);
                    }
                }
                let _ = out.flush().await;
            }
            let _ = out.flush().await;
            let stats = TraceStats {
                written: written.load(Ordering::Relaxed),
                dropped: dropped.load(Ordering::Relaxed),
            };
            if let Ok(text) = serde_json::to_string(&stats) {
                let _ = tokio::fs::write(stats_path, text).await;
            }
        });
        Ok((tracer, task))
    }

    /// Stamps the lines it times itself (first duplicates) with `clock`: the node's.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// Records a line unless the queue is full (then it is counted as dropped).
    pub fn record(
        &self,
        kind: Kind,
        id: &[u8; 32],
        t_us: u64,
        from: Option<String>,
        origin: Origin,
    ) {
        let Some(tx) = &self.tx else {
            return;
        };
        let line = Line::new(kind, id, t_us, from, origin);
        if tx.try_send(line).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// When tracing, a watch that writes a `duplicate` line for each message's second copy
    /// ([`rumor_p2p::duplicates`]), remembering `capacity` message ids (`[node]
    /// trace_duplicate_ids`).
    pub fn duplicate_watch(
        &self,
        network: &str,
        capacity: usize,
    ) -> Option<rumor_p2p::duplicates::DuplicateWatch> {
        use rumor_p2p::Topic;
        use rumor_p2p::duplicates::DuplicateWatch;
        self.enabled().then(|| {
            let tracer = self.clone();
            DuplicateWatch::new(
                network,
                capacity,
                std::sync::Arc::new(move |topic, id| {
                    let kind = match topic {
                        Topic::Tx => Kind::Tx,
                        Topic::Block => Kind::Block,
                    };
                    tracer.record(kind, &id, tracer.clock.now_us(), None, Origin::Duplicate);
                }),
            )
        })
    }

    /// Stops accepting lines; the writer drains, flushes and exits.
    pub fn close(&mut self) {
        self.tx = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_recorded_before_close_are_all_written_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(rumor_api::layout::TRACE);
        let (mut tracer, task) = Tracer::start(path.clone(), 16).await.unwrap();
        for i in 0..5u8 {
            tracer.record(Kind::Tx, &[i; 32], u64::from(i), None, Origin::Gossip);
        }
        tracer.close();
        tokio::time::timeout(std::time::Duration::from_secs(5), task)
            .await
            .expect("the writer stops once closed")
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Line> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[4].id, hex::encode([4u8; 32]));
        let stats: TraceStats = serde_json::from_str(
            &std::fs::read_to_string(path.with_file_name(rumor_api::layout::TRACE_STATS)).unwrap(),
        )
        .unwrap();
        assert_eq!((stats.written, stats.dropped), (5, 0));
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(rumor_api::layout::TRACE);
        let (mut tracer, task) = Tracer::start(path, 2).await.unwrap();
        // The writer drains only on its tick, so a burst beyond the queue is dropped.
        for i in 0..10u8 {
            tracer.record(Kind::Tx, &[i; 32], 0, None, Origin::Rpc);
        }
        let dropped = tracer.dropped.load(Ordering::Relaxed);
        tracer.close();
        task.await.unwrap();
        assert!(dropped >= 7, "dropped {dropped}");
        assert_eq!(tracer.written.load(Ordering::Relaxed) + dropped, 10);
    }
}

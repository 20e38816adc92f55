//! The propagation trace: one NDJSON line per first sight of a tx or block, written off the hot
//! path. Producers `try_send` into a bounded queue; when it is full the line is dropped and
//! counted, so tracing can never slow the node down. A writer task buffers and flushes.
//!
//! The line format is `rumor_api::trace` (the testnet tool reads it with the same types).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rumor_api::trace::TraceStats;
pub use rumor_api::trace::{Kind, Origin, TraceLine as Line};
pub use rumor_chain::clock::{now_ms, now_us};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// Cheap to clone; a disabled tracer does nothing.
#[derive(Debug, Clone)]
pub struct Tracer {
    tx: Option<mpsc::Sender<Line>>,
    pub written: Arc<AtomicU64>,
    pub dropped: Arc<AtomicU64>,
}

impl Tracer {
    pub fn disabled() -> Self {
        Self {
            tx: None,
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
            written: Arc::default(),
            dropped: Arc::default(),
        };
        let written = tracer.written.clone();
        let dropped = tracer.dropped.clone();
        let stats_path = path.with_file_name(rumor_api::layout::TRACE_STATS);
        let task = tokio::spawn(async move {
            let mut out = tokio::io::BufWriter::with_capacity(64 * 1024, file);
            let mut buf = Vec::with_capacity(256);
            loop {
                // Flush when the queue runs dry, so lines reach disk within one batch.
                let line = match rx.try_recv() {
                    Ok(l) => l,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        let _ = out.flush().await;
                        match rx.recv().await {
                            Some(l) => l,
                            None => break,
                        }
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => break,
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

    /// Stops accepting lines; the writer drains, flushes and exits.
    pub fn close(&mut self) {
        self.tx = None;
    }
}

//! `trace_*`: the propagation trace and its clock over RPC, for a reader that cannot open the
//! node's files (a container, another host).
//!
//! Invariants: `trace_clock` takes no lock and does no I/O (its answer is bounded by the
//! reader's round trip, nothing else); `trace_read` reads the file on the blocking pool and
//! returns whole lines only, at most [`MAX_TRACE_PAGE`] bytes, so a page never splits a line
//! and a reader paging from offset 0 gets the file exactly as written.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use jsonrpsee::core::{RpcResult, async_trait};
use rumor_api::TraceApiServer;
use rumor_api::errors::{internal, invalid_params};
use rumor_api::rpc::MAX_TRACE_PAGE;
use rumor_api::trace::TraceStats;
use rumor_api::types::{ClockReading, TracePage};

use super::impls::RpcImpl;

/// The smallest page a reader may ask for: longer than any trace line (~200 bytes), so every
/// page that is not at the end of the file holds at least one line.
pub const MIN_TRACE_PAGE: u64 = 4096;

/// Whole lines of `path` from `offset`, at most `max` bytes.
pub fn read_page(path: &Path, offset: u64, max: u64) -> std::io::Result<TracePage> {
    let mut f = std::fs::File::open(path)?;
    let file_len = f.metadata()?.len();
    let empty = |at: u64| TracePage {
        offset: at,
        lines: String::new(),
        next_offset: at,
        file_len,
    };
    if offset >= file_len {
        return Ok(empty(offset));
    }
    f.seek(SeekFrom::Start(offset))?;
    let want = max.min(file_len - offset);
    let mut buf = Vec::with_capacity(want as usize);
    f.take(want).read_to_end(&mut buf)?;
    // Only whole lines: the writer may be half-way through one (or a killed node left a torn
    // one); the rest comes with the next page.
    let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
        return Ok(empty(offset));
    };
    buf.truncate(end + 1);
    let lines = String::from_utf8(buf)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    Ok(TracePage {
        offset,
        next_offset: offset + lines.len() as u64,
        lines,
        file_len,
    })
}

#[async_trait]
impl TraceApiServer for RpcImpl {
    async fn clock(&self) -> RpcResult<ClockReading> {
        // Read first: the metric's timer must not sit between request and reading.
        let t_us = self.ctx.clock.now_us();
        let _t = self.ctx.metrics.rpc("trace_clock");
        Ok(ClockReading { t_us })
    }

    async fn read(&self, offset: u64, max_bytes: Option<u64>) -> RpcResult<TracePage> {
        let _t = self.ctx.metrics.rpc("trace_read");
        if !self.ctx.config.trace {
            return Err(invalid_params("this node keeps no trace (trace = false)"));
        }
        let max = max_bytes
            .unwrap_or(MAX_TRACE_PAGE)
            .clamp(MIN_TRACE_PAGE, MAX_TRACE_PAGE);
        let path = self.ctx.config.dir().trace();
        tokio::task::spawn_blocking(move || read_page(&path, offset, max))
            .await
            .map_err(internal)?
            .map_err(internal)
    }

    async fn stats(&self) -> RpcResult<TraceStats> {
        let _t = self.ctx.metrics.rpc("trace_stats");
        let t = &self.ctx.tracer;
        Ok(TraceStats {
            written: t.written.load(std::sync::atomic::Ordering::Relaxed),
            dropped: t.dropped.load(std::sync::atomic::Ordering::Relaxed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_hold_whole_lines_and_join_back_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.ndjson");
        let text: String = (0..500).map(|i| format!("{{\"line\":{i}}}\n")).collect();
        // A torn last line (a killed writer) is never returned.
        std::fs::write(&path, format!("{text}{{\"torn\"")).unwrap();
        let mut joined = String::new();
        let mut offset = 0;
        loop {
            let page = read_page(&path, offset, 100).unwrap();
            assert_eq!(page.offset, offset);
            if page.lines.is_empty() {
                break;
            }
            assert!(page.lines.len() <= 100 && page.lines.ends_with('\n'));
            joined.push_str(&page.lines);
            offset = page.next_offset;
        }
        assert_eq!(joined, text);
        let past = read_page(&path, 1 << 40, 100).unwrap();
        assert!(past.lines.is_empty());
        assert_eq!(past.file_len, text.len() as u64 + 7);
    }
}

//! Backpressure on a client that does not read its answers: while the node cannot write to a
//! connection, it reads nothing more from it; a connection that has taken no byte for
//! `send_timeout` is closed.
//!
//! Why this is needed: jsonrpsee 0.26 reads a WebSocket's messages and spawns a task for each,
//! however full the connection's send buffer is (`ws_send_buffer` only bounds the queue in front
//! of the socket; the tasks wait on it). A client that pipelines calls and never reads would so
//! grow the node's tasks and queued answers without bound. Under this wrapper the socket itself
//! stops the reading: once a write waits, reads wait too, so the answers in flight are bounded
//! by the socket buffers plus `ws_send_buffer`, and a client that reads nothing for
//! `send_timeout` loses the connection (both directions fail, so jsonrpsee's clean-up does not
//! wait on it either). A client that reads is never held up: reads resume with the first write
//! that goes through.
//!
//! The same wrapper throttles a client over its call rate at the socket: when the rate limit
//! refuses one of a connection's calls it pauses reading from that connection until the
//! client's bucket holds a token again ([`ReadPause`]; refused calls are charged, so at most
//! `(rate_burst_per_ip + 1) / rate_per_ip`, 2.57 s by default). The calls already read are
//! still answered (−32040); the ones the client keeps sending wait in its own socket buffers,
//! so a flood's refusals are paced by the rate instead of costing a parse and an answer per
//! call sent.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Until when a connection is not read from (shared by the rate limit, which sets it, and
/// the connection's [`Backpressure`], which obeys it).
#[derive(Debug, Default)]
pub struct ReadPause(Mutex<Option<Instant>>);

impl ReadPause {
    /// Pauses reading until `now + d` (or later, if already paused longer).
    pub fn pause_for(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut p = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if p.is_none_or(|t| t < until) {
            *p = Some(until);
        }
    }

    fn until(&self) -> Option<Instant> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An I/O stream with the backpressure above.
#[derive(Debug)]
pub struct Backpressure<T> {
    io: T,
    send_timeout: Duration,
    pause: std::sync::Arc<ReadPause>,
    pause_timer: Pin<Box<Sleep>>,
    /// Since when a write has been waiting (`None` while writes go through).
    stalled_since: Option<Instant>,
    /// The reader to wake when writes go through again.
    read_waker: Option<Waker>,
    read_deadline: Pin<Box<Sleep>>,
    write_deadline: Pin<Box<Sleep>>,
}

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "RPC client read nothing within the send timeout",
    )
}

impl<T> Backpressure<T> {
    pub fn new(io: T, send_timeout: Duration, pause: std::sync::Arc<ReadPause>) -> Self {
        let now = Instant::now();
        Self {
            io,
            send_timeout,
            pause,
            pause_timer: Box::pin(tokio::time::sleep_until(now)),
            stalled_since: None,
            read_waker: None,
            read_deadline: Box::pin(tokio::time::sleep_until(now)),
            write_deadline: Box::pin(tokio::time::sleep_until(now)),
        }
    }

    /// Whether the stall that began at `since` has outlasted the timeout; if not, arranges for
    /// `cx` to be woken when it does.
    fn expired(
        since: Instant,
        timeout: Duration,
        timer: &mut Pin<Box<Sleep>>,
        cx: &mut Context<'_>,
    ) -> bool {
        let deadline = since + timeout;
        if Instant::now() >= deadline {
            return true;
        }
        timer.as_mut().reset(deadline);
        timer.as_mut().poll(cx).is_ready()
    }
}

impl<T: AsyncWrite + Unpin> Backpressure<T> {
    /// Runs one write-side poll and keeps the stall state.
    fn track<R>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match op(Pin::new(&mut self.io), cx) {
            Poll::Pending => {
                let since = *self.stalled_since.get_or_insert_with(Instant::now);
                if Self::expired(since, self.send_timeout, &mut self.write_deadline, cx) {
                    return Poll::Ready(Err(timed_out()));
                }
                Poll::Pending
            }
            Poll::Ready(r) => {
                if self.stalled_since.take().is_some()
                    && let Some(w) = self.read_waker.take()
                {
                    w.wake();
                }
                Poll::Ready(r)
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Backpressure<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(since) = this.stalled_since {
            if Self::expired(since, this.send_timeout, &mut this.read_deadline, cx) {
                return Poll::Ready(Err(timed_out()));
            }
            this.read_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if let Some(until) = this.pause.until()
            && Instant::now() < until
        {
            this.pause_timer.as_mut().reset(until);
            if this.pause_timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Backpressure<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().track(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .track(cx, |io, cx| io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().track(cx, |io, cx| io.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use futures::poll;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn a_client_that_reads_nothing_is_not_read_from_then_dropped() {
        let (server, mut client) = tokio::io::duplex(64);
        let mut s = Backpressure::new(server, Duration::from_millis(300), Default::default());
        client.write_all(b"request").await.unwrap();
        // The client reads nothing: once the pipe is full, a write waits...
        s.write_all(&[0; 64]).await.unwrap();
        {
            let w = s.write(b"x");
            tokio::pin!(w);
            assert!(poll!(w).is_pending());
        }
        // ... and so does a read, though the client's request is there.
        let mut buf = [0u8; 16];
        {
            let r = s.read(&mut buf);
            tokio::pin!(r);
            assert!(
                poll!(r).is_pending(),
                "not read while the client reads nothing"
            );
        }
        // The client reads: writes go through and reading resumes.
        let mut drained = [0u8; 64];
        client.read_exact(&mut drained).await.unwrap();
        s.write_all(b"x").await.unwrap();
        let n = s.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"request");
        // It stops reading for good: the connection fails both ways after the timeout.
        let e = s.write_all(&[0; 256]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        let e = s.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_paused_connection_is_read_again_once_the_pause_is_over() {
        let (server, mut client) = tokio::io::duplex(64);
        let pause = std::sync::Arc::new(ReadPause::default());
        let mut s = Backpressure::new(server, Duration::from_secs(30), pause.clone());
        client.write_all(b"more calls").await.unwrap();
        pause.pause_for(Duration::from_millis(200));
        let mut buf = [0u8; 16];
        {
            let r = s.read(&mut buf);
            tokio::pin!(r);
            assert!(poll!(r).is_pending(), "not read while paused");
        }
        let n = s.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"more calls");
        s.write_all(b"answers go out meanwhile").await.unwrap();
    }
}

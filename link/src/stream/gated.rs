//! A TCP stream with link faults but no delay model: reads and writes go straight to the
//! socket while the connection's gate is clear (two atomic loads per call), and are held
//! while a fault holds them, so back-pressure reaches both ends as on a dead path.
//!
//! - A closed **out** direction keeps writes from the socket. Like a kernel's send buffer
//!   facing a path that acknowledges nothing, up to [`MAX_IN_FLIGHT`] bytes are still
//!   accepted and queue, in order; past that, writes wait. (Refusing every write at once
//!   would be harsher than TCP, and would wedge a multiplexer that must send a frame, such
//!   as a window update or a close, before it reads on: the far end's FIN would go unseen.)
//!   When the direction opens, the queue is written out first.
//! - A closed **in** direction stops reads: arriving bytes stay in the kernel's receive
//!   buffer, whose window then stops the remote's writes.
//! - **Loss** draws per chunk (a write call; for reads, each time data is there to read): a
//!   lost chunk, and everything behind it (queued meanwhile), waits its retransmission delay.
//! - A **reset** fails every later call with `ConnectionReset`, a waiting one included
//!   (a poller the socket left pending also waits on the gate: one atomic waker registration
//!   per pending call).
//! - Closing while bytes are queued or the out direction is closed returns at once (a close
//!   on a real socket does not wait for the path either); the queue and the FIN are then
//!   written by a task once the direction opens, or dropped [`LINGER`] later.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::bounds::{LINGER, MAX_IN_FLIGHT};
use crate::control::{Check, ConnGate, RTO_MIN, Slot, WayGate, reset_error};
use crate::fault::Way;

pub(super) struct Gated {
    /// `None` only once dropped into the linger task.
    stream: Option<TcpStream>,
    gate: ConnGate,
    read: WayGate,
    write: WayGate,
    /// Written while the out direction was held, not yet in the socket (at most
    /// `MAX_IN_FLIGHT`; allocated only once a fault holds a write).
    queued: Vec<u8>,
    sent: usize,
}

impl Gated {
    pub(super) fn new(stream: TcpStream, gate: ConnGate, seed: u64) -> Self {
        Self {
            stream: Some(stream),
            read: WayGate::new(
                gate.clone(),
                Way::In,
                Slot::Read,
                Some(RTO_MIN),
                seed ^ 0x5EED,
            ),
            write: WayGate::new(gate.clone(), Way::Out, Slot::Write, Some(RTO_MIN), seed),
            gate,
            queued: Vec::new(),
            sent: 0,
        }
    }

    pub(super) fn stream(&self) -> Option<&TcpStream> {
        self.stream.as_ref()
    }

    fn socket(&mut self) -> io::Result<Pin<&mut TcpStream>> {
        socket(&mut self.stream)
    }

    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.sent < self.queued.len()
            && let Poll::Ready(Err(e)) = self.poll_drain(cx)
        {
            return Poll::Ready(Err(e));
        }
        let mut rb = ReadBuf::new(buf);
        if !self.read.is_clear() {
            if self.gate.is_reset() {
                return Poll::Ready(Err(reset_error()));
            }
            // Loss is drawn once there is data to lose: wait for it first.
            if self.socket()?.poll_read_ready(cx)?.is_pending() {
                return self.idle(Slot::Read, cx);
            }
            ready!(self.read.poll_pass(cx))?;
        }
        if self.socket()?.poll_read(cx, &mut rb)?.is_pending() {
            return self.idle(Slot::Read, cx);
        }
        self.read.passed();
        Poll::Ready(Ok(rb.filled().len()))
    }

    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.queued.is_empty() && self.write.is_clear() {
            let Poll::Ready(n) = self.socket()?.poll_write(cx, buf)? else {
                return self.idle(Slot::Write, cx);
            };
            return Poll::Ready(Ok(n));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Older bytes first; whatever cannot go out yet queues behind them.
        if self.poll_drain(cx)?.is_ready() {
            match self.write.poll_pass(cx)? {
                Poll::Ready(()) => {
                    if let Poll::Ready(n) = self.socket()?.poll_write(cx, buf)? {
                        self.write.passed();
                        return Poll::Ready(Ok(n));
                    }
                    return self.idle(Slot::Write, cx);
                }
                Poll::Pending => {}
            }
        }
        let room = MAX_IN_FLIGHT.saturating_sub(self.queued.len() - self.sent);
        if room == 0 {
            return Poll::Pending;
        }
        let n = room.min(buf.len());
        self.queued.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    pub(super) fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.queued.is_empty() && self.write.is_clear() {
            let Poll::Ready(n) = self.socket()?.poll_write_vectored(cx, bufs)? else {
                return self.idle(Slot::Write, cx);
            };
            return Poll::Ready(Ok(n));
        }
        let buf = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &b[..]);
        self.poll_write(cx, buf)
    }

    /// Writes the queue out as far as the gate and the socket let it; ready once it is empty.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Self {
            stream,
            write,
            queued,
            sent,
            ..
        } = self;
        poll_drain(stream, write, queued, sent, cx)
    }

    /// Bytes queued behind a fault count as flushed, as bytes in a kernel's send buffer do
    /// (a TCP flush never waits for the path): waiting here would stall a multiplexer's close
    /// for as long as the fault lasts. The queue moves whenever the stream is polled (read,
    /// write or flush) and the direction is open; the gate wakes the last poller when it
    /// opens, and a multiplexer polls on every wake-up. A stream closed or dropped with bytes
    /// queued hands them to a task.
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.poll_drain(cx)?.is_pending() {
            if self.write.held_back(Instant::now()) {
                return Poll::Ready(Ok(()));
            }
            return Poll::Pending;
        }
        self.socket()?.poll_flush(cx)
    }

    pub(super) fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.held() {
            // The queue and the FIN wait behind the fault: `Drop` hands them to a task.
            return Poll::Ready(Ok(()));
        }
        ready!(self.poll_drain(cx))?;
        self.socket()?.poll_shutdown(cx)
    }

    /// Bytes wait for the out direction, or it is closed now.
    fn held(&self) -> bool {
        self.sent < self.queued.len()
            || (!self.gate.is_clear()
                && matches!(
                    self.gate.check(Way::Out, Instant::now()),
                    Check::Closed { .. }
                ))
    }

    /// The socket has nothing for us: a fault set meanwhile must still reach this poller (a
    /// reset of an idle connection), so it waits on the gate too.
    fn idle<T>(&self, slot: Slot, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        self.gate.register(slot, cx);
        if self.gate.is_reset() {
            return Poll::Ready(Err(reset_error()));
        }
        Poll::Pending
    }
}

fn socket(stream: &mut Option<TcpStream>) -> io::Result<Pin<&mut TcpStream>> {
    match stream.as_mut() {
        Some(s) => Ok(Pin::new(s)),
        None => Err(io::Error::from(io::ErrorKind::NotConnected)),
    }
}

fn poll_drain(
    stream: &mut Option<TcpStream>,
    write: &mut WayGate,
    queued: &mut Vec<u8>,
    sent: &mut usize,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    while *sent < queued.len() {
        ready!(write.poll_pass(cx))?;
        let n = ready!(socket(stream)?.poll_write(cx, &queued[*sent..]))?;
        if n == 0 {
            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
        }
        *sent += n;
        write.passed();
    }
    queued.clear();
    *sent = 0;
    Poll::Ready(Ok(()))
}

impl Drop for Gated {
    fn drop(&mut self) {
        if !self.held() {
            return;
        }
        let (Some(stream), Ok(rt)) = (self.stream.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let mut write = WayGate::new(self.gate.clone(), Way::Out, Slot::Drain, None, 0);
        let mut queued = std::mem::take(&mut self.queued);
        let mut sent = self.sent;
        rt.spawn(async move {
            let mut stream = Some(stream);
            let out = std::future::poll_fn(|cx| {
                ready!(poll_drain(
                    &mut stream,
                    &mut write,
                    &mut queued,
                    &mut sent,
                    cx
                ))?;
                // An open direction now: the FIN goes out behind the queue.
                write.poll_pass(cx)
            });
            // Whatever the outcome (written, reset, or a path that never came back), the socket
            // closes now.
            let _ = tokio::time::timeout(LINGER, out).await;
        });
    }
}

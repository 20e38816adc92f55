//! A TCP stream with link faults but no delay model: reads and writes go straight to the
//! socket while the connection's gate is clear (two atomic loads per call), and are held at
//! the socket while a fault holds them, so back-pressure reaches the remote as on a dead path.
//!
//! - A closed **out** direction stops writes (`poll_write` is pending): nothing enters the
//!   kernel, the application's queues fill up as a sender's do when nothing is acknowledged.
//! - A closed **in** direction stops reads: arriving bytes stay in the kernel's receive
//!   buffer, whose window then stops the remote's writes.
//! - **Loss** draws per chunk (a write call; for reads, each time data is there to read): a
//!   lost chunk, and everything behind it, waits its retransmission delay before it passes.
//! - A **reset** fails every later call with `ConnectionReset`, a waiting one included
//!   (a poller the socket left pending also waits on the gate: one atomic waker registration
//!   per pending call).
//! - Closing while the out direction is closed does not send the FIN past the fault: the
//!   socket is kept (by a task, at most [`LINGER`]) until the direction opens, as a kernel
//!   keeps a FIN queued behind unacknowledged data.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::LINGER;
use crate::control::{Check, ConnGate, RTO_MIN, Slot, WayGate, reset_error};
use crate::fault::Way;

pub(super) struct Gated {
    /// `None` only once dropped into the linger task.
    stream: Option<TcpStream>,
    gate: ConnGate,
    read: WayGate,
    write: WayGate,
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
        }
    }

    pub(super) fn stream(&self) -> Option<&TcpStream> {
        self.stream.as_ref()
    }

    fn socket(&mut self) -> io::Result<Pin<&mut TcpStream>> {
        match self.stream.as_mut() {
            Some(s) => Ok(Pin::new(s)),
            None => Err(io::Error::from(io::ErrorKind::NotConnected)),
        }
    }

    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut rb = ReadBuf::new(buf);
        if !self.read.is_clear() {
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
        if !self.write.is_clear() {
            ready!(self.write.poll_pass(cx))?;
        }
        let Poll::Ready(n) = self.socket()?.poll_write(cx, buf)? else {
            return self.idle(Slot::Write, cx);
        };
        self.write.passed();
        Poll::Ready(Ok(n))
    }

    pub(super) fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if !self.write.is_clear() {
            ready!(self.write.poll_pass(cx))?;
        }
        let Poll::Ready(n) = self.socket()?.poll_write_vectored(cx, bufs)? else {
            return self.idle(Slot::Write, cx);
        };
        self.write.passed();
        Poll::Ready(Ok(n))
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

    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Nothing of ours is buffered: held writes never entered the socket.
        self.socket()?.poll_flush(cx)
    }

    pub(super) fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.out_held() {
            // The FIN waits behind the fault: `Drop` hands the socket to the linger task.
            return Poll::Ready(Ok(()));
        }
        self.socket()?.poll_shutdown(cx)
    }

    fn out_held(&self) -> bool {
        !self.gate.is_clear()
            && matches!(
                self.gate.check(Way::Out, Instant::now()),
                Check::Closed { .. }
            )
    }
}

impl Drop for Gated {
    fn drop(&mut self) {
        if !self.out_held() {
            return;
        }
        let (Some(stream), Ok(rt)) = (self.stream.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let mut out = WayGate::new(self.gate.clone(), Way::Out, Slot::Drain, None, 0);
        rt.spawn(async move {
            let open = std::future::poll_fn(|cx| out.poll_pass(cx));
            // Whatever the outcome (open, reset, or the remote never coming back), the socket
            // closes now.
            let _ = tokio::time::timeout(LINGER, open).await;
            drop(stream);
        });
    }
}

//! A single-producer single-consumer queue of timestamped byte chunks, bounded in bytes.
//!
//! Bounding by bytes rather than by message count matters here: libp2p above us may issue many
//! tiny writes, and a chunk-count bound would throttle those to "N writes per latency" while a
//! byte bound only caps the bandwidth-delay product, as a real socket buffer does. Both ends
//! can be driven by `poll_*` calls, so the same queue serves the write path (polled by
//! `Delayed::poll_write`, drained by a task) and the read path (filled by a task, drained by
//! `Delayed::poll_read`).

use std::collections::VecDeque;
use std::io;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct Pipe {
    cap: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    chunks: VecDeque<Chunk>,
    /// Bytes pushed and not yet released by the consumer, including a chunk it has popped but
    /// is still writing out.
    queued: usize,
    /// Set by the producer: nothing follows the queued chunks.
    end: Option<End>,
    /// Set by the consumer: it can take no more, so the producer must stop.
    broken: Option<Failure>,
    space_waker: Option<Waker>,
    data_waker: Option<Waker>,
}

#[derive(Debug)]
pub(crate) struct Chunk {
    pub(crate) release: Instant,
    pub(crate) data: Vec<u8>,
    /// Bytes already handed to a reader whose buffer was smaller than the chunk.
    pos: usize,
}

/// End of stream, delivered no earlier than `at` like any byte (a FIN crosses the link too).
#[derive(Debug)]
struct End {
    at: Instant,
    error: Option<Failure>,
}

/// `io::Error` is not `Clone`, and an error must be reported on every call after it happened.
#[derive(Debug, Clone)]
struct Failure {
    kind: io::ErrorKind,
    message: String,
}

impl Failure {
    fn from_io(e: &io::Error) -> Self {
        Self {
            kind: e.kind(),
            message: e.to_string(),
        }
    }

    fn to_io(&self) -> io::Error {
        io::Error::new(self.kind, self.message.clone())
    }
}

/// What the write-path consumer gets next.
#[derive(Debug)]
pub(crate) enum Next {
    Chunk(Chunk),
    /// All chunks are out; shut the socket down at this instant.
    End(Instant),
}

/// Outcome of a read-path `read_released`.
#[derive(Debug)]
pub(crate) enum Take {
    Data(usize),
    /// Nothing is released yet; the caller must wake itself at this instant.
    NotBefore(Instant),
    /// End of stream: `Ok(())` is EOF.
    End(io::Result<()>),
    /// Queue empty and open; the caller's waker is registered for the next push.
    Empty,
}

fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

impl Pipe {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing under this lock can leave the state half-updated, so a panic elsewhere while
        // holding it is no reason to take down the other side of the link too.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ---- producer side ----

    /// Free bytes, once there are any; an error once the consumer has failed.
    pub(crate) fn poll_space(&self, cx: &Context<'_>) -> Poll<io::Result<usize>> {
        let mut st = self.lock();
        if let Some(f) = &st.broken {
            return Poll::Ready(Err(f.to_io()));
        }
        match self.cap.saturating_sub(st.queued) {
            0 => {
                register(&mut st.space_waker, cx);
                Poll::Pending
            }
            free => Poll::Ready(Ok(free)),
        }
    }

    /// The producer's error check for flush: has the consumer failed?
    pub(crate) fn check(&self) -> io::Result<()> {
        match &self.lock().broken {
            Some(f) => Err(f.to_io()),
            None => Ok(()),
        }
    }

    /// Callers stay within the space `poll_space` reported; the bound is what they enforce.
    pub(crate) fn push(&self, release: Instant, data: Vec<u8>) {
        let waker = {
            let mut st = self.lock();
            st.queued += data.len();
            st.chunks.push_back(Chunk {
                release,
                data,
                pos: 0,
            });
            st.data_waker.take()
        };
        wake(waker);
    }

    pub(crate) fn finish(&self, at: Instant, error: Option<&io::Error>) {
        let waker = {
            let mut st = self.lock();
            st.end.get_or_insert(End {
                at,
                error: error.map(Failure::from_io),
            });
            st.data_waker.take()
        };
        wake(waker);
    }

    // ---- consumer side ----

    /// Write path: pops the next chunk whole. Its bytes still count against the bound until
    /// `release` is called, so the bound covers data sleeping in the writer task too.
    pub(crate) fn poll_next(&self, cx: &Context<'_>) -> Poll<Next> {
        let mut st = self.lock();
        if let Some(chunk) = st.chunks.pop_front() {
            return Poll::Ready(Next::Chunk(chunk));
        }
        if let Some(end) = &st.end {
            return Poll::Ready(Next::End(end.at));
        }
        register(&mut st.data_waker, cx);
        Poll::Pending
    }

    pub(crate) fn release(&self, n: usize) {
        let waker = {
            let mut st = self.lock();
            st.queued = st.queued.saturating_sub(n);
            st.space_waker.take()
        };
        wake(waker);
    }

    pub(crate) fn break_with(&self, e: &io::Error) {
        let waker = {
            let mut st = self.lock();
            st.broken.get_or_insert_with(|| Failure::from_io(e));
            st.space_waker.take()
        };
        wake(waker);
    }

    /// Read path: copies every byte released by `now` into `buf`, across chunks.
    pub(crate) fn read_released(&self, now: Instant, buf: &mut [u8], cx: &Context<'_>) -> Take {
        let mut st = self.lock();
        let mut copied = 0;
        while copied < buf.len() {
            let Some(front) = st.chunks.front_mut() else {
                break;
            };
            if front.release > now {
                if copied == 0 {
                    return Take::NotBefore(front.release);
                }
                break;
            }
            let n = (front.data.len() - front.pos).min(buf.len() - copied);
            buf[copied..copied + n].copy_from_slice(&front.data[front.pos..front.pos + n]);
            front.pos += n;
            copied += n;
            if front.pos == front.data.len() {
                st.chunks.pop_front();
            }
        }
        if copied > 0 {
            st.queued = st.queued.saturating_sub(copied);
            let waker = st.space_waker.take();
            drop(st);
            wake(waker);
            return Take::Data(copied);
        }
        match &st.end {
            Some(end) if end.at <= now => Take::End(match &end.error {
                Some(f) => Err(f.to_io()),
                None => Ok(()),
            }),
            Some(end) => Take::NotBefore(end.at),
            None => {
                register(&mut st.data_waker, cx);
                Take::Empty
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn cx() -> Context<'static> {
        Context::from_waker(Waker::noop())
    }

    #[tokio::test(start_paused = true)]
    async fn bounded_partial_reads_and_delayed_end() {
        let pipe = Pipe::new(10);
        let t0 = Instant::now();
        let later = t0 + Duration::from_millis(5);
        assert!(matches!(pipe.poll_space(&cx()), Poll::Ready(Ok(10))));
        pipe.push(t0, b"abcdef".to_vec());
        pipe.push(later, b"ghij".to_vec());
        assert!(pipe.poll_space(&cx()).is_pending());
        pipe.finish(later, None);

        let mut buf = [0u8; 4];
        assert!(matches!(
            pipe.read_released(t0, &mut buf, &cx()),
            Take::Data(4)
        ));
        assert_eq!(&buf, b"abcd");
        assert!(matches!(pipe.poll_space(&cx()), Poll::Ready(Ok(4))));
        // The second chunk is not due yet, so only the rest of the first comes out.
        assert!(matches!(
            pipe.read_released(t0, &mut buf, &cx()),
            Take::Data(2)
        ));
        assert!(
            matches!(pipe.read_released(t0, &mut buf, &cx()), Take::NotBefore(t) if t == later)
        );
        assert!(matches!(
            pipe.read_released(later, &mut buf, &cx()),
            Take::Data(4)
        ));
        assert!(matches!(
            pipe.read_released(later, &mut buf, &cx()),
            Take::End(Ok(()))
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn errors_reach_the_other_side() {
        let pipe = Pipe::new(10);
        let now = Instant::now();
        pipe.break_with(&io::Error::from(io::ErrorKind::ConnectionReset));
        assert!(
            matches!(pipe.poll_space(&cx()), Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::ConnectionReset)
        );
        assert!(pipe.check().is_err());

        let pipe = Pipe::new(10);
        pipe.finish(now, Some(&io::Error::from(io::ErrorKind::ConnectionReset)));
        let mut buf = [0u8; 4];
        for _ in 0..2 {
            assert!(matches!(
                pipe.read_released(now, &mut buf, &cx()),
                Take::End(Err(_))
            ));
        }
    }
}

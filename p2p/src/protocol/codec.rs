//! A request-response codec for bincode-encoded messages with hard size caps.
//!
//! A message is the whole stream (the sender closes its write side after one message), read
//! with `take(max + 1)` so an oversized message is detected rather than silently truncated,
//! and decoded with a bincode limit so no length prefix can allocate past the cap.

use std::io;
use std::marker::PhantomData;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use libp2p::request_response;

/// Size caps for one protocol.
pub trait Caps: Send + Sync + 'static {
    const MAX_REQUEST: usize;
    const MAX_RESPONSE: usize;
}

/// Marks the message and cap types without owning values of them (keeps the codec `Send`).
type Marker<Req, Resp, C> = PhantomData<fn() -> (Req, Resp, C)>;

/// The codec; `Req`/`Resp` are bincode types, `C` their caps.
pub struct Codec<Req, Resp, C> {
    _p: Marker<Req, Resp, C>,
}

impl<Req, Resp, C> std::fmt::Debug for Codec<Req, Resp, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Codec")
    }
}

impl<Req, Resp, C> Default for Codec<Req, Resp, C> {
    fn default() -> Self {
        Self { _p: PhantomData }
    }
}

impl<Req, Resp, C> Clone for Codec<Req, Resp, C> {
    fn clone(&self) -> Self {
        Self::default()
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Encodes with a cap (used by both sides and by tests).
pub fn encode<T: bincode::Encode>(value: &T, max: usize) -> io::Result<Vec<u8>> {
    let bytes = bincode::encode_to_vec(value, bincode::config::standard())
        .map_err(|e| invalid(e.to_string()))?;
    if bytes.len() > max {
        return Err(invalid(format!(
            "message of {} bytes exceeds cap {max}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Decodes exactly one value of at most `max` bytes.
pub fn decode<T: bincode::Decode<()>>(bytes: &[u8], max: usize) -> io::Result<T> {
    if bytes.len() > max {
        return Err(invalid(format!(
            "message of {} bytes exceeds cap {max}",
            bytes.len()
        )));
    }
    // The limit bounds every allocation a length prefix could request.
    let config = bincode::config::standard().with_limit::<{ 16 * 1024 * 1024 }>();
    let (value, used) =
        bincode::decode_from_slice(bytes, config).map_err(|e| invalid(e.to_string()))?;
    if used != bytes.len() {
        return Err(invalid(format!("{} trailing bytes", bytes.len() - used)));
    }
    Ok(value)
}

async fn read_capped<T: AsyncRead + Unpin + Send>(io: &mut T, max: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    io.take(max as u64 + 1).read_to_end(&mut buf).await?;
    Ok(buf)
}

impl<Req, Resp, C> request_response::Codec for Codec<Req, Resp, C>
where
    Req: bincode::Encode + bincode::Decode<()> + Send + 'static,
    Resp: bincode::Encode + bincode::Decode<()> + Send + 'static,
    C: Caps,
{
    type Protocol = StreamProtocol;
    type Request = Req;
    type Response = Resp;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Req>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_capped(io, C::MAX_REQUEST).await?;
        decode(&bytes, C::MAX_REQUEST)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Resp>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_capped(io, C::MAX_RESPONSE).await?;
        decode(&bytes, C::MAX_RESPONSE)
    }

    async fn write_request<T>(&mut self, _: &StreamProtocol, io: &mut T, req: Req) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&encode(&req, C::MAX_REQUEST)?).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        resp: Resp,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&encode(&resp, C::MAX_RESPONSE)?).await
    }
}

//! Canonical wire/storage encoding.
//!
//! Every type has exactly one encoding: bincode 2 with fixed-width little-endian integers.
//! Fixed-width (not varint) integers are what make the encoding canonical — bincode's varint
//! decoder accepts non-minimal forms, which would break `encode(decode(b)) == b`. A
//! `SignedTransaction` is therefore always [`TX_ENCODED_LEN`] bytes and a `BlockHeader` always
//! [`HEADER_ENCODED_LEN`] bytes. The only variable-length field anywhere is a block's tx list,
//! whose length prefix is checked against both the configured cap and the bytes actually present
//! *before* anything is allocated.

use bincode::config::{Configuration, Fixint, LittleEndian, NoLimit};
use serde::{Deserialize, Serialize};

/// Bytes in an encoded `SignedTransaction`.
pub const TX_ENCODED_LEN: usize = 160;
/// Bytes in an encoded `BlockHeader`.
pub const HEADER_ENCODED_LEN: usize = 160;
/// Bytes in an encoded block before its transactions: header, signature, tx count.
pub const BLOCK_OVERHEAD_LEN: usize = HEADER_ENCODED_LEN + 64 + 8;

pub(crate) fn config() -> Configuration<LittleEndian, Fixint, NoLimit> {
    bincode::config::standard().with_fixed_int_encoding()
}

/// Size caps applied when decoding untrusted bytes, and when building blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest accepted encoded transaction (default 1 KiB; today's format is 160 bytes).
    pub max_tx_bytes: usize,
    /// Most transactions in one block (default 10 000).
    pub max_block_txs: usize,
    /// Largest accepted encoded block (default 2 MiB; 10 000 txs take 1.6 MB).
    pub max_block_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_tx_bytes: 1024,
            max_block_txs: 10_000,
            max_block_bytes: 2 * 1024 * 1024,
        }
    }
}

/// Why bytes were not accepted as an encoded value. Every variant means the bytes are malformed
/// (a peer that sent them deserves a penalty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("input of {len} bytes exceeds the cap of {max}")]
    Oversized { len: usize, max: usize },
    #[error("input ended early")]
    Truncated,
    #[error("{extra} trailing bytes after the value")]
    TrailingBytes { extra: usize },
    #[error("block claims {count} txs, cap is {max}")]
    TooManyTxs { count: u64, max: usize },
    #[error("length prefix claims {count} txs but only {available} bytes follow")]
    LengthPrefixTooLarge { count: u64, available: usize },
    #[error("malformed: {0}")]
    Malformed(String),
}

impl From<bincode::error::DecodeError> for DecodeError {
    fn from(e: bincode::error::DecodeError) -> Self {
        match e {
            bincode::error::DecodeError::UnexpectedEnd { .. } => DecodeError::Truncated,
            other => DecodeError::Malformed(other.to_string()),
        }
    }
}

/// Encodes a value whose encoding cannot fail (plain structs of integers and byte arrays).
pub(crate) fn encode_value<T: bincode::Encode>(value: &T, out: &mut Vec<u8>) {
    bincode::encode_into_std_write(value, out, config())
        .expect("encoding plain data into a Vec cannot fail");
}

/// Decodes one value from the front of `bytes`, returning it and the bytes consumed.
pub(crate) fn decode_prefix<T: bincode::Decode<()>>(
    bytes: &[u8],
) -> Result<(T, usize), DecodeError> {
    Ok(bincode::decode_from_slice(bytes, config())?)
}

/// Decodes exactly one value occupying all of `bytes`, which may be at most `max` long.
pub(crate) fn decode_exact<T: bincode::Decode<()>>(
    bytes: &[u8],
    max: usize,
) -> Result<T, DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::Oversized {
            len: bytes.len(),
            max,
        });
    }
    let (value, used) = decode_prefix(bytes)?;
    if used != bytes.len() {
        return Err(DecodeError::TrailingBytes {
            extra: bytes.len() - used,
        });
    }
    Ok(value)
}

//! The chain's vocabulary, below everything else in the crate: typed ids and hashes, addresses,
//! keys and signatures, the canonical encoding and the Merkle root. Nothing here knows of
//! blocks, transactions or state; everything else builds on it.

pub mod address;
pub mod codec;
pub mod crypto;
pub mod hash;
pub mod keys;
pub mod merkle;

//! Account addresses: an address *is* the account's ed25519 public key.

use crate::primitives::hash::hex_newtype;

hex_newtype!(
    /// An ed25519 public key (compressed Edwards point). Not every 32-byte string is a valid
    /// key; validity is checked when a signature is verified, so an address that cannot sign
    /// can still receive funds (as with any unspendable key).
    Address
);

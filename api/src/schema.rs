//! JSON Schemas of the `rumor-chain` types the RPC carries, for the OpenRPC document
//! (`openrpc.rs`; this file is a leaf it reads). `rumor-chain` does not depend on schemars,
//! and a foreign trait cannot be implemented for its types here, so the RPC types name these
//! in `#[schemars(with = …)]`.
//!
//! Invariant: each schema here accepts exactly what the chain type serializes to (hex strings
//! for hashes, keys and signatures; the structs' fields, no others — they are
//! `deny_unknown_fields` in the chain). The OpenRPC tests validate sample values of the real
//! chain types against them, so a field added to the chain fails the build's tests until it is
//! added here.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// A hex string schema of `$len` hex digits (an optional `0x` prefix is accepted on input).
macro_rules! hex_schema {
    ($(#[$doc:meta])* $name:ident, $len:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "pattern": concat!("^(0x)?[0-9a-f]{", $len, "}$"),
                    "description": $what,
                })
            }
        }
    };
}

hex_schema!(
    /// `TxHash`, `BlockHash`, `Hash256`.
    Hash32, 64, "32-byte hash, hex"
);
hex_schema!(
    /// `Address`.
    AddressHex, 64, "ed25519 public key, hex"
);
hex_schema!(
    /// `Signature`.
    SignatureHex, 128, "ed25519 signature, hex"
);

/// `tx_submit`'s parameter: a canonical encoded signed tx.
#[derive(Debug, Clone, Copy)]
pub struct RawHex;

impl JsonSchema for RawHex {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "RawHex".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(0x)?([0-9a-fA-F]{2})*$",
            "description": "canonical encoded bytes, hex",
        })
    }
}

/// A transfer of `amount` from `from` to `to`, paying `fee` (`rumor_chain::Transaction`).
#[derive(Debug, JsonSchema)]
#[schemars(rename = "Transaction", deny_unknown_fields)]
pub struct Transaction {
    pub chain_id: u64,
    pub from: AddressHex,
    pub to: AddressHex,
    pub amount: u64,
    pub fee: u64,
    pub nonce: u64,
}

/// A transaction and its sender's signature (`rumor_chain::SignedTransaction`).
#[derive(Debug, JsonSchema)]
#[schemars(rename = "SignedTransaction", deny_unknown_fields)]
pub struct SignedTransaction {
    pub tx: Transaction,
    pub signature: SignatureHex,
}

/// What a block's producer signs (`rumor_chain::BlockHeader`).
#[derive(Debug, JsonSchema)]
#[schemars(rename = "BlockHeader", deny_unknown_fields)]
pub struct BlockHeader {
    pub chain_id: u64,
    pub height: u64,
    pub slot: u64,
    pub parent: Hash32,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    pub tx_root: Hash32,
    pub state_root: Hash32,
    pub producer: AddressHex,
}

/// An account's balance and next nonce (`rumor_chain::Account`).
#[derive(Debug, JsonSchema)]
#[schemars(rename = "Account")]
pub struct Account {
    pub balance: u64,
    pub nonce: u64,
}

//! Genesis: the JSON file every node of a network starts from. Its hash identifies the network.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::block::{Block, BlockHeader, tx_root};
use crate::primitives::address::Address;
use crate::primitives::codec::Limits;
use crate::primitives::crypto::Signature;
use crate::primitives::hash::{Hash256, sha256};
use crate::state::{Account, State};

const GENESIS_DOMAIN: &[u8] = b"RUMOR/genesis/v1";

/// One initial balance.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    pub address: Address,
    pub balance: u64,
}

/// The network's founding parameters.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    pub chain_id: u64,
    /// Start of slot 0, milliseconds since the Unix epoch.
    pub genesis_time_ms: u64,
    pub slot_ms: u64,
    /// Block producers; slot `s` belongs to `authorities[s % n]`.
    pub authorities: Vec<Address>,
    pub alloc: Vec<Allocation>,
    /// Consensus limits (tx size, txs and bytes per block): every node of the network must
    /// apply the same ones, so they are part of the genesis (and its hash), not of a node's
    /// local config. Absent from the file: the defaults.
    #[serde(default)]
    pub limits: Limits,
}

/// Why a genesis file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error("genesis file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("genesis file {path}: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("genesis: {0}")]
    Invalid(String),
}

impl Genesis {
    /// A genesis where `authorities` produce blocks and each of `accounts` holds `balance`.
    pub fn new(
        chain_id: u64,
        genesis_time_ms: u64,
        slot_ms: u64,
        authorities: Vec<Address>,
        accounts: &[Address],
        balance: u64,
    ) -> Self {
        Self {
            chain_id,
            genesis_time_ms,
            slot_ms,
            authorities,
            alloc: accounts
                .iter()
                .map(|a| Allocation {
                    address: *a,
                    balance,
                })
                .collect(),
            limits: Limits::default(),
        }
    }

    /// Reads and validates a genesis file.
    pub fn load(path: &Path) -> Result<Self, GenesisError> {
        let text = std::fs::read_to_string(path).map_err(|source| GenesisError::Io {
            path: path.to_owned(),
            source,
        })?;
        let genesis: Genesis =
            serde_json::from_str(&text).map_err(|source| GenesisError::Json {
                path: path.to_owned(),
                source,
            })?;
        genesis.validate()?;
        Ok(genesis)
    }

    /// Writes the genesis as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), GenesisError> {
        let json = serde_json::to_string_pretty(self).expect("genesis serializes");
        std::fs::write(path, json).map_err(|source| GenesisError::Io {
            path: path.to_owned(),
            source,
        })
    }

    /// Rejects a genesis no network could run on.
    pub fn validate(&self) -> Result<(), GenesisError> {
        let invalid = |m: &str| Err(GenesisError::Invalid(m.to_owned()));
        if self.slot_ms == 0 {
            return invalid("slot_ms must be > 0");
        }
        let l = &self.limits;
        if l.max_tx_bytes == 0 || l.max_block_txs == 0 || l.max_block_bytes < l.max_tx_bytes {
            return invalid("limits: every limit must be > 0 and a block must fit one tx");
        }
        if self.authorities.is_empty() {
            return invalid("at least one authority is required");
        }
        if self.authorities.iter().collect::<BTreeSet<_>>().len() != self.authorities.len() {
            return invalid("duplicate authority");
        }
        let mut seen = BTreeSet::new();
        let mut total: u64 = 0;
        for a in &self.alloc {
            if !seen.insert(a.address) {
                return Err(GenesisError::Invalid(format!(
                    "duplicate allocation for {}",
                    a.address
                )));
            }
            // Total supply fits in u64, so no balance can ever overflow.
            total = total
                .checked_add(a.balance)
                .ok_or_else(|| GenesisError::Invalid("total supply exceeds u64".into()))?;
        }
        Ok(())
    }

    /// SHA-256 over a domain tag and the canonical encoding of every field (not the JSON text,
    /// so formatting does not matter; allocation order does).
    pub fn hash(&self) -> Hash256 {
        let mut bytes = GENESIS_DOMAIN.to_vec();
        crate::primitives::codec::encode_value(self, &mut bytes);
        Hash256(sha256(&bytes))
    }

    /// The network name used in gossip topics: the first 8 hex chars of the genesis hash.
    pub fn network_id(&self) -> String {
        self.hash().to_string()[..8].to_owned()
    }

    /// Start of `slot` in ms since the epoch (saturating).
    pub fn slot_start_ms(&self, slot: u64) -> u64 {
        self.genesis_time_ms
            .saturating_add(slot.saturating_mul(self.slot_ms))
    }

    /// The slot containing `now_ms` (0 before genesis).
    pub fn slot_at(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.genesis_time_ms) / self.slot_ms
    }

    /// The authority that may produce `slot`.
    pub fn producer_for_slot(&self, slot: u64) -> Address {
        self.authorities[(slot % self.authorities.len() as u64) as usize]
    }

    /// The state before any block.
    pub fn initial_state(&self) -> State {
        let mut state = State::default();
        for a in &self.alloc {
            state.set(
                a.address,
                Account {
                    balance: a.balance,
                    nonce: 0,
                },
            );
        }
        state
    }

    /// Block 0. Nobody signs it; its `parent` field carries the genesis hash, so the genesis
    /// block hash commits to every genesis parameter.
    pub fn block(&self) -> Block {
        Block {
            header: BlockHeader {
                chain_id: self.chain_id,
                height: 0,
                slot: 0,
                parent: crate::BlockHash(self.hash().0),
                timestamp: self.genesis_time_ms,
                tx_root: tx_root(&[]),
                state_root: self.initial_state().root(),
                producer: Address::ZERO,
            },
            signature: Signature::ZERO,
            txs: Vec::new(),
        }
    }
}

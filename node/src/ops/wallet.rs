//! `rumor tx sign|send`: build, sign and (optionally) submit a transfer over JSON-RPC.
//!
//! Invariant: the key never leaves this process (only the signed tx is sent); errors name
//! the flag at fault (`--key`, `--rpc`).

use std::path::Path;

use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use rumor_chain::{Address, KeyError, Keypair, SignedTransaction, Transaction, TxHash};

use crate::rpc::{StateApiClient, TxApiClient};

#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error("--key: {0}")]
    Key(#[from] KeyError),
    #[error("--rpc {url}: {message}")]
    Rpc { url: String, message: String },
}

/// Everything needed to build a transfer.
#[derive(Debug, Clone)]
pub struct Transfer {
    pub chain_id: u64,
    pub to: Address,
    pub amount: u64,
    pub fee: u64,
    pub nonce: Option<u64>,
}

fn client(url: &str) -> Result<HttpClient, WalletError> {
    HttpClientBuilder::default()
        .build(url)
        .map_err(|e| WalletError::Rpc {
            url: url.to_owned(),
            message: e.to_string(),
        })
}

/// Signs a transfer; without `nonce`, asks the node at `rpc` for the account's nonce.
pub async fn sign(
    key_file: &Path,
    t: &Transfer,
    rpc: Option<&str>,
) -> Result<SignedTransaction, WalletError> {
    let key = Keypair::load(key_file)?;
    let nonce = match (t.nonce, rpc) {
        (Some(n), _) => n,
        (None, Some(url)) => {
            let c = client(url)?;
            StateApiClient::account(&c, key.address())
                .await
                .map_err(|e| WalletError::Rpc {
                    url: url.to_owned(),
                    message: e.to_string(),
                })?
                .nonce
        }
        (None, None) => 0,
    };
    Ok(Transaction {
        chain_id: t.chain_id,
        from: key.address(),
        to: t.to,
        amount: t.amount,
        fee: t.fee,
        nonce,
    }
    .sign(&key))
}

/// Submits a signed tx; returns its hash.
pub async fn send(tx: &SignedTransaction, rpc: &str) -> Result<TxHash, WalletError> {
    let c = client(rpc)?;
    TxApiClient::submit(&c, hex::encode(tx.encode()))
        .await
        .map_err(|e| WalletError::Rpc {
            url: rpc.to_owned(),
            message: e.to_string(),
        })
}

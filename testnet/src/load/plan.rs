//! Pre-signing the load: which account sends which nonce to which node, decided before the
//! first send so the sending loop does nothing but pace and post.

use std::time::Duration;

use rumor_chain::{Keypair, Transaction};

use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::rng::Rng;
use crate::setup::keys;

/// Stream id for [`Rng::new`]: load order is independent of topology choices.
const STREAM: u64 = 2;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub tps: f64,
    pub duration: Duration,
    /// Senders (genesis accounts `0..accounts`); `None` = all funded accounts.
    pub accounts: Option<usize>,
    /// Txs per JSON-RPC request (batch request when > 1).
    pub batch: usize,
    pub amount: u64,
    pub fee: u64,
}

impl LoadOptions {
    pub fn total(&self) -> usize {
        (self.tps * self.duration.as_secs_f64()).round() as usize
    }

    pub fn validate(&self, manifest: &Manifest) -> Result<usize> {
        let bad = |m: String| Err(Error::Invalid(m));
        if !(self.tps > 0.0 && self.tps.is_finite()) {
            return bad(format!("--tps must be positive, got {}", self.tps));
        }
        if self.batch == 0 || self.batch > crate::rpc::client::MAX_BATCH {
            return bad(format!(
                "--batch must be between 1 and {} (the node's batch limit)",
                crate::rpc::client::MAX_BATCH
            ));
        }
        let accounts = self.accounts.unwrap_or(manifest.accounts);
        if accounts == 0 || accounts > manifest.accounts {
            return bad(format!(
                "--accounts must be between 1 and the {} funded at genesis, got {accounts}",
                manifest.accounts
            ));
        }
        Ok(accounts)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTx {
    pub hash: String,
    pub raw_hex: String,
    /// Node index whose RPC endpoint gets it.
    pub target: usize,
}

/// Signs `opts.total()` transfers. Senders take turns in a seeded order, each sending its
/// next nonce (starting from `nonces[j]`, the account's nonce on chain), so consecutive txs of
/// one account are `accounts / tps` seconds apart — far apart enough that each has propagated
/// before the next arrives at another node. Request `r` (of `batch` txs) goes to node
/// `r mod nodes`.
pub fn plan_txs(manifest: &Manifest, opts: &LoadOptions, nonces: &[u64]) -> Vec<PlannedTx> {
    let accounts = nonces.len();
    let keys_: Vec<Keypair> = (0..accounts)
        .map(|j| keys::account_key(manifest.seed, j))
        .collect();
    let sink = Keypair::from_label(&format!("{}/sink", manifest.seed)).address();
    let mut order: Vec<usize> = (0..accounts).collect();
    Rng::new(manifest.seed, STREAM).shuffle(&mut order);
    let nodes = manifest.nodes.len();
    (0..opts.total())
        .map(|k| {
            let j = order[k % accounts];
            let round = (k / accounts) as u64;
            let tx = Transaction {
                chain_id: manifest.chain_id,
                from: keys_[j].address(),
                to: sink,
                amount: opts.amount,
                fee: opts.fee,
                nonce: nonces[j] + round,
            }
            .sign(&keys_[j]);
            PlannedTx {
                hash: tx.hash().to_string(),
                raw_hex: hex::encode(tx.encode()),
                target: (k / opts.batch) % nodes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::{RegionsOpt, plan};
    use rumor_chain::{Limits, SignedTransaction};

    #[test]
    fn nonces_senders_and_targets() {
        let o = crate::setup::plan::tests::opts(3, RegionsOpt::None);
        let (m, _) = plan(&o, std::path::Path::new("/t")).unwrap();
        let opts = LoadOptions {
            tps: 10.0,
            duration: Duration::from_secs(2),
            accounts: Some(4),
            batch: 2,
            amount: 1,
            fee: 1,
        };
        let nonces = vec![0, 5, 0, 7];
        let txs = plan_txs(&m, &opts, &nonces);
        assert_eq!(txs.len(), 20);
        assert_eq!(
            txs.iter().map(|t| t.target).take(8).collect::<Vec<_>>(),
            vec![0, 0, 1, 1, 2, 2, 0, 0]
        );
        let decoded: Vec<SignedTransaction> = txs
            .iter()
            .map(|t| {
                let tx = SignedTransaction::decode(
                    &hex::decode(&t.raw_hex).unwrap(),
                    &Limits::default(),
                )
                .unwrap();
                assert_eq!(tx.hash().to_string(), t.hash);
                tx.verify_signature().unwrap();
                tx
            })
            .collect();
        // Each account's nonces are consecutive from its on-chain nonce.
        for (j, &first) in nonces.iter().enumerate() {
            let addr = keys::account_key(m.seed, j).address();
            let n: Vec<u64> = decoded
                .iter()
                .filter(|t| t.tx.from == addr)
                .map(|t| t.tx.nonce)
                .collect();
            assert_eq!(n, (first..first + 5).collect::<Vec<_>>());
        }
        assert_eq!(
            txs,
            plan_txs(&m, &opts, &nonces),
            "seeded and deterministic"
        );
    }
}

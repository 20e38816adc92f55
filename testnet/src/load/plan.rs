//! Pre-signing the load: which account sends which nonce to which node, decided before the
//! first send so the sending loop does nothing but pace and post.

use std::time::Duration;

use rumor_chain::{Keypair, Transaction};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::setup::keys;
use crate::setup::manifest::Manifest;

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
    /// Concurrent keep-alive connections per target node, each with one request in flight.
    /// One keeps per-node order; benchmarks use more to saturate a node.
    pub clients: usize,
    /// Send exactly this many txs instead of `tps × duration` (throughput benchmarks pace
    /// with a huge `tps` and a fixed count).
    pub txs: Option<usize>,
    /// Nodes whose RPC gets the load, round-robin; `None` = every node.
    pub targets: Option<Vec<usize>>,
}

impl LoadOptions {
    /// `up`/`run`'s load: one client per node, every node a target.
    pub fn paced(tps: f64, duration: Duration, batch: usize) -> Self {
        Self {
            tps,
            duration,
            accounts: None,
            batch,
            amount: 1,
            fee: 1,
            clients: 1,
            txs: None,
            targets: None,
        }
    }

    pub fn total(&self) -> usize {
        self.txs
            .unwrap_or_else(|| (self.tps * self.duration.as_secs_f64()).round() as usize)
    }

    pub fn validate(&self, manifest: &Manifest) -> Result<usize> {
        let bad = |m: String| Err(Error::Invalid(m));
        if !(self.tps > 0.0 && self.tps.is_finite()) {
            return bad(format!("--tps must be positive, got {}", self.tps));
        }
        if self.batch == 0 || self.batch > crate::observe::rpc::MAX_BATCH {
            return bad(format!(
                "--batch must be between 1 and {} (the node's batch limit)",
                crate::observe::rpc::MAX_BATCH
            ));
        }
        if self.clients == 0 {
            return bad("at least one client per node is needed".into());
        }
        if let Some(t) = &self.targets
            && (t.is_empty() || t.iter().any(|&i| i >= manifest.nodes.len()))
        {
            return bad(format!(
                "load targets {t:?} must be node indices below {}",
                manifest.nodes.len()
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
    /// Genesis account index of the sender, and the nonce used (callers that send several
    /// rounds without blocks in between continue from `nonce + 1`).
    pub sender: usize,
    pub nonce: u64,
}

/// Signs `opts.total()` transfers. Senders take turns in a seeded order, each sending its
/// next nonce (starting from `nonces[j]`, the account's nonce on chain), so consecutive txs of
/// one account are `accounts / tps` seconds apart — far apart enough that each has propagated
/// before the next arrives at another node. Request `r` (of `batch` txs) goes to target
/// `r mod targets` (every node unless `opts.targets` says otherwise).
pub fn plan_txs(manifest: &Manifest, opts: &LoadOptions, nonces: &[u64]) -> Vec<PlannedTx> {
    let accounts = nonces.len();
    let keys_: Vec<Keypair> = (0..accounts)
        .map(|j| keys::account_key(manifest.seed, j))
        .collect();
    let sink = Keypair::from_label(&format!("{}/sink", manifest.seed)).address();
    let mut order: Vec<usize> = (0..accounts).collect();
    Rng::new(manifest.seed, STREAM).shuffle(&mut order);
    let targets: Vec<usize> = opts
        .targets
        .clone()
        .unwrap_or_else(|| (0..manifest.nodes.len()).collect());
    (0..opts.total())
        .map(|k| {
            let j = order[k % accounts];
            let round = (k / accounts) as u64;
            let nonce = nonces[j] + round;
            let tx = Transaction {
                chain_id: manifest.chain_id,
                from: keys_[j].address(),
                to: sink,
                amount: opts.amount,
                fee: opts.fee,
                nonce,
            }
            .sign(&keys_[j]);
            PlannedTx {
                hash: tx.hash().to_string(),
                raw_hex: hex::encode(tx.encode()),
                target: targets[(k / opts.batch) % targets.len()],
                sender: j,
                nonce,
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
            accounts: Some(4),
            ..LoadOptions::paced(10.0, Duration::from_secs(2), 2)
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
        assert!(txs.iter().all(|t| t.nonce >= nonces[t.sender]));
    }

    #[test]
    fn fixed_count_and_targets() {
        let o = crate::setup::plan::tests::opts(3, RegionsOpt::None);
        let (m, _) = plan(&o, std::path::Path::new("/t")).unwrap();
        let opts = LoadOptions {
            txs: Some(7),
            targets: Some(vec![2]),
            ..LoadOptions::paced(1e9, Duration::from_secs(1), 1)
        };
        assert_eq!(opts.validate(&m).unwrap(), m.accounts);
        let txs = plan_txs(&m, &opts, &[0; 8]);
        assert_eq!(txs.len(), 7);
        assert!(txs.iter().all(|t| t.target == 2 && t.nonce == 0));
        let bad = LoadOptions {
            targets: Some(vec![3]),
            ..opts
        };
        assert!(matches!(bad.validate(&m), Err(Error::Invalid(_))));
    }
}

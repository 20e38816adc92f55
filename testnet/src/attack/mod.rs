//! `rumor-testnet attack`: a small honest testnet under normal load plus one hostile peer
//! (`rumor_attack`, built on the nodes' own stack), once per scenario, each compared with a
//! clean run of the same testnet in the same invocation.
//!
//! Per scenario the harness records what the honest side saw: delivery and p99 time-to-all of
//! the load's txs (from the same traces and report as `run`), blocks built per slot while the
//! attack ran, and when every node the attacker reached had graylisted or dropped it
//! ([`watch`]). The attacker only dials the testnet's own loopback nodes.

pub mod table;
pub mod watch;

use std::time::{Duration, Instant};

use rumor_attack::{AttackConfig, Scenario};
use rumor_chain::{ChainConfig, Genesis};
pub use rumor_report::records::attack::{AttackLog, Evidence, Production};

use crate::observe::rpc::Rpc;
use crate::setup::manifest::Manifest;
pub use watch::Penalty;

/// One attack to carry out during a run's load.
#[derive(Debug, Clone, Copy)]
pub struct AttackPlan {
    /// `None`: a clean run that still polls the nodes as an attack run does (so the clean
    /// baseline carries the same measurement load).
    pub scenario: Option<Scenario>,
    /// The attacker's moves per second.
    pub rate: f64,
    pub seed: u64,
}

/// Asks every node for its equivocation proofs and checks each against the genesis.
pub async fn evidence(rpcs: &[Rpc], genesis: &Genesis) -> Evidence {
    let mut out = Evidence::default();
    for r in rpcs {
        let Ok(proofs) = r.chain_equivocations().await else {
            continue;
        };
        out.nodes += 1;
        let mut valid = 0;
        for p in proofs {
            match p.evidence().map(|e| e.verify(genesis)) {
                Ok(Ok(_)) => valid += 1,
                _ => out.invalid += 1,
            }
        }
        if valid > 0 {
            out.nodes_with_proof += 1;
        }
    }
    out
}

/// The key of the last authority's node, as a thief would take it from its data directory
/// (equivocation).
fn stolen_authority_key(manifest: &Manifest, genesis: &Genesis) -> Option<[u8; 32]> {
    manifest
        .nodes
        .iter()
        .rev()
        .filter(|n| genesis.authorities.contains(&n.address))
        .find_map(|n| rumor_chain::Keypair::load(&n.key_file).ok())
        .map(|k| k.secret_bytes())
}

/// The highest head any node reports (`None` if none answers).
pub async fn best_height(rpcs: &[Rpc]) -> Option<u64> {
    use futures::StreamExt;
    // Many nodes at once: one at a time, 1 000 saturated nodes took over ten minutes.
    futures::stream::iter(rpcs)
        .map(|r| r.chain_head())
        .buffer_unordered(crate::observe::collect::CONCURRENT)
        .filter_map(|h| async move { h.ok().map(|h| h.height) })
        .fold(None, |best: Option<u64>, h| async move {
            Some(best.map_or(h, |b| b.max(h)))
        })
        .await
}

/// A 32-byte attacker key from the run's seed and scenario (so the peer id is known up front).
fn attacker_key(plan: &AttackPlan) -> [u8; 32] {
    let scenario = plan.scenario.map_or(0, |s| s as u64 + 1);
    let mut rng = crate::rng::Rng::new(plan.seed, 0x00A7_7AC4 ^ scenario);
    let mut key = [0u8; 32];
    for chunk in key.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    key
}

/// Runs the attacker against every node of `manifest` for `duration`, watching the nodes.
pub async fn carry_out(
    plan: AttackPlan,
    manifest: &Manifest,
    rpcs: &[Rpc],
    duration: Duration,
) -> AttackLog {
    let mut log = AttackLog {
        scenario: plan.scenario.map_or("clean", |s| s.name()).to_owned(),
        rate: plan.rate,
        ..AttackLog::default()
    };
    let graylist = rumor_attack::thresholds().graylist_threshold;
    let start = Instant::now();
    let genesis = match Genesis::load(&manifest.genesis) {
        Ok(g) => g,
        Err(e) => {
            log.error = Some(e.to_string());
            return log;
        }
    };
    let Some(scenario) = plan.scenario else {
        log.penalty = watch::watch(rpcs, "", graylist, start, duration).await;
        log.evidence = evidence(rpcs, &genesis).await;
        return log;
    };
    let key = attacker_key(&plan);
    let attacker = match rumor_attack::peer_id(key) {
        Ok(p) => p.to_string(),
        Err(e) => {
            log.error = Some(e.to_string());
            return log;
        }
    };
    let targets = manifest
        .nodes
        .iter()
        .filter_map(|n| n.dial_addr().parse().ok())
        .collect();
    let chain = ChainConfig::default();
    let config = AttackConfig {
        scenario,
        authority_key: (scenario == Scenario::Equivocation)
            .then(|| stolen_authority_key(manifest, &genesis))
            .flatten(),
        genesis: genesis.clone(),
        targets,
        rate: plan.rate,
        seed: plan.seed,
        key,
        replay_window_slots: chain.replay_window_slots,
    };
    let (stats, penalty) = tokio::join!(
        rumor_attack::run(config, tokio::time::sleep(duration)),
        watch::watch(rpcs, &attacker, graylist, start, duration)
    );
    match stats {
        Ok(s) => log.attacker = s,
        Err(e) => log.error = Some(e.to_string()),
    }
    // Whichever saw it first: the polling (graylisted or gone on every node it reached), or the
    // attacker itself (every connection closed by the honest side).
    let at = match (penalty.all_penalised_at_ms, log.attacker.all_dropped_at_ms) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    log.penalised_after_s = at
        .zip(log.attacker.first_move_ms)
        .map(|(at, first)| at.saturating_sub(first) as f64 / 1000.0);
    log.penalty = penalty;
    log.evidence = evidence(rpcs, &genesis).await;
    log
}

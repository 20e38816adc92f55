//! Replays the committed corpora (`fuzz/corpus/<target>/`) and every input that once crashed a
//! target (`fuzz/regressions/<target>/`) through the targets, so `cargo test` exercises them
//! without a fuzzer. The named regression tests below pin each bug found by fuzzing.

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn replay(kind: &str, name: &str, target: rumor_fuzz::Target) -> usize {
    let files = files(&root().join(kind).join(name));
    for file in &files {
        let data = std::fs::read(file).expect("readable corpus file");
        // Say which input failed before the target's own panic message.
        eprintln!("{kind}/{name}: {}", file.display());
        target(&data);
    }
    files.len()
}

#[test]
fn every_corpus_replays_cleanly() {
    for (name, target) in rumor_fuzz::TARGETS {
        let n = replay("corpus", name, target);
        assert!(n > 0, "corpus/{name} is empty");
    }
}

#[test]
fn every_regression_input_replays_cleanly() {
    for (name, target) in rumor_fuzz::TARGETS {
        replay("regressions", name, target);
    }
}

#[test]
fn the_seeds_pass_their_targets() {
    // The generator's output, whether or not it was written to the corpus.
    let seeds = rumor_fuzz::seeds::all();
    assert_eq!(seeds.len(), rumor_fuzz::TARGETS.len());
    for ((name, seeds), (target_name, target)) in seeds.into_iter().zip(rumor_fuzz::TARGETS) {
        assert_eq!(name, target_name);
        for (_, bytes) in seeds {
            target(&bytes);
        }
    }
}

#[test]
fn the_gossip_path_reaches_the_node_verdicts() {
    use rumor_p2p::Validation;
    let seed = |name: &str| {
        let seeds = rumor_fuzz::seeds::all();
        let (_, gossip) = seeds.iter().find(|(t, _)| *t == "gossip_path").unwrap();
        gossip.iter().find(|(n, _)| n == name).unwrap().1.clone()
    };
    let verdict = rumor_fuzz::gossip_verdict;
    assert_eq!(verdict(&[]), None);
    assert_eq!(verdict(&[0, 1, 2, 3]), Some(Validation::Reject));
    assert_eq!(
        verdict(&seed("tx-on-block-topic")),
        Some(Validation::Reject)
    );
    assert_eq!(verdict(&seed("forged-tx")), Some(Validation::Reject));
    // Account 3's nonce-0 tx is in no fixture block, so it stays valid whatever ran before.
    assert_eq!(verdict(&seed("tx-3")), Some(Validation::Accept));
    // A valid block is accepted and imported (or was, by another test: then it is known and
    // ignored); once its parents are in, it is known.
    for name in ["block-1", "block-2", "block-3"] {
        assert!(matches!(
            verdict(&seed(name)),
            Some(Validation::Accept | Validation::Ignore)
        ));
    }
    assert_eq!(verdict(&seed("block-3")), Some(Validation::Ignore));
    // The same blocks compact: known by now, so ignored before any rebuild.
    for name in ["compact-1", "compact-2", "compact-3"] {
        assert_eq!(verdict(&seed(name)), Some(Validation::Ignore));
    }
}

fn regression(target: &str, name: &str) -> Vec<u8> {
    std::fs::read(root().join("regressions").join(target).join(name)).expect("regression input")
}

/// Found by `state_diff`: the store's diff decoder took a map's entries in any order (and
/// repeated keys), so two byte strings decoded to one diff. It now refuses non-canonical bytes.
#[test]
fn regression_state_diff_entries_out_of_order_are_refused() {
    use rumor_chain::fuzzing::{decode_state_diff, encode_state_diff};
    let data = regression("state_diff", "diff-accounts-out-of-order");
    assert!(decode_state_diff(&data).is_err());
    rumor_fuzz::state_diff(&data);

    // Built by hand: a diff with its first two entries swapped, and with its first one twice.
    let (_, diff) = rumor_fuzz::fixture::chain(1).remove(0);
    let n = diff.changes.len();
    assert!(n >= 2, "sender and receiver at least");
    let bytes = encode_state_diff(&diff);
    let entry = (bytes.len() - 8) / n;
    let (a, b, rest) = (
        &bytes[8..8 + entry],
        &bytes[8 + entry..8 + 2 * entry],
        &bytes[8 + 2 * entry..],
    );
    let swapped = [&bytes[..8], b, a, rest].concat();
    assert!(decode_state_diff(&swapped).is_err());
    let repeated = [&bytes[..8], a, a, rest].concat();
    assert!(decode_state_diff(&repeated).is_err());
    assert_eq!(decode_state_diff(&bytes), Ok(diff));
}

/// Found by `gossip_path`: a gossiped block's height near `u64::MAX` overflowed the stale check
/// (`height + STALE_DEPTH`) in `blocks/gossip.rs`: a panic in debug builds, and in release a
/// wrapped sum that called a far-future block stale. It now saturates and the block is judged.
#[test]
fn regression_gossip_block_at_max_height_does_not_overflow() {
    let data = regression("gossip_path", "stale-check-height-overflow");
    let verdict = rumor_fuzz::gossip_verdict(&data);
    assert!(verdict.is_some());
    assert_ne!(verdict, Some(rumor_p2p::Validation::Accept));
}

//! `state_diff`: the chain store's undo log entry (`StateDiff`, read back on every reorg),
//! decoded as the store reads it; a diff that decodes must be canonical, and applying then
//! reverting it must agree with the state commitment.

use rumor_chain::State;
use rumor_chain::fuzzing::{decode_state_diff, encode_state_diff};

pub fn state_diff(data: &[u8]) {
    let Ok(diff) = decode_state_diff(data) else {
        return;
    };
    let bytes = encode_state_diff(&diff);
    assert_eq!(
        bytes, data,
        "a decoded state diff re-encodes to other bytes"
    );
    assert_eq!(decode_state_diff(&bytes).as_ref(), Ok(&diff));

    // The state the diff starts from: every touched account at its `before`.
    let mut state = State::default();
    for (address, change) in &diff.changes {
        state.set(*address, change.before);
    }
    let root_before = state.root();
    let predicted = state.root_with(&diff);
    state.apply_diff(&diff);
    assert_eq!(
        state.root(),
        predicted,
        "root_with disagrees with apply_diff"
    );
    for (address, change) in &diff.changes {
        assert_eq!(state.get(address), change.after);
    }
    state.revert_diff(&diff);
    assert_eq!(
        state.root(),
        root_before,
        "revert_diff does not undo apply_diff"
    );
}

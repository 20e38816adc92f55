//! Key derivation, fixed by the node contract: producers use the authority keys, so the
//! genesis authorities are exactly the producing nodes.

use rumor_chain::Keypair;

pub fn node_key(seed: u64, index: usize, producers: usize) -> Keypair {
    if index < producers {
        Keypair::from_label(&format!("{seed}/authority-{index}"))
    } else {
        Keypair::from_label(&format!("{seed}/node-{index}"))
    }
}

pub fn account_key(seed: u64, index: usize) -> Keypair {
    Keypair::from_label(&format!("{seed}/account-{index}"))
}

/// The libp2p peer id the node will have (its node key is also its libp2p identity). Derived
/// exactly as the node derives it (`rumor_p2p::identity_from_key`): the same 32-byte ed25519
/// secret, so the same public key and peer id.
pub fn peer_id(key: &Keypair) -> String {
    libp2p_identity::Keypair::ed25519_from_bytes(key.secret_bytes())
        .expect("a 32-byte ed25519 secret is always valid")
        .public()
        .to_peer_id()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producers_get_authority_keys() {
        let a = node_key(5, 1, 2);
        assert_eq!(a.address(), Keypair::from_label("5/authority-1").address());
        let n = node_key(5, 2, 2);
        assert_eq!(n.address(), Keypair::from_label("5/node-2").address());
        assert_eq!(
            account_key(5, 3).address(),
            Keypair::from_label("5/account-3").address()
        );
    }

    #[test]
    fn peer_ids_are_stable_and_distinct() {
        let p = peer_id(&node_key(1, 0, 1));
        assert_eq!(p, peer_id(&node_key(1, 0, 1)));
        assert!(p.starts_with("12D3KooW"), "{p}");
        assert_ne!(p, peer_id(&node_key(1, 1, 1)));
    }

    #[test]
    fn peer_ids_match_the_nodes_derivation() {
        // Golden values computed with `rumor_p2p::identity_from_key` before the testnet stopped
        // depending on rumor-p2p: bootnode addresses and link files must name the ids the
        // nodes will actually have.
        assert_eq!(
            peer_id(&node_key(1, 0, 1)),
            "12D3KooWRkELJYAqS4yxF4o4xhceR95xWf8HXk1GA62hfr3m1Dqn"
        );
        assert_eq!(
            peer_id(&node_key(7, 3, 2)),
            "12D3KooWAkYpdHNdhKDW719bV6JKi5XteLGdE8prsqzEK46HzctN"
        );
    }
}

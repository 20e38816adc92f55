//! Gossip topics. There are exactly two; a topic hash that is neither is not representable.

use libp2p::gossipsub::{IdentTopic, TopicHash};

/// A Rumor gossip topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `/rumor/<network>/tx/1`: canonical encoded `SignedTransaction`s.
    Tx,
    /// `/rumor/<network>/block/2`: a kind byte, then a canonical encoded `Block` or
    /// `CompactBlock` ([`crate::gossip::decode`]). Version 1 carried bare `Block`s.
    Block,
}

impl Topic {
    pub const ALL: [Topic; 2] = [Topic::Tx, Topic::Block];

    /// Short label for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            Topic::Tx => "tx",
            Topic::Block => "block",
        }
    }

    /// The topic's version: bumped when its payload format changes.
    pub fn version(self) -> u32 {
        match self {
            Topic::Tx => 1,
            Topic::Block => 2,
        }
    }

    /// The topic string for `network` (the first 8 hex chars of the genesis hash).
    pub fn name(self, network: &str) -> String {
        format!("/rumor/{network}/{}/{}", self.label(), self.version())
    }

    pub fn ident(self, network: &str) -> IdentTopic {
        IdentTopic::new(self.name(network))
    }
}

/// Maps topic hashes of one network to [`Topic`]s.
#[derive(Debug, Clone)]
pub struct Topics {
    network: String,
    tx: TopicHash,
    block: TopicHash,
}

impl Topics {
    pub fn new(network: &str) -> Self {
        Self {
            network: network.to_owned(),
            tx: Topic::Tx.ident(network).hash(),
            block: Topic::Block.ident(network).hash(),
        }
    }

    pub fn network(&self) -> &str {
        &self.network
    }

    pub fn hash(&self, topic: Topic) -> TopicHash {
        match topic {
            Topic::Tx => self.tx.clone(),
            Topic::Block => self.block.clone(),
        }
    }

    /// `None` for any topic that is not one of this network's two.
    pub fn topic(&self, hash: &TopicHash) -> Option<Topic> {
        if *hash == self.tx {
            Some(Topic::Tx)
        } else if *hash == self.block {
            Some(Topic::Block)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_lookup() {
        let t = Topics::new("abcd1234");
        assert_eq!(Topic::Tx.name("abcd1234"), "/rumor/abcd1234/tx/1");
        assert_eq!(Topic::Block.name("abcd1234"), "/rumor/abcd1234/block/2");
        assert_eq!(t.topic(&t.hash(Topic::Tx)), Some(Topic::Tx));
        assert_eq!(t.topic(&t.hash(Topic::Block)), Some(Topic::Block));
        let other = Topics::new("ffffffff");
        assert_eq!(t.topic(&other.hash(Topic::Tx)), None);
    }
}

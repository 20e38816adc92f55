//! Gossip topics. There are exactly two; a topic hash that is neither is not representable.
//! The topic string `/rumor/<network>/<kind>/<version>` is written by [`TopicName`]'s
//! `Display` and read back by its `FromStr`, here only: readers of topic strings (the
//! testnet's gossipsub metrics, `net_info`) parse with [`TopicName`], never by splitting.

use std::fmt;
use std::str::FromStr;

use gossipsub::{IdentTopic, TopicHash};

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
        TopicName {
            network: network.to_owned(),
            topic: self,
            version: self.version(),
        }
        .to_string()
    }

    pub fn ident(self, network: &str) -> IdentTopic {
        IdentTopic::new(self.name(network))
    }
}

impl FromStr for Topic {
    type Err = TopicParseError;

    /// A [`Topic::label`] (`tx`, `block`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Topic::ALL
            .into_iter()
            .find(|t| t.label() == s)
            .ok_or_else(|| TopicParseError::Kind(s.to_owned()))
    }
}

/// A topic string's parts: `/rumor/<network>/<kind>/<version>`. Any version parses (a
/// reader may meet an older one: compare with [`Topic::version`] if it matters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TopicName {
    pub network: String,
    pub topic: Topic,
    pub version: u32,
}

/// Why a string is not a Rumor topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicParseError {
    #[error("topic {0:?} is not /rumor/<network>/<kind>/<version>")]
    Shape(String),
    #[error("unknown topic kind {0:?} (tx, block)")]
    Kind(String),
    #[error("topic version {0:?} is not a number")]
    Version(String),
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "/rumor/{}/{}/{}",
            self.network,
            self.topic.label(),
            self.version
        )
    }
}

impl FromStr for TopicName {
    type Err = TopicParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = || TopicParseError::Shape(s.to_owned());
        let mut parts = s.strip_prefix("/rumor/").ok_or_else(shape)?.split('/');
        let (Some(network), Some(kind), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(shape());
        };
        if network.is_empty() {
            return Err(shape());
        }
        Ok(TopicName {
            network: network.to_owned(),
            topic: kind.parse()?,
            version: version
                .parse()
                .map_err(|_| TopicParseError::Version(version.to_owned()))?,
        })
    }
}

impl TryFrom<&str> for TopicName {
    type Error = TopicParseError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
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

    #[test]
    fn parses_what_it_builds_and_nothing_else() {
        let name: TopicName = "/rumor/abcd0123/block/2".parse().unwrap();
        assert_eq!(
            name,
            TopicName {
                network: "abcd0123".into(),
                topic: Topic::Block,
                version: 2
            }
        );
        assert_eq!(
            TopicName::try_from("/rumor/ffff0000/block/1").map(|n| n.version),
            Ok(1)
        );
        for bad in [
            "",
            "/rumor/abcd0123/tx",
            "/rumor/abcd0123/tx/1/extra",
            "rumor/abcd0123/tx/1",
            "/rumor//tx/1",
            "/other/abcd0123/tx/1",
        ] {
            assert!(
                matches!(bad.parse::<TopicName>(), Err(TopicParseError::Shape(_))),
                "{bad}"
            );
        }
        assert_eq!(
            "/rumor/ab/vote/1".parse::<TopicName>(),
            Err(TopicParseError::Kind("vote".into()))
        );
        assert_eq!(
            "/rumor/ab/tx/x".parse::<TopicName>(),
            Err(TopicParseError::Version("x".into()))
        );
    }

    proptest::proptest! {
        #[test]
        fn every_topic_string_round_trips(network in "[0-9a-zA-Z_.-]{1,16}", block: bool) {
            let topic = if block { Topic::Block } else { Topic::Tx };
            let name: TopicName = topic.name(&network).parse().unwrap();
            proptest::prop_assert_eq!(&name.network, &network);
            proptest::prop_assert_eq!(name.topic, topic);
            proptest::prop_assert_eq!(name.version, topic.version());
            proptest::prop_assert_eq!(name.to_string(), topic.name(&network));
        }
    }
}

//! Typed 32-byte SHA-256 identifiers.
//!
//! `TxHash`, `BlockHash` and `Hash256` (roots, genesis) are distinct types so a block hash can never
//! be passed where a tx hash is expected. All print as lowercase hex, parse from hex (with or
//! without `0x`), and serialize to JSON as hex strings.

use sha2::{Digest, Sha256};

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Error parsing a hex identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    #[error("expected {expected} hex characters, got {got}")]
    WrongLength { expected: usize, got: usize },
    #[error("invalid hex: {0}")]
    Invalid(String),
}

/// Decodes `N` bytes from hex with an optional `0x` prefix.
pub(crate) fn parse_hex_array<const N: usize>(s: &str) -> Result<[u8; N], HexError> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.len() != N * 2 {
        return Err(HexError::WrongLength {
            expected: N * 2,
            got: s.len(),
        });
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|e| HexError::Invalid(e.to_string()))?;
    Ok(out)
}

/// Defines a 32-byte newtype with hex Display/FromStr/serde and bincode encoding.
macro_rules! hex_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, bincode::Encode, bincode::Decode)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The all-zero value.
            pub const ZERO: Self = Self([0u8; 32]);

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// First 4 bytes as hex: enough to tell values apart in logs.
            pub fn short(&self) -> String {
                hex::encode(&self.0[..4])
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::primitives::hash::HexError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::primitives::hash::parse_hex_array::<32>(s).map(Self)
            }
        }

        impl From<[u8; 32]> for $name {
            fn from(b: [u8; 32]) -> Self {
                Self(b)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use hex_newtype;

hex_newtype!(
    /// SHA-256 of a canonically encoded `SignedTransaction`. Equal to its gossip message id.
    TxHash
);
hex_newtype!(
    /// SHA-256 of a canonically encoded `BlockHeader`.
    BlockHash
);
hex_newtype!(
    /// A 32-byte commitment that is not an object id: Merkle roots and the genesis hash.
    Hash256
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_json() {
        let h = TxHash(sha256(b"abc"));
        let s = h.to_string();
        assert_eq!(s.len(), 64);
        assert_eq!(s.parse::<TxHash>().unwrap(), h);
        assert_eq!(format!("0x{s}").parse::<TxHash>().unwrap(), h);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{s}\""));
        assert_eq!(serde_json::from_str::<TxHash>(&json).unwrap(), h);
    }

    #[test]
    fn hex_rejects_bad_input() {
        assert!(matches!(
            "abcd".parse::<BlockHash>(),
            Err(HexError::WrongLength { .. })
        ));
        assert!(matches!(
            "zz".repeat(32).parse::<BlockHash>(),
            Err(HexError::Invalid(_))
        ));
        assert!(serde_json::from_str::<BlockHash>("\"00\"").is_err());
    }
}

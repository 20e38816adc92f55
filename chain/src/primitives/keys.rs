//! Signing keys and key files.
//!
//! A key file is JSON `{"address": "<hex>", "secret_key": "<hex>"}`, or a bare hex secret on one
//! line. Files are written with mode 0600. `Keypair`'s `Debug` never shows the secret, so a key
//! cannot leak through `tracing` fields or error messages.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

use crate::primitives::address::Address;
use crate::primitives::crypto::Signature;

/// An ed25519 signing key.
#[derive(Clone)]
pub struct Keypair(SigningKey);

impl std::fmt::Debug for Keypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keypair({}, secret redacted)", self.address())
    }
}

/// Errors reading or writing a key file. Messages name the file, never its contents.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("key file {path}: {reason}")]
    Parse { path: PathBuf, reason: String },
    #[error("key file {path}: its address does not match its secret key")]
    AddressMismatch { path: PathBuf },
    #[error("no OS randomness: {0}")]
    Random(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    address: Address,
    secret_key: String,
}

impl Keypair {
    /// A fresh key from the OS random source.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Self::from_secret(seed))
    }

    /// The key with this 32-byte secret (seed). Deterministic; tests and testnets use it.
    pub fn from_secret(secret: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&secret))
    }

    /// The key derived from `label` (SHA-256 of it): for reproducible testnets, never for value.
    pub fn from_label(label: &str) -> Self {
        Self::from_secret(crate::primitives::hash::sha256(label.as_bytes()))
    }

    /// The 32-byte secret. Handle with care; needed to derive the libp2p identity.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// This key's address (its public key).
    pub fn address(&self) -> Address {
        Address(self.0.verifying_key().to_bytes())
    }

    /// Signs `msg` (already domain-separated by the caller).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature(self.0.sign(msg).to_bytes())
    }

    /// Reads a key file (JSON or bare hex).
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.to_owned(),
            source,
        })?;
        let parse_err = |reason: String| KeyError::Parse {
            path: path.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        if trimmed.starts_with('{') {
            let file: KeyFile = serde_json::from_str(trimmed)
                .map_err(|e| parse_err(format!("invalid JSON key file ({})", e.classify_name())))?;
            let key = Self::from_secret(
                crate::primitives::hash::parse_hex_array::<32>(&file.secret_key)
                    .map_err(|e| parse_err(format!("secret_key: {e}")))?,
            );
            if key.address() != file.address {
                return Err(KeyError::AddressMismatch {
                    path: path.to_owned(),
                });
            }
            Ok(key)
        } else {
            crate::primitives::hash::parse_hex_array::<32>(trimmed)
                .map(Self::from_secret)
                .map_err(|e| parse_err(format!("expected JSON or a 64-char hex secret: {e}")))
        }
    }

    /// The file's permission bits if its group or others may read or write it (a secret key
    /// should be 0600, as [`Self::save`] writes it); `None` when it is private or on a platform
    /// without Unix modes. The node and the wallet warn about such files instead of loading
    /// them silently.
    pub fn loose_permissions(path: &Path) -> Option<u32> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
            (mode & 0o077 != 0).then_some(mode)
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            None
        }
    }

    /// The JSON key file's text (what [`Self::save`] writes and [`Self::load`] reads), for a
    /// file written elsewhere, e.g. a Kubernetes Secret. It holds the secret.
    pub fn to_file_json(&self) -> String {
        let file = KeyFile {
            address: self.address(),
            secret_key: hex::encode(self.secret_bytes()),
        };
        serde_json::to_string_pretty(&file).expect("key file serializes")
    }

    /// Writes a JSON key file readable only by its owner.
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        let json = self.to_file_json();
        write_private(path, json.as_bytes()).map_err(|source| KeyError::Io {
            path: path.to_owned(),
            source,
        })
    }
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(data)?;
    f.write_all(b"\n")?;
    f.sync_all()
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    // serde_json's messages can quote input; a key file's input is secret, so only the class
    // and position are reported.
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "missing or unexpected field",
            serde_json::error::Category::Eof => "unexpected end",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_round_trip_json_and_hex() {
        let dir = tempfile::tempdir().unwrap();
        let key = Keypair::from_label("k");
        let p = dir.path().join("k.json");
        key.save(&p).unwrap();
        assert_eq!(Keypair::load(&p).unwrap().address(), key.address());
        let h = dir.path().join("k.hex");
        std::fs::write(&h, hex::encode(key.secret_bytes())).unwrap();
        assert_eq!(Keypair::load(&h).unwrap().address(), key.address());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            assert_eq!(Keypair::loose_permissions(&p), None);
            std::fs::set_permissions(&h, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(Keypair::loose_permissions(&h), Some(0o644));
        }
    }

    #[test]
    fn key_file_errors_never_contain_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let key = Keypair::from_label("k");
        let secret = hex::encode(key.secret_bytes());
        let p = dir.path().join("bad.json");
        let other = Keypair::from_label("other").address();
        std::fs::write(
            &p,
            format!("{{\"address\":\"{other}\",\"secret_key\":\"{secret}\"}}"),
        )
        .unwrap();
        let err = Keypair::load(&p).unwrap_err().to_string();
        assert!(err.contains("does not match"), "{err}");
        assert!(!err.contains(&secret));
        std::fs::write(&p, format!("{{\"secret_key\":\"{secret}\"")).unwrap();
        let err = Keypair::load(&p).unwrap_err().to_string();
        assert!(!err.contains(&secret), "{err}");
        assert!(!format!("{key:?}").contains(&secret));
    }
}

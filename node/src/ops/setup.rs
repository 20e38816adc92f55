//! `rumor keygen` and `rumor genesis new`: key files and a genesis for a new network.
//!
//! Invariants: parameters are checked before any file is written; a seeded network is
//! reproducible (same seed, same keys and genesis); the genesis written is validated.

use std::path::{Path, PathBuf};

use rumor_chain::{Address, Genesis, GenesisError, KeyError, Keypair};

/// Parameters of `rumor genesis new`.
#[derive(Debug, Clone)]
pub struct NewGenesis {
    pub authorities: usize,
    pub accounts: usize,
    pub out: PathBuf,
    pub chain_id: u64,
    pub slot_ms: u64,
    pub balance: u64,
    /// Start of slot 0 (ms since the epoch).
    pub genesis_time_ms: u64,
    /// Derive every key from this seed (reproducible testnets) instead of OS randomness.
    pub seed: Option<String>,
}

/// What `rumor genesis new` wrote.
#[derive(Debug, Clone)]
pub struct GenesisFiles {
    pub genesis: PathBuf,
    pub authority_keys: Vec<PathBuf>,
    pub account_keys: Vec<PathBuf>,
    pub network_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("--authorities must be at least 1")]
    NoAuthorities,
    #[error("--out {path}: {source}")]
    OutDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--balance {balance} × {accounts} accounts exceeds the u64 supply")]
    Supply { balance: u64, accounts: usize },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Genesis(#[from] GenesisError),
}

fn key(seed: &Option<String>, label: &str) -> Result<Keypair, KeyError> {
    match seed {
        Some(s) => Ok(Keypair::from_label(&format!("{s}/{label}"))),
        None => Keypair::generate(),
    }
}

/// Writes `genesis.json`, `authority-<i>.key` and `account-<i>.key` into `out`.
pub fn new_genesis(p: &NewGenesis) -> Result<GenesisFiles, SetupError> {
    if p.authorities == 0 {
        return Err(SetupError::NoAuthorities);
    }
    if (p.balance as u128) * (p.accounts as u128) > u64::MAX as u128 {
        return Err(SetupError::Supply {
            balance: p.balance,
            accounts: p.accounts,
        });
    }
    std::fs::create_dir_all(&p.out).map_err(|source| SetupError::OutDir {
        path: p.out.clone(),
        source,
    })?;
    let mut authority_keys = Vec::new();
    let mut authorities = Vec::new();
    for i in 0..p.authorities {
        let k = key(&p.seed, &format!("authority-{i}"))?;
        let path = p.out.join(format!("authority-{i}.key"));
        k.save(&path)?;
        authorities.push(k.address());
        authority_keys.push(path);
    }
    let mut account_keys = Vec::new();
    let mut accounts: Vec<Address> = Vec::new();
    for i in 0..p.accounts {
        let k = key(&p.seed, &format!("account-{i}"))?;
        let path = p.out.join(format!("account-{i}.key"));
        k.save(&path)?;
        accounts.push(k.address());
        account_keys.push(path);
    }
    let genesis = Genesis::new(
        p.chain_id,
        p.genesis_time_ms,
        p.slot_ms,
        authorities,
        &accounts,
        p.balance,
    );
    genesis.validate()?;
    let path = p.out.join("genesis.json");
    genesis.save(&path)?;
    Ok(GenesisFiles {
        genesis: path,
        authority_keys,
        account_keys,
        network_id: genesis.network_id(),
    })
}

/// Copies the key file `from` to `out`, readable and writable by this user only (mode 0600),
/// replacing whatever `out` held. For keys the node cannot take where they are: a Kubernetes
/// Secret volume is owned by root and, with the pod's `fsGroup`, group-readable (the kubelet
/// ORs 0440 into `defaultMode`), and the node refuses a key others can read. Returns the key.
pub fn import_key(from: &Path, out: &Path) -> Result<Keypair, KeyError> {
    let key = Keypair::load(from)?;
    match std::fs::remove_file(out) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(KeyError::Io {
                path: out.to_owned(),
                source,
            });
        }
    }
    key.save(out)?;
    Ok(key)
}

/// Generates a key and writes it to `out` (if given). Returns the key.
pub fn keygen(out: Option<&Path>) -> Result<Keypair, KeyError> {
    let key = Keypair::generate()?;
    if let Some(path) = out {
        key.save(path)?;
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(out: PathBuf, seed: Option<&str>) -> NewGenesis {
        NewGenesis {
            authorities: 2,
            accounts: 3,
            out,
            chain_id: 1,
            slot_ms: 1000,
            balance: 1_000,
            genesis_time_ms: 5,
            seed: seed.map(str::to_owned),
        }
    }

    #[test]
    fn writes_loadable_genesis_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let files = new_genesis(&params(dir.path().join("net"), None)).unwrap();
        let g = Genesis::load(&files.genesis).unwrap();
        assert_eq!(g.authorities.len(), 2);
        assert_eq!(g.alloc.len(), 3);
        for (path, alloc) in files.account_keys.iter().zip(&g.alloc) {
            assert_eq!(Keypair::load(path).unwrap().address(), alloc.address);
        }
        for (path, a) in files.authority_keys.iter().zip(&g.authorities) {
            assert_eq!(Keypair::load(path).unwrap().address(), *a);
        }
    }

    #[test]
    fn seeded_genesis_is_reproducible() {
        let dir = tempfile::tempdir().unwrap();
        let a = new_genesis(&params(dir.path().join("a"), Some("s"))).unwrap();
        let b = new_genesis(&params(dir.path().join("b"), Some("s"))).unwrap();
        assert_eq!(a.network_id, b.network_id);
        let c = new_genesis(&params(dir.path().join("c"), Some("t"))).unwrap();
        assert_ne!(a.network_id, c.network_id);
    }

    #[cfg(unix)]
    #[test]
    fn an_imported_key_is_the_same_key_for_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (from, out) = (dir.path().join("secret.key"), dir.path().join("node.key"));
        let key = Keypair::from_label("import");
        key.save(&from).unwrap();
        std::fs::set_permissions(&from, std::fs::Permissions::from_mode(0o440)).unwrap();
        assert_eq!(Keypair::loose_permissions(&from), Some(0o440));
        // A stale copy with loose permissions is replaced, not reused.
        std::fs::write(&out, "stale").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
        let imported = import_key(&from, &out).unwrap();
        assert_eq!(imported.address(), key.address());
        assert_eq!(Keypair::load(&out).unwrap().address(), key.address());
        assert_eq!(Keypair::loose_permissions(&out), None);
        assert!(import_key(&dir.path().join("missing"), &out).is_err());
    }

    #[test]
    fn rejects_bad_parameters() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = params(dir.path().join("x"), None);
        p.authorities = 0;
        assert!(matches!(new_genesis(&p), Err(SetupError::NoAuthorities)));
        let mut p = params(dir.path().join("y"), None);
        p.balance = u64::MAX;
        assert!(matches!(new_genesis(&p), Err(SetupError::Supply { .. })));
    }
}

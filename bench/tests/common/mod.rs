//! Shared by the bench's end-to-end tests: the node and floor binaries of this build.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rumor_bench::ctx::Ctx;
use rumor_testnet::process::Started;

/// `target/<profile>` of this test build: the test executable is `target/<profile>/deps/x-hash`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// The node and floor binaries of this build (`cargo test --workspace` builds both, as their
/// packages have integration tests); built here when this package is tested alone.
pub fn binaries() -> (PathBuf, PathBuf) {
    let dir = profile_dir();
    let (rumor, floor) = (dir.join("rumor"), dir.join("rumor-floor"));
    if !(rumor.is_file() && floor.is_file()) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let target = dir.parent().unwrap();
        let status = Command::new(cargo)
            .args([
                "build",
                "-p",
                "rumor-node",
                "-p",
                "rumor-floor",
                "--target-dir",
            ])
            .arg(target)
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
            .status()
            .unwrap();
        assert!(status.success(), "building rumor and rumor-floor failed");
    }
    (rumor, floor)
}

/// A quiet runner context working in `work`, with this build's node binary.
pub fn ctx(work: &Path, seed: u64) -> Ctx {
    Ctx {
        rumor: binaries().0,
        work: work.to_path_buf(),
        quiet: true,
        keep: false,
        started: Started::default(),
        cores: 2,
        seed,
    }
}

//! Shared by the end-to-end tests: finding (or building) the `rumor` node binary, running
//! `rumor-testnet` with a time limit, and checking for leftover node processes.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// End-to-end tests start several node processes each; on a 2-core machine running two such
/// testnets at once would measure CPU contention, not propagation. Serialise them.
static E2E: Mutex<()> = Mutex::new(());

pub fn serial() -> MutexGuard<'static, ()> {
    E2E.lock().unwrap_or_else(|e| e.into_inner())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testnet/ has a parent")
        .to_path_buf()
}

/// `target/<profile>` of this test build: the test executable is `target/<profile>/deps/x-hash`.
fn own_profile_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.to_path_buf())
}

fn works(bin: &Path) -> bool {
    bin.is_file()
        && Command::new(bin)
            .args(["node", "--help"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// The node binary: `RUMOR_BIN`; else `rumor` built alongside this test; else
/// `target/{debug,release}/rumor` under the workspace; else `cargo build -p rumor-node` now.
/// Never skips: no binary is a test failure.
pub fn rumor_bin() -> PathBuf {
    if let Ok(p) = std::env::var("RUMOR_BIN") {
        let p = PathBuf::from(p);
        assert!(
            works(&p),
            "RUMOR_BIN={} is not a working rumor binary",
            p.display()
        );
        return p;
    }
    let mut candidates: Vec<PathBuf> = own_profile_dir()
        .map(|d| d.join("rumor"))
        .into_iter()
        .collect();
    let root = workspace_root();
    candidates.push(root.join("target/debug/rumor"));
    candidates.push(root.join("target/release/rumor"));
    if let Some(found) = candidates.iter().find(|c| works(c)) {
        return found.clone();
    }
    // Build it into this test's own target dir (debug profile), so the result is found above.
    let profile_dir = own_profile_dir().expect("test executable location");
    let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-p", "rumor-node"])
        .env("CARGO_TARGET_DIR", &target_dir)
        .current_dir(&root)
        .status()
        .expect("running cargo build -p rumor-node");
    assert!(status.success(), "cargo build -p rumor-node failed");
    let built = target_dir.join("debug/rumor");
    assert!(
        works(&built),
        "no working rumor binary at {} after building",
        built.display()
    );
    built
}

pub fn testnet_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rumor-testnet"))
}

/// Runs `rumor-testnet args…`, killing it after `limit` (then the test fails).
pub fn run_testnet(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(testnet_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rumor-testnet");
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("collect output");
            panic!(
                "rumor-testnet {args:?} exceeded {limit:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().expect("collect output")
}

pub fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({})\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Pids of live `rumor node` processes whose command line mentions `dir`.
pub fn nodes_running_under(dir: &Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().to_string();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, r)| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if !zombie && cmd.contains(" node ") && cmd.contains(&needle) {
            out.push(pid);
        }
    }
    out
}

/// Whether `prometheus` is on `PATH` (what `--prometheus` looks for).
pub fn has_prometheus() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join("prometheus").is_file()))
}

//! `down` after an `up` that was SIGKILLed mid-start-up stops every node it had started —
//! including one started but not yet recorded — and a second `down` is a no-op.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn down_after_killed_up_leaves_nothing_running() {
    let _serial = common::serial();
    let rumor = common::rumor_bin();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let mut up = Command::new(common::testnet_bin())
        .args(["--quiet", "up", "--nodes", "4", "--dir"])
        .arg(&dir)
        .arg("--rumor")
        .arg(&rumor)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill `up` as soon as two nodes are running: it is then mid-start-up.
    let deadline = Instant::now() + Duration::from_secs(60);
    while common::nodes_running_under(&dir).len() < 2 {
        assert!(Instant::now() < deadline, "nodes never started");
        assert!(up.try_wait().unwrap().is_none(), "up exited early");
        std::thread::sleep(Duration::from_millis(20));
    }
    up.kill().unwrap(); // SIGKILL: no chance to clean up
    up.wait().unwrap();
    let orphans = common::nodes_running_under(&dir);
    assert!(orphans.len() >= 2, "orphaned nodes: {orphans:?}");

    let out = common::run_testnet(
        &["down", "--dir", dir.to_str().unwrap()],
        Duration::from_secs(60),
    );
    common::assert_success(&out, "down");
    assert!(
        common::nodes_running_under(&dir).is_empty(),
        "still running after down: {:?}",
        common::nodes_running_under(&dir)
    );
    for pid in orphans {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}/cmdline")).exists()
                || std::fs::read(format!("/proc/{pid}/cmdline"))
                    .unwrap()
                    .is_empty(),
            "pid {pid} survived"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("testnet.json")).unwrap()).unwrap();
    assert!(
        manifest["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["pid"].is_null()),
        "pids not cleared: {manifest}"
    );

    // Idempotent.
    let again = common::run_testnet(
        &["down", "--dir", dir.to_str().unwrap()],
        Duration::from_secs(60),
    );
    common::assert_success(&again, "second down");
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(text.contains("0 stopped cleanly, 0 killed"), "{text}");
}

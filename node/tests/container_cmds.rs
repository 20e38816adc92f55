//! The commands a container image runs besides the node: `rumor health` (the probes) and
//! `rumor key import` (a Secret-mounted key made owner-only), as the binary, against a real
//! node.

mod common;

use std::process::Command;

use common::*;

fn rumor(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rumor"))
        .args(args)
        .output()
        .expect("running rumor")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_for_a_running_node_and_fails_for_a_dead_address() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 1);
    let node = InProcess::start(&net, "n0", Some("authority-0.key"), false, vec![]).await;
    let rpc = node.rpc.to_string();
    let ok = tokio::task::spawn_blocking(move || rumor(&["health", "--rpc", &rpc]))
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(out.starts_with("height 0 "), "{out}");

    let dead = format!("127.0.0.1:{}", free_port());
    let bad = tokio::task::spawn_blocking(move || {
        rumor(&["health", "--rpc", &dead, "--timeout-ms", "1000"])
    })
    .await
    .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.starts_with("error: --rpc http://127.0.0.1:"), "{err}");
    node.stop().await;
}

#[cfg(unix)]
#[test]
fn key_import_makes_a_group_readable_secret_usable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (from, out) = (dir.path().join("rumor-0.key"), dir.path().join("node.key"));
    let key = rumor_chain::Keypair::from_label("k8s/authority-0");
    std::fs::write(&from, key.to_file_json()).unwrap();
    // What a Secret volume with `defaultMode: 0400` and an `fsGroup` looks like.
    std::fs::set_permissions(&from, std::fs::Permissions::from_mode(0o440)).unwrap();
    let r = rumor(&[
        "key",
        "import",
        "--from",
        from.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(rumor_chain::Keypair::loose_permissions(&out), None);
    assert_eq!(
        rumor_chain::Keypair::load(&out).unwrap().address(),
        key.address()
    );
    assert!(String::from_utf8_lossy(&r.stdout).contains(&key.address().to_string()));
}

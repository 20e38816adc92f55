//! A full disk, for real: node A's data dir is a small tmpfs this test mounts; another file
//! fills it while A produces, imports and journals. A must refuse submissions with
//! −32032 `storage_unavailable`, say `degraded` in `node_health` and on `/metrics`, keep
//! relaying, and — once the file is removed, without a restart — reopen its store, catch up
//! with B, produce again and have lost no committed block and no tx it accepted.
//!
//! A second test puts A on an ext4 image whose file system is made to fail (remounted
//! read-only, as the kernel does after an error): not "out of space", so the node must give up
//! within its bound and exit with status 74.
//!
//! Both need root to mount; without it they print a NOTICE and return.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use jsonrpsee::core::ClientError;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use rumor_api::{ChainApiClient, NodeApiClient, StoreHealth, TxApiClient, TxReject, TxStatus};
use rumor_chain::{BlockHash, Keypair, SignedTransaction, Transaction, TxHash};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bounded waits (each on a condition).
const WAIT: Duration = Duration::from_secs(20);

/// A file system this test mounted; unmounted (lazily, if still busy) when dropped.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Mounts with `args` on `dir`, or prints why not (then the test returns).
fn mount(dir: &Path, args: &[&str], what: &str) -> Option<Mounted> {
    std::fs::create_dir_all(dir).unwrap();
    let out = Command::new("mount").args(args).arg(dir).output();
    match out {
        Ok(o) if o.status.success() => Some(Mounted(dir.to_owned())),
        Ok(o) => {
            eprintln!(
                "NOTICE: skipping: cannot mount {what} (needs root): {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Err(e) => {
            eprintln!("NOTICE: skipping: cannot run mount for {what}: {e}");
            None
        }
    }
}

fn client(addr: SocketAddr) -> HttpClient {
    HttpClientBuilder::default()
        .build(format!("http://{addr}"))
        .unwrap()
}

fn transfer(from: &Keypair, to: &Keypair, nonce: u64) -> SignedTransaction {
    Transaction {
        chain_id: 1,
        from: from.address(),
        to: to.address(),
        amount: 1,
        fee: 1,
        nonce,
    }
    .sign(from)
}

async fn submit(c: &HttpClient, tx: &SignedTransaction) -> Result<TxHash, ClientError> {
    c.submit(hex::encode(tx.encode())).await
}

/// One sample from `/metrics` (`series` = name with its labels, as printed).
async fn metric(addr: SocketAddr, series: &str) -> Option<f64> {
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    s.write_all(req.as_bytes()).await.ok()?;
    let mut page = String::new();
    tokio::time::timeout(T, s.read_to_string(&mut page))
        .await
        .ok()?
        .ok()?;
    page.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Writes `path` until the file system is full.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0xa5u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => break,
            Err(e) => panic!("filling {}: {e}", path.display()),
        }
    }
    let _ = f.sync_all();
    written
}

async fn canonical(c: &HttpClient, to: u64) -> Vec<BlockHash> {
    let mut out = Vec::new();
    for h in 0..=to {
        let b = c.block_by_height(h, None).await.unwrap();
        out.push(b.expect("a canonical block").hash);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_degrades_the_node_and_it_resumes_by_itself_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 2, 4);
    let Some(_tmpfs) = mount(
        &net.join("a"),
        &["-t", "tmpfs", "-o", "size=8m", "tmpfs"],
        "an 8 MiB tmpfs",
    ) else {
        return;
    };
    let b = InProcess::start(&net, "b", Some("authority-1.key"), true, vec![]).await;
    let a = InProcess::start_with(
        &net,
        "a",
        Some("authority-0.key"),
        true,
        vec![b.p2p.clone()],
        |c| c.store_retry_max_ms = 500,
    )
    .await;
    let (ca, cb) = (client(a.rpc), client(b.rpc));
    let accounts: Vec<Keypair> = (0..4)
        .map(|i| Keypair::load(&net.join(format!("account-{i}.key"))).unwrap())
        .collect();
    wait_for("A at height 2", WAIT, || async {
        ca.head().await.is_ok_and(|h| h.height >= 2)
    })
    .await;

    // Txs A accepted before the disk fills: journaled, then included.
    let mut accepted = Vec::new();
    for n in 0..3 {
        let tx = transfer(&accounts[0], &accounts[3], n);
        accepted.push(submit(&ca, &tx).await.expect("a healthy node takes it"));
    }
    assert!(ca.health().await.unwrap().ok);

    // The disk fills. A keeps getting blocks (its own slots, B's blocks carrying txs sent to
    // B) and submissions until a write fails: then every submission is refused.
    let filler = net.join("a").join("filler");
    let filled = fill(&filler);
    let committed = ca.head().await.unwrap().height;
    let before = canonical(&ca, committed).await;
    let (mut nonce_a, mut nonce_b) = (0u64, 0u64);
    let deadline = tokio::time::Instant::now() + WAIT;
    let refused = loop {
        let tx = transfer(&accounts[1], &accounts[3], nonce_a);
        let answer = submit(&ca, &tx).await;
        for _ in 0..8 {
            let _ = submit(&cb, &transfer(&accounts[2], &accounts[3], nonce_b)).await;
            nonce_b += 1;
        }
        match answer {
            Ok(h) => {
                accepted.push(h);
                nonce_a += 1;
            }
            Err(ClientError::Call(e)) if e.code() == TxReject::StorageUnavailable.code() => {
                let h = ca.health().await.unwrap();
                if matches!(h.store, StoreHealth::Degraded { .. }) {
                    break e;
                }
            }
            Err(e) => panic!("unexpected answer from A: {e}"),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for A to refuse txs with its chain store degraded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        refused.message().contains("No space left on device"),
        "the reason reaches the client: {}",
        refused.message()
    );
    let health = ca.health().await.unwrap();
    assert!(!health.ok);
    let StoreHealth::Degraded {
        out_of_space,
        gives_up_at_ms,
        failures,
        ..
    } = &health.store
    else {
        unreachable!()
    };
    assert!(*out_of_space && gives_up_at_ms.is_none() && *failures >= 1);
    assert_eq!(
        metric(a.metrics, "rumor_store_degraded{store=\"chain\"}").await,
        Some(1.0)
    );
    assert!(
        metric(a.metrics, "rumor_store_failures_total{store=\"chain\"}")
            .await
            .is_some_and(|n| n >= 1.0)
    );
    // Still relaying: a tx sent to B reaches A's pool (gossip needs no disk).
    let relayed = transfer(&accounts[2], &accounts[3], nonce_b);
    let relayed = submit(&cb, &relayed).await.unwrap();
    wait_for("a tx gossiped to the degraded node", WAIT, || async {
        matches!(
            ca.get(relayed).await.map(|i| i.status),
            Ok(TxStatus::Pending | TxStatus::Queued | TxStatus::Included { .. })
        )
    })
    .await;
    // Attempts against the still-full disk fail (the probe write), and it stays degraded.
    wait_for(
        "two recovery attempts against the full disk",
        WAIT,
        || async {
            metric(
                a.metrics,
                "rumor_store_recovery_attempts_total{store=\"chain\",result=\"failed\"}",
            )
            .await
            .is_some_and(|n| n >= 2.0)
        },
    )
    .await;
    assert!(
        !ca.health().await.unwrap().ok,
        "no recovery while the disk is full"
    );
    let degraded_at = ca.head().await.unwrap().height;

    // Space returns: no restart. A reopens its store, catches up, produces again.
    std::fs::remove_file(&filler).unwrap();
    let freed = std::time::Instant::now();
    wait_for("A healthy again", WAIT, || async {
        ca.health().await.is_ok_and(|h| h.ok)
    })
    .await;
    let healthy_after = freed.elapsed();
    let b_head = cb.head().await.unwrap();
    wait_for("A caught up with B and moving", WAIT, || async {
        ca.head()
            .await
            .is_ok_and(|h| h.height > degraded_at && h.height > b_head.height)
    })
    .await;
    let produced = metric(a.metrics, "rumor_blocks_produced_total")
        .await
        .unwrap();
    wait_for("A producing again", WAIT, || async {
        metric(a.metrics, "rumor_blocks_produced_total")
            .await
            .is_some_and(|n| n > produced)
    })
    .await;
    let producing_after = freed.elapsed();
    assert_eq!(
        metric(a.metrics, "rumor_store_degraded{store=\"chain\"}").await,
        Some(0.0)
    );
    assert!(
        metric(
            a.metrics,
            "rumor_store_recovery_attempts_total{store=\"chain\",result=\"ok\"}"
        )
        .await
        .is_some_and(|n| n >= 1.0)
    );

    // Nothing committed was lost: the blocks A held before the disk filled are still its
    // canonical chain, and every tx it accepted is in it or still pooled.
    assert_eq!(canonical(&ca, committed).await, before);
    for h in &accepted {
        let status = ca.get(*h).await.unwrap().status;
        assert_ne!(status, TxStatus::Unknown, "accepted tx {h} lost");
    }
    // The journal takes appends again, after its last whole record.
    let after = submit(&ca, &transfer(&accounts[0], &accounts[3], 3))
        .await
        .expect("taking txs again");
    let journal = rumor_api::DataDir::new(net.join("a")).tx_journal();
    let journaled =
        rumor_node::txs::journal::load(&journal, &rumor_chain::Limits::default()).unwrap();
    assert!(journaled.iter().any(|t| t.hash() == after));
    eprintln!(
        "full disk: filler {filled} B; degraded at height {degraded_at}, {} txs accepted; \
         healthy {healthy_after:?} after space returned (B then at {}), producing after \
         {producing_after:?}",
        accepted.len(),
        b_head.height
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_under_the_tx_journal_refuses_txs_and_the_journal_resumes_whole() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 2);
    let Some(_tmpfs) = mount(
        &net.join("j"),
        &["-t", "tmpfs", "-o", "size=2m", "tmpfs"],
        "a 2 MiB tmpfs",
    ) else {
        return;
    };
    // The chain store in memory: only the journal (and the trace) write to the small disk.
    let j = InProcess::start_with(&net, "j", Some("authority-0.key"), true, vec![], |c| {
        c.in_memory_store = true;
        c.store_retry_max_ms = 400;
    })
    .await;
    let c = client(j.rpc);
    let (alice, bob) = (
        Keypair::load(&net.join("account-0.key")).unwrap(),
        Keypair::load(&net.join("account-1.key")).unwrap(),
    );
    let mut accepted = Vec::new();
    let mut nonce = 0;
    for _ in 0..2 {
        accepted.push(submit(&c, &transfer(&alice, &bob, nonce)).await.unwrap());
        nonce += 1;
    }

    let filler = net.join("j").join("filler");
    fill(&filler);
    // Appends fit in the journal's last page for a while; the first that does not is answered
    // with the error (that tx is pooled and relayed, but not durable), and the rest refused.
    let deadline = tokio::time::Instant::now() + WAIT;
    let failed = loop {
        let tx = transfer(&alice, &bob, nonce);
        nonce += 1;
        match submit(&c, &tx).await {
            Ok(h) => accepted.push(h),
            Err(ClientError::Call(e)) if e.code() == TxReject::StorageUnavailable.code() => {
                break e;
            }
            Err(e) => panic!("unexpected answer: {e}"),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no journal failure within {WAIT:?}"
        );
    };
    assert!(
        failed.message().contains("No space left on device"),
        "{}",
        failed.message()
    );
    let Err(ClientError::Call(refused)) = submit(&c, &transfer(&alice, &bob, nonce)).await else {
        panic!("a degraded node takes no tx");
    };
    assert_eq!(refused.code(), TxReject::StorageUnavailable.code());
    assert!(
        refused.message().contains("journal store"),
        "{}",
        refused.message()
    );
    let health = c.health().await.unwrap();
    assert!(!health.ok && health.store.is_ok());
    assert!(matches!(
        health.journal,
        StoreHealth::Degraded {
            out_of_space: true,
            ..
        }
    ));
    assert_eq!(
        metric(j.metrics, "rumor_store_degraded{store=\"journal\"}").await,
        Some(1.0)
    );
    wait_for("a recovery attempt against the full disk", WAIT, || async {
        metric(
            j.metrics,
            "rumor_store_recovery_attempts_total{store=\"journal\",result=\"failed\"}",
        )
        .await
        .is_some_and(|n| n >= 1.0)
    })
    .await;
    assert!(!c.health().await.unwrap().ok);

    std::fs::remove_file(&filler).unwrap();
    wait_for("the journal healthy again", WAIT, || async {
        c.health().await.is_ok_and(|h| h.ok)
    })
    .await;
    let after = submit(&c, &transfer(&alice, &bob, nonce)).await.unwrap();
    accepted.push(after);
    // Every tx answered with success is in the journal, which holds only whole records: the
    // failed append left nothing that would strand the ones after it.
    let path = rumor_api::DataDir::new(net.join("j")).tx_journal();
    let journaled: Vec<TxHash> =
        rumor_node::txs::journal::load(&path, &rumor_chain::Limits::default())
            .unwrap()
            .iter()
            .map(SignedTransaction::hash)
            .collect();
    for h in &accepted {
        assert!(journaled.contains(h), "accepted tx {h} not in the journal");
    }
    assert_eq!(
        metric(j.metrics, "rumor_store_degraded{store=\"journal\"}").await,
        Some(0.0)
    );
    j.stop().await;
}

/// The sysfs switch that makes an ext4 file system fail (as a real error does): with
/// `errors=remount-ro` it turns read-only at once.
fn ext4_error_trigger(mountpoint: &Path) -> Option<PathBuf> {
    let out = Command::new("findmnt")
        .args(["-n", "-o", "SOURCE"])
        .arg(mountpoint)
        .output()
        .ok()?;
    let source = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let dev = Path::new(&source)
        .file_name()?
        .to_string_lossy()
        .into_owned();
    let trigger = PathBuf::from(format!("/sys/fs/ext4/{dev}/trigger_fs_error"));
    trigger.exists().then_some(trigger)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_keeps_failing_not_for_space_stops_the_node_with_status_74() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 2);
    let image = dir.path().join("disk.img");
    std::fs::File::create(&image)
        .unwrap()
        .set_len(16 << 20)
        .unwrap();
    let mkfs = Command::new("mkfs.ext4")
        .args(["-q", "-F"])
        .arg(&image)
        .output();
    if !mkfs.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("NOTICE: skipping: mkfs.ext4 unavailable or failed: {mkfs:?}");
        return;
    }
    let data = net.join("n");
    let image_arg = image.display().to_string();
    let Some(_ext4) = mount(
        &data,
        &["-o", "loop,errors=remount-ro", &image_arg],
        "an ext4 image on a loop device",
    ) else {
        return;
    };
    let Some(trigger) = ext4_error_trigger(&data) else {
        eprintln!("NOTICE: skipping: this kernel has no ext4 trigger_fs_error");
        return;
    };
    let rpc: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut config = rumor_node::NodeConfig {
        data_dir: data.clone(),
        key: Some(net.join("authority-0.key")),
        genesis: net.join("genesis.json"),
        listen: vec![format!("/ip4/127.0.0.1/tcp/{}", free_port())],
        rpc_addr: rpc,
        metrics_addr: format!("127.0.0.1:{}", free_port()).parse().unwrap(),
        producer: true,
        verify_threads: 1,
        store_retry_max_ms: 200,
        store_give_up_ms: 1500,
        ..Default::default()
    };
    config.net.allow_private_addrs = true;
    let config_path = dir.path().join("node.toml");
    config.save(&config_path).unwrap();
    let log = dir.path().join("node.log");
    let mut child = Command::new(rumor_bin())
        .arg("node")
        .arg("--config")
        .arg(&config_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let c = client(rpc);
    wait_for("the node producing", WAIT, || async {
        c.head().await.is_ok_and(|h| h.height >= 1)
    })
    .await;

    // The file system fails: every write is refused (EROFS), and no wait will change that.
    std::fs::write(&trigger, "rumor test").unwrap();
    wait_for("the store degraded, with a deadline", WAIT, || async {
        c.health().await.is_ok_and(|h| {
            matches!(
                h.store,
                StoreHealth::Degraded {
                    out_of_space: false,
                    gives_up_at_ms: Some(_),
                    ..
                }
            )
        })
    })
    .await;
    let deadline = std::time::Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            panic!("the node did not stop within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        status.code(),
        Some(i32::from(rumor_api::exit::STORE_FAILED)),
        "exit status; stderr:\n{stderr}"
    );
    assert!(stderr.contains("could not be recovered"), "{stderr}");
}

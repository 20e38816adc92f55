//! Three floor nodes in this process, on a triangle, driven through the same commands the bench
//! sends: they report ready, publish their shares of the schedule, and every node ends with
//! every message, each published once by the node the schedule names.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use rumor_api::NodeConfig;
use rumor_api::floor::{Command, FloorPlan, Reply};
use rumor_api::trace::{Origin, TraceLine};
use rumor_chain::Keypair;
use rumor_chain::clock::now_us;
use rumor_node::setup::{NewGenesis, new_genesis};
use tokio::sync::mpsc;

const T: Duration = Duration::from_secs(30);
const NODES: usize = 3;
const MESSAGES: usize = 30;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Running {
    commands: mpsc::Sender<Command>,
    replies: mpsc::Receiver<Reply>,
    task: tokio::task::JoinHandle<Result<Vec<TraceLine>, rumor_floor::FloorError>>,
}

impl Running {
    async fn reply(&mut self) -> Reply {
        tokio::time::timeout(T, self.replies.recv())
            .await
            .expect("a reply in time")
            .expect("the node is running")
    }
}

/// Configs (key, listen address, genesis) for `NODES` nodes in `dir`; returns each node's
/// config path and dial address.
fn configs(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    new_genesis(&NewGenesis {
        authorities: 1,
        accounts: 1,
        out: dir.to_owned(),
        chain_id: 1,
        slot_ms: 1000,
        balance: 1,
        genesis_time_ms: rumor_chain::clock::now_ms(),
        seed: Some("floor".into()),
    })
    .unwrap();
    (0..NODES)
        .map(|i| {
            let data_dir = dir.join(format!("node-{i}"));
            std::fs::create_dir_all(&data_dir).unwrap();
            let key = Keypair::from_label(&format!("floor-{i}"));
            let key_path = data_dir.join("node.key");
            key.save(&key_path).unwrap();
            let port = free_port();
            let mut config = NodeConfig {
                data_dir: data_dir.clone(),
                key: Some(key_path),
                genesis: dir.join("genesis.json"),
                listen: vec![format!("/ip4/127.0.0.1/tcp/{port}")],
                ..NodeConfig::default()
            };
            config.net.allow_private_addrs = true;
            let path = data_dir.join("node.toml");
            config.save(&path).unwrap();
            let peer = rumor_p2p::identity_from_key(&key).public().to_peer_id();
            (path, format!("/ip4/127.0.0.1/tcp/{port}/p2p/{peer}"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_floor_nodes_deliver_every_message_once_published() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = configs(dir.path());
    let mut running: Vec<Running> = (0..NODES)
        .map(|i| {
            let plan = FloorPlan {
                node_config: nodes[i].0.clone(),
                index: i,
                nodes: NODES,
                // A triangle: each node dials the ones after it.
                dial: nodes[i + 1..].iter().map(|n| n.1.clone()).collect(),
                degree: NODES - 1,
                messages: MESSAGES,
                tps: 200.0,
                msg_bytes: 160,
                seed: 7,
                out_dir: dir.path().join(format!("node-{i}")),
            };
            let (commands, rx) = mpsc::channel(4);
            let (tx, replies) = mpsc::channel(4);
            Running {
                commands,
                replies,
                task: tokio::spawn(rumor_floor::run(plan, rx, tx)),
            }
        })
        .collect();

    for r in &mut running {
        assert_eq!(r.reply().await, Reply::Ready);
    }
    let start = now_us() + 100_000;
    for r in &running {
        r.commands
            .send(Command::Start { at_us: start })
            .await
            .unwrap();
    }
    // Wait until every node has had every message (snapshots report the count).
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let mut all = true;
        for r in &mut running {
            r.commands.send(Command::Snapshot).await.unwrap();
            match r.reply().await {
                Reply::Metrics { text, seen } => {
                    assert!(text.contains("bandwidth"), "bandwidth counters: {text}");
                    all &= seen == MESSAGES as u64;
                }
                other => panic!("expected metrics, got {other:?}"),
            }
        }
        if all {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "every node should hold every message"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut published: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in running.into_iter().enumerate() {
        drop(r.commands);
        let lines = tokio::time::timeout(T, r.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let ids: HashSet<&str> = lines.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids.len(), MESSAGES, "node {i}: each message seen once");
        for l in lines.iter().filter(|l| l.origin == Origin::Rpc) {
            assert!(l.t_us >= start, "published at or after the start");
            *published.entry(l.id.clone()).or_default() += 1;
        }
        let own = lines.iter().filter(|l| l.origin == Origin::Rpc).count();
        assert_eq!(
            own,
            MESSAGES / NODES,
            "node {i} publishes its round-robin share"
        );
        assert!(
            lines
                .iter()
                .filter(|l| l.origin == Origin::Gossip)
                .all(|l| l.from.is_some()),
            "received messages name their sender"
        );
    }
    assert_eq!(published.len(), MESSAGES);
    assert!(published.values().all(|&n| n == 1));
}

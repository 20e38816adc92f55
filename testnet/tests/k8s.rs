//! `rumor-testnet k8s render`, run as the binary for a few network sizes: the YAML it writes
//! is read back and checked for what makes the network work in a cluster (names that match
//! across objects, one config and one key per ordinal, bootnodes by the pods' DNS names,
//! producers, probes, Prometheus annotations), then validated offline against the Kubernetes
//! JSON schemas with `kubernetes-validate` (PyPI, pinned in .ci/run), strictly (unknown fields
//! are errors). Without the validator the test says so (NOTICE) and keeps the Rust-side checks.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use rumor_api::NodeConfig;
use rumor_chain::{Genesis, Keypair};
use rumor_testnet::backend::container::image;
use rumor_testnet::setup::keys;
use serde_json::Value;

/// The Kubernetes versions whose schemas the manifests must pass: the pinned one, and the
/// newest that kubernetes-validate 1.37.0 bundles.
const SCHEMA_VERSIONS: [&str; 2] = ["1.30", "1.37"];
const NS: &str = "rumor-test";

fn render(out: &Path, nodes: usize, producers: Option<usize>, extra: &[&str]) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rumor-testnet"));
    cmd.args(["k8s", "render", "--nodes", &nodes.to_string()])
        .args(["--namespace", NS, "--seed", "7", "--funded-accounts", "16"])
        .args(["--genesis-time-ms", "1700000000000", "--out"])
        .arg(out)
        .args(extra);
    if let Some(p) = producers {
        cmd.args(["--producers", &p.to_string()]);
    }
    let r = cmd.output().unwrap();
    assert!(
        r.status.success(),
        "k8s render failed: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    let mut objects = serde_json::Map::new();
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let v: Value = serde_yaml_ng::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
        let kind = v["kind"].as_str().unwrap().to_owned();
        assert!(objects.insert(kind, v).is_none(), "one object per kind");
    }
    Value::Object(objects)
}

fn tmp_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn container<'a>(pod: &'a Value, list: &str, name: &str) -> &'a Value {
    pod[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {list} {name}"))
}

fn mount_path<'a>(c: &'a Value, volume: &str) -> &'a str {
    c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == volume)
        .unwrap_or_else(|| panic!("{} does not mount {volume}", c["name"]))["mountPath"]
        .as_str()
        .unwrap()
}

fn port(c: &Value, name: &str) -> u64 {
    c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()["containerPort"]
        .as_u64()
        .unwrap()
}

/// Everything that must agree across the objects for `nodes` pods with `producers` producers.
fn check_structure(o: &Value, nodes: usize, producers: usize, scratch: &Path) {
    let (ns, cm, secret, svc, sts) = (
        &o["Namespace"],
        &o["ConfigMap"],
        &o["Secret"],
        &o["Service"],
        &o["StatefulSet"],
    );
    assert_eq!(ns["metadata"]["name"], NS);
    for v in [cm, secret, svc, sts] {
        assert_eq!(v["metadata"]["namespace"], NS, "{}", v["kind"]);
    }
    let sts_name = sts["metadata"]["name"].as_str().unwrap();
    let svc_name = svc["metadata"]["name"].as_str().unwrap();
    let spec = &sts["spec"];
    assert_eq!(spec["replicas"], nodes as u64);
    assert_eq!(spec["serviceName"], svc_name);
    assert_eq!(spec["podManagementPolicy"], "Parallel");
    assert_eq!(svc["spec"]["clusterIP"], "None");
    assert_eq!(svc["spec"]["publishNotReadyAddresses"], true);
    let template = &spec["template"];
    let labels = template["metadata"]["labels"].as_object().unwrap();
    for sel in [&spec["selector"]["matchLabels"], &svc["spec"]["selector"]] {
        for (k, v) in sel.as_object().unwrap() {
            assert_eq!(labels.get(k), Some(v), "selector {k} matches the pods");
        }
    }
    let pod = &template["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["runAsUser"], image::UID);
    let node = container(pod, "containers", "rumor");
    let init = container(pod, "initContainers", "install-key");
    for c in [node, init] {
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(c["securityContext"]["runAsNonRoot"], true);
        assert_eq!(c["securityContext"]["runAsUser"], image::UID);
        assert_eq!(c["command"], serde_json::json!([image::BINARY]));
        assert!(c["resources"]["requests"]["cpu"].is_string());
        assert!(c["resources"]["limits"]["memory"].is_string());
        assert_eq!(
            c["env"][0]["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.name"
        );
    }
    let (p2p, rpc, metrics) = (port(node, "p2p"), port(node, "rpc"), port(node, "metrics"));
    assert_eq!((p2p, rpc, metrics), (30333, 8545, 9615));
    for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
        let cmd: Vec<&str> = node[probe]["exec"]["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            cmd[..4],
            [
                image::BINARY,
                "health",
                "--rpc",
                &format!("127.0.0.1:{rpc}")
            ]
        );
    }
    let ann = &template["metadata"]["annotations"];
    assert_eq!(ann["prometheus.io/scrape"], "true");
    assert_eq!(ann["prometheus.io/port"], metrics.to_string());
    assert_eq!(ann["prometheus.io/path"], "/metrics");

    // Volumes: the ConfigMap, the Secret (0400, init container only) and the claim template.
    let volumes = pod["volumes"].as_array().unwrap();
    let vol = |name: &str| volumes.iter().find(|v| v["name"] == name).unwrap();
    assert_eq!(vol("config")["configMap"]["name"], cm["metadata"]["name"]);
    assert_eq!(
        vol("node-keys")["secret"]["secretName"],
        secret["metadata"]["name"]
    );
    assert_eq!(vol("node-keys")["secret"]["defaultMode"], 0o400);
    assert_eq!(vol("key")["emptyDir"]["medium"], "Memory");
    assert!(
        node["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["name"] != "node-keys")
    );
    assert_eq!(spec["volumeClaimTemplates"][0]["metadata"]["name"], "data");
    let config_dir = mount_path(node, "config");
    let args: Vec<&str> = node["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        args,
        [
            "node",
            "--config",
            &format!("{config_dir}/$(POD_NAME).toml")
        ]
    );
    let init_args: Vec<&str> = init["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let secret_dir = mount_path(init, "node-keys");
    assert_eq!(
        init_args[..4],
        [
            "key",
            "import",
            "--from",
            &format!("{secret_dir}/$(POD_NAME).key")
        ]
    );
    let installed_key = PathBuf::from(init_args[5]);
    assert!(installed_key.starts_with(mount_path(node, "key")));

    // One key per ordinal; ids derived as the node derives them.
    let b64 = base64::engine::general_purpose::STANDARD;
    let key_files: BTreeSet<String> = secret["data"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let expected: BTreeSet<String> = (0..nodes).map(|i| format!("{sts_name}-{i}.key")).collect();
    assert_eq!(key_files, expected);
    let node_keys: Vec<Keypair> = (0..nodes)
        .map(|i| {
            let text = b64
                .decode(
                    secret["data"][format!("{sts_name}-{i}.key")]
                        .as_str()
                        .unwrap(),
                )
                .unwrap();
            let path = tmp_file(scratch, "k.key", std::str::from_utf8(&text).unwrap());
            Keypair::load(&path).unwrap()
        })
        .collect();
    let peer_ids: Vec<String> = node_keys.iter().map(keys::peer_id).collect();
    assert_eq!(peer_ids.iter().collect::<HashSet<_>>().len(), nodes);

    // Genesis: the first `producers` keys are the authorities.
    let data = cm["data"].as_object().unwrap();
    let mut expected: BTreeSet<String> =
        (0..nodes).map(|i| format!("{sts_name}-{i}.toml")).collect();
    expected.insert("genesis.json".into());
    assert_eq!(data.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let genesis = Genesis::load(&tmp_file(
        scratch,
        "g.json",
        data["genesis.json"].as_str().unwrap(),
    ))
    .unwrap();
    let authorities: Vec<_> = node_keys[..producers].iter().map(|k| k.address()).collect();
    assert_eq!(genesis.authorities, authorities);
    assert_eq!(genesis.alloc.len(), 16);

    // One config per ordinal, each what the pod's mounts and ports say.
    let mut reached = vec![false; nodes];
    reached[0] = true;
    let mut producing = 0;
    for i in 0..nodes {
        let path = tmp_file(
            scratch,
            "n.toml",
            data[&format!("{sts_name}-{i}.toml")].as_str().unwrap(),
        );
        let c = NodeConfig::load(&path).unwrap();
        assert_eq!(c.producer, i < producers, "ordinal {i}");
        producing += c.producer as usize;
        assert_eq!(c.genesis, Path::new(config_dir).join("genesis.json"));
        assert_eq!(c.key.as_deref(), Some(installed_key.as_path()));
        assert_eq!(c.data_dir, Path::new(mount_path(node, "data")));
        assert_eq!(c.rpc_addr.to_string(), format!("0.0.0.0:{rpc}"));
        assert_eq!(c.metrics_addr.to_string(), format!("0.0.0.0:{metrics}"));
        assert_eq!(c.listen, vec![format!("/ip4/0.0.0.0/tcp/{p2p}")]);
        assert!(c.net.allow_private_addrs);
        assert_eq!(
            c.bootnodes.is_empty(),
            i == 0,
            "ordinal {i}: {:?}",
            c.bootnodes
        );
        for b in &c.bootnodes {
            let (host, id) = b
                .strip_prefix("/dns4/")
                .and_then(|r| r.split_once(&format!("/tcp/{p2p}/p2p/")))
                .unwrap_or_else(|| panic!("bootnode {b}"));
            let j: usize = host
                .strip_suffix(&format!(".{svc_name}.{NS}.svc.cluster.local"))
                .and_then(|h| h.strip_prefix(&format!("{sts_name}-")))
                .and_then(|o| o.parse().ok())
                .unwrap_or_else(|| panic!("{host} is not a pod of {sts_name} behind {svc_name}"));
            assert!(j < i, "ordinal {i} boots from an earlier ordinal, got {j}");
            assert_eq!(id, peer_ids[j], "bootnode {b} names ordinal {j}'s peer id");
            reached[i] |= reached[j];
        }
    }
    assert_eq!(producing, producers);
    assert!(
        reached.iter().all(|r| *r),
        "every node is reachable from node 0"
    );
}

/// The validator's command line (`kubernetes-validate`, or the module), if installed.
fn validator() -> Option<(Vec<String>, String)> {
    let candidates: Vec<Vec<String>> = match std::env::var("RUMOR_KUBERNETES_VALIDATE") {
        Ok(p) => vec![vec![p]],
        Err(_) => vec![
            vec!["kubernetes-validate".into()],
            vec!["python3".into(), "-m".into(), "kubernetes_validate".into()],
        ],
    };
    candidates.into_iter().find_map(|c| {
        let out = Command::new(&c[0])
            .args(&c[1..])
            .arg("--version")
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| (c, String::from_utf8_lossy(&out.stdout).trim().to_owned()))
    })
}

fn validate(v: &[String], files: &[PathBuf], k8s: &str) -> std::process::Output {
    Command::new(&v[0])
        .args(&v[1..])
        .args(["--strict", "--quiet", "--kubernetes-version", k8s])
        .args(files)
        .output()
        .unwrap()
}

#[test]
fn rendered_manifests_agree_with_each_other_and_pass_the_kubernetes_schemas() {
    let tmp = tempfile::tempdir().unwrap();
    let validator = validator();
    match &validator {
        Some((cmd, version)) => eprintln!(
            "kubernetes-validate {version} ({}), schemas {SCHEMA_VERSIONS:?}, strict",
            cmd.join(" ")
        ),
        None => eprintln!(
            "NOTICE: kubernetes-validate is not installed (pip install kubernetes-validate==1.37.0, \
             or RUMOR_KUBERNETES_VALIDATE): the manifests are checked in Rust only, not against \
             the Kubernetes schemas"
        ),
    }
    for (nodes, producers) in [(1, None), (5, Some(2)), (12, None)] {
        let out = tmp.path().join(format!("n{nodes}"));
        let objects = render(&out, nodes, producers, &[]);
        check_structure(
            &objects,
            nodes,
            producers.unwrap_or(nodes.min(4)),
            tmp.path(),
        );
        let Some((cmd, _)) = &validator else { continue };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for k8s in SCHEMA_VERSIONS {
            let r = validate(cmd, &files, k8s);
            assert!(
                r.status.success(),
                "{nodes} nodes, Kubernetes {k8s}: {}{}",
                String::from_utf8_lossy(&r.stdout),
                String::from_utf8_lossy(&r.stderr)
            );
        }
    }
    // The validator is live and strict: a field the StatefulSet schema lacks is an error.
    if let Some((cmd, _)) = &validator {
        let sts = tmp.path().join("n5/40-statefulset.yaml");
        let text = std::fs::read_to_string(&sts).unwrap();
        let bad = tmp_file(
            tmp.path(),
            "bad.yaml",
            &text.replace("  replicas: 5", "  replica: 5"),
        );
        let r = validate(cmd, &[bad], SCHEMA_VERSIONS[0]);
        assert!(!r.status.success(), "an unknown field must fail validation");
    }
}

#[test]
fn rendering_is_reproducible_and_refuses_foreign_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    render(
        &a,
        3,
        None,
        &["--image", "registry.local/rumor:v1", "--storage", "2Gi"],
    );
    render(
        &b,
        3,
        None,
        &["--image", "registry.local/rumor:v1", "--storage", "2Gi"],
    );
    for f in rumor_testnet::backend::k8s::FILES {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    // Rendering again over its own files is fine; anything else in DIR is refused.
    render(&a, 3, None, &[]);
    std::fs::write(a.join("other.yaml"), "kind: Pod\n").unwrap();
    let r = Command::new(env!("CARGO_BIN_EXE_rumor-testnet"))
        .args(["k8s", "render", "--nodes", "3", "--out"])
        .arg(&a)
        .output()
        .unwrap();
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("other.yaml"));
    let r = Command::new(env!("CARGO_BIN_EXE_rumor-testnet"))
        .args([
            "k8s",
            "render",
            "--nodes",
            "3",
            "--namespace",
            "Bad_NS",
            "--out",
        ])
        .arg(tmp.path().join("c"))
        .output()
        .unwrap();
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("--namespace"));
}

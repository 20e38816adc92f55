//! The rendered manifests, run: each pod of a 4-node StatefulSet is a Docker container on a
//! network this test makes, started as the pod spec says (its command, arguments, mounts, user,
//! read-only root, no capabilities), with the pod's DNS name as its network alias. What the
//! kubelet would provide is laid out the way the kubelet does it: ConfigMap files read-only,
//! Secret files root-owned and group-readable through the `fsGroup` (mode 0440, whatever
//! `defaultMode` says), the init container run first. Pods start in reverse ordinal order, so
//! every bootnode name is unknown when first dialed. Then: every pod passes its readiness
//! probe, every node is connected to every other, all share one head; a pod removed and
//! started again (on another IP) is reconnected by name.
//!
//! Needs a Docker daemon and root (to own files as the kubelet does); without either it prints
//! a NOTICE and returns. Traffic stays on the test's own Docker network and loopback.

mod common;

use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

const NODES: usize = 4;
const NS: &str = "rumor";
const UID: u32 = 10001;

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running docker")
}

fn ok(out: Output, what: &str) -> String {
    common::assert_success(&out, what);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Removes what the test made, whatever happens.
struct Cleanup {
    containers: Vec<String>,
    network: String,
    image: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = docker(&["rm", "-f", c]);
        }
        let _ = docker(&["network", "rm", &self.network]);
        let _ = docker(&["rmi", "-f", &self.image]);
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

fn yaml(dir: &Path, file: &str) -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap()
}

/// Files as the kubelet lays out a ConfigMap (0444) or a Secret with `fsGroup` (root:gid 0440).
fn lay_out(data: &Value, dir: &Path, decode: bool) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, v) in data.as_object().unwrap() {
        let text = v.as_str().unwrap();
        let bytes = if decode {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap()
        } else {
            text.as_bytes().to_vec()
        };
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let mode = if decode {
            chown(&path, Some(0), Some(UID)).unwrap();
            0o440
        } else {
            0o444
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// `docker run` arguments for one container of the pod spec.
fn run_args(c: &Value, pod: &str, mounts: &[(String, PathBuf)]) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "--user".into(),
        format!("{UID}:{UID}"),
        "--read-only".into(),
        "--cap-drop".into(),
        "ALL".into(),
        "--security-opt".into(),
        "no-new-privileges".into(),
        "-e".into(),
        format!("POD_NAME={pod}"),
    ];
    for m in c["volumeMounts"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        let host = &mounts.iter().find(|(n, _)| n == name).unwrap().1;
        let ro = if m["readOnly"] == true { ":ro" } else { "" };
        a.push("-v".into());
        a.push(format!(
            "{}:{}{ro}",
            host.display(),
            m["mountPath"].as_str().unwrap()
        ));
    }
    a
}

/// `docker run` arguments from `--entrypoint` on: a pod's `command` replaces the image's
/// entrypoint (as `--entrypoint` does) and its `args` follow the image; `$(POD_NAME)` is
/// expanded as Kubernetes does.
fn command(c: &Value, pod: &str, image: &str) -> Vec<String> {
    let expand = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|s| s.replace("$(POD_NAME)", pod))
            .collect()
    };
    let cmd = expand(strings(&c["command"]));
    let mut out = vec!["--entrypoint".to_string(), cmd[0].clone(), image.to_owned()];
    out.extend(cmd[1..].iter().cloned());
    out.extend(expand(strings(&c["args"])));
    out
}

fn wait(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn the_rendered_statefulset_runs_as_pods_that_find_each_other_by_name() {
    if !docker(&["version", "--format", "{{.Server.Version}}"])
        .status
        .success()
    {
        eprintln!(
            "NOTICE: no Docker daemon: the rendered pods are not run (tests/k8s.rs still checks the manifests)"
        );
        return;
    }
    // Owning files as root:10001, as the kubelet does, needs root.
    let probe = tempfile::NamedTempFile::new().unwrap();
    if chown(probe.path(), Some(0), Some(UID)).is_err() {
        eprintln!(
            "NOTICE: not root: cannot lay out Secret files as the kubelet does; the rendered pods are not run"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let id = std::process::id();
    let mut cleanup = Cleanup {
        containers: Vec::new(),
        network: format!("rumor-k8s-test-{id}"),
        image: format!("rumor-k8s-test:{id}"),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The project's own node image (FROM scratch, built offline), from this build's binary.
    rt.block_on(rumor_testnet::backend::container::image::build(
        &common::rumor_bin(),
        &cleanup.image,
    ))
    .expect("building the node image");

    let out = tmp.path().join("manifests");
    let r = common::run_testnet(
        &[
            "k8s",
            "render",
            "--nodes",
            &NODES.to_string(),
            "--producers",
            "2",
            "--slot-ms",
            "500",
            "--funded-accounts",
            "4",
            "--namespace",
            NS,
            "--image",
            &cleanup.image,
            "--out",
            out.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    common::assert_success(&r, "k8s render");
    let cm = yaml(&out, "10-configmap.yaml");
    let secret = yaml(&out, "20-secret.yaml");
    let sts = yaml(&out, "40-statefulset.yaml");
    let pod = &sts["spec"]["template"]["spec"];
    let (init, node) = (&pod["initContainers"][0], &pod["containers"][0]);
    assert_eq!(node["image"], cleanup.image.as_str());
    lay_out(&cm["data"], &tmp.path().join("config"), false);
    lay_out(&secret["data"], &tmp.path().join("node-keys"), true);
    let rpc_port = node["ports"][1]["containerPort"].as_u64().unwrap();
    let probe_cmd = strings(&node["readinessProbe"]["exec"]["command"]);
    ok(
        docker(&["network", "create", &cleanup.network]),
        "docker network create",
    );

    // Per-pod volumes as the kubelet makes them with `fsGroup`: group-owned, setgid.
    let mounts = |i: usize| -> Vec<(String, PathBuf)> {
        let mut m = vec![
            ("config".to_string(), tmp.path().join("config")),
            ("node-keys".to_string(), tmp.path().join("node-keys")),
        ];
        for vol in ["key", "data"] {
            let p = tmp.path().join(format!("{vol}-{i}"));
            if !p.exists() {
                std::fs::create_dir(&p).unwrap();
                chown(&p, Some(0), Some(UID)).unwrap();
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o2770)).unwrap();
            }
            m.push((vol.to_string(), p));
        }
        m
    };
    let container = |i: usize| format!("rumor-k8s-test-{id}-{i}");
    let start = |i: usize, cleanup: &mut Cleanup| {
        let pod_name = format!("rumor-{i}");
        let mut a = vec!["run".to_string(), "--rm".into()];
        a.extend(run_args(init, &pod_name, &mounts(i)));
        a.extend(command(init, &pod_name, &cleanup.image));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ok(docker(&a), &format!("init container of {pod_name}"));
        let name = container(i);
        let alias = format!("{pod_name}.rumor.{NS}.svc.cluster.local");
        let mut a = vec![
            "run".to_string(),
            "-d".into(),
            "--name".into(),
            name.clone(),
            "--network".into(),
            cleanup.network.clone(),
            "--network-alias".into(),
            alias,
            "-p".into(),
            format!("127.0.0.1::{rpc_port}"),
        ];
        a.extend(run_args(node, &pod_name, &mounts(i)));
        a.extend(command(node, &pod_name, &cleanup.image));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ok(docker(&a), &format!("container of {pod_name}"));
        cleanup.containers.push(name);
    };
    for i in (0..NODES).rev() {
        start(i, &mut cleanup);
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rpc = |i: usize| {
        let port = ok(
            docker(&["port", &container(i), &format!("{rpc_port}/tcp")]),
            "docker port",
        );
        let addr = port.lines().next().unwrap().to_owned();
        rumor_testnet::observe::rpc::Rpc::new(&format!("http://{addr}"), Duration::from_secs(5))
            .unwrap()
    };
    let ready = |i: usize| {
        let mut a = vec!["exec".to_string(), container(i)];
        a.extend(probe_cmd.iter().cloned());
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        docker(&a).status.success()
    };
    let peers = |i: usize| {
        rt.block_on(rpc(i).net_peers())
            .map(|p| p.len())
            .unwrap_or(0)
    };
    for i in 0..NODES {
        wait(
            &format!("pod rumor-{i} ready (its readiness probe)"),
            Duration::from_secs(60),
            || ready(i),
        );
    }
    for i in 0..NODES {
        wait(
            &format!("rumor-{i} connected to every other node"),
            Duration::from_secs(60),
            || peers(i) == NODES - 1,
        );
    }
    wait(
        "one head, produced past genesis, on every node",
        Duration::from_secs(60),
        || {
            let heads: Vec<_> = (0..NODES)
                .filter_map(|i| rt.block_on(rpc(i).chain_head()).ok())
                .collect();
            heads.len() == NODES
                && heads[0].height >= 2
                && heads.iter().all(|h| h.hash == heads[0].hash)
        },
    );

    // A pod deleted and recreated elsewhere: an unrelated container takes its old IP first (an
    // isolated node of the same genesis that nobody knows of), so it comes back on another IP,
    // under its name.
    let ip_of = |c: &str| {
        ok(
            docker(&[
                "inspect",
                "-f",
                "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                c,
            ]),
            "docker inspect",
        )
    };
    let old_ip = ip_of(&container(1));
    ok(docker(&["rm", "-f", &container(1)]), "docker rm");
    cleanup.containers.retain(|c| *c != container(1));
    let filler = format!("rumor-k8s-test-{id}-filler");
    let config = format!("{}:/etc/rumor:ro", tmp.path().join("config").display());
    ok(
        docker(&[
            "run",
            "-d",
            "--name",
            &filler,
            "--network",
            &cleanup.network,
            "--user",
            &format!("{UID}:{UID}"),
            "--read-only",
            "--tmpfs",
            "/data:uid=10001",
            "-v",
            &config,
            "--entrypoint",
            rumor_testnet::backend::container::image::BINARY,
            &cleanup.image,
            "node",
            "--data-dir",
            "/data",
            "--genesis",
            "/etc/rumor/genesis.json",
        ]),
        "filler container",
    );
    cleanup.containers.push(filler.clone());
    wait("the filler node is up", Duration::from_secs(30), || {
        !ip_of(&filler).is_empty()
    });
    start(1, &mut cleanup);
    wait(
        "the recreated pod rumor-1 rejoined every node",
        Duration::from_secs(60),
        || (0..NODES).all(|i| peers(i) == NODES - 1),
    );
    eprintln!(
        "rumor-1 was {old_ip}, the filler took {}, rumor-1 came back on {}",
        ip_of(&filler),
        ip_of(&container(1))
    );
}

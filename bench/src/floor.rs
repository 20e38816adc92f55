//! The bare-gossipsub floor, run right after a Rumor run on the same testnet: one
//! `rumor-floor` process per node, on the node's own config (listen address, key, link
//! emulation, gossipsub parameters), connected along the Rumor run's final connection graph,
//! carrying the same number of tx-sized messages at the same rate, published round-robin over
//! the nodes as Rumor's load submits them. Measured the way the testnet measures nodes: CPU and
//! peak memory and read/write calls from `/proc/<pid>`, bytes from libp2p's bandwidth counters, arrival times from
//! the same trace format and analysis.
//!
//! Bounds: one process per node of the measured testnet; every wait has a deadline.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::error::{Error, Result, io};
use rumor_api::floor::{Command, FloorPlan, Reply};
use rumor_report::analysis::{self, Window};
use rumor_report::trace::{self, Kind};
use rumor_testnet::commands::measure::{DRAIN, SETTLE};
use rumor_testnet::observe::metrics::NodeCounters;
use rumor_testnet::observe::metrics::prom;
use rumor_testnet::process::machine::{self, MachineLoad};
use rumor_testnet::process::procfs;
use rumor_testnet::setup::manifest::Manifest;
use rumor_testnet::util::timefmt::now_us;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// Meshes form on gossipsub heartbeats (1 s) once connections are up; a WAN handshake takes a
/// few emulated round trips.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// A snapshot answer is one encode of a small registry.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// Writing a trace of a few thousand lines.
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);
/// Between telling every node the start time and the start: enough to reach them all.
const START_LEAD: Duration = Duration::from_millis(500);

/// The load the floor carries: Rumor's offered load.
#[derive(Debug, Clone, Copy)]
pub struct FloorLoad {
    pub messages: usize,
    pub tps: f64,
    pub msg_bytes: usize,
}

/// What the floor measured, per node means over the window.
#[derive(Debug, Clone, Default)]
pub struct FloorFigures {
    pub delivery_percent: Option<f64>,
    pub p50_all_ms: Option<f64>,
    pub p99_all_ms: Option<f64>,
    pub cpu_ms_per_msg: Option<f64>,
    pub bytes_out_per_msg: Option<f64>,
    /// Read/write-family system calls per message per node (`/proc/<pid>/io`: files, pipes,
    /// eventfd wake-ups; socket send/recv are not counted there).
    pub syscalls_per_msg: Option<f64>,
    pub rss_max_mib: Option<f64>,
    pub machine: Option<MachineLoad>,
}

struct FloorNode {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
    index: usize,
    /// Its stderr, named in errors.
    log: PathBuf,
}

impl FloorNode {
    async fn send(&mut self, c: Command) -> Result<()> {
        let mut line = serde_json::to_vec(&c).unwrap_or_default();
        line.push(b'\n');
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| Error::Invalid("floor stdin already closed".into()))?;
        stdin
            .write_all(&line)
            .await
            .map_err(io(format!("floor node {} stdin", self.index)))
    }

    async fn reply(&mut self, timeout: Duration, what: &str) -> Result<Reply> {
        let line = tokio::time::timeout(timeout, self.stdout.next_line())
            .await
            .map_err(|_| Error::Timeout {
                what: format!("floor node {} {what}", self.index),
                secs: timeout.as_secs(),
            })?
            .map_err(io(format!("floor node {} stdout", self.index)))?
            .ok_or_else(|| Error::NodeExited {
                index: self.index,
                status: "floor node closed its output".into(),
                log: self.log.clone(),
            })?;
        serde_json::from_str(&line)
            .map_err(|e| Error::Invalid(format!("floor node {} said {line:?}: {e}", self.index)))
    }

    fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

/// The `rumor-floor` binary next to the node binary (both are workspace binaries).
pub fn locate(rumor: &Path) -> Result<PathBuf> {
    let p = rumor.with_file_name("rumor-floor");
    if p.is_file() {
        Ok(p)
    } else {
        Err(Error::Invalid(format!(
            "no floor binary at {} (build it with `cargo build --release -p rumor-floor`)",
            p.display()
        )))
    }
}

/// Runs the floor on `m`'s nodes (which must be stopped: the floor takes their addresses)
/// along `edges`, and measures it.
pub async fn run(
    binary: &Path,
    m: &Manifest,
    edges: &[[usize; 2]],
    load: FloorLoad,
    seed: u64,
) -> Result<FloorFigures> {
    let n = m.nodes.len();
    let mut degree = vec![0usize; n];
    let mut dial: Vec<Vec<String>> = vec![Vec::new(); n];
    for &[a, b] in edges {
        if a < n && b < n && a != b {
            degree[a] += 1;
            degree[b] += 1;
            dial[a].push(m.nodes[b].dial_addr());
        }
    }
    let root = m.dir.join("floor");
    let mut nodes = Vec::with_capacity(n);
    for (i, node) in m.nodes.iter().enumerate() {
        let out_dir = root.join(format!("node-{i}"));
        std::fs::create_dir_all(&out_dir).map_err(io(&out_dir))?;
        let plan = FloorPlan {
            node_config: node.config_file(),
            index: i,
            nodes: n,
            dial: std::mem::take(&mut dial[i]),
            degree: degree[i],
            messages: load.messages,
            tps: load.tps,
            msg_bytes: load.msg_bytes,
            seed,
            out_dir: out_dir.clone(),
        };
        let plan_file = out_dir.join("plan.json");
        std::fs::write(
            &plan_file,
            serde_json::to_vec_pretty(&plan).unwrap_or_default(),
        )
        .map_err(io(&plan_file))?;
        let log_path = out_dir.join("floor.log");
        let log = std::fs::File::create(&log_path).map_err(io(&log_path))?;
        let mut child = tokio::process::Command::new(binary)
            .arg("--plan")
            .arg(&plan_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| Error::Spawn {
                index: i,
                binary: binary.to_path_buf(),
                source,
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().map(|s| BufReader::new(s).lines());
        let Some(stdout) = stdout else {
            return Err(Error::Invalid("floor stdout not captured".into()));
        };
        nodes.push(FloorNode {
            child,
            stdin,
            stdout,
            index: i,
            log: log_path,
        });
    }
    for node in &mut nodes {
        match node.reply(READY_TIMEOUT, "ready").await? {
            Reply::Ready => {}
            other => {
                return Err(Error::Invalid(format!(
                    "floor node {}: expected ready, got {other:?}",
                    node.index
                )));
            }
        }
    }

    let start_us = now_us() + START_LEAD.as_micros() as u64;
    for node in &mut nodes {
        node.send(Command::Start { at_us: start_us }).await?;
    }
    sleep_until_us(start_us).await;
    let (start, machine_start) = snapshot(&mut nodes, &m.network).await?;
    let publish_us = (load.messages as f64 / load.tps.max(1e-9) * 1e6) as u64;
    let end_us = start_us + publish_us + (DRAIN + SETTLE).as_micros() as u64;
    sleep_until_us(end_us).await;
    let (end, machine_end) = snapshot(&mut nodes, &m.network).await?;
    let hwm: Vec<Option<u64>> = nodes
        .iter()
        .map(|x| x.pid().and_then(procfs::mem).map(|mem| mem.hwm_kib))
        .collect();

    for node in &mut nodes {
        node.stdin = None;
    }
    for node in &mut nodes {
        if tokio::time::timeout(EXIT_TIMEOUT, node.child.wait())
            .await
            .is_err()
        {
            let _ = node.child.kill().await;
        }
    }

    let traces = (0..n)
        .map(|i| {
            let dir = root.join(format!("node-{i}"));
            trace::read(
                &dir.join(rumor_api::layout::TRACE),
                &dir.join(rumor_api::layout::TRACE_STATS),
            )
        })
        .collect::<rumor_report::Result<Vec<_>>>()?;
    let window = Window {
        start_us: start_us.saturating_sub(1),
        end_us,
    };
    let a = analysis::analyze(analysis::Input {
        traces: &traces,
        window,
        regions: None,
        graph: None,
        canonical_blocks: None,
        transmission: None,
    });
    let tx = &a.kinds[&Kind::Tx];
    let all = tx
        .reach
        .iter()
        .find(|l| l.percent_of_nodes >= 100.0)
        .and_then(|l| l.ms.as_ref());
    let messages = tx.delivery.messages;
    let per_msg = |total: f64| (messages > 0).then(|| total / n as f64 / messages as f64);
    let cpu: f64 = start
        .iter()
        .zip(&end)
        .filter_map(|(s, e)| Some(e.cpu_s? - s.cpu_s?))
        .sum();
    let bytes: f64 = start
        .iter()
        .zip(&end)
        .filter_map(|(s, e)| e.counters.since(&s.counters).bytes_out)
        .sum();
    let syscalls: f64 = start
        .iter()
        .zip(&end)
        .filter_map(|(s, e)| e.counters.since(&s.counters).syscalls)
        .sum();
    let hwm_known: Vec<u64> = hwm.iter().flatten().copied().collect();
    Ok(FloorFigures {
        delivery_percent: Some(tx.delivery.ratio * 100.0),
        p50_all_ms: all.map(|s| s.p50),
        p99_all_ms: all.map(|s| s.p99),
        cpu_ms_per_msg: per_msg(cpu * 1000.0),
        bytes_out_per_msg: per_msg(bytes),
        syscalls_per_msg: per_msg(syscalls).filter(|v| *v > 0.0),
        rss_max_mib: (!hwm_known.is_empty())
            .then(|| hwm_known.iter().sum::<u64>() as f64 / hwm_known.len() as f64 / 1024.0),
        machine: machine_start
            .zip(machine_end)
            .and_then(|(a, b)| machine::between(&a, &b, machine::cores())),
    })
}

/// One node's readings at one moment.
struct Reading {
    cpu_s: Option<f64>,
    counters: NodeCounters,
}

async fn snapshot(
    nodes: &mut [FloorNode],
    network: &str,
) -> Result<(Vec<Reading>, Option<machine::MachineSample>)> {
    let at = machine::sample();
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes.iter_mut() {
        node.send(Command::Snapshot).await?;
        let cpu_s = node.pid().and_then(procfs::cpu_seconds);
        let syscalls = node.pid().and_then(procfs::syscalls).map(|n| n as f64);
        let text = match node.reply(REPLY_TIMEOUT, "snapshot").await? {
            Reply::Metrics { text, .. } => text,
            other => {
                return Err(Error::Invalid(format!(
                    "floor node {}: expected metrics, got {other:?}",
                    node.index
                )));
            }
        };
        out.push(Reading {
            cpu_s,
            counters: NodeCounters {
                syscalls,
                ..NodeCounters::from_samples(&prom::parse(&text), network)
            },
        });
    }
    Ok((out, at))
}

async fn sleep_until_us(t_us: u64) {
    let now = now_us();
    if t_us > now {
        tokio::time::sleep(Duration::from_micros(t_us - now)).await;
    }
}

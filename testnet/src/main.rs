//! `rumor-testnet`: parses arguments and calls into the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use rumor_testnet::backend::container::{ComposeOptions, image};
use rumor_testnet::commands::{attack, down, load, measure, run, status, up};
use rumor_testnet::faults::{Churn, Faults, Flap, Kill, LinkLoss, OneWay, Partition};
use rumor_testnet::load::LoadOptions;
use rumor_testnet::process;
use rumor_testnet::prometheus::PrometheusOptions;
use rumor_testnet::setup::endpoints;
use rumor_testnet::setup::{RegionsOpt, UpOptions};
use rumor_testnet::util::{dirs, timefmt};

#[derive(Parser)]
#[command(
    name = "rumor-testnet",
    version,
    about = "Local Rumor testnets: start nodes, load them, measure propagation"
)]
struct Cli {
    /// No progress bars (they are also hidden when stderr is not a terminal).
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Everything: up, load, collect traces, stop the nodes, write the report, print a summary.
    Run(Box<RunArgs>),
    /// A clean run, then one run per scenario with one hostile peer; prints the table.
    Attack(AttackArgs),
    /// Create a testnet and start its nodes; leaves them running.
    Up(UpArgs),
    /// Send signed transfers to a running testnet.
    Load(LoadArgs),
    /// Write the propagation report of a running testnet.
    Measure(AttachArgs),
    /// Heads, peers and mempool of every node.
    Status(AttachArgs),
    /// Stop the testnet's nodes (only processes it started, verified by pid and command line;
    /// for a compose testnet: its containers, volumes, network and packet filters).
    Down(DirArg),
    /// Kubernetes manifests for a Rumor network.
    K8s {
        #[command(subcommand)]
        command: K8sCommand,
    },
    /// The node's container image.
    #[command(subcommand)]
    Image(ImageCommand),
}

#[derive(Subcommand)]
enum ImageCommand {
    /// Build the node image offline (FROM scratch: the release `rumor` binary and exactly the
    /// shared libraries it links; no base image is pulled).
    Build {
        /// The node binary [default: `rumor` next to this executable]
        #[arg(long)]
        rumor: Option<PathBuf>,
        /// Image tag [default: rumor:<first 12 hex of the binary's SHA-256>]
        #[arg(long)]
        tag: Option<String>,
    },
}

#[derive(Subcommand)]
enum K8sCommand {
    /// Write a Namespace, ConfigMap, Secret, headless Service and StatefulSet (one YAML file
    /// each) for `kubectl apply -f DIR`.
    Render(K8sRenderArgs),
}

#[derive(Args)]
struct K8sRenderArgs {
    #[arg(long)]
    nodes: usize,
    /// Producing nodes (ordinals 0..P hold the genesis authority keys) [default: min(4, nodes)]
    #[arg(long)]
    producers: Option<usize>,
    /// Fixes keys, topology and funded accounts (the same network as `up --seed`).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 1000)]
    slot_ms: u64,
    #[arg(long, default_value_t = 1)]
    chain_id: u64,
    /// Genesis-funded accounts (the senders `load` can use).
    #[arg(long, default_value_t = 256)]
    funded_accounts: usize,
    /// Start of slot 0, ms since the epoch [default: now]
    #[arg(long)]
    genesis_time_ms: Option<u64>,
    /// The node image (`rumor-testnet image build`, or node/docker/Dockerfile), loaded into
    /// the cluster's nodes or pushed to its registry.
    #[arg(long, default_value = "rumor:latest")]
    image: String,
    #[arg(long, default_value = "rumor")]
    namespace: String,
    /// The cluster's DNS domain (pods' names end in `.svc.<domain>`).
    #[arg(long, default_value = "cluster.local")]
    cluster_domain: String,
    /// Each node's data volume.
    #[arg(long, default_value = "1Gi")]
    storage: String,
    /// StorageClass of the data volumes [default: the cluster's default class]
    #[arg(long)]
    storage_class: Option<String>,
    /// Directory for the manifests (created; must hold nothing else).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct DirArg {
    /// Testnet directory [default: ./testnet-runs/latest]
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct AttachArgs {
    /// Testnet directory [default: ./testnet-runs/latest; with --endpoints: a new one, or
    /// this one if it already holds the same attached testnet]
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Nodes this tool did not start (a cluster, containers elsewhere): a JSON file of their
    /// RPC and metrics addresses and the testnet's seed (see the README, "Measuring nodes the
    /// tool did not start"). Traces and clocks are then read over RPC.
    #[arg(long)]
    endpoints: Option<PathBuf>,
}

impl AttachArgs {
    /// The testnet directory: attached to `--endpoints` first when given.
    async fn dir(&self) -> anyhow::Result<PathBuf> {
        let Some(file) = &self.endpoints else {
            return Ok(dirs::existing_testnet_dir(self.dir.as_deref())?);
        };
        let e = endpoints::read(file)?;
        let reuse = self
            .dir
            .as_deref()
            .and_then(|d| rumor_testnet::Manifest::load(d).ok())
            .filter(|m| m.attached);
        let dir = match reuse {
            Some(m) => m.dir,
            None => dirs::new_testnet_dir(self.dir.as_deref())?,
        };
        let m = endpoints::attach(&e, &dir)
            .await
            .with_context(|| format!("attaching to the nodes in {}", file.display()))?;
        dirs::mark_latest(&m.dir);
        Ok(m.dir)
    }
}

#[derive(Args)]
struct NetArgs {
    /// Producing nodes (the genesis authorities) [default: min(4, nodes)]
    #[arg(long)]
    producers: Option<usize>,
    /// WAN emulation: `none`, `builtin` (bundled region matrix) or a regions.json file.
    #[arg(long, default_value = "none")]
    regions: RegionsOpt,
    /// Extra uniform per-chunk delay on emulated links (ms).
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Cap each emulated link at this many Mbit/s per direction (with `--regions`; a
    /// connection's frames queue behind each other at that rate).
    #[arg(long)]
    bandwidth_mbit: Option<f64>,
    /// Fixes keys, regions, topology and load order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Slot length [default: 1000; `attack`: 250, so blocks older than the nodes' 64-slot
    /// replay window exist within a run]
    #[arg(long)]
    slot_ms: Option<u64>,
    #[arg(long, default_value_t = 1)]
    chain_id: u64,
    /// New testnet directory [default: ./testnet-runs/<UTC timestamp>]
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The node binary [default: `rumor` next to this executable]
    #[arg(long)]
    rumor: Option<PathBuf>,
    /// Wait this long for each node's RPC, and for the mesh.
    #[arg(long, default_value = "60s", value_parser = timefmt::parse_duration)]
    ready_timeout: Duration,
    /// Start every node's config from this `node.toml` (limits, gossip and lazy-push
    /// settings, threads) instead of the node's defaults; the testnet still sets each node's
    /// paths, addresses, bootnodes and producer role, and `--block-relay` wins over the
    /// file's `compact_blocks`.
    #[arg(long)]
    node_config: Option<PathBuf>,
    /// Run every node inside this process (the real node library, sharing one async runtime
    /// and one verification pool; chain stores in memory) instead of one `rumor` process
    /// each. Per-node CPU then comes from each node's own accounting, not /proc. `up` stays
    /// in the foreground until Ctrl-C; `--churn` and `--kill` need processes.
    #[arg(long)]
    in_process: bool,
    /// Where the nodes run: `process` (one `rumor` process each, on this machine's loopback),
    /// `in-process` (as --in-process) or `compose` (one container each, on a Docker network of
    /// the testnet's own, started with Docker Compose; the image is built offline from the
    /// `rumor` binary unless --image names one; traces and clocks are read over RPC).
    #[arg(long, default_value = "process", value_parser = ["process", "in-process", "compose"])]
    backend: String,
    /// `--backend compose`: run this image (e.g. one built with `rumor-testnet image build`).
    #[arg(long)]
    image: Option<String>,
    /// How producers publish blocks: `compact` (header, short ids and the txs peers likely
    /// lack; peers rebuild from their pools) or `full` (every tx, for comparison).
    #[arg(long, default_value = "compact", value_parser = ["compact", "full"])]
    block_relay: String,
    /// What start-up waits for at every node: `mesh` (a peer and a gossipsub mesh for both
    /// topics) or `peers` (a peer). Measured at 1 000 in-process nodes: ~3% of the last
    /// nodes to join held peers but no mesh (their peers' meshes were full and pruned them),
    /// so `mesh` never came; with `peers` the run goes on and the report shows what they got.
    #[arg(long, default_value = "mesh")]
    readiness: rumor_testnet::observe::ready::Readiness,
    /// Watch the nodes with a real Prometheus server: writes DIR/prometheus/prometheus.yml
    /// (every node a target, by file-based discovery) and, when the `prometheus` binary is
    /// installed (`apt-get install prometheus`), starts it on loopback with its data in
    /// DIR/prometheus/data; `down` stops it. The report then plots bytes/s, pool size, peers
    /// and heads over the run from it.
    #[arg(long)]
    prometheus: bool,
    /// The Prometheus binary [default: `prometheus` on PATH]
    #[arg(long, requires = "prometheus")]
    prometheus_bin: Option<PathBuf>,
    /// How often Prometheus scrapes each node.
    #[arg(long, default_value = "1s", value_parser = timefmt::parse_duration, requires = "prometheus")]
    scrape_interval: Duration,
    /// Start node NODE with its clock shifted by ±MS (repeatable, e.g. `--skew 2:+2000 --skew
    /// 3:-1500`), as on a machine whose clock is off: see the README, "Clock tolerance".
    #[arg(long, value_name = "NODE:±MS", allow_hyphen_values = true)]
    skew: Vec<rumor_testnet::setup::skew::Skew>,
}

#[derive(Args)]
struct UpArgs {
    #[arg(long, default_value_t = 16)]
    nodes: usize,
    /// Genesis-funded accounts (the senders `load` can use).
    #[arg(long, default_value_t = 256)]
    funded_accounts: usize,
    #[command(flatten)]
    net: NetArgs,
}

#[derive(Args)]
struct LoadParams {
    /// Offered rate (tx/s).
    #[arg(long, default_value_t = 100.0)]
    tps: f64,
    /// How long to send (e.g. 30, 30s, 2m).
    #[arg(long, default_value = "30s", value_parser = timefmt::parse_duration)]
    duration: Duration,
    /// Txs per JSON-RPC request (>1 sends batch requests).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    #[arg(long, default_value_t = 1)]
    fee: u64,
}

#[derive(Args)]
struct LoadArgs {
    /// Sending accounts [default: every funded account]
    #[arg(long)]
    accounts: Option<usize>,
    #[command(flatten)]
    params: LoadParams,
    #[command(flatten)]
    at: AttachArgs,
}

#[derive(Args)]
struct FaultArgs {
    /// Cut that share of the nodes (and of the producers) off from the rest: connections
    /// closed, dials refused both ways; healed after the duration. Times from the load's start.
    /// `/EVERY` repeats it (a new cut every EVERY while the load runs, e.g. 50%@5m+1m/10m).
    #[arg(long, value_name = "FRACTION@START+DURATION[/EVERY]")]
    partition: Option<Partition>,
    /// Every period, SIGKILL that share of the non-producer nodes and restart last period's
    /// from their data directories.
    #[arg(long, value_name = "FRACTION@PERIOD")]
    churn: Option<Churn>,
    /// SIGKILL n non-producer nodes at that time; they stay down.
    #[arg(long, value_name = "N@TIME")]
    kill: Option<Kill>,
    /// On that share of the connected links, one direction (chosen per link) carries nothing
    /// from START for DURATION: its bytes are held, not lost, and the connection stays up
    /// until the nodes' liveness check drops it. E.g. 25%@5s+20s.
    #[arg(long, value_name = "SHARE@START+DURATION")]
    cut_oneway: Option<OneWay>,
    /// On that share of the connected links, both directions go down for DOWN at the start of
    /// every PERIOD, until the load ends. E.g. 25%@10s/2s.
    #[arg(long, value_name = "SHARE@PERIOD/DOWN")]
    flap: Option<Flap>,
    /// On that share of the connected links, each direction loses LOSS of its chunks, each
    /// lost chunk waiting out TCP retransmission timeouts (loss inside a TCP stream is only
    /// ever delay); the whole load, or START+DURATION. E.g. 25%/2% or 25%/5%@5s+20s.
    #[arg(long, value_name = "SHARE/LOSS[@START+DURATION]")]
    link_loss: Option<LinkLoss>,
}

#[derive(Args)]
struct RunArgs {
    #[arg(long, default_value_t = 16)]
    nodes: usize,
    /// Funded and sending accounts.
    #[arg(long, default_value_t = 256)]
    accounts: usize,
    #[command(flatten)]
    params: LoadParams,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    faults: FaultArgs,
}

#[derive(Args)]
struct AttackArgs {
    /// `all`, or scenario names separated by commas (invalid-sig-flood, garbage-flood,
    /// oversized, old-block-replay, status-spam, bad-sync-answers, px-poison,
    /// unfunded-tx-flood, eclipse, equivocation).
    #[arg(long, default_value = "all", value_parser = parse_scenarios)]
    scenario: std::vec::Vec<rumor_attack::Scenario>,
    /// The attacker's moves per second (payloads published, or requests to each peer).
    #[arg(long, default_value_t = 200.0)]
    attack_rate: f64,
    #[arg(long, default_value_t = 8)]
    nodes: usize,
    /// Funded and sending accounts.
    #[arg(long, default_value_t = 64)]
    accounts: usize,
    /// Offered honest rate (tx/s).
    #[arg(long, default_value_t = 50.0)]
    tps: f64,
    /// How long each run's load (and attack) lasts.
    #[arg(long, default_value = "40s", value_parser = timefmt::parse_duration)]
    duration: Duration,
    #[command(flatten)]
    net: NetArgs,
}

fn parse_scenarios(s: &str) -> Result<Vec<rumor_attack::Scenario>, String> {
    rumor_attack::Scenario::parse_list(s)
}

const BALANCE: u64 = 1_000_000_000_000;

fn up_options(nodes: usize, accounts: usize, mut net: NetArgs) -> anyhow::Result<UpOptions> {
    net.in_process |= net.backend == "in-process";
    let compose = (net.backend == "compose").then(|| ComposeOptions {
        image: net.image.clone(),
    });
    if net.image.is_some() && compose.is_none() {
        anyhow::bail!("--image needs --backend compose");
    }
    // In-process nodes need no binary; the manifest then names this one.
    let rumor = if net.in_process {
        std::env::current_exe().context("current executable")?
    } else {
        process::locate_rumor(net.rumor.as_deref())?
    };
    let dir = dirs::new_testnet_dir(net.dir.as_deref())?;
    Ok(UpOptions {
        dir,
        rumor,
        nodes,
        producers: net.producers.unwrap_or(nodes.min(4)),
        seed: net.seed,
        slot_ms: net.slot_ms.unwrap_or(1000),
        chain_id: net.chain_id,
        accounts,
        account_balance: BALANCE,
        regions: net.regions,
        jitter_ms: net.jitter_ms,
        bandwidth_bytes_per_sec: net.bandwidth_mbit.map(|m| (m * 1e6 / 8.0) as u64),
        ready_timeout: net.ready_timeout,
        overrides: {
            let mut o = rumor_testnet::setup::NodeOverrides::default();
            if let Some(path) = &net.node_config {
                o.config = rumor_api::NodeConfig::load(path)
                    .with_context(|| format!("--node-config {}", path.display()))?;
            }
            o.config.net.compact_blocks = net.block_relay == "compact";
            o.readiness = net.readiness;
            o.skew = net.skew.clone();
            o
        },
        in_process: net.in_process,
        compose,
        prometheus: net.prometheus.then(|| PrometheusOptions {
            binary: net.prometheus_bin.clone(),
            scrape_interval: net.scrape_interval,
        }),
    })
}

/// In-process nodes log into the testnet's directory (this process's stderr is the user's).
fn log_in_process_nodes(opts: &UpOptions) -> anyhow::Result<()> {
    if opts.in_process {
        let path = opts.dir.join(rumor_api::layout::IN_PROCESS_LOG);
        rumor_node::logging::init_file(&path, "warn")
            .with_context(|| format!("node log {}", path.display()))?;
    }
    Ok(())
}

fn load_options(p: LoadParams, accounts: Option<usize>) -> LoadOptions {
    LoadOptions {
        accounts,
        fee: p.fee,
        ..LoadOptions::paced(p.tps, p.duration, p.batch)
    }
}

fn main() -> ExitCode {
    rumor_testnet::util::shutdown::run_command(dispatch(Cli::parse()))
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Run(a) => {
            let up = up_options(a.nodes, a.accounts, a.net)?;
            log_in_process_nodes(&up)?;
            let mut opts =
                run::RunOptions::new(up, load_options(a.params, Some(a.accounts)), quiet);
            opts.faults = Faults {
                partition: a.faults.partition,
                churn: a.faults.churn,
                kill: a.faults.kill,
                oneway: a.faults.cut_oneway,
                flap: a.faults.flap,
                loss: a.faults.link_loss,
            };
            let out = run::run(&opts).await?;
            print!("{}", out.summary);
            println!("Report: {}", opts.up.dir.join("report/report.md").display());
        }
        Command::Attack(mut a) => {
            a.net.slot_ms.get_or_insert(250);
            let up = up_options(a.nodes, a.accounts, a.net)?;
            let load = LoadOptions {
                accounts: Some(a.accounts),
                ..LoadOptions::paced(a.tps, a.duration, 1)
            };
            let opts = attack::AttackOptions {
                base: run::RunOptions::new(up, load, quiet),
                scenarios: a.scenario,
                rate: a.attack_rate,
            };
            let out = attack::attack(&opts).await?;
            print!("{}", out.text);
            for f in &out.files {
                println!("Wrote {}", f.display());
            }
        }
        Command::Up(a) => {
            let opts = up_options(a.nodes, a.funded_accounts, a.net)?;
            log_in_process_nodes(&opts)?;
            if opts.in_process {
                let r = up::up_in_foreground(&opts, quiet, |m| {
                    print!("{}", up::describe(m));
                    println!("Running in this process; Ctrl-C stops every node.");
                })
                .await?;
                println!(
                    "{} stopped cleanly, {} aborted",
                    r.terminated.len(),
                    r.killed.len()
                );
            } else {
                let m = up::up(&opts, quiet).await?;
                print!("{}", up::describe(&m));
            }
        }
        Command::Load(a) => {
            let dir = a.at.dir().await?;
            let stats = load::load(&dir, &load_options(a.params, a.accounts), quiet).await?;
            print!("{}", load::describe(&stats));
        }
        Command::Measure(a) => {
            let dir = a.dir().await?;
            let out = measure::measure(&dir, quiet).await?;
            print!("{}", out.summary);
            println!("Report: {}", dir.join("report/report.md").display());
        }
        Command::Status(a) => {
            let dir = a.dir().await?;
            print!("{}", status::status(&dir).await?);
        }
        Command::K8s {
            command: K8sCommand::Render(a),
        } => {
            let opts = rumor_testnet::backend::k8s::K8sOptions {
                nodes: a.nodes,
                producers: a.producers.unwrap_or(a.nodes.min(4)),
                seed: a.seed,
                slot_ms: a.slot_ms,
                chain_id: a.chain_id,
                accounts: a.funded_accounts,
                account_balance: BALANCE,
                genesis_time_ms: a.genesis_time_ms.unwrap_or_else(timefmt::now_ms),
                image: a.image,
                namespace: a.namespace,
                cluster_domain: a.cluster_domain,
                storage: a.storage,
                storage_class: a.storage_class,
            };
            let m = rumor_testnet::backend::k8s::render(&opts)?;
            m.write(&a.out)?;
            print!(
                "{}",
                rumor_testnet::backend::k8s::describe(&opts, &m, &a.out)
            );
        }
        Command::Image(ImageCommand::Build { rumor, tag }) => {
            let binary = process::locate_rumor(rumor.as_deref())?;
            let tag = match tag {
                Some(t) => t,
                None => image::tag_for(&binary)?,
            };
            let built = image::build(&binary, &tag).await?;
            println!(
                "built {} from {} with {} shared libraries: {}",
                built.tag,
                binary.display(),
                built.libraries.len(),
                built
                    .libraries
                    .iter()
                    .map(|l| l.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Command::Down(a) => {
            let dir = dirs::existing_testnet_dir(a.dir.as_deref())?;
            let r = down::down(&dir)
                .await
                .with_context(|| format!("down {}", dir.display()))?;
            println!(
                "{}: {} stopped cleanly, {} killed, {} were not running{}",
                r.dir.display(),
                r.stop.terminated.len(),
                r.stop.killed.len(),
                r.stop.not_running.len(),
                if r.unrecorded.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} found via /proc, not in testnet.json)",
                        r.unrecorded.len()
                    )
                }
            );
        }
    }
    Ok(())
}

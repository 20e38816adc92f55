//! `rumor`: parses arguments and calls into the `rumor_node` library.
//!
//! Invariant: no node logic here; each `rumor node` flag overrides the same setting from
//! `--config`, and errors reach the user as one line naming the file or flag at fault.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use rumor_node::config::{LogFormat, NodeConfig};

/// jemalloc for the node process. Under glibc's malloc a soak producer's RSS rose ~7 MiB at
/// every partition heal and never came back: its heap held 63 MB for 36 MB in use (glibc's
/// `malloc_stats`), the bursts' freed chunks kept in per-thread arenas. jemalloc hands
/// unused dirty pages back to the system after its decay time (10 s by default).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "rumor",
    version,
    about = "Rumor: a gossip-propagation blockchain node"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a key; print its address.
    Keygen {
        /// Write the key file here (JSON, mode 0600).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Network set-up.
    Genesis {
        #[command(subcommand)]
        command: GenesisCommand,
    },
    /// Run a node.
    Node(Box<NodeArgs>),
    /// Build, sign and send transfers.
    Tx {
        #[command(subcommand)]
        command: TxCommand,
    },
    /// Key files.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Exit 0 if the node's JSON-RPC answers `chain_head` (a container health probe).
    Health {
        /// The node's JSON-RPC address (host:port) or URL.
        #[arg(long, default_value = "127.0.0.1:8545")]
        rpc: String,
        /// Give up after this many milliseconds.
        #[arg(long, default_value_t = 2000)]
        timeout_ms: u64,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Copy a key file to OUT readable by this user only (mode 0600), e.g. from a Kubernetes
    /// Secret volume, which the node refuses as group-readable; print its address.
    Import {
        #[arg(long)]
        from: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

/// `rumor node` flags; each overrides the same setting from `--config`.
#[derive(Args)]
struct NodeArgs {
    /// TOML file with any of the settings below and all limits.
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Node (and producer) key file; default <data-dir>/node.key, created if missing.
    #[arg(long)]
    key: Option<PathBuf>,
    #[arg(long)]
    genesis: Option<PathBuf>,
    /// Multiaddr to listen on (repeatable).
    #[arg(long)]
    listen: Vec<String>,
    /// Peer to dial at start, /ip4/…/tcp/…/p2p/<peer id> (repeatable).
    #[arg(long)]
    bootnode: Vec<String>,
    /// JSON-RPC address (HTTP and WebSocket).
    #[arg(long)]
    rpc: Option<SocketAddr>,
    /// Prometheus metrics address (serves /metrics).
    #[arg(long)]
    metrics: Option<SocketAddr>,
    /// Produce blocks in this key's slots.
    #[arg(long)]
    producer: bool,
    /// Log format: `human` or `json`.
    #[arg(long)]
    log_format: Option<LogFormat>,
    /// Write the propagation trace to <data-dir>/trace.ndjson.
    #[arg(long)]
    trace: bool,
    /// Link-emulation file (testnets).
    #[arg(long)]
    link: Option<PathBuf>,
    #[arg(long)]
    peers_low: Option<usize>,
    #[arg(long)]
    peers_high: Option<usize>,
    /// Forward every message to every peer (benchmark baseline).
    #[arg(long)]
    flood_all: bool,
    #[arg(long)]
    verify_threads: Option<usize>,
    #[arg(long)]
    runtime_threads: Option<usize>,
}

impl NodeArgs {
    fn into_config(self) -> anyhow::Result<NodeConfig> {
        let mut c = match &self.config {
            Some(p) => NodeConfig::load(p)?,
            None => NodeConfig::default(),
        };
        if let Some(v) = self.data_dir {
            c.data_dir = v;
        }
        if self.key.is_some() {
            c.key = self.key;
        }
        if let Some(v) = self.genesis {
            c.genesis = v;
        }
        if !self.listen.is_empty() {
            c.listen = self.listen;
        }
        if !self.bootnode.is_empty() {
            c.bootnodes = self.bootnode;
        }
        if let Some(v) = self.rpc {
            c.rpc_addr = v;
        }
        if let Some(v) = self.metrics {
            c.metrics_addr = v;
        }
        c.producer |= self.producer;
        if let Some(v) = self.log_format {
            c.log_format = v;
        }
        c.trace |= self.trace;
        if self.link.is_some() {
            c.link = self.link;
        }
        if let Some(v) = self.peers_low {
            c.net.peers_low = v;
        }
        if let Some(v) = self.peers_high {
            c.net.peers_high = v;
        }
        c.net.flood_all |= self.flood_all;
        if let Some(v) = self.verify_threads {
            c.verify_threads = v.max(1);
        }
        if let Some(v) = self.runtime_threads {
            c.runtime_threads = v.max(1);
        }
        Ok(c)
    }
}

#[derive(Args)]
struct TransferArgs {
    #[arg(long)]
    key: PathBuf,
    #[arg(long)]
    to: rumor_chain::Address,
    #[arg(long)]
    amount: u64,
    #[arg(long)]
    fee: u64,
    /// Default: the account's nonce from --rpc (sign: 0 without --rpc).
    #[arg(long)]
    nonce: Option<u64>,
    #[arg(long, default_value_t = 1)]
    chain_id: u64,
}

#[derive(Subcommand)]
enum TxCommand {
    /// Print the signed tx as hex (the `tx_submit` input).
    Sign {
        #[command(flatten)]
        transfer: TransferArgs,
        #[arg(long)]
        rpc: Option<String>,
    },
    /// Sign and submit; print the tx hash.
    Send {
        #[command(flatten)]
        transfer: TransferArgs,
        #[arg(long, default_value = "http://127.0.0.1:8545")]
        rpc: String,
    },
}

#[derive(Subcommand)]
enum GenesisCommand {
    /// Write genesis.json plus authority and account key files for a new network.
    New {
        #[arg(long, default_value_t = 4)]
        authorities: usize,
        #[arg(long, default_value_t = 16)]
        accounts: usize,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        chain_id: u64,
        #[arg(long, default_value_t = 1000)]
        slot_ms: u64,
        #[arg(long, default_value_t = 1_000_000_000)]
        balance: u64,
        /// Start of slot 0 in ms since the epoch (default: now).
        #[arg(long)]
        genesis_time_ms: Option<u64>,
        /// Derive all keys from this seed (reproducible; never for real value).
        #[arg(long)]
        seed: Option<String>,
    },
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line naming the file or flag at fault: our errors already carry their cause.
            eprintln!("error: {e}");
            let code = e
                .downcast_ref::<rumor_node::NodeError>()
                .map_or(rumor_api::exit::FAILURE, rumor_node::NodeError::exit_code);
            std::process::ExitCode::from(code)
        }
    }
}

fn transfer(t: &TransferArgs) -> rumor_node::ops::wallet::Transfer {
    rumor_node::ops::wallet::Transfer {
        chain_id: t.chain_id,
        to: t.to,
        amount: t.amount,
        fee: t.fee,
        nonce: t.nonce,
    }
}

fn current_thread() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Node(args) => {
            let config = args.into_config()?;
            rumor_node::ops::logging::init(config.log_format);
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(config.runtime_threads.max(1))
                .max_blocking_threads(config.blocking_threads.max(1))
                .enable_all()
                .build()?;
            rt.block_on(rumor_node::run(config, shutdown_signal(), |_| {}))?;
            // Don't wait for detached blocking work; everything durable is committed.
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
        }
        Command::Tx { command } => {
            let (TxCommand::Sign { transfer: args, .. } | TxCommand::Send { transfer: args, .. }) =
                &command;
            if let Some(mode) = rumor_chain::Keypair::loose_permissions(&args.key) {
                anyhow::bail!(
                    "{} is readable or writable by other users (mode {mode:o}); run `chmod 600` on it",
                    args.key.display()
                );
            }
            match command {
                TxCommand::Sign { transfer: t, rpc } => {
                    let tx = current_thread()?.block_on(rumor_node::ops::wallet::sign(
                        &t.key,
                        &transfer(&t),
                        rpc.as_deref(),
                    ))?;
                    println!("{}", hex::encode(tx.encode()));
                }
                TxCommand::Send { transfer: t, rpc } => {
                    let hash = current_thread()?.block_on(async {
                        let tx = rumor_node::ops::wallet::sign(&t.key, &transfer(&t), Some(&rpc))
                            .await?;
                        rumor_node::ops::wallet::send(&tx, &rpc).await
                    })?;
                    println!("{hash}");
                }
            }
        }
        Command::Key {
            command: KeyCommand::Import { from, out },
        } => {
            let key = rumor_node::ops::setup::import_key(&from, &out)?;
            println!("address: {}", key.address());
            println!("key file: {}", out.display());
        }
        Command::Health { rpc, timeout_ms } => {
            let timeout = std::time::Duration::from_millis(timeout_ms);
            let head = current_thread()?.block_on(rumor_node::ops::health::check(&rpc, timeout))?;
            println!(
                "height {} slot {} head {}",
                head.height, head.slot, head.hash
            );
        }
        Command::Keygen { out } => {
            let key = rumor_node::ops::setup::keygen(out.as_deref())?;
            println!("address: {}", key.address());
            println!(
                "peer id: {}",
                rumor_p2p::identity_from_key(&key).public().to_peer_id()
            );
            if let Some(out) = out {
                println!("key file: {}", out.display());
            }
        }
        Command::Genesis {
            command:
                GenesisCommand::New {
                    authorities,
                    accounts,
                    out,
                    chain_id,
                    slot_ms,
                    balance,
                    genesis_time_ms,
                    seed,
                },
        } => {
            let files = rumor_node::ops::setup::new_genesis(&rumor_node::ops::setup::NewGenesis {
                authorities,
                accounts,
                out,
                chain_id,
                slot_ms,
                balance,
                // The operator's clock (a new genesis starts now), not a running node's.
                genesis_time_ms: genesis_time_ms
                    .unwrap_or_else(|| rumor_chain::clock::Clock::system().now_ms()),
                seed,
            })?;
            println!("network: {}", files.network_id);
            println!("genesis: {}", files.genesis.display());
            println!(
                "keys: {} authority, {} account",
                files.authority_keys.len(),
                files.account_keys.len()
            );
        }
    }
    Ok(())
}

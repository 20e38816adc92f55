//! `rumor`: parses arguments and calls into the `rumor_node` library.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

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

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line naming the file or flag at fault: our errors already carry their cause.
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Keygen { out } => {
            let key = rumor_node::setup::keygen(out.as_deref())?;
            println!("address: {}", key.address());
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
            let files = rumor_node::setup::new_genesis(&rumor_node::setup::NewGenesis {
                authorities,
                accounts,
                out,
                chain_id,
                slot_ms,
                balance,
                genesis_time_ms: genesis_time_ms.unwrap_or_else(now_ms),
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

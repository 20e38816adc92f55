//! `rumor-floor --plan <plan.json>`: one bare-gossipsub floor node, driven over stdin/stdout
//! by `rumor-bench` ([`rumor_api::floor`] is the protocol).

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use rumor_api::floor::{Command, FloorPlan};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

#[derive(Debug, Parser)]
#[command(
    name = "rumor-floor",
    version,
    about = "A bare-gossipsub floor node for rumor-bench"
)]
struct Args {
    /// The plan (JSON, `rumor_api::floor::FloorPlan`).
    #[arg(long)]
    plan: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let plan: FloorPlan = serde_json::from_slice(
        &std::fs::read(&args.plan).with_context(|| format!("read {}", args.plan.display()))?,
    )
    .with_context(|| format!("parse {}", args.plan.display()))?;
    // Tokio's default runtime (one worker per core), as a minimal node is written
    // (`#[tokio::main]`): a smaller runtime per node is one of Rumor's own choices.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(plan))
}

async fn serve(plan: FloorPlan) -> anyhow::Result<()> {
    let out = plan.out_dir.join(rumor_api::layout::TRACE);
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let (reply_tx, mut reply_rx) = mpsc::channel(16);
    let stdin = tokio::spawn(async move {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match serde_json::from_str::<Command>(&line) {
                Ok(c) => {
                    if cmd_tx.send(c).await.is_err() {
                        break;
                    }
                }
                Err(e) => eprintln!("rumor-floor: ignoring {line:?}: {e}"),
            }
        }
        // Dropping `cmd_tx` (EOF) ends the node.
    });
    let stdout = tokio::spawn(async move {
        let mut out = tokio::io::stdout();
        while let Some(r) = reply_rx.recv().await {
            let mut line = serde_json::to_vec(&r).unwrap_or_default();
            line.push(b'\n');
            if out.write_all(&line).await.is_err() || out.flush().await.is_err() {
                break;
            }
        }
    });
    let lines = rumor_floor::run(plan, cmd_rx, reply_tx).await?;
    stdin.abort();
    let _ = stdout.await;
    let mut text = String::with_capacity(lines.len() * 160);
    for l in &lines {
        text.push_str(&serde_json::to_string(l)?);
        text.push('\n');
    }
    std::fs::write(&out, text).with_context(|| format!("write {}", out.display()))?;
    Ok(())
}

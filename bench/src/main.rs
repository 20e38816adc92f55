//! `rumor-bench`: parses arguments and runs the benchmark scenarios of the `rumor-bench`
//! library over local testnets (the `rumor-testnet` library).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use rumor_bench::{self as bench, Scenario};
use rumor_testnet::process;

/// Run benchmark scenarios: JSON results in --out, one row per figure appended to
/// BENCHMARKS.md.
#[derive(Parser)]
#[command(name = "rumor-bench", version)]
struct BenchArgs {
    /// No progress bars (they are also hidden when stderr is not a terminal).
    #[arg(long)]
    quiet: bool,
    /// `all`, or one or more (comma-separated) of: verify-ceiling, ingest, relay,
    /// floor, propagation-loopback, propagation-wan, flood-baseline, scale, memory, partition,
    /// churn, in-process, blocks, idle; and soak (an hour: not part of `all`).
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Repetitions per scenario; figures are medians over them.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Directory for the JSON results.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// The Markdown file rows are appended to (created if missing).
    #[arg(long, default_value = "BENCHMARKS.md")]
    benchmarks_md: PathBuf,
    /// Where the benchmark testnets are created.
    #[arg(long, default_value = "testnet-runs/bench")]
    work_dir: PathBuf,
    /// Keep every testnet directory (default: delete those of successful runs).
    #[arg(long)]
    keep: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The node binary [default: `rumor` next to this executable]
    #[arg(long)]
    rumor: Option<PathBuf>,
    /// `scale`: network sizes go step, 2 × step, … up to this.
    #[arg(long, default_value_t = 500)]
    scale_max_nodes: usize,
    #[arg(long, default_value_t = 10)]
    scale_step: usize,
    /// `soak`: how long the load runs (`1h`, `5m`, `90s`); soak runs once whatever --runs says.
    #[arg(long, default_value = "1h", value_parser = rumor_testnet::util::timefmt::parse_duration)]
    soak_duration: std::time::Duration,
}

fn main() -> ExitCode {
    let args = BenchArgs::parse();
    let quiet = args.quiet;
    rumor_testnet::util::shutdown::run_command(bench_command(args, quiet))
}

async fn bench_command(a: BenchArgs, quiet: bool) -> anyhow::Result<()> {
    let scenarios = Scenario::parse_list(&a.scenario).map_err(anyhow::Error::msg)?;
    // verify-ceiling alone starts no node, so it runs without a node binary.
    let needs_node = scenarios.iter().any(|s| *s != Scenario::VerifyCeiling);
    let rumor = match (process::locate_rumor(a.rumor.as_deref()), needs_node) {
        (Ok(p), _) => p,
        (Err(e), true) => return Err(e.into()),
        (Err(_), false) => PathBuf::from("rumor"),
    };
    let opts = bench::BenchOptions {
        scenarios,
        runs: a.runs,
        out: a.out,
        document: a.benchmarks_md,
        work: a.work_dir,
        rumor,
        keep: a.keep,
        quiet,
        seed: a.seed,
        scale: bench::scenarios::scale::Params {
            first: a.scale_step.max(1),
            step: a.scale_step.max(1),
            max: a.scale_max_nodes,
            ..Default::default()
        },
        soak_duration: a.soak_duration,
    };
    let env = bench::Env::detect(&opts);
    for &sc in &opts.scenarios {
        let done = bench::run_scenario(&opts, &env, sc)
            .await
            .with_context(|| format!("bench {}", sc.name()))?;
        println!("{}Result: {}\n", done.summary, done.file.display());
    }
    println!("Rows appended to {}", opts.document.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::BenchArgs;

    /// Every default parses (a default its own parser refuses stops the tool before it starts).
    #[test]
    fn the_defaults_parse() {
        let a = BenchArgs::try_parse_from(["rumor-bench"]).expect("defaults parse");
        assert_eq!(a.soak_duration, std::time::Duration::from_secs(3600));
        assert_eq!(a.runs, 3);
    }
}

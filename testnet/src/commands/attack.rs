//! `attack`: the clean run, then one run per scenario with the hostile peer, each a fresh
//! testnet of the same size, seed and load under `<dir>/<scenario>/`; the table goes to
//! `<dir>/attack.json` and `<dir>/attack.md`.

use std::path::PathBuf;

use rumor_attack::Scenario;
use serde::{Deserialize, Serialize};

use super::run::{RunOptions, run};
use crate::attack::table::{self, Row};
use crate::attack::{AttackLog, AttackPlan};
use crate::error::Result;
use rumor_report::fsutil;
use rumor_report::model::Report;

#[derive(Debug, Clone)]
pub struct AttackOptions {
    /// The testnet and load of every run; `up.dir` is the parent of the runs' directories.
    pub base: RunOptions,
    pub scenarios: Vec<Scenario>,
    /// The attacker's moves per second.
    pub rate: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttackTable {
    pub params: String,
    pub rows: Vec<Row>,
}

#[derive(Debug)]
pub struct AttackOutcome {
    pub table: AttackTable,
    pub text: String,
    pub files: Vec<PathBuf>,
}

/// One run in `<dir>/<name>`: a fresh testnet under the base load, with `scenario`'s attacker
/// (`None`: clean, still polled as an attack run is); its report and attack log.
async fn one_run(
    opts: &AttackOptions,
    name: &str,
    scenario: Option<Scenario>,
) -> Result<(Report, Option<AttackLog>)> {
    let mut o = opts.base.clone();
    o.up.dir = opts.base.up.dir.join(name);
    if let Some(min) = scenario.and_then(Scenario::min_duration) {
        o.load.duration = o.load.duration.max(min);
    }
    o.attack = Some(AttackPlan {
        scenario,
        rate: opts.rate,
        seed: opts.base.up.seed,
    });
    let report = run(&o).await?.report;
    let log = report.convergence.as_ref().and_then(|c| c.attack.clone());
    Ok((report, log))
}

async fn clean_run(opts: &AttackOptions, name: &str, cores: usize) -> Result<Row> {
    let (report, log) = one_run(opts, name, None).await?;
    let mut row = table::row(&report, log.as_ref(), None, cores);
    // Its attack log only records the polling; the row is a clean one.
    row.scenario = name.to_owned();
    Ok(row)
}

pub async fn attack(opts: &AttackOptions) -> Result<AttackOutcome> {
    let root = opts.base.up.dir.clone();
    fsutil::create_dir_all(&root)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let params = format!(
        "{} nodes ({} producers), {} ms slots, load {:.0} tx/s for {:.0} s, seed {}, attacker {} moves/s; \
         one fresh testnet per run on this machine ({cores} cores); p99 ÷ clean divides by the \
         worse of the two clean runs (first and last); old-block-replay runs at least 90 s, so \
         blocks older than the nodes' 60 s gossip duplicate cache exist to replay; equivocation \
         signs with the last authority's key, taken from its node's data directory",
        opts.base.up.nodes,
        opts.base.up.producers,
        opts.base.up.slot_ms,
        opts.base.load.tps,
        opts.base.load.duration.as_secs_f64(),
        opts.base.up.seed,
        opts.rate,
    );
    // Two clean runs, first and last: their spread is the run-to-run noise, and the worse
    // of the two is the baseline each attack's p99 is divided by.
    let mut scenario_rows = Vec::new();
    let clean_first = clean_run(opts, "clean", cores).await?;
    let mut clean_p99 = clean_first.p99_ms;
    for &scenario in &opts.scenarios {
        scenario_rows.push(one_run(opts, scenario.name(), Some(scenario)).await?);
        if !opts.base.quiet {
            eprintln!("{scenario}: done");
        }
    }
    let clean_last = clean_run(opts, "clean-again", cores).await?;
    if let Some(p) = clean_last.p99_ms {
        clean_p99 = Some(clean_p99.map_or(p, |c| c.max(p)));
    }
    let mut rows = vec![clean_first];
    rows.extend(
        scenario_rows
            .iter()
            .map(|(r, log)| table::row(r, log.as_ref(), clean_p99, cores)),
    );
    rows.push(clean_last);
    let t = AttackTable { params, rows };
    let json = root.join("attack.json");
    let md = root.join("attack.md");
    fsutil::write_json_atomic(&json, &t)?;
    fsutil::write_atomic(&md, table::markdown(&t.rows, &t.params).as_bytes())?;
    Ok(AttackOutcome {
        text: format!("{}\n{}", t.params, table::text(&t.rows)),
        table: t,
        files: vec![json, md],
    })
}

//! `attack`: the clean run, then one run per scenario with the hostile peer, each a fresh
//! testnet of the same size, seed and load under `<dir>/<scenario>/`; the table goes to
//! `<dir>/attack.json` and `<dir>/attack.md`.

use std::path::PathBuf;

use rumor_attack::Scenario;
use serde::{Deserialize, Serialize};

use super::run::{RunOptions, run};
use crate::attack::AttackPlan;
use crate::attack::table::{self, Row};
use crate::error::Result;
use crate::fsutil;

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

pub async fn attack(opts: &AttackOptions) -> Result<AttackOutcome> {
    let root = opts.base.up.dir.clone();
    fsutil::create_dir_all(&root)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let params = format!(
        "{} nodes ({} producers), {} ms slots, load {:.0} tx/s for {:.0} s, seed {}, attacker {} moves/s; \
         one fresh testnet per run on this machine ({cores} cores)",
        opts.base.up.nodes,
        opts.base.up.producers,
        opts.base.up.slot_ms,
        opts.base.load.tps,
        opts.base.load.duration.as_secs_f64(),
        opts.base.up.seed,
        opts.rate,
    );
    let mut rows = Vec::new();
    let mut clean = opts.base.clone();
    clean.up.dir = root.join("clean");
    let measured = run(&clean).await?;
    let clean_row = table::row(&measured.report, None, None, cores);
    let clean_p99 = clean_row.p99_ms;
    rows.push(clean_row);
    for &scenario in &opts.scenarios {
        let mut o = opts.base.clone();
        o.up.dir = root.join(scenario.name());
        o.attack = Some(AttackPlan {
            scenario,
            rate: opts.rate,
            seed: opts.base.up.seed,
        });
        let measured = run(&o).await?;
        let log = measured
            .report
            .convergence
            .as_ref()
            .and_then(|c| c.attack.clone());
        rows.push(table::row(&measured.report, log.as_ref(), clean_p99, cores));
        if !o.quiet {
            eprintln!("{}", table::text(&rows));
        }
    }
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

//! `BENCHMARKS.md`: created on first use, then only ever appended to. Each scenario section
//! has a marker comment right above its table; rows go after the last line of the table that
//! follows the marker, so editing the prose around a table (or reordering sections) never
//! confuses the tool. A missing section is added back before the micro-benchmarks.

use std::path::Path;

use crate::error::{Result, io};
use crate::machine::Machine;
use crate::record::rows::{HEADER, SEPARATOR};
use crate::scenario::Scenario;

const MICRO_HEADING: &str = "## Micro-benchmarks";

pub fn marker(scenario: &str) -> String {
    format!("<!-- bench:{scenario} (rows below are appended by rumor-bench) -->")
}

/// The whole file as first written.
pub fn new_document(machine: &Machine) -> String {
    let mut s = String::from(INTRO);
    s.push_str(&format!(
        "\n## Machine\n\nFirst written on: {}. Every row names its commit, and every JSON result in \
         `bench/results/` records the machine it ran on (cores, memory, CPU model).\n",
        machine.describe()
    ));
    s.push_str(READING);
    for sc in Scenario::ALL {
        s.push('\n');
        s.push_str(&section(sc));
    }
    s.push('\n');
    s.push_str(MICRO);
    s
}

/// One scenario's section: heading, what and how, run time, marker, empty table.
pub fn section(sc: Scenario) -> String {
    let spec = crate::scenarios::spec(sc);
    format!(
        "## {} (`{}`)\n\n{}\n\nRun time: {}\n\n{}\n{HEADER}\n{SEPARATOR}\n",
        spec.title,
        sc.name(),
        spec.about,
        spec.run_time,
        marker(sc.name())
    )
}

/// Appends `rows` to `scenario`'s table in `doc`, adding the section (`section_text`) if the
/// marker is gone.
pub fn append_rows(doc: &str, scenario: &str, section_text: &str, rows: &[String]) -> String {
    let mark = marker(scenario);
    let mut lines: Vec<String> = doc.lines().map(str::to_string).collect();
    let at = match lines.iter().position(|l| l.trim() == mark) {
        Some(i) => i,
        None => {
            let insert_at = lines
                .iter()
                .position(|l| l.trim() == MICRO_HEADING)
                .unwrap_or(lines.len());
            let mut new: Vec<String> = section_text.lines().map(str::to_string).collect();
            new.push(String::new());
            let offset = new
                .iter()
                .position(|l| l.trim() == mark)
                .expect("a section contains its marker");
            lines.splice(insert_at..insert_at, new);
            insert_at + offset
        }
    };
    let mut end = at + 1;
    while end < lines.len() && lines[end].trim_start().starts_with('|') {
        end += 1;
    }
    if end == at + 1 {
        // Someone deleted the table header: put it back.
        lines.splice(end..end, [HEADER.to_string(), SEPARATOR.to_string()]);
        end += 2;
    }
    lines.splice(end..end, rows.iter().cloned());
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Creates `path` if needed and appends `rows` to the scenario's table.
pub fn append_to_file(path: &Path, machine: &Machine, sc: Scenario, rows: &[String]) -> Result<()> {
    let doc = match std::fs::read_to_string(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => new_document(machine),
        Err(e) => return Err(io(path)(e)),
    };
    let updated = append_rows(&doc, sc.name(), &section(sc), rows);
    Ok(rumor_report::fsutil::write_atomic(
        path,
        updated.as_bytes(),
    )?)
}

const INTRO: &str = "# Rumor benchmarks

What a Rumor node and network sustain on one machine, measured by `rumor-bench`. Each
section below is one scenario; each run of the tool appends one row per figure to its table and
writes the full result (every run's values, parameters, commit, machine) as JSON to
`bench/results/<scenario>-<UTC time>.json`.

## Reproduce

One command, from the workspace root:

```sh
cargo build --release -p rumor-node -p rumor-floor -p rumor-bench && target/release/rumor-bench --scenario all
```

`--scenario NAME` runs one scenario (names are in the headings; a comma-separated list works
too), `--runs N` repeats each (default 3), `--out DIR` puts the JSON elsewhere (default
`bench/results`), `--keep` keeps the testnet directories (`testnet-runs/bench/`) instead of
deleting those of successful runs, `--scale-step` / `--scale-max-nodes` bound the `scale` ramp.
`rumor-bench --help` lists the rest. Run nothing else on the machine meanwhile: the
nodes, the load generator and the analysis share its cores.
";

const READING: &str = "
## How to read the tables

- **measured** is the median of the runs, with min–max in parentheses; a figure whose max/min
  exceeds 1.5 is flagged *noisy* in the notes.
- **ratio** is measured / goal, with the direction stated: for a `≥` goal a ratio ≥ 1 meets it,
  for a `≤` goal a ratio ≤ 1 does. A missed goal says by how much (\"57% short\", \"30% over\").
  Figures marked *context* have no goal; the flooding baseline is set beside the mesh instead.
- **run time** is the wall time of the whole scenario: every run, with set-up and tear-down.
- The load generator runs on the same cores as the nodes; where that matters the scenario
  reports its CPU use too.
";

const MICRO: &str = "## Micro-benchmarks

Criterion benches of the libraries (`cargo bench -p rumor-chain`, `cargo bench -p rumor-mempool`,
`cargo bench -p rumor-p2p`); raw output goes to `bench/results/<crate>-criterion.txt`. Filled in
by hand.

| crate | benchmark | result | date | commit | notes |
|---|---|---|---|---|---|
| rumor-chain | tx/raw verify_strict | see `bench/results/chain-criterion.txt` | | | |
| rumor-chain | tx/decode+verify (node path) | | | | |
| rumor-chain | block import (1000 txs, redb) | | | | |
| rumor-mempool | | | | | |
| rumor-p2p | seen-cache | | | | |
";

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Machine {
        Machine {
            cores: 2,
            memory_mib: 2048,
            cpu_model: "X".into(),
        }
    }

    #[test]
    fn new_document_has_every_section_once() {
        let doc = new_document(&machine());
        for sc in Scenario::ALL {
            assert_eq!(doc.matches(&marker(sc.name())).count(), 1, "{}", sc.name());
        }
        assert!(doc.contains("cargo build --release -p rumor-node -p rumor-floor -p rumor-bench && target/release/rumor-bench --scenario all"));
        assert!(doc.contains("2 cores, 2.0 GiB, X"));
        assert!(doc.contains(MICRO_HEADING));
    }

    #[test]
    fn rows_go_after_the_table_of_their_section_only() {
        let doc = new_document(&machine());
        let once = append_rows(
            &doc,
            "ingest",
            &section(Scenario::Ingest),
            &["| r1 |".into()],
        );
        let twice = append_rows(
            &once,
            "ingest",
            &section(Scenario::Ingest),
            &["| r2 |".into(), "| r3 |".into()],
        );
        let lines: Vec<&str> = twice.lines().collect();
        let m = lines.iter().position(|l| *l == marker("ingest")).unwrap();
        assert_eq!(lines[m + 1], HEADER);
        assert_eq!(lines[m + 2], SEPARATOR);
        assert_eq!(&lines[m + 3..m + 6], &["| r1 |", "| r2 |", "| r3 |"]);
        assert!(!lines[m + 6].starts_with('|'));
        // Other sections untouched.
        let relay = lines.iter().position(|l| *l == marker("relay")).unwrap();
        assert!(!lines[relay + 3].starts_with('|'));
        assert_eq!(twice.len(), doc.len() + "| r1 |\n| r2 |\n| r3 |\n".len());
    }

    #[test]
    fn lost_sections_and_headers_come_back() {
        let doc = "# Bench\n\nprose\n\n## Micro-benchmarks\n\n| a |\n";
        let out = append_rows(doc, "relay", &section(Scenario::Relay), &["| r |".into()]);
        let relay_at = out.find(&marker("relay")).unwrap();
        assert!(relay_at < out.find(MICRO_HEADING).unwrap(), "{out}");
        assert!(out.contains(&format!(
            "{}\n{HEADER}\n{SEPARATOR}\n| r |\n",
            marker("relay")
        )));
        // A marker with its table deleted gets the header back.
        let bare = format!("x\n{}\n\ny\n", marker("scale"));
        let out = append_rows(&bare, "scale", &section(Scenario::Scale), &["| r |".into()]);
        assert!(out.contains(&format!(
            "{}\n{HEADER}\n{SEPARATOR}\n| r |\n\ny\n",
            marker("scale")
        )));
    }

    #[test]
    fn file_is_created_then_appended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("BENCHMARKS.md");
        append_to_file(&path, &machine(), Scenario::Memory, &["| m1 |".into()]).unwrap();
        append_to_file(&path, &machine(), Scenario::Memory, &["| m2 |".into()]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&format!("{SEPARATOR}\n| m1 |\n| m2 |\n")));
        assert_eq!(text.matches("# Rumor benchmarks").count(), 1);
    }
}

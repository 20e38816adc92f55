//! `cargo run -p rumor-layout [ROOT]`: prints each crate's lines, exported modules, import
//! loops and files over the limit (the figures issue notes quote).

use std::path::PathBuf;

fn main() -> Result<(), rumor_layout::LayoutError> {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."));
    // One crate (a directory with `src/lib.rs`) or the whole workspace.
    let crates = if root.join("src/lib.rs").exists() {
        vec![root.clone()]
    } else {
        rumor_layout::members(&root)?
    };
    let mut total = 0;
    println!("| crate | lines | largest file | pub mods | loops |");
    println!("|---|---:|---|---:|---|");
    let mut notes = Vec::new();
    for dir in crates {
        if rumor_layout::vendored(&dir) {
            continue;
        }
        let c = rumor_layout::measure(&dir)?;
        total += c.lines();
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let largest = c
            .files
            .first()
            .map(|(p, n)| format!("{} ({n})", p.display()))
            .unwrap_or_default();
        println!(
            "| {name} | {} | {largest} | {} | {} |",
            c.lines(),
            c.pub_mods,
            c.loops.len()
        );
        for l in &c.loops {
            let files: Vec<String> = l.iter().map(|p| p.display().to_string()).collect();
            notes.push(format!("loop in {name}: {}", files.join(" ↔ ")));
        }
        for (p, n) in c.long_files() {
            notes.push(format!(
                "over {} lines: {name}/{} ({n})",
                rumor_layout::MAX_FILE_LINES,
                p.display()
            ));
        }
    }
    println!("| total | {total} | | | |");
    for n in notes {
        println!("{n}");
    }
    Ok(())
}

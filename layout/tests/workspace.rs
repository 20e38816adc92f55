//! Holds the workspace to its shape (issue #28): no import loop between a crate's files, no
//! source file over the line limit, no crate root exporting more than a dozen modules.

use std::path::Path;

use rumor_layout::{MAX_FILE_LINES, MAX_PUB_MODS, measure, members};

#[test]
fn the_workspace_keeps_its_shape() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut problems = Vec::new();
    let crates = members(&root).expect("workspace members");
    assert!(
        crates.len() >= 10,
        "members not read from Cargo.toml: {crates:?}"
    );
    for dir in crates {
        if rumor_layout::vendored(&dir) {
            continue;
        }
        let c = measure(&dir).expect("crate measured");
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        for l in &c.loops {
            problems.push(format!("{name}: import loop {l:?}"));
        }
        for (p, n) in c.long_files() {
            problems.push(format!(
                "{name}/{}: {n} lines > {MAX_FILE_LINES}",
                p.display()
            ));
        }
        if c.pub_mods > MAX_PUB_MODS {
            problems.push(format!(
                "{name}/src/lib.rs exports {} modules > {MAX_PUB_MODS}",
                c.pub_mods
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the workspace's shape:\n{}",
        problems.join("\n")
    );
}

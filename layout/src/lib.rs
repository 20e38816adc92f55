//! The workspace's shape, measured: per crate, its import loops (files that use each other,
//! directly or around a cycle), its source files over [`MAX_FILE_LINES`], the modules its
//! `lib.rs` exports, and its line count. `tests/workspace.rs` holds the workspace to the
//! limits; `cargo run -p rumor-layout` prints the figures.
//!
//! Why these limits: a file that uses nothing that uses it back can be read and tested alone;
//! a 600-line file and a crate root exporting more than a dozen modules were, in this project,
//! where unrelated concerns had piled up (issue #28).

mod error;
mod graph;
mod refs;
mod tree;

use std::path::{Path, PathBuf};

pub use error::LayoutError;
pub use tree::test_only;

/// No source file (src, tests, benches, examples) may be longer.
pub const MAX_FILE_LINES: usize = 600;
/// No crate root may export more modules.
pub const MAX_PUB_MODS: usize = 12;

/// One crate's figures.
#[derive(Debug)]
pub struct CrateLayout {
    pub dir: PathBuf,
    /// Each loop's files, relative to the crate dir.
    pub loops: Vec<Vec<PathBuf>>,
    /// `(file, lines)` for every `.rs` file of the crate, longest first.
    pub files: Vec<(PathBuf, usize)>,
    /// `pub mod` items of `src/lib.rs` (test-only ones excluded).
    pub pub_mods: usize,
}

impl CrateLayout {
    pub fn lines(&self) -> usize {
        self.files.iter().map(|(_, n)| n).sum()
    }

    pub fn long_files(&self) -> impl Iterator<Item = &(PathBuf, usize)> {
        self.files.iter().filter(|(_, n)| *n > MAX_FILE_LINES)
    }
}

/// Measures the crate in `dir` (a directory with `Cargo.toml` and `src/`).
pub fn measure(dir: &Path) -> Result<CrateLayout, LayoutError> {
    let mut files = Vec::new();
    rust_files(dir, &mut files)?;
    let mut files: Vec<(PathBuf, usize)> = files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| LayoutError::Read(p.clone(), e))?;
            let rel = p.strip_prefix(dir).unwrap_or(&p).to_path_buf();
            Ok((rel, text.lines().count()))
        })
        .collect::<Result<_, LayoutError>>()?;
    files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let (loops, pub_mods) = match tree::ModuleTree::read(dir)? {
        None => (Vec::new(), 0),
        Some(t) => {
            let edges = refs::edges(&t);
            let loops = graph::loops(t.files.len(), &edges)
                .into_iter()
                .map(|c| {
                    c.into_iter()
                        .map(|i| {
                            t.files[i]
                                .path
                                .strip_prefix(dir)
                                .unwrap_or(&t.files[i].path)
                                .into()
                        })
                        .collect()
                })
                .collect();
            let root = &t.files[0].syntax.items;
            let pub_mods = root
                .iter()
                .filter(|i| {
                    matches!(i, syn::Item::Mod(m)
                    if !matches!(m.vis, syn::Visibility::Inherited) && !test_only(&m.attrs))
                })
                .count();
            (loops, pub_mods)
        }
    };
    Ok(CrateLayout {
        dir: dir.into(),
        loops,
        files,
        pub_mods,
    })
}

/// Whether the crate in `dir` is a library carried from upstream (its package is not named
/// `rumor-*`): it keeps upstream's layout, so the shape limits do not apply to it.
pub fn vendored(dir: &Path) -> bool {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(manifest).unwrap_or_default();
    !text
        .lines()
        .any(|l| l.trim().starts_with("name = \"rumor-"))
}

/// The workspace members listed in the root `Cargo.toml` (`members = [..]`).
pub fn members(root: &Path) -> Result<Vec<PathBuf>, LayoutError> {
    let manifest = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| LayoutError::Read(manifest, e))?;
    let list = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("members"))
        .unwrap_or_default();
    Ok(list
        .split('"')
        .skip(1)
        .step_by(2)
        .map(|m| root.join(m))
        .collect())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LayoutError> {
    let entries = std::fs::read_dir(dir).map_err(|e| LayoutError::Read(dir.into(), e))?;
    for e in entries {
        let e = e.map_err(|e| LayoutError::Read(dir.into(), e))?;
        let p = e.path();
        let name = e.file_name();
        if p.is_dir() {
            // Build output, and cargo-fuzz's separate project with its generated corpora.
            if name != "target" && name != "corpus" && name != "artifacts" {
                rust_files(&p, out)?;
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    Ok(())
}

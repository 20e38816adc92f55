//! A crate's module tree, read the way rustc reads it: from `src/lib.rs` through every
//! `mod name;` declaration to `name.rs` or `name/mod.rs`. Test-only modules (`#[cfg(test)]`,
//! `#[cfg(any(test, feature = "test-utils"))]`) are left out: the checks are about what the
//! crate ships, and a test module that reaches into its parent is not a loop anyone pays for.
//!
//! Invariant: each file appears once, under the module path rustc gives it; inline modules
//! (`mod x { .. }`) belong to the file they are written in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use syn::{Attribute, Item};

use crate::error::LayoutError;

/// A module path inside one crate (`[]` is the crate root).
pub type ModPath = Vec<String>;

/// One source file of the crate and the module path rustc gives it.
pub struct SourceFile {
    pub path: PathBuf,
    pub module: ModPath,
    pub syntax: syn::File,
}

/// Every shipped source file of a crate, by module path (inline modules map to their file).
#[derive(Default)]
pub struct ModuleTree {
    pub files: Vec<SourceFile>,
    /// Module path (file or inline module) → index into `files`.
    pub modules: BTreeMap<ModPath, usize>,
}

impl ModuleTree {
    /// Reads the tree rooted at `src/lib.rs` of `crate_dir`; `None` for a crate without a lib.
    pub fn read(crate_dir: &Path) -> Result<Option<Self>, LayoutError> {
        let root = crate_dir.join("src/lib.rs");
        if !root.exists() {
            return Ok(None);
        }
        let mut tree = Self::default();
        tree.add_file(&root, Vec::new(), crate_dir.join("src"))?;
        Ok(Some(tree))
    }

    /// The file a module path belongs to: the longest prefix that names a module.
    pub fn file_of(&self, path: &[String]) -> Option<(usize, usize)> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.modules.get(&path[..n]).map(|&f| (f, n)))
    }

    fn add_file(&mut self, path: &Path, module: ModPath, dir: PathBuf) -> Result<(), LayoutError> {
        let text = std::fs::read_to_string(path).map_err(|e| LayoutError::Read(path.into(), e))?;
        let syntax = syn::parse_file(&text).map_err(|e| LayoutError::Parse(path.into(), e))?;
        let index = self.files.len();
        self.modules.insert(module.clone(), index);
        let items = syntax.items.clone();
        self.files.push(SourceFile {
            path: path.into(),
            module: module.clone(),
            syntax,
        });
        self.add_items(&items, &module, &dir, index)
    }

    fn add_items(
        &mut self,
        items: &[Item],
        module: &ModPath,
        dir: &Path,
        file: usize,
    ) -> Result<(), LayoutError> {
        for item in items {
            let Item::Mod(m) = item else { continue };
            if test_only(&m.attrs) {
                continue;
            }
            let mut child = module.clone();
            child.push(m.ident.to_string());
            let child_dir = dir.join(m.ident.to_string());
            match &m.content {
                Some((_, inner)) => {
                    self.modules.insert(child.clone(), file);
                    self.add_items(inner, &child, &child_dir, file)?;
                }
                None => {
                    let flat = dir.join(format!("{}.rs", m.ident));
                    let nested = child_dir.join("mod.rs");
                    let found = if flat.exists() { flat } else { nested };
                    self.add_file(&found, child, child_dir)?;
                }
            }
        }
        Ok(())
    }
}

/// Whether an item is compiled only for tests: a `cfg` that names `test` outside a `not(..)`.
pub fn test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("cfg")).any(|a| {
        let tokens = a
            .meta
            .require_list()
            .map(|l| l.tokens.to_string())
            .unwrap_or_default();
        !tokens.contains("not") && (tokens == "test" || tokens.contains("test"))
    })
}

//! Which files of a crate each file uses: every `use` tree and every path in the code
//! (`crate::a::b`, `super::x`, `self::y`, `child::z`), resolved to the file that defines it.
//! A name re-exported by `pub use` resolves to where it is defined, so a child reaching a
//! sibling's type through its parent's re-export depends on the sibling, not on the parent;
//! the re-export itself is an edge from the re-exporting file.
//!
//! Invariant: only paths that start with `crate`, `super`, `self` or a child module's name are
//! followed; anything else is another crate, a local name or a prelude item. Paths inside macro
//! invocations are not seen (their tokens are not parsed); test-only items are skipped.

use std::collections::{BTreeMap, BTreeSet};

use syn::visit::Visit;
use syn::{Item, UseTree};

use crate::tree::{ModPath, ModuleTree, test_only};

/// Resolution gives up after this many re-export hops (a re-export cycle does not compile, so
/// any real chain is short).
const MAX_HOPS: usize = 8;

/// A path as written, with the module it was written in.
#[derive(Debug, Clone)]
struct Written {
    module: ModPath,
    segments: Vec<String>,
}

#[derive(Debug, Default)]
struct Collected {
    /// (file, path as written) for every use and every code path.
    uses: Vec<(usize, Written)>,
    /// (module, exported name) → the path it re-exports.
    reexports: BTreeMap<(ModPath, String), Written>,
}

/// Edges `file → files it uses`, by index into `tree.files`.
pub fn edges(tree: &ModuleTree) -> BTreeMap<usize, BTreeSet<usize>> {
    let mut c = Collected::default();
    for (i, f) in tree.files.iter().enumerate() {
        let mut v = Visitor {
            file: i,
            module: f.module.clone(),
            out: &mut c,
        };
        for item in &f.syntax.items {
            v.item(item);
        }
    }
    let mut out: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (file, w) in &c.uses {
        if let Some(target) = resolve(tree, &c, w, 0)
            && target != *file
        {
            out.entry(*file).or_default().insert(target);
        }
    }
    out
}

/// The absolute module path a written path starts from, or `None` for another crate's path.
fn absolute(tree: &ModuleTree, w: &Written) -> Option<ModPath> {
    let mut segs = w.segments.iter().peekable();
    let mut base = w.module.clone();
    match segs.peek()?.as_str() {
        "crate" => {
            segs.next();
            base.clear();
        }
        "self" => {
            segs.next();
        }
        "super" => {
            while segs.peek().map(|s| s.as_str()) == Some("super") {
                segs.next();
                base.pop()?;
            }
        }
        first => {
            let mut child = base.clone();
            child.push(first.to_string());
            if !tree.modules.contains_key(&child) {
                return None;
            }
        }
    }
    base.extend(segs.cloned());
    Some(base)
}

fn resolve(tree: &ModuleTree, c: &Collected, w: &Written, hops: usize) -> Option<usize> {
    let abs = absolute(tree, w)?;
    let (file, consumed) = tree.file_of(&abs)?;
    if hops < MAX_HOPS
        && let Some(name) = abs.get(consumed)
        && let Some(target) = c.reexports.get(&(abs[..consumed].to_vec(), name.clone()))
    {
        let mut next = target.clone();
        next.segments.extend(abs[consumed + 1..].iter().cloned());
        if let Some(f) = resolve(tree, c, &next, hops + 1) {
            return Some(f);
        }
    }
    Some(file)
}

struct Visitor<'a> {
    file: usize,
    module: ModPath,
    out: &'a mut Collected,
}

impl Visitor<'_> {
    fn item(&mut self, item: &Item) {
        if test_only(item_attrs(item)) {
            return;
        }
        match item {
            Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    self.module.push(m.ident.to_string());
                    for i in items {
                        self.item(i);
                    }
                    self.module.pop();
                }
            }
            Item::Use(u) => {
                let public = !matches!(u.vis, syn::Visibility::Inherited);
                let mut paths = Vec::new();
                flatten(&u.tree, Vec::new(), &mut paths);
                for (segments, exported) in paths {
                    let w = Written {
                        module: self.module.clone(),
                        segments,
                    };
                    if public && let Some(name) = exported {
                        self.out
                            .reexports
                            .insert((self.module.clone(), name), w.clone());
                    }
                    self.out.uses.push((self.file, w));
                }
            }
            other => self.visit_item(other),
        }
    }
}

impl<'ast> Visit<'ast> for Visitor<'_> {
    fn visit_item(&mut self, i: &'ast Item) {
        match i {
            Item::Mod(_) | Item::Use(_) => self.item(i),
            _ if test_only(item_attrs(i)) => {}
            _ => syn::visit::visit_item(self, i),
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.leading_colon.is_none() && p.segments.len() > 1 {
            let segments = p.segments.iter().map(|s| s.ident.to_string()).collect();
            self.out.uses.push((
                self.file,
                Written {
                    module: self.module.clone(),
                    segments,
                },
            ));
        }
        syn::visit::visit_path(self, p);
    }
}

/// Expands a use tree into full paths, each with the name it binds (`None` for a glob).
fn flatten(tree: &UseTree, prefix: Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
    let with = |s: &syn::Ident| {
        let mut p = prefix.clone();
        p.push(s.to_string());
        p
    };
    match tree {
        UseTree::Path(p) => flatten(&p.tree, with(&p.ident), out),
        UseTree::Name(n) if n.ident == "self" => {
            let name = prefix.last().cloned();
            out.push((prefix, name));
        }
        UseTree::Name(n) => out.push((with(&n.ident), Some(n.ident.to_string()))),
        UseTree::Rename(r) => out.push((with(&r.ident), Some(r.rename.to_string()))),
        UseTree::Glob(_) => out.push((prefix, None)),
        UseTree::Group(g) => {
            for t in &g.items {
                flatten(t, prefix.clone(), out);
            }
        }
    }
}

fn item_attrs(item: &Item) -> &[syn::Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

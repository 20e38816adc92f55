//! The checker on small crates written here: what it must call a loop and what it must not.

use std::path::{Path, PathBuf};

use rumor_layout::measure;

struct Fixture(PathBuf);

impl Fixture {
    fn new(name: &str, files: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("rumor-layout-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Self(dir)
    }

    fn loops(&self) -> Vec<Vec<String>> {
        let c = measure(&self.0).unwrap();
        c.loops
            .iter()
            .map(|l| {
                l.iter()
                    .map(|p: &PathBuf| p.display().to_string())
                    .collect()
            })
            .collect()
    }

    fn dir(&self) -> &Path {
        &self.0
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn grouped_uses_and_code_paths_make_a_loop() {
    let f = Fixture::new(
        "loop",
        &[
            ("src/lib.rs", "pub mod a;\npub mod b;\n"),
            (
                "src/a.rs",
                "use crate::{b::{Thing}, a as _};\npub struct A;\n",
            ),
            (
                "src/b.rs",
                "pub struct Thing;\nfn f() -> crate::a::A { crate::a::A }\n",
            ),
        ],
    );
    assert_eq!(
        f.loops(),
        vec![vec!["src/a.rs".to_string(), "src/b.rs".to_string()]]
    );
}

#[test]
fn a_parent_reexport_is_followed_to_the_sibling() {
    let f = Fixture::new(
        "reexport",
        &[
            ("src/lib.rs", "pub mod blocks;\n"),
            (
                "src/blocks/mod.rs",
                "mod backoff;\nmod gossip;\npub use backoff::Backoff;\npub use gossip::run;\n",
            ),
            ("src/blocks/backoff.rs", "pub struct Backoff;\n"),
            (
                "src/blocks/gossip.rs",
                "use super::Backoff;\npub fn run(_: Backoff) {}\n",
            ),
        ],
    );
    assert!(f.loops().is_empty(), "{:?}", f.loops());
    let c = measure(f.dir()).unwrap();
    assert_eq!(c.pub_mods, 1);
}

#[test]
fn a_child_using_its_parents_own_item_is_a_loop() {
    let f = Fixture::new(
        "parent",
        &[
            ("src/lib.rs", "pub mod blocks;\n"),
            (
                "src/blocks/mod.rs",
                "mod gossip;\npub use gossip::run;\npub const CAP: usize = 1;\n",
            ),
            (
                "src/blocks/gossip.rs",
                "pub fn run() -> usize { super::CAP }\n",
            ),
        ],
    );
    assert_eq!(f.loops().len(), 1);
}

#[test]
fn test_modules_do_not_count() {
    let f = Fixture::new(
        "tests",
        &[
            (
                "src/lib.rs",
                "pub mod a;\npub mod b;\n#[cfg(test)]\nmod testing;\n",
            ),
            (
                "src/a.rs",
                "use crate::b::B;\npub struct A(B);\n#[cfg(test)]\nmod tests { use crate::testing::T; }\n",
            ),
            (
                "src/b.rs",
                "pub struct B;\n#[cfg(any(test, feature = \"test-utils\"))]\npub fn fake() -> crate::a::A { todo!() }\n",
            ),
            ("src/testing.rs", "use crate::a::A;\npub struct T(A);\n"),
        ],
    );
    assert!(f.loops().is_empty(), "{:?}", f.loops());
    let c = measure(f.dir()).unwrap();
    assert_eq!(c.pub_mods, 2);
}

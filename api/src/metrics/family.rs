//! [`Family`]: one metric family's contract (name, sample name, type, labels, help), and the
//! `families!` table macro the family modules declare theirs with. A leaf: the family modules
//! use it, it uses none of them.

/// A family's Prometheus type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    /// The `# TYPE` word.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One metric family: its name, type, label names and help text (its meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// The name as registered, and in OpenMetrics' `# TYPE` line (no `_total`).
    pub name: &'static str,
    /// The name of its samples: `name` + `_total` for a counter, `name` otherwise (a
    /// histogram's samples add `_bucket`, `_sum` and `_count`: see [`Family::is_sample`]).
    pub sample: &'static str,
    pub kind: Kind,
    /// Label names its series carry (none: one unlabelled series).
    pub labels: &'static [&'static str],
    /// The help text the node registers (prometheus-client adds the final `.`).
    pub help: &'static str,
}

impl Family {
    /// Whether a sample named `name` belongs to this family: `sample` exactly, or a
    /// histogram's `_bucket`/`_sum`/`_count`. Never the `_created` samples OpenMetrics adds.
    pub fn is_sample(&self, name: &str) -> bool {
        if name == self.sample {
            return true;
        }
        self.kind == Kind::Histogram
            && name
                .strip_prefix(self.name)
                .is_some_and(|s| matches!(s, "_bucket" | "_sum" | "_count"))
    }

    /// The name without `prefix` and its `_`, as registered in a prefixed sub-registry.
    ///
    /// # Panics
    /// If the family is not under `prefix` (a wrong table: the tests catch it).
    pub fn short(&self, prefix: &str) -> &'static str {
        self.name
            .strip_prefix(prefix)
            .and_then(|s| s.strip_prefix('_'))
            .unwrap_or_else(|| panic!("{} is not under {prefix}_", self.name))
    }
}

/// Declares families as constants plus `ALL`, from rows of
/// `NAME: Kind "name" [labels] "help";`; a counter's sample name gets `_total` here, once.
macro_rules! families {
    ($( $(#[$doc:meta])* $id:ident: $kind:ident $name:literal [$($label:literal),*] $help:literal; )*) => {
        $(
            $(#[$doc])*
            pub const $id: $crate::metrics::family::Family = $crate::metrics::family::Family {
                name: $name,
                sample: $crate::metrics::family::families!(@sample $kind $name),
                kind: $crate::metrics::family::Kind::$kind,
                labels: &[$($label),*],
                help: $help,
            };
        )*
        /// Every family of this module, in registration order.
        pub const ALL: &[$crate::metrics::family::Family] = &[$($id),*];
    };
    (@sample Counter $name:literal) => { concat!($name, "_total") };
    (@sample $kind:ident $name:literal) => { $name };
}
pub(crate) use families;

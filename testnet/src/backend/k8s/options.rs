//! `k8s render`'s options, checked before anything is built: the names become Kubernetes
//! object names and DNS names, so they must be what the API server accepts.

use crate::error::{Error, Result};

/// `k8s render`'s options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct K8sOptions {
    pub nodes: usize,
    pub producers: usize,
    pub seed: u64,
    pub slot_ms: u64,
    pub chain_id: u64,
    /// Genesis-funded accounts (the senders `load` can use).
    pub accounts: usize,
    pub account_balance: u64,
    /// Start of slot 0, ms since the epoch (the render time by default).
    pub genesis_time_ms: u64,
    pub image: String,
    pub namespace: String,
    /// The cluster's DNS domain (`cluster.local` unless the cluster was set up otherwise).
    pub cluster_domain: String,
    /// Each node's data volume (a Kubernetes quantity).
    pub storage: String,
    pub storage_class: Option<String>,
}

/// An RFC 1123 label: 1–63 of `a-z`, `0-9`, `-`, starting and ending alphanumeric (namespace
/// names and each part of a DNS name).
pub fn dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// An RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(dns_label)
}

/// A Kubernetes quantity as a size: digits (with an optional fraction) and an optional
/// binary (`Ki`…`Ei`) or decimal (`k`, `M`…`E`) suffix, e.g. `1Gi`, `500M`.
pub fn quantity(s: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &s[digits.len()..];
    let number_ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    let suffix_ok = matches!(
        suffix,
        "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "k" | "M" | "G" | "T" | "P" | "E"
    );
    number_ok && suffix_ok
}

pub fn check(o: &K8sOptions) -> Result<()> {
    let bad = |m: String| Err(Error::Invalid(m));
    if o.nodes == 0 {
        return bad("--nodes must be at least 1".into());
    }
    if o.producers == 0 || o.producers > o.nodes {
        return bad(format!(
            "--producers must be between 1 and --nodes ({}), got {}",
            o.nodes, o.producers
        ));
    }
    if o.slot_ms == 0 {
        return bad("--slot-ms must be positive".into());
    }
    if o.accounts == 0 {
        return bad("--funded-accounts must be at least 1".into());
    }
    if (o.account_balance as u128) * (o.accounts as u128) > u64::MAX as u128 {
        return bad("--funded-accounts × balance exceeds the u64 supply".into());
    }
    if !dns_label(&o.namespace) {
        return bad(format!(
            "--namespace {:?}: must be a DNS label (lowercase letters, digits and '-', at most 63)",
            o.namespace
        ));
    }
    if !dns_subdomain(&o.cluster_domain) {
        return bad(format!(
            "--cluster-domain {:?}: must be a DNS name",
            o.cluster_domain
        ));
    }
    if o.image.is_empty() || o.image.chars().any(char::is_whitespace) {
        return bad(format!("--image {:?}: must be an image reference", o.image));
    }
    if !quantity(&o.storage) {
        return bad(format!(
            "--storage {:?}: must be a Kubernetes quantity such as 1Gi or 500M",
            o.storage
        ));
    }
    if let Some(c) = &o.storage_class
        && !dns_subdomain(c)
    {
        return bad(format!("--storage-class {c:?}: must be a DNS name"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(dns_label("rumor") && dns_label("net-2") && dns_label("0a"));
        for bad in ["", "-a", "a-", "Rumor", "a_b", "a.b", &"x".repeat(64)] {
            assert!(!dns_label(bad), "{bad}");
        }
        assert!(dns_subdomain("cluster.local"));
        assert!(!dns_subdomain("cluster..local") && !dns_subdomain("local."));
    }

    #[test]
    fn quantities() {
        for ok in ["1Gi", "500M", "10", "1.5Gi", "2k"] {
            assert!(quantity(ok), "{ok}");
        }
        for bad in ["", "Gi", "1GB", "1 Gi", "-1Gi", "1..5Gi", "1gi"] {
            assert!(!quantity(bad), "{bad}");
        }
    }
}

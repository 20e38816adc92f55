//! This process's live heap, counted by its allocator: what nodes running inside it
//! (`--in-process`) hold. The resident set cannot say that: glibc keeps freed memory, so in a
//! long-lived host (the benchmark runner, after an earlier testnet) new nodes reuse pages the
//! RSS already counted, and "RSS now − RSS before" read near zero (bench result of 2026-12-01,
//! 0.03–2.02 MiB per node).
//!
//! The count is `cap`'s: one atomic update per allocation and free, around the system
//! allocator, with no limit set. It replaces a hand-written `GlobalAlloc` (the workspace
//! forbids `unsafe`).

#[global_allocator]
static HEAP: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Bytes allocated and not yet freed in this process.
pub fn live_bytes() -> u64 {
    HEAP.allocated() as u64
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_live_allocation_is_counted() {
        // Other tests allocate and free concurrently, so only a lower bound is certain.
        let block = vec![7u8; 64 << 20];
        assert!(super::live_bytes() >= 64 << 20);
        drop(block);
    }
}

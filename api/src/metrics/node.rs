//! The node's own families (`rumor_*`): chain, validation, RPC, tasks, clock and stores.
//! Registered by `rumor-node` in this order; label values are in [`super::labels`].

super::family::families! {
    HEAD_HEIGHT: Gauge "rumor_head_height" [] "Canonical head height";
    BLOCKS_IMPORTED: Counter "rumor_blocks_imported" [] "Blocks imported (any branch)";
    BLOCKS_PRODUCED: Counter "rumor_blocks_produced" [] "Blocks produced by this node";
    BLOCKS_ORPHANED: Counter "rumor_blocks_orphaned" [] "Blocks buffered for an unknown parent";
    ORPHAN_BUFFER: Gauge "rumor_orphan_buffer" [] "Blocks waiting for their parent";
    REORGS: Counter "rumor_reorgs" [] "Canonical chain switches";
    REORGED_BLOCKS: Counter "rumor_reorged_blocks" [] "Canonical blocks replaced by reorgs";
    /// The deepest reorg since start, for the testnet's convergence report (not differenced).
    DEEPEST_REORG: Gauge "rumor_deepest_reorg_blocks" [] "Most canonical blocks one reorg replaced since start";
    EQUIVOCATIONS: Counter "rumor_equivocations" [] "Equivocation proofs kept (two blocks signed by one producer for one slot)";
    PRECHECKED: Counter "rumor_prechecked" ["reason"] "Gossiped txs refused by the checks before signature verification, by reason";
    REPLAYED_BLOCKS: Counter "rumor_replayed_blocks" [] "Gossiped blocks rejected as replays (slot too far behind the clock)";
    BAD_BODIES: Counter "rumor_bad_bodies" [] "Gossiped blocks with a valid header whose body failed full validation";
    SHED: Counter "rumor_shed" ["kind", "reason"] "Gossip messages dropped unjudged under local overload, by kind and reason";
    /// Label `outcome`: [`super::labels::CATCH_UP_OUTCOMES`].
    CATCH_UPS: Counter "rumor_catch_ups" ["outcome"] "Catch-ups by outcome (progressed, no_progress, unbacked)";
    SYNC_BACKOFF_PEERS: Gauge "rumor_sync_backoff_peers" [] "Peers backed off from starting a catch-up";
    VALIDATION_SECONDS: Histogram "rumor_validation_seconds" ["kind"] "Gossip receipt to validation verdict";
    VALIDATION: Counter "rumor_validation" ["kind", "result"] "Validation verdicts";
    VERIFY_SECONDS: Histogram "rumor_verify_seconds" [] "Signature check time per tx";
    VERIFY_QUEUE: Gauge "rumor_verify_queue" [] "Batches waiting for the verification pool";
    RPC_REQUESTS: Counter "rumor_rpc_requests" ["method"] "JSON-RPC calls by method";
    RPC_SECONDS: Histogram "rumor_rpc_seconds" ["method"] "JSON-RPC call latency by method";
    RPC_CONNECTIONS: Gauge "rumor_rpc_connections" [] "Open JSON-RPC connections (HTTP and WebSocket)";
    /// Label `reason`: `max_connections`, `max_connections_per_ip`.
    RPC_CONNECTIONS_REFUSED: Counter "rumor_rpc_connections_refused" ["reason"] "JSON-RPC connections closed at accept, by the limit they hit";
    RPC_RATE_LIMITED: Counter "rumor_rpc_rate_limited" [] "JSON-RPC calls refused because their client was over its call rate";
    RPC_RATE_CLIENTS: Gauge "rumor_rpc_rate_clients" [] "Clients whose JSON-RPC rate bucket is remembered";
    RPC_RATE_CLIENTS_EVICTED: Counter "rumor_rpc_rate_clients_evicted" [] "Clients forgotten from the JSON-RPC rate table to make room";
    TRACE_WRITTEN: Counter "rumor_trace_written" [] "Trace lines written";
    TRACE_DROPPED: Counter "rumor_trace_dropped" [] "Trace lines dropped (queue full)";
    /// Seconds; measured only in a process shared with other nodes, 0 otherwise.
    BUSY_SECONDS: Counter "rumor_busy_seconds" [] "Time in this node's task polls and verification jobs, measured only when it shares a process with other nodes (in-process testnets)";
    /// A count that grows without levelling off under steady load is a task leak.
    TASKS: Gauge "rumor_tasks" [] "Tasks spawned through the node's task set and not yet finished";
    RUNTIME_TASKS: Gauge "rumor_runtime_tasks" [] "Tasks alive on the node's tokio runtime (shared by every node of an in-process testnet)";
    /// Label `result`: `accepted`, `ignored`, `rejected`.
    TXSYNC_TXS: Counter "rumor_txsync_txs" ["result"] "Txs fetched by mempool anti-entropy, by result";
    TXS_REANNOUNCED: Counter "rumor_txs_reannounced" [] "Reorged-out txs published again";
    /// Label `result`: [`super::labels::COMPACT_RESULTS`].
    COMPACT_BLOCKS: Counter "rumor_compact_blocks" ["result"] "Compact blocks received, by how they became blocks (rebuilt, fetched, full_fetch, failed, bad)";
    COMPACT_MISSING_TXS: Counter "rumor_compact_missing_txs" [] "Txs of compact blocks this node's pool lacked";
    /// Label `form`: `full`, `compact`.
    BLOCK_BYTES_PUBLISHED: Counter "rumor_block_bytes_published" ["form"] "Bytes of block messages this node published, by form (full, compact)";
    CLOCK_OFFSET_ESTIMATE: Gauge "rumor_clock_offset_estimate_seconds" [] "This node's clock minus the other producers', estimated from their blocks (per producer the least receive time minus slot start, median over producers); see rumor_clock_offset_samples";
    CLOCK_OFFSET_SAMPLES: Gauge "rumor_clock_offset_samples" [] "Blocks the clock offset estimate rests on (0: no estimate yet)";
    CLOCK_OUT_OF_TOLERANCE: Gauge "rumor_clock_out_of_tolerance" [] "1 while the clock offset estimate is beyond the tolerance ([chain] max_future_ms), else 0";
    /// Label `outcome`: [`super::labels::FUTURE_BLOCK_OUTCOMES`].
    FUTURE_BLOCKS: Counter "rumor_future_blocks" ["outcome"] "Gossiped blocks whose slot was ahead of our clock beyond the tolerance, by outcome (held, released, refused, rejected, dropped)";
    HELD_BLOCKS: Gauge "rumor_held_blocks" [] "Gossiped blocks held until their slot";
    /// Label `name`: the bound (e.g. [`super::labels::LIMIT_MAX_FUTURE_MS`]).
    LIMIT: Gauge "rumor_limit" ["name"] "Configured node bounds";
    /// Label `store`: [`super::labels::STORES`].
    STORE_DEGRADED: Gauge "rumor_store_degraded" ["store"] "1 while a store's writes fail (disk full or another I/O error), by store (chain, journal); see node_health";
    STORE_FAILURES: Counter "rumor_store_failures" ["store"] "Store operations that failed with an I/O error, by store (chain, journal)";
    /// Label `result`: `ok`, `failed`.
    STORE_RECOVERY_ATTEMPTS: Counter "rumor_store_recovery_attempts" ["store", "result"] "Attempts to bring a degraded store back (space probe, reopen, journal truncation), by store and result (ok, failed)";
}

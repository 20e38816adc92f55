//! The OpenRPC document served by `rpc.discover`: every method with its params and result
//! schema (OpenRPC 1.3.2). Kept next to the traits it describes; a test checks that every
//! registered method appears here.

use serde_json::{Value, json};

fn hex(len: usize, what: &str) -> Value {
    json!({"type": "string", "pattern": format!("^(0x)?[0-9a-f]{{{len}}}$"), "description": what})
}

fn method(name: &str, summary: &str, params: Value, result: Value) -> Value {
    json!({"name": name, "summary": summary, "params": params, "result": result})
}

fn param(name: &str, required: bool, schema: Value) -> Value {
    json!({"name": name, "required": required, "schema": schema})
}

fn result(name: &str, schema: Value) -> Value {
    json!({"name": name, "schema": schema})
}

pub fn document() -> Value {
    let hash = hex(64, "32-byte hash");
    let address = hex(64, "ed25519 public key");
    let u64s = json!({"type": "integer", "minimum": 0});
    let tx = json!({"$ref": "#/components/schemas/SignedTransaction"});
    let block = json!({"oneOf": [{"$ref": "#/components/schemas/Block"}, {"type": "null"}]});
    let head = json!({"type": "object", "required": ["height", "hash", "slot"],
        "properties": {"height": u64s, "hash": hash, "slot": u64s}});
    let full = param(
        "full_txs",
        false,
        json!({"type": "boolean", "default": false}),
    );
    json!({
        "openrpc": "1.3.2",
        "info": {"title": "Rumor node JSON-RPC", "version": env!("CARGO_PKG_VERSION")},
        "methods": [
            method("tx_submit", "Submit a canonical encoded signed transaction (hex).",
                json!([param("raw_hex", true, json!({"type": "string", "pattern": "^(0x)?([0-9a-fA-F]{2})*$"}))]),
                result("hash", hash.clone())),
            method("tx_get", "A transaction and its status.",
                json!([param("hash", true, hash.clone())]),
                result("tx_info", json!({"type": "object", "required": ["tx", "status"], "properties": {
                    "tx": {"oneOf": [tx, {"type": "null"}]},
                    "status": {"oneOf": [
                        {"enum": ["pending", "queued", "unknown"]},
                        {"type": "object", "required": ["included"], "properties": {"included": {
                            "type": "object", "required": ["height", "block"],
                            "properties": {"height": u64s, "block": hash}}}}
                    ]}}}))),
            method("chain_head", "The canonical head.", json!([]), result("head", head.clone())),
            method("chain_getBlockByHeight", "A canonical block by height.",
                json!([param("height", true, u64s.clone()), full.clone()]), result("block", block.clone())),
            method("chain_getBlockByHash", "Any stored block by hash.",
                json!([param("hash", true, hash.clone()), full]), result("block", block)),
            method("chain_getEquivocations", "Equivocation proofs this node holds (two signed headers by one producer for one slot), newest slot first. Verify each against the genesis: same slot, different blocks, both by the slot's authority with valid signatures.",
                json!([param("max", false, json!({"type": "integer", "minimum": 0, "maximum": crate::rpc::MAX_EQUIVOCATIONS, "default": crate::rpc::MAX_EQUIVOCATIONS}))]),
                result("equivocations", json!({"type": "array", "items": {"type": "object",
                    "required": ["slot", "producer", "first", "second"],
                    "properties": {"slot": u64s, "producer": hex(64, "producer"),
                        "first": {"$ref": "#/components/schemas/SignedHeader"},
                        "second": {"$ref": "#/components/schemas/SignedHeader"}}}}))),
            method("chain_clock", "This node's clock against the other producers': its offset estimate (ms, positive = ahead; per producer the least receive time minus slot start, median over producers; null until 3 samples), the tolerance ([chain] max_future_ms) beyond which blocks are held or refused, and whether the estimate is within it.",
                json!([]),
                result("clock", json!({"type": "object", "required": ["offset_estimate_ms", "tolerance_ms", "samples", "producers", "within_tolerance", "held_blocks"],
                    "properties": {"offset_estimate_ms": {"type": ["integer", "null"]}, "tolerance_ms": u64s,
                        "samples": u64s, "producers": u64s, "within_tolerance": {"type": ["boolean", "null"]},
                        "held_blocks": u64s}}))),
            method("chain_subscribeNewHeads", "Subscription: new canonical heads (notifications `newHead`).",
                json!([]), result("subscription_id", json!({"type": "string"}))),
            method("chain_unsubscribeNewHeads", "Ends a new-heads subscription.",
                json!([param("subscription_id", true, json!({"type": "string"}))]), result("ok", json!({"type": "boolean"}))),
            method("state_getAccount", "Balance and nonce at the head.",
                json!([param("address", true, address)]),
                result("account", json!({"type": "object", "required": ["balance", "nonce"],
                    "properties": {"balance": u64s, "nonce": u64s}}))),
            method("mempool_status", "Pool sizes, limits and rejection counters.", json!([]),
                result("status", json!({"type": "object", "required": ["pending", "queued", "bytes", "senders", "max_txs", "max_bytes", "rejections"],
                    "properties": {"pending": u64s, "queued": u64s, "bytes": u64s, "senders": u64s,
                        "max_txs": u64s, "max_bytes": u64s,
                        "rejections": {"type": "object", "additionalProperties": u64s}}}))),
            method("mempool_content", "Pooled transactions by sender.", json!([]),
                result("content", json!({"type": "object", "additionalProperties": {"type": "object",
                    "required": ["pending", "queued"],
                    "properties": {"pending": {"type": "array", "items": tx}, "queued": {"type": "array", "items": tx}}}}))),
            method("mempool_subscribePending", "Subscription: hashes of newly pending txs (notifications `pendingTx`).",
                json!([]), result("subscription_id", json!({"type": "string"}))),
            method("mempool_unsubscribePending", "Ends a pending-tx subscription.",
                json!([param("subscription_id", true, json!({"type": "string"}))]), result("ok", json!({"type": "boolean"}))),
            method("net_info", "This node's peer id, listen addresses, topics and network.", json!([]),
                result("info", json!({"type": "object", "required": ["peer_id", "listen_addrs", "topics", "network"],
                    "properties": {"peer_id": {"type": "string"}, "listen_addrs": {"type": "array", "items": {"type": "string"}},
                        "topics": {"type": "array", "items": {"type": "string"}}, "network": {"type": "string"}}}))),
            method("net_peers", "Connected peers.", json!([]),
                result("peers", json!({"type": "array", "items": {"type": "object",
                    "required": ["peer_id", "addr", "outbound", "score", "mesh_topics"],
                    "properties": {"peer_id": {"type": "string"}, "addr": {"type": "string"}, "outbound": {"type": "boolean"},
                        "score": {"type": "number"}, "mesh_topics": {"type": "array", "items": {"enum": ["tx", "block"]}}}}}))),
            method("node_health", "Whether the node persists what it accepts and follows the chain: `ok`, each store's state (`ok`, or `degraded` with the OS's reason, since when, failed operations, and when the node gives up and exits with status 74 unless it recovers; a full disk never gives up), the head, and whether a catch-up runs. A degraded node refuses tx_submit with -32032 storage_unavailable and recovers by itself.",
                json!([]),
                result("health", json!({"type": "object", "required": ["ok", "store", "journal", "head", "syncing"],
                    "properties": {"ok": {"type": "boolean"},
                        "store": {"$ref": "#/components/schemas/StoreHealth"},
                        "journal": {"$ref": "#/components/schemas/StoreHealth"},
                        "head": head.clone(), "syncing": {"type": "boolean"}}}))),
            method("fault_cutPeers", "Testnet fault injection (only with `fault_control = true`): cut these peers off, closing their connections and refusing new ones both ways. Returns how many were newly cut.",
                json!([param("peer_ids", true, json!({"type": "array", "items": {"type": "string"}, "maxItems": crate::rpc::MAX_FAULT_PEERS}))]), result("changed", u64s.clone())),
            method("fault_restorePeers", "Testnet fault injection (only with `fault_control = true`): end the cut for these peers. Returns how many were cut.",
                json!([param("peer_ids", true, json!({"type": "array", "items": {"type": "string"}, "maxItems": crate::rpc::MAX_FAULT_PEERS}))]), result("changed", u64s.clone())),
            method("fault_setLinkFault", "Testnet fault injection (only with `fault_control = true`): make this node's links to these peers fail, on their connections now and any made while the fault lasts. `out` is what this node sends, `in` what it receives. stall: the direction's bytes are held, in order, until the fault ends (a byte stream cannot lose bytes mid-stream; TCP would retransmit them); flap: a stall for down_ms at the start of every period_ms from start_unix_ms; loss: a share of chunks waits TCP retransmission timeouts; reset: the connections fail at once (and new ones while duration_ms lasts). Returns how many peers.",
                json!([param("peer_ids", true, json!({"type": "array", "items": {"type": "string"}, "maxItems": crate::rpc::MAX_FAULT_PEERS})),
                    param("fault", true, json!({"type": "object", "required": ["direction", "mode"], "additionalProperties": false, "properties": {
                        "direction": {"enum": ["out", "in", "both"]},
                        "mode": {"enum": ["stall", "flap", "loss", "reset"]},
                        "period_ms": {"type": "integer", "minimum": 10, "description": "flap: the period"},
                        "down_ms": {"type": "integer", "minimum": 1, "description": "flap: time down at the start of each period (below period_ms)"},
                        "loss": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "description": "loss: share of chunks lost"},
                        "start_unix_ms": {"type": "integer", "minimum": 0, "description": "start, ms since the Unix epoch (default now; not later for reset)"},
                        "duration_ms": {"type": "integer", "minimum": 1, "description": "how long from the start (default until cleared)"}}}))]),
                result("peers", u64s.clone())),
            method("fault_clearLinkFaults", "Testnet fault injection (only with `fault_control = true`): clear every link fault on the links to these peers (all peers when omitted); held bytes flow at once. Returns how many peers had any.",
                json!([param("peer_ids", false, json!({"type": "array", "items": {"type": "string"}, "maxItems": crate::rpc::MAX_FAULT_PEERS}))]),
                result("changed", u64s.clone())),
            method("trace_clock", "The node's wall clock (µs since the Unix epoch), the clock its trace lines are stamped with; for estimating its offset to a reader's clock.",
                json!([]), result("clock", json!({"type": "object", "required": ["t_us"], "properties": {"t_us": u64s}}))),
            method("trace_read", "Whole lines of the propagation trace (NDJSON) from a byte offset, at most max_bytes.",
                json!([param("offset", true, u64s.clone()),
                    param("max_bytes", false, json!({"type": "integer", "minimum": 1, "maximum": crate::rpc::MAX_TRACE_PAGE, "default": crate::rpc::MAX_TRACE_PAGE}))]),
                result("page", json!({"type": "object", "required": ["offset", "lines", "next_offset", "file_len"],
                    "properties": {"offset": u64s, "lines": {"type": "string"}, "next_offset": u64s, "file_len": u64s}}))),
            method("trace_stats", "The trace writer's counts: lines written and dropped.", json!([]),
                result("stats", json!({"type": "object", "required": ["written", "dropped"],
                    "properties": {"written": u64s, "dropped": u64s}}))),
            method("rpc.discover", "This document.", json!([]), result("openrpc", json!({"type": "object"}))),
        ],
        "components": {"schemas": {
            "SignedTransaction": {"type": "object", "required": ["tx", "signature"], "properties": {
                "tx": {"type": "object", "required": ["chain_id", "from", "to", "amount", "fee", "nonce"], "properties": {
                    "chain_id": u64s, "from": hex(64, "sender"), "to": hex(64, "recipient"),
                    "amount": u64s, "fee": u64s, "nonce": u64s}},
                "signature": hex(128, "ed25519 signature")}},
            "Block": {"type": "object", "required": ["hash", "header", "signature", "size", "txs"], "properties": {
                "hash": hex(64, "block hash"), "signature": hex(128, "producer signature"), "size": u64s,
                "header": {"$ref": "#/components/schemas/BlockHeader"},
                "txs": {"oneOf": [{"type": "array", "items": hex(64, "tx hash")},
                    {"type": "array", "items": {"$ref": "#/components/schemas/SignedTransaction"}}]}}},
            "BlockHeader": {"type": "object", "required": ["chain_id", "height", "slot", "parent", "timestamp", "tx_root", "state_root", "producer"],
                "properties": {"chain_id": u64s, "height": u64s, "slot": u64s, "parent": hex(64, "parent hash"),
                    "timestamp": u64s, "tx_root": hex(64, "tx root"), "state_root": hex(64, "state root"), "producer": hex(64, "producer")}},
            "StoreHealth": {"oneOf": [
                {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
                {"type": "object", "required": ["status", "reason", "out_of_space", "since_ms", "failures"], "properties": {
                    "status": {"const": "degraded"}, "reason": {"type": "string"}, "out_of_space": {"type": "boolean"},
                    "since_ms": u64s, "failures": u64s, "gives_up_at_ms": u64s}}]},
            "SignedHeader": {"type": "object", "required": ["hash", "header", "signature"], "properties": {
                "hash": hex(64, "block hash"), "header": {"$ref": "#/components/schemas/BlockHeader"},
                "signature": hex(128, "producer signature")}}
        }}
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn openrpc_lists_every_method() {
        let doc = super::document();
        let listed: Vec<&str> = doc["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        for name in [
            "tx_submit",
            "tx_get",
            "chain_head",
            "chain_getBlockByHeight",
            "chain_getBlockByHash",
            "chain_getEquivocations",
            "chain_clock",
            "chain_subscribeNewHeads",
            "chain_unsubscribeNewHeads",
            "state_getAccount",
            "mempool_status",
            "mempool_content",
            "mempool_subscribePending",
            "mempool_unsubscribePending",
            "net_info",
            "net_peers",
            "node_health",
            "fault_cutPeers",
            "fault_restorePeers",
            "fault_setLinkFault",
            "fault_clearLinkFaults",
            "trace_clock",
            "trace_read",
            "trace_stats",
            "rpc.discover",
            crate::rpc::method::TX_SUBMIT,
            crate::rpc::method::STATE_GET_ACCOUNT,
        ] {
            assert!(listed.contains(&name), "{name} missing from rpc.discover");
        }
    }
}

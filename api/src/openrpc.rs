//! The OpenRPC document served by `rpc.discover` (OpenRPC 1.3.2): every method with its
//! params and result, whose schemas are derived from the Rust types the traits in
//! [`crate::rpc`] take and return (`schemars`, draft 7, shared types under
//! `#/components/schemas`). What is written here is only what a type cannot say: the method
//! table (wire name, summary, parameter names) and the bounds of a few parameters.
//!
//! Invariant: each row names the same types as its trait method, so the schema is the type's;
//! the tests check that the document lists exactly the methods the `*Server` traits register, that every `$ref` resolves, and that
//! sample values of each result and parameter type validate against their schemas.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::rpc::{MAX_EQUIVOCATIONS, MAX_FAULT_PEERS, MAX_TRACE_PAGE};
use crate::schema::{Account, AddressHex, Hash32, RawHex};
use crate::trace::TraceStats;
use crate::types::*;

/// Where shared schemas live in the document.
const COMPONENTS: &str = "/components/schemas";

/// A content descriptor: `name` and the schema of `T`, plus `extra` keywords (bounds,
/// defaults) merged into it.
fn descriptor<T: JsonSchema>(g: &mut SchemaGenerator, name: &str, extra: Value) -> Value {
    let mut schema = g.subschema_for::<T>().to_value();
    if let (Some(s), Value::Object(extra)) = (schema.as_object_mut(), extra) {
        s.extend(extra);
    }
    json!({"name": name, "schema": schema})
}

fn param<T: JsonSchema>(
    g: &mut SchemaGenerator,
    name: &str,
    required: bool,
    extra: Value,
) -> Value {
    let mut d = descriptor::<T>(g, name, extra);
    d["required"] = required.into();
    d
}

/// Rows of `"wire_name", "summary", [required params], [optional params] => "result": Type;`,
/// a param being `"name": Type` with an optional `=> {bounds}`.
macro_rules! methods {
    ($g:ident; $(
        $name:literal, $summary:expr,
        [$($req:literal: $rt:ty $(=> $rx:tt)?),*],
        [$($opt:literal: $ot:ty $(=> $ox:tt)?),*]
        => $result:literal: $res:ty;
    )*) => {
        vec![$({
            let params: Vec<Value> = vec![
                $( param::<$rt>(&mut $g, $req, true, methods!(@x $($rx)?)), )*
                $( param::<$ot>(&mut $g, $opt, false, methods!(@x $($ox)?)), )*
            ];
            let result = descriptor::<$res>(&mut $g, $result, Value::Null);
            json!({"name": $name, "summary": $summary, "params": params, "result": result})
        }),*]
    };
    (@x) => { Value::Null };
    (@x $x:tt) => { json!($x) };
}

const FAULT_ONLY: &str = "Testnet fault injection (only with `fault_control = true`): ";

pub fn document() -> Value {
    let mut settings = SchemaSettings::draft07();
    settings.definitions_path = COMPONENTS.into();
    let mut g = SchemaGenerator::new(settings);
    let peer_ids = json!({"maxItems": MAX_FAULT_PEERS});
    let methods = methods! { g;
        "tx_submit", "Submit a canonical encoded signed transaction (hex).",
            ["raw_hex": RawHex], [] => "hash": Hash32;
        "tx_get", "A transaction and its status.", ["hash": Hash32], [] => "tx_info": TxInfo;
        "chain_head", "The canonical head.", [], [] => "head": Head;
        "chain_getBlockByHeight", "A canonical block by height.",
            ["height": u64], ["full_txs": bool => {"default": false}] => "block": Option<BlockInfo>;
        "chain_getBlockByHash", "Any stored block by hash.",
            ["hash": Hash32], ["full_txs": bool => {"default": false}] => "block": Option<BlockInfo>;
        "chain_getEquivocations", "Equivocation proofs this node holds (two signed headers by one producer for one slot), newest slot first. Verify each against the genesis: same slot, different blocks, both by the slot's authority with valid signatures.",
            [], ["max": u64 => {"maximum": MAX_EQUIVOCATIONS, "default": MAX_EQUIVOCATIONS}]
            => "equivocations": Vec<EquivocationInfo>;
        "chain_clock", "This node's clock against the other producers': its offset estimate (ms, positive = ahead; per producer the least receive time minus slot start, median over producers; null until 3 samples), the tolerance ([chain] max_future_ms) beyond which blocks are held or refused, and whether the estimate is within it.",
            [], [] => "clock": ClockStatus;
        "chain_subscribeNewHeads", "Subscription: new canonical heads (notifications `newHead`, each a HeadEvent).",
            [], [] => "subscription_id": String;
        "chain_unsubscribeNewHeads", "Ends a new-heads subscription.",
            ["subscription_id": String], [] => "ok": bool;
        "state_getAccount", "Balance and nonce at the head.",
            ["address": AddressHex], [] => "account": Account;
        "mempool_status", "Pool sizes, limits and rejection counters.", [], [] => "status": MempoolStatus;
        "mempool_content", "Pooled transactions by sender.",
            [], [] => "content": std::collections::BTreeMap<String, SenderTxs>;
        "mempool_subscribePending", "Subscription: hashes of newly pending txs (notifications `pendingTx`).",
            [], [] => "subscription_id": String;
        "mempool_unsubscribePending", "Ends a pending-tx subscription.",
            ["subscription_id": String], [] => "ok": bool;
        "net_info", "This node's peer id, listen addresses, topics and network.", [], [] => "info": NetInfo;
        "net_peers", "Connected peers.", [], [] => "peers": Vec<Peer>;
        "node_health", "Whether the node persists what it accepts and follows the chain: `ok`, each store's state (`ok`, or `degraded` with the OS's reason, since when, failed operations, and when the node gives up and exits with status 74 unless it recovers; a full disk never gives up), the head, and whether a catch-up runs. A degraded node refuses tx_submit with -32032 storage_unavailable and recovers by itself.",
            [], [] => "health": NodeHealth;
        "fault_cutPeers", format!("{FAULT_ONLY}cut these peers off, closing their connections and refusing new ones both ways. Returns how many were newly cut."),
            ["peer_ids": Vec<String> => peer_ids], [] => "changed": usize;
        "fault_restorePeers", format!("{FAULT_ONLY}end the cut for these peers. Returns how many were cut."),
            ["peer_ids": Vec<String> => peer_ids], [] => "changed": usize;
        "fault_setLinkFault", format!("{FAULT_ONLY}make this node's links to these peers fail, on their connections now and any made while the fault lasts. `out` is what this node sends, `in` what it receives. stall: the direction's bytes are held, in order, until the fault ends (a byte stream cannot lose bytes mid-stream; TCP would retransmit them); flap: a stall for down_ms at the start of every period_ms from start_unix_ms; loss: a share of chunks waits TCP retransmission timeouts; reset: the connections fail at once (and new ones while duration_ms lasts). Returns how many peers."),
            ["peer_ids": Vec<String> => peer_ids, "fault": LinkFaultSpec], [] => "peers": usize;
        "fault_clearLinkFaults", format!("{FAULT_ONLY}clear every link fault on the links to these peers (all peers when omitted); held bytes flow at once. Returns how many peers had any."),
            [], ["peer_ids": Vec<String> => peer_ids] => "changed": usize;
        "trace_clock", "The node's wall clock (µs since the Unix epoch), the clock its trace lines are stamped with; for estimating its offset to a reader's clock.",
            [], [] => "clock": ClockReading;
        "trace_read", "Whole lines of the propagation trace (NDJSON) from a byte offset, at most max_bytes.",
            ["offset": u64], ["max_bytes": u64 => {"minimum": 1, "maximum": MAX_TRACE_PAGE, "default": MAX_TRACE_PAGE}]
            => "page": TracePage;
        "trace_stats", "The trace writer's counts: lines written and dropped.", [], [] => "stats": TraceStats;
        "rpc.discover", "This document.", [], [] => "openrpc": Map<String, Value>;
    };
    // Subscriptions' notification items are not a method's result: list them as components.
    let _ = g.subschema_for::<HeadEvent>();
    let schemas = Value::Object(g.take_definitions(true));
    json!({
        "openrpc": "1.3.2",
        "info": {"title": "Rumor node JSON-RPC", "version": env!("CARGO_PKG_VERSION")},
        "methods": methods,
        "components": {"schemas": schemas},
    })
}

#[cfg(test)]
mod registered;
#[cfg(test)]
mod tests;

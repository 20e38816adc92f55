//! The document lists every method, its `$ref`s resolve, and sample values of each method's
//! result and parameter types (the real types, serialized) validate against its schemas.

use std::collections::BTreeMap;

use rumor_chain::{
    Account, Address, BlockHash, BlockHeader, Hash256, Signature, SignedTransaction, Transaction,
    TxHash,
};
use serde_json::{Value, json};

use crate::trace::TraceStats;
use crate::types::*;

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

/// Every `$ref` in the document names a schema under `#/components/schemas`.
#[test]
fn every_ref_resolves() {
    fn walk(v: &Value, doc: &Value, n: &mut usize) {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref") {
                    let r = r.as_str().unwrap();
                    assert!(resolve(doc, r).is_some(), "{r} does not resolve");
                    *n += 1;
                }
                o.values().for_each(|v| walk(v, doc, n));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, doc, n)),
            _ => {}
        }
    }
    let doc = super::document();
    let mut refs = 0;
    walk(&doc, &doc, &mut refs);
    assert!(refs > 10, "{refs} refs");
    assert_eq!(doc["openrpc"], "1.3.2");
    for m in doc["methods"].as_array().unwrap() {
        assert!(m["summary"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(m["result"]["schema"].is_object(), "{m}");
        for p in m["params"].as_array().unwrap() {
            assert!(p["name"].is_string() && p["required"].is_boolean(), "{p}");
        }
    }
}

fn resolve<'a>(doc: &'a Value, r: &str) -> Option<&'a Value> {
    doc.pointer(r.strip_prefix('#')?)
}

/// Checks `v` against the draft-7 keywords the document uses (enough to catch a field
/// renamed, added or removed, a wrong type or a wrong hex length).
fn check(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let fail = |why: String| Err(format!("{at}: {why} (value {v}, schema {schema})"));
    let Some(s) = schema.as_object() else {
        return match schema {
            Value::Bool(true) => Ok(()),
            _ => fail("false schema".into()),
        };
    };
    if let Some(r) = s.get("$ref") {
        let target = resolve(doc, r.as_str().unwrap()).ok_or(format!("{at}: {r} unresolved"))?;
        return check(doc, target, v, at);
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let is = |t: &str| match t {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "string" => v.is_string(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            "number" => v.is_number(),
            "integer" => v.is_i64() || v.is_u64(),
            _ => false,
        };
        if !types.iter().any(|t| is(t)) {
            return fail(format!("not of type {t}"));
        }
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        return fail("not the const".into());
    }
    if let Some(e) = s.get("enum")
        && !e.as_array().unwrap().contains(v)
    {
        return fail("not in the enum".into());
    }
    if let (Some(p), Some(text)) = (s.get("pattern").and_then(Value::as_str), v.as_str()) {
        let hex = |len: Option<usize>| {
            let t = text.strip_prefix("0x").unwrap_or(text);
            len.is_none_or(|n| t.len() == n)
                && t.len() % 2 == 0
                && t.bytes().all(|b| b.is_ascii_hexdigit())
        };
        let ok = match p {
            "^(0x)?[0-9a-f]{64}$" => hex(Some(64)),
            "^(0x)?[0-9a-f]{128}$" => hex(Some(128)),
            "^(0x)?([0-9a-fA-F]{2})*$" => hex(None),
            other => return fail(format!("pattern {other} unknown to this check")),
        };
        if !ok {
            return fail("does not match its pattern".into());
        }
    }
    if let (Some(min), Some(x)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64())
        && x < min
    {
        return fail("below minimum".into());
    }
    if let (Some(max), Some(x)) = (s.get("maximum").and_then(Value::as_f64), v.as_f64())
        && x > max
    {
        return fail("above maximum".into());
    }
    if let Some(o) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !o.contains_key(r.as_str().unwrap()) {
                return fail(format!("missing required {r}"));
            }
        }
        for (k, x) in o {
            match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
                (Some(ps), _) => check(doc, ps, x, &format!("{at}.{k}"))?,
                (None, Some(extra)) => check(doc, extra, x, &format!("{at}.{k}"))?,
                (None, None) => {}
            }
        }
    }
    if let (Some(items), Some(a)) = (s.get("items"), v.as_array()) {
        for (i, x) in a.iter().enumerate() {
            check(doc, items, x, &format!("{at}[{i}]"))?;
        }
    }
    for (key, want_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            let ok = alts.iter().filter(|a| check(doc, a, v, at).is_ok()).count();
            if ok == 0 || (want_one && ok > 1) {
                return fail(format!("{ok} of {key} match"));
            }
        }
    }
    Ok(())
}

fn tx(nonce: u64) -> SignedTransaction {
    SignedTransaction {
        tx: Transaction {
            chain_id: 7,
            from: Address([1; 32]),
            to: Address([2; 32]),
            amount: 10,
            fee: 1,
            nonce,
        },
        signature: Signature([3; 64]),
    }
}

fn header() -> BlockHeader {
    BlockHeader {
        chain_id: 7,
        height: 2,
        slot: 3,
        parent: BlockHash([4; 32]),
        timestamp: 1_700_000_000_000,
        tx_root: Hash256([5; 32]),
        state_root: Hash256([6; 32]),
        producer: Address([7; 32]),
    }
}

fn block(txs: BlockTxs) -> BlockInfo {
    BlockInfo {
        hash: BlockHash([8; 32]),
        header: header(),
        signature: Signature([9; 64]),
        size: 480,
        txs,
    }
}

fn head() -> Head {
    Head {
        height: 2,
        hash: BlockHash([8; 32]),
        slot: 3,
    }
}

/// Sample results by method, serialized from the types the traits return.
fn results() -> Vec<(&'static str, Value)> {
    let v = |x: &dyn erased::Ser| x.value();
    let signed = |hash| SignedHeaderInfo {
        hash,
        header: header(),
        signature: Signature([9; 64]),
    };
    let degraded = StoreHealth::Degraded {
        reason: "No space left on device (os error 28)".into(),
        out_of_space: true,
        since_ms: 5,
        failures: 2,
        gives_up_at_ms: Some(9),
    };
    vec![
        ("tx_submit", v(&TxHash([1; 32]))),
        (
            "tx_get",
            v(&TxInfo {
                tx: Some(tx(0)),
                status: TxStatus::Included {
                    height: 2,
                    block: BlockHash([8; 32]),
                },
            }),
        ),
        (
            "tx_get",
            v(&TxInfo {
                tx: None,
                status: TxStatus::Unknown,
            }),
        ),
        ("chain_head", v(&head())),
        (
            "chain_getBlockByHeight",
            v(&Some(block(BlockTxs::Full(vec![tx(0), tx(1)])))),
        ),
        (
            "chain_getBlockByHash",
            v(&Some(block(BlockTxs::Hashes(vec![TxHash([1; 32])])))),
        ),
        ("chain_getBlockByHash", v(&None::<BlockInfo>)),
        (
            "chain_getEquivocations",
            v(&vec![EquivocationInfo {
                slot: 3,
                producer: Address([7; 32]),
                first: signed(BlockHash([8; 32])),
                second: signed(BlockHash([9; 32])),
            }]),
        ),
        (
            "chain_clock",
            v(&ClockStatus {
                offset_estimate_ms: Some(-12),
                tolerance_ms: 500,
                samples: 4,
                producers: 2,
                within_tolerance: Some(true),
                held_blocks: 0,
            }),
        ),
        ("chain_subscribeNewHeads", json!("sub-1")),
        ("chain_unsubscribeNewHeads", json!(true)),
        (
            "state_getAccount",
            v(&Account {
                balance: 100,
                nonce: 1,
            }),
        ),
        (
            "mempool_status",
            v(&MempoolStatus {
                pending: 1,
                queued: 0,
                bytes: 160,
                senders: 1,
                max_txs: 10,
                max_bytes: 1000,
                rejections: BTreeMap::from([("fee_too_low".into(), 2)]),
            }),
        ),
        (
            "mempool_content",
            v(&MempoolContent::from([(
                Address([1; 32]),
                SenderTxs {
                    pending: vec![tx(0)],
                    queued: vec![tx(2)],
                },
            )])),
        ),
        ("mempool_subscribePending", json!("sub-2")),
        ("mempool_unsubscribePending", json!(false)),
        (
            "net_info",
            v(&NetInfo {
                peer_id: "12D3".into(),
                listen_addrs: vec!["/ip4/127.0.0.1/tcp/1".into()],
                topics: vec!["/rumor/abcd0123/tx/1".into()],
                network: "abcd0123".into(),
            }),
        ),
        (
            "net_peers",
            v(&vec![Peer {
                peer_id: "12D3".into(),
                addr: "/ip4/127.0.0.1/tcp/1".into(),
                outbound: true,
                score: -0.5,
                mesh_topics: vec!["tx".into()],
            }]),
        ),
        (
            "node_health",
            v(&NodeHealth {
                ok: false,
                store: degraded,
                journal: StoreHealth::Ok,
                head: head(),
                syncing: true,
            }),
        ),
        ("fault_cutPeers", json!(2usize)),
        ("fault_restorePeers", json!(0usize)),
        ("fault_setLinkFault", json!(1usize)),
        ("fault_clearLinkFaults", json!(3usize)),
        ("trace_clock", v(&ClockReading { t_us: 1 })),
        (
            "trace_read",
            v(&TracePage {
                offset: 0,
                lines: "{}\n".into(),
                next_offset: 3,
                file_len: 3,
            }),
        ),
        (
            "trace_stats",
            v(&TraceStats {
                written: 5,
                dropped: 0,
            }),
        ),
        ("rpc.discover", super::document()),
    ]
}

/// `erased::Ser`: serializes any sample through `&dyn`, so `results` can list them inline.
mod erased {
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap()
        }
    }
}

fn method<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in the document"))
}

#[test]
fn sample_results_validate_against_their_schemas() {
    let doc = super::document();
    let samples = results();
    for m in doc["methods"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        assert!(
            samples.iter().any(|(n, _)| *n == name),
            "no sample result for {name}"
        );
    }
    for (name, value) in samples {
        let schema = &method(&doc, name)["result"]["schema"];
        check(&doc, schema, &value, name).unwrap();
    }
    // The check is not vacuous: a misspelt field, a short hash and a missing field fail.
    let mut bad = serde_json::to_value(block(BlockTxs::Hashes(vec![]))).unwrap();
    bad["header"]["heigth"] = bad["header"]["height"].take();
    let schema = &method(&doc, "chain_getBlockByHeight")["result"]["schema"];
    assert!(check(&doc, schema, &bad, "bad").is_err());
    let schema = &method(&doc, "tx_submit")["result"]["schema"];
    assert!(check(&doc, schema, &json!("abcd"), "bad").is_err());
    let schema = &method(&doc, "chain_head")["result"]["schema"];
    assert!(check(&doc, schema, &json!({"height": 1, "slot": 1}), "bad").is_err());
}

#[test]
fn sample_params_validate_against_their_schemas() {
    let doc = super::document();
    let fault = LinkFaultSpec {
        direction: LinkFaultDirection::Out,
        mode: LinkFaultMode::Flap,
        period_ms: Some(100),
        down_ms: Some(10),
        loss: None,
        start_unix_ms: Some(1),
        duration_ms: None,
    };
    let raw = hex::encode(tx(0).encode());
    let calls: Vec<(&str, Vec<Value>)> = vec![
        ("tx_submit", vec![json!(raw)]),
        ("tx_get", vec![json!(TxHash([1; 32]).to_string())]),
        ("chain_getBlockByHeight", vec![json!(1), json!(true)]),
        ("chain_getBlockByHash", vec![json!(BlockHash([8; 32]))]),
        (
            "chain_getEquivocations",
            vec![json!(crate::rpc::MAX_EQUIVOCATIONS)],
        ),
        ("state_getAccount", vec![json!(Address([1; 32]))]),
        ("chain_unsubscribeNewHeads", vec![json!("sub-1")]),
        (
            "fault_setLinkFault",
            vec![json!(["12D3"]), serde_json::to_value(fault).unwrap()],
        ),
        ("fault_clearLinkFaults", vec![json!(["12D3"])]),
        ("trace_read", vec![json!(0), json!(4096)]),
    ];
    for (name, args) in calls {
        let params = method(&doc, name)["params"].as_array().unwrap();
        assert!(args.len() <= params.len(), "{name}");
        for (arg, p) in args.iter().zip(params) {
            check(&doc, &p["schema"], arg, name).unwrap();
        }
    }
    // A param over its bound and an unknown fault field fail.
    let eq = &method(&doc, "chain_getEquivocations")["params"][0]["schema"];
    assert!(check(&doc, eq, &json!(crate::rpc::MAX_EQUIVOCATIONS + 1), "bad").is_err());
    let f = &method(&doc, "fault_setLinkFault")["params"][1]["schema"];
    let typo = json!({"direction": "out", "mode": "stall", "duraton_ms": 5});
    assert!(check(&doc, f, &typo, "bad").is_err());
}

//! `rpc_envelope`: the node's JSON-RPC 2.0 envelope check (`rpc::envelope::check`), which
//! answers −32600 for valid JSON that is not a well-formed request before jsonrpsee sees it.
//! Checked against the specification's rules written out independently here.

use rumor_node::rpc::envelope::check;
use serde_json::Value;

fn id_ok(id: Option<&Value>) -> bool {
    matches!(
        id,
        None | Some(Value::Null | Value::String(_) | Value::Number(_))
    )
}

pub fn rpc_envelope(data: &[u8]) {
    let answer = check(data);
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        assert!(
            answer.is_none(),
            "answered bytes that are not JSON: {answer:?}"
        );
        return;
    };
    let well_formed = match &body {
        // Batches are jsonrpsee's to answer, element by element.
        Value::Array(_) => true,
        Value::Object(o) => {
            id_ok(o.get("id"))
                && o.get("jsonrpc") == Some(&Value::String("2.0".into()))
                && o.get("method").is_some_and(Value::is_string)
                && matches!(
                    o.get("params"),
                    None | Some(Value::Array(_) | Value::Object(_))
                )
        }
        _ => false,
    };
    let Some(answer) = answer else {
        assert!(well_formed, "passed a malformed envelope: {body}");
        return;
    };
    assert!(!well_formed, "refused a well-formed envelope: {body}");
    assert_eq!(answer["jsonrpc"], "2.0");
    assert_eq!(answer["error"]["code"], -32600);
    let id = &answer["id"];
    assert!(
        id_ok(Some(id)),
        "an answer's id must be null, a string or a number"
    );
    // The request's id comes back when it was a valid one, null otherwise.
    let expected = match body.get("id") {
        Some(i) if id_ok(Some(i)) => i.clone(),
        _ => Value::Null,
    };
    assert_eq!(*id, expected);
    // It is sent as is: it must serialise.
    assert!(serde_json::to_vec(&answer).is_ok());
}

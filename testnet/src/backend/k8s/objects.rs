//! The Kubernetes objects, as `serde_json` values in the API's own field names (core/v1 and
//! apps/v1; tests/k8s.rs validates them against the 1.30 and 1.37 schemas, strictly).
//!
//! Invariants:
//! - The pod runs as a non-root user ([`UID`]) with a read-only root filesystem, no
//!   capabilities, no privilege escalation and the runtime's default seccomp profile: it meets
//!   the `restricted` Pod Security Standard, which the Namespace enforces.
//! - The node container never mounts the Secret: an init container copies this pod's own key
//!   out of it into a memory-backed emptyDir, owner-only (`rumor key import`). The copy is
//!   needed, not cosmetic: with the pod's `fsGroup` (without it a non-root pod cannot write a
//!   freshly provisioned volume) the kubelet makes Secret files group-readable whatever
//!   `defaultMode` says (kubernetes/kubernetes#57923), and the node refuses such a key.
//! - Probes run `rumor health` in the container (exec): the node answers `chain_head` on its
//!   JSON-RPC port, so no port of the node has to serve plain HTTP GETs.

use serde_json::{Value, json};

use super::node::{
    APP, BINARY, CONFIG_DIR, CONFIG_MAP, DATA_DIR, KEY_DIR, KEYS_SECRET, METRICS_PORT, P2P_PORT,
    RPC_PORT, SECRET_DIR, UID, key_path,
};

/// What the objects are parametrised by (beyond the per-ordinal files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub namespace: String,
    pub replicas: usize,
    pub image: String,
    /// The data volume's size (a Kubernetes quantity, e.g. `1Gi`).
    pub storage: String,
    /// `None`: the cluster's default StorageClass.
    pub storage_class: Option<String>,
}

/// Labels on every object.
pub fn labels() -> Value {
    json!({
        "app.kubernetes.io/name": APP,
        "app.kubernetes.io/component": "node",
        "app.kubernetes.io/managed-by": "rumor-testnet",
    })
}

/// The pods' labels that the Service and the StatefulSet select by.
pub fn selector() -> Value {
    json!({
        "app.kubernetes.io/name": APP,
        "app.kubernetes.io/component": "node",
    })
}

fn metadata(name: &str, namespace: &str) -> Value {
    json!({ "name": name, "namespace": namespace, "labels": labels() })
}

/// The Namespace, enforcing the `restricted` Pod Security Standard.
pub fn namespace(name: &str) -> Value {
    let mut labels = labels();
    for mode in ["enforce", "warn", "audit"] {
        labels[format!("pod-security.kubernetes.io/{mode}")] = json!("restricted");
    }
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": name, "labels": labels },
    })
}

/// `data`: file name → text (genesis and every ordinal's TOML).
pub fn config_map(namespace: &str, data: &serde_json::Map<String, Value>) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(CONFIG_MAP, namespace),
        "data": data,
    })
}

/// `data`: file name → base64 of the key file.
pub fn secret(namespace: &str, data: &serde_json::Map<String, Value>) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(KEYS_SECRET, namespace),
        "type": "Opaque",
        "data": data,
    })
}

fn ports() -> Value {
    json!([
        { "name": "p2p", "containerPort": P2P_PORT, "protocol": "TCP" },
        { "name": "rpc", "containerPort": RPC_PORT, "protocol": "TCP" },
        { "name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP" },
    ])
}

/// The headless Service that gives each pod its DNS name, before it is ready (a node's
/// bootnodes must resolve while they start).
pub fn headless_service(namespace: &str) -> Value {
    let ports: Vec<Value> = ["p2p", "rpc", "metrics"]
        .iter()
        .zip([P2P_PORT, RPC_PORT, METRICS_PORT])
        .map(|(name, port)| {
            json!({ "name": name, "port": port, "targetPort": name, "protocol": "TCP" })
        })
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(APP, namespace),
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": true,
            "selector": selector(),
            "ports": ports,
        },
    })
}

/// Non-root, read-only, nothing extra: what the `restricted` profile asks of each container.
fn container_security() -> Value {
    json!({
        "runAsNonRoot": true,
        "runAsUser": UID,
        "runAsGroup": UID,
        "readOnlyRootFilesystem": true,
        "allowPrivilegeEscalation": false,
        "capabilities": { "drop": ["ALL"] },
        "seccompProfile": { "type": "RuntimeDefault" },
    })
}

fn pod_name_env() -> Value {
    json!([{ "name": "POD_NAME", "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } } }])
}

/// `rumor health` against the node's own RPC, as an exec probe.
fn probe(period: u32, failures: u32) -> Value {
    json!({
        "exec": { "command": [
            BINARY, "health", "--rpc", format!("127.0.0.1:{RPC_PORT}"), "--timeout-ms", "2000",
        ] },
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    })
}

fn init_container(image: &str) -> Value {
    json!({
        "name": "install-key",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": [BINARY],
        "args": [
            "key", "import",
            "--from", format!("{SECRET_DIR}/$(POD_NAME).key"),
            "--out", key_path().display().to_string(),
        ],
        "env": pod_name_env(),
        "resources": {
            "requests": { "cpu": "10m", "memory": "16Mi" },
            "limits": { "cpu": "100m", "memory": "64Mi" },
        },
        "securityContext": container_security(),
        "volumeMounts": [
            { "name": "node-keys", "mountPath": SECRET_DIR, "readOnly": true },
            { "name": "key", "mountPath": KEY_DIR },
        ],
    })
}

fn node_container(image: &str) -> Value {
    json!({
        "name": "rumor",
        "image": image,
        // Not `Always` (the default for `:latest`): images are loaded into the cluster's nodes
        // (`kind load`, `k3s ctr images import`), there is no registry to pull from.
        "imagePullPolicy": "IfNotPresent",
        "command": [BINARY],
        "args": ["node", "--config", format!("{CONFIG_DIR}/$(POD_NAME).toml")],
        "env": pod_name_env(),
        "ports": ports(),
        "resources": {
            "requests": { "cpu": "250m", "memory": "256Mi" },
            "limits": { "cpu": "1", "memory": "1Gi" },
        },
        "securityContext": container_security(),
        // Opening a large store checks its integrity: up to 5 minutes before liveness applies.
        "startupProbe": probe(5, 60),
        "readinessProbe": probe(5, 3),
        "livenessProbe": probe(10, 6),
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "volumeMounts": [
            { "name": "config", "mountPath": CONFIG_DIR, "readOnly": true },
            { "name": "key", "mountPath": KEY_DIR, "readOnly": true },
            { "name": "data", "mountPath": DATA_DIR },
        ],
    })
}

/// The StatefulSet: `replicas` pods started in parallel (bootnodes are redialed by name until
/// they answer, so order does not matter), each with its own data volume.
pub fn stateful_set(spec: &Spec) -> Value {
    let mut claim = json!({
        "accessModes": ["ReadWriteOnce"],
        "resources": { "requests": { "storage": spec.storage } },
    });
    if let Some(class) = &spec.storage_class {
        claim["storageClassName"] = json!(class);
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata(APP, &spec.namespace),
        "spec": {
            "serviceName": APP,
            "replicas": spec.replicas,
            "podManagementPolicy": "Parallel",
            "updateStrategy": { "type": "RollingUpdate" },
            "selector": { "matchLabels": selector() },
            "template": {
                "metadata": {
                    "labels": labels(),
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": METRICS_PORT.to_string(),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "automountServiceAccountToken": false,
                    "enableServiceLinks": false,
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": UID,
                        "runAsGroup": UID,
                        "fsGroup": UID,
                        // Re-own the data volume only when it is new, not on every start.
                        "fsGroupChangePolicy": "OnRootMismatch",
                        "seccompProfile": { "type": "RuntimeDefault" },
                    },
                    "initContainers": [init_container(&spec.image)],
                    "containers": [node_container(&spec.image)],
                    "volumes": [
                        { "name": "config", "configMap": { "name": CONFIG_MAP, "defaultMode": 0o444 } },
                        { "name": "node-keys", "secret": { "secretName": KEYS_SECRET, "defaultMode": 0o400 } },
                        { "name": "key", "emptyDir": { "medium": "Memory", "sizeLimit": "1Mi" } },
                    ],
                },
            },
            "volumeClaimTemplates": [{
                "metadata": { "name": "data", "labels": labels() },
                "spec": claim,
            }],
        },
    })
}

//! Where nodes run besides this machine's processes: containers under Docker Compose
//! ([`container`], `--backend compose`) and Kubernetes manifests ([`k8s`], `k8s render`).

pub mod container;
pub mod k8s;

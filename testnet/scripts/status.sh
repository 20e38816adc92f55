#!/bin/sh
# Heads, peers, mesh and mempool of every node of the latest (or --dir) testnet.
# Thin wrapper: builds the binaries if needed, then runs `rumor-testnet status "$@"`.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p rumor-node -p rumor-testnet
exec "${CARGO_TARGET_DIR:-$root/target}/release/rumor-testnet" status "$@"

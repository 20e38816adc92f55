#!/bin/sh
# Stop the nodes of the latest (or --dir) testnet (only its own processes; safe to repeat).
# Thin wrapper: builds the binaries if needed, then runs `rumor-testnet down "$@"`.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p rumor-node -p rumor-testnet
exec "${CARGO_TARGET_DIR:-$root/target}/release/rumor-testnet" down "$@"

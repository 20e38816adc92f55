#!/bin/sh
# Write the propagation report of the latest (or --dir) running testnet to DIR/report/.
# Thin wrapper: builds the binaries if needed, then runs `rumor-testnet measure "$@"`.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p rumor-node -p rumor-testnet
exec "${CARGO_TARGET_DIR:-$root/target}/release/rumor-testnet" measure "$@"

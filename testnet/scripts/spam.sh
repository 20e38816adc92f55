#!/bin/sh
# Send signed transfers to the latest (or --dir) testnet. Options: --tps R --duration D --accounts M --batch B.
# Thin wrapper: builds the binaries if needed, then runs `rumor-testnet load "$@"`.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p rumor-node -p rumor-testnet
exec "${CARGO_TARGET_DIR:-$root/target}/release/rumor-testnet" load "$@"

#!/bin/sh
# Start a local testnet and leave it running. Options: --nodes N --producers K --regions none|builtin|FILE --seed S --dir DIR (default ./testnet-runs/<timestamp>).
# Thin wrapper: builds the binaries if needed, then runs `rumor-testnet up "$@"`.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p rumor-node -p rumor-testnet
exec "${CARGO_TARGET_DIR:-$root/target}/release/rumor-testnet" up "$@"

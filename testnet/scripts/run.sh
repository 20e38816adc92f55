#!/bin/sh
# The whole job: start, load, measure, stop, report (the same as the README's main command).
# Thin wrapper: builds the binaries if needed, then runs `rumor-testnet run "$@"`.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p rumor-node -p rumor-testnet
exec "${CARGO_TARGET_DIR:-$root/target}/release/rumor-testnet" run "$@"

#!/bin/sh
# The whole test suite, as CI runs it: set the machine up, then the checks.
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test --release

#!/bin/bash
# The whole test suite, as CI runs it: set the machine up, then the checks.
# Ends with one summary line over every cargo test binary.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --release --no-fail-fast --lib --tests 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { p += $4; f += $6; i += $8 }
     END { printf "ferrofuse: %d passed, %d failed, %d skipped\n", p, f, i }' "$log"
exit $status

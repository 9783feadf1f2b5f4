#!/usr/bin/env bash
# Benchmarks (figures, no pass/fail): provider start-up to handshake and idle memory,
# against baselines measured in the same run. Release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo bench --locked --bench startup

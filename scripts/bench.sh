#!/usr/bin/env bash
# Benchmarks (figures, no pass/fail), each against a baseline measured in the same run, release
# build: provider start-up to handshake and idle memory; the client's adaptive rate limit
# against the mock's --rate-limit (achieved rate over the limit, 429s, time over the unlimited
# run). The Terraform benchmark is scripts/bench-terraform.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo bench --locked -p terraform-provider-oci --bench startup
cargo bench --locked -p oci-client --bench rate_limit

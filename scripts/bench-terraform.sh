#!/usr/bin/env bash
# Terraform benchmark (figures, no pass/fail on speed): real Terraform against
# oci-identity-mock (20 ms latency, parallelism 10) for 1 and 50 auth tokens (and 2,000 =
# 1,000 users x 2 with --large), each beside Terraform's floor (builtin terraform_data, no
# provider) measured in the same run: apply (create), apply (update), no-op plan, destroy;
# then a pass with the mock's --rate-limit refusing about a third of the requests. Beside the
# floor it runs the same configuration against the "twin" (crates/terraform-provider-oci/
# examples/twin.rs: this provider's schemas, no API calls), Terraform's cost of any plugin
# provider, so "minus twin" is what the OCI work adds.
# Exits non-zero only if a Terraform command fails or tokens are orphaned.
#
#   scripts/bench-terraform.sh [--large] [--sizes 1,50] [--latency-ms 20] [--parallelism 10]
#                              [--rate-limit N] [--no-rate-limit-pass] [--repeat 3]
#                              [--no-profile] [--keep] [--no-build] [--debug]
# Sizes below 1,000 run --repeat cycles (floor and provider alternating; medians shown), then
# one profiled cycle (TF_LOG_PROVIDER=debug) whose table splits the time: provider processes,
# Terraform's start-up of them, time serving RPCs, time on the API, waits, provider CPU.
# The mock's data (its users and their RSA keys: minutes to generate for 1,000 users) is kept in
# target/bench-mock-data between runs.
# --debug uses the debug build (target/debug) instead of the release one: slower provider code,
# so the figures overstate the provider's own time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
SIZES="1,50"
BUILD=1
PROFILE=release
ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --large) SIZES="1,50,2000" ;;
    --sizes) SIZES="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --debug) PROFILE=debug ;;
    --latency-ms|--parallelism|--rate-limit|--repeat) ARGS+=("$1" "$2"); shift ;;
    --no-rate-limit-pass|--no-profile|--keep) ARGS+=("$1") ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
TF="${TERRAFORM:-$ROOT/.venv/bin/terraform}"
[[ -x "$TF" ]] || { echo "no Terraform at $TF (run scripts/setup-tools.sh or set TERRAFORM)" >&2; exit 2; }
if [[ "$BUILD" == 1 ]]; then
  echo "==> building the provider and the mock ($PROFILE)" >&2
  if [[ "$PROFILE" == release ]]; then
    cargo build --locked --release -p terraform-provider-oci -p oci-identity-mock --bins >&2
    cargo build --locked --release -p terraform-provider-oci --example twin >&2
  else
    cargo build --locked -p terraform-provider-oci -p oci-identity-mock --bins >&2
    cargo build --locked -p terraform-provider-oci --example twin >&2
  fi
fi
exec python3 "$ROOT/scripts/bench/terraform_bench.py" \
  --terraform "$TF" \
  --mock "$ROOT/target/$PROFILE/oci-identity-mock" \
  --provider-dir "$ROOT/target/$PROFILE" \
  --mock-data "$ROOT/target/bench-mock-data" \
  --twin "$ROOT/target/$PROFILE/examples/twin" \
  --sizes "$SIZES" "${ARGS[@]}"

#!/usr/bin/env bash
# Runs every check and test of the workspace: formatting, clippy (warnings are errors), unit,
# property, integration (plugin handshake, mock, OCI CLI and SDK) and the acceptance suite that
# drives real Terraform against the mock Identity API.
# Installs what it needs: Rust crates (cargo) and Terraform + OCI CLI from PyPI into .venv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CHECKPOINT_DISABLE=1
# These machines may point TF_CLI_CONFIG_FILE at a file that does not exist; every test
# writes and uses its own CLI configuration.
unset TF_CLI_CONFIG_FILE

bash scripts/setup-tools.sh
export TERRAFORM="$PWD/.venv/bin/terraform"
export OCI_CLI_BIN="$PWD/.venv/bin/oci"

cargo fmt --all --check
cargo build --locked --workspace --bins
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo test --locked --workspace --no-fail-fast -- --test-threads="${TEST_THREADS:-2}"
# The oldest and newest Terraform versions installing the provider from a filesystem mirror
# (plain `terraform init`) and running the smoke suite; `scripts/compat.sh` runs every version.
bash scripts/compat.sh --ci

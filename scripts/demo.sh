#!/usr/bin/env bash
# The main job on a fresh machine: build the provider and the mock Identity API, start the
# mock, then real `terraform init/plan/apply` of examples/demo, show the result (the token
# masked, and the data source), and destroy. Installs what it needs (cargo, .venv).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
export CHECKPOINT_DISABLE=1

bash scripts/setup-tools.sh
echo "==> building terraform-provider-oci and oci-identity-mock" >&2
cargo build --locked --workspace --bins
TF="$ROOT/.venv/bin/terraform"

WORK="$(mktemp -d)"
MOCK_PID=""
cleanup() {
  [[ -n "$MOCK_PID" ]] && kill "$MOCK_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> starting oci-identity-mock" >&2
mkfifo "$WORK/ready"
"$ROOT/target/debug/oci-identity-mock" --data-dir "$WORK/mock" >"$WORK/ready" 2>"$WORK/mock.log" &
MOCK_PID=$!
read -r READY <"$WORK/ready"
echo "    $READY" >&2
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); v=d[sys.argv[2]]; print(v[0] if isinstance(v, list) else v)' "$READY" "$1"; }
ENDPOINT="$(field endpoint)"

mkdir -p "$WORK/tf"
cp "$ROOT/examples/demo/main.tf" "$WORK/tf/"
cat >"$WORK/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "registry.terraform.io/oracle/oci" = "$ROOT/target/debug"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE="$WORK/cli.tfrc"
export OCI_CONFIG_FILE="$(field config_file)"
export CLIENT_HOST_OVERRIDES="oci_identity.IdentityClient=$ENDPOINT"
export TF_VAR_user_ocid="$(field user_ocids)"
export TF_IN_AUTOMATION=1

cd "$WORK/tf"
echo "==> terraform init" >&2
"$TF" init -input=false -no-color
echo "==> terraform plan" >&2
"$TF" plan -input=false -no-color -out=demo.plan
echo "==> terraform apply" >&2
"$TF" apply -input=false -no-color demo.plan
echo "==> terraform output (the token stays masked)" >&2
"$TF" output -no-color
echo "==> the token is in state, where it belongs: $("$TF" output -raw token | wc -c) characters" >&2
echo "==> a second plan has nothing to do" >&2
"$TF" plan -input=false -no-color -detailed-exitcode
echo "==> mock statistics" >&2
python3 - "$ENDPOINT" <<'PY'
import json, sys, urllib.request
print(json.dumps(json.load(urllib.request.urlopen(sys.argv[1] + "/_mock/stats")), indent=2))
PY
echo "==> terraform destroy" >&2
"$TF" destroy -auto-approve -input=false -no-color
echo "==> done" >&2

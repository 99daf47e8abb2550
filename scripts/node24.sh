#!/usr/bin/env bash
# Fetches the Node.js 24 LTS release the image runs (NODE_VERSION in the Dockerfile) and the
# npm it bundles from the npm registry (packages node-linux-<arch> and npm; `npm pack` checks
# their integrity) into a prefix laid out like the official release: bin/node, bin/npm,
# bin/npx, lib/node_modules/npm. Used by .ci/run (unit tests on Node 24) and scripts/image.sh
# (the local base image).
#
# Cached in .cache/node/<key>/ like scripts/k8s-tools.sh caches its binaries: .cache/node is a
# link into a per-machine cache, and a READY stamp is written last; when it exists the script
# exits at once.
#
# Usage:
#   bash scripts/node24.sh              fetch if needed, print the bin dir last
#   bash scripts/node24.sh --print-dir  only print the bin dir (no fetch)
#   bash scripts/node24.sh --version    only print the cache key
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="$(sed -nE 's/^ARG NODE_VERSION=([0-9.]+)$/\1/p' "$ROOT/Dockerfile")"
[[ -n "$NODE_VERSION" ]] || { echo "node24: no 'ARG NODE_VERSION=' in $ROOT/Dockerfile" >&2; exit 1; }
NPM_VERSION="11.19.1"            # the npm that Node.js 24.22.x bundles (its CHANGELOG: "upgrade npm to 11.19.1")
case "$(uname -m)" in
  x86_64) ARCH=x64 ;;
  aarch64) ARCH=arm64 ;;
  *) echo "node24: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
KEY="node-v${NODE_VERSION}_npm-${NPM_VERSION}_linux-${ARCH}"

if [[ -z "${NODE24_CACHE:-}" && ! -e "$ROOT/.cache/node" ]]; then
  MACHINE_CACHE="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/amko-node"
  mkdir -p "$MACHINE_CACHE" "$ROOT/.cache" && ln -sfn "$MACHINE_CACHE" "$ROOT/.cache/node" || true
fi
PREFIX="${NODE24_CACHE:-$ROOT/.cache/node}/$KEY"
BIN="$PREFIX/bin"

case "${1:-}" in
  --print-dir) echo "$BIN"; exit 0 ;;
  --version) echo "$KEY"; exit 0 ;;
  "") ;;
  *) echo "node24: unknown argument '$1' (use --print-dir or --version)" >&2; exit 2 ;;
esac

log() { echo "node24: $*" >&2; }
die() { echo "node24: ERROR: $*" >&2; exit 1; }

if [[ -f "$PREFIX/READY" ]]; then log "cached ($KEY)"; echo "$BIN"; exit 0; fi

exec </dev/null
mkdir -p "$PREFIX"
exec 9>"$PREFIX/.lock"
flock -w 1800 9 || die "timed out waiting for lock $PREFIX/.lock"
if [[ -f "$PREFIX/READY" ]]; then log "cached ($KEY, fetched by a concurrent run)"; echo "$BIN"; exit 0; fi

command -v npm >/dev/null || die "npm is not on PATH (it fetches the packages)"
T0=$SECONDS
WORK="$(mktemp -d "$PREFIX/.fetch.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
log "fetching node-linux-${ARCH}@${NODE_VERSION} and npm@${NPM_VERSION} from $(npm config get registry)"
( cd "$WORK" && npm pack --silent "node-linux-${ARCH}@${NODE_VERSION}" "npm@${NPM_VERSION}" >/dev/null ) \
  || die "npm pack failed"
mkdir -p "$WORK/node" "$WORK/npm"
tar -xzf "$WORK/node-linux-${ARCH}-${NODE_VERSION}.tgz" -C "$WORK/node" --strip-components=1
tar -xzf "$WORK/npm-${NPM_VERSION}.tgz" -C "$WORK/npm" --strip-components=1

rm -rf "$PREFIX/bin" "$PREFIX/lib"
mkdir -p "$PREFIX/bin" "$PREFIX/lib/node_modules"
install -m 0755 "$WORK/node/bin/node" "$PREFIX/bin/node"
cp "$WORK/node/LICENSE" "$PREFIX/LICENSE"
mv "$WORK/npm" "$PREFIX/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$PREFIX/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$PREFIX/bin/npx"

got="$("$BIN/node" --version)"
[[ "$got" == "v$NODE_VERSION" ]] || die "fetched node reports $got, expected v$NODE_VERSION"
npm_got="$(PATH="$BIN:$PATH" "$BIN/npm" --version)"
[[ "$npm_got" == "$NPM_VERSION" ]] || die "fetched npm reports $npm_got, expected $NPM_VERSION"
echo "$KEY fetched=$(date -u +%FT%TZ)" >"$PREFIX/READY"
log "node $got, npm $npm_got in $((SECONDS - T0))s -> $BIN"
echo "$BIN"

#!/usr/bin/env bash
# Builds the Dockerfile (the one users build) here, with buildah and no registry pull: its
# NODE_IMAGE build argument is a base made on this machine from Debian's packages (mmdebstrap,
# minbase) plus the Node.js 24 release and its npm from the npm registry (scripts/node24.sh),
# laid out like the official node image (/usr/local/bin/node, npm, npx).
#
# The base is cached like scripts/k8s-tools.sh caches its binaries: the image
# localhost/amko-node-base:<key> and a READY stamp (holding its image id) in .cache/image-base/<key>/,
# a link into a per-machine cache; the key names the Node, npm and Debian versions and the recipe
# revision. The image build itself uses buildah's layer cache (--layers).
#
# Usage (as root; installs buildah, podman, runc and mmdebstrap with apt-get when missing):
#   bash scripts/image.sh                build the base if needed, then the image; print its name last
#   bash scripts/image.sh --print-image  only print the image name (localhost/amko:<package.json version>)
#   bash scripts/image.sh run ARGS...    `podman run` with the flags containers need on this machine
#   bash scripts/image.sh podman ARGS... `podman` with this machine's runtime flags (stop, rm, inspect, ...)
#   AMKO_IMAGE=<name> overrides the image name (default localhost/amko:<package.json version>)
#
# What this machine kind needs (found by trying): runc (crun fails) with the cgroupfs cgroup
# manager, host networking, and explicit ulimits (the defaults fail; nproc above ~60000 fails
# too). Storage: the default overlay driver works here (ext4, native overlay diff); where it does
# not (e.g. /var/lib/containers on overlayfs), set STORAGE_DRIVER=vfs for every call.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="$(sed -nE 's/^  "version": "([^"]+)",$/\1/p' "$ROOT/package.json" | head -1)"
[[ -n "$VERSION" ]] || { echo "image: no version in $ROOT/package.json" >&2; exit 1; }
IMAGE="${AMKO_IMAGE:-localhost/amko:$VERSION}"
PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
RUN_FLAGS=(--network=host --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

case "${1:-}" in
  --print-image) echo "$IMAGE"; exit 0 ;;
  run) shift; exec "${PODMAN[@]}" run "${RUN_FLAGS[@]}" "$@" ;;
  podman) shift; exec "${PODMAN[@]}" "$@" ;;
  "") ;;
  *) echo "image: unknown argument '$1' (use --print-image, run or podman)" >&2; exit 2 ;;
esac

log() { echo "image: $*" >&2; }
die() { echo "image: ERROR: $*" >&2; exit 1; }
exec </dev/null
T0=$SECONDS

# ---- prerequisites -------------------------------------------------------
missing=()
for tool in buildah podman runc mmdebstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null || die "missing ${missing[*]}; install them (needs root and apt-get)"
  log "installing ${missing[*]} with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
fi
[[ $(id -u) -eq 0 ]] || die "run as root (buildah/podman storage in /var/lib/containers)"
buildah info >/dev/null || die "buildah cannot use its storage (try STORAGE_DRIVER=vfs)"

# ---- the base: Debian minbase + Node.js 24 + npm ---------------------------
NODE_BIN="$(bash "$ROOT/scripts/node24.sh")"
NODE_PREFIX="$(dirname "$NODE_BIN")"
DEBIAN_SUITE="bookworm"          # the Debian release of the Dockerfile's default base (node:<version>-bookworm-slim)
DEBIAN_MIRROR="http://deb.debian.org/debian"
BASE_RECIPE=1                    # bump when the base's recipe below changes
# The registry CAs this machine's npm trusts (a TLS-intercepting proxy's CA, say) go into the base's
# npm config, so `npm ci` in the build reaches the registry as it does here; part of the key.
NPM_CAFILE="$(npm config get cafile 2>/dev/null || true)"
[[ "$NPM_CAFILE" == null || ! -f "$NPM_CAFILE" ]] && NPM_CAFILE=""
CA_KEY="${NPM_CAFILE:+_npmca-$(sha256sum "$NPM_CAFILE" | cut -c1-12)}"
BASE_KEY="$(bash "$ROOT/scripts/node24.sh" --version)_debian-${DEBIAN_SUITE}_r${BASE_RECIPE}${CA_KEY}"
BASE_IMAGE="localhost/amko-node-base:${BASE_KEY}"

if [[ -z "${IMAGE_BASE_CACHE:-}" && ! -e "$ROOT/.cache/image-base" ]]; then
  MACHINE_CACHE="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/amko-image-base"
  mkdir -p "$MACHINE_CACHE" "$ROOT/.cache" && ln -sfn "$MACHINE_CACHE" "$ROOT/.cache/image-base" || true
fi
CACHE="${IMAGE_BASE_CACHE:-$ROOT/.cache/image-base}/$BASE_KEY"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 3600 9 || die "timed out waiting for lock $CACHE/.lock"

base_ready() {
  [[ -f "$CACHE/READY" ]] && [[ "$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null)" == "$(cat "$CACHE/READY")" ]]
}

make_base() {
  local t=$SECONDS tar="$CACHE/rootfs.tar" hooks=()
  rm -f "$CACHE/READY" "$tar"
  hooks+=(--customize-hook="mkdir -p \"\$1/usr/local\" && cp -a '$NODE_PREFIX/bin' '$NODE_PREFIX/lib' \"\$1/usr/local/\"")
  if [[ -n "$NPM_CAFILE" ]]; then
    hooks+=(--customize-hook="mkdir -p \"\$1/usr/local/etc\" && cp '$NPM_CAFILE' \"\$1/usr/local/etc/npm-ca.pem\" && echo cafile=/usr/local/etc/npm-ca.pem >\"\$1/usr/local/etc/npmrc\"")
  fi
  hooks+=(--customize-hook='chroot "$1" node --version' --customize-hook='chroot "$1" npm --version')
  log "making the base $BASE_IMAGE (mmdebstrap $DEBIAN_SUITE minbase + $(basename "$NODE_PREFIX"))"
  mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    "${hooks[@]}" "$DEBIAN_SUITE" "$tar" \
    "deb $DEBIAN_MIRROR $DEBIAN_SUITE main" "deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main" \
    "deb ${DEBIAN_MIRROR%/debian}/debian-security $DEBIAN_SUITE-security main" >&2 \
    || die "mmdebstrap failed"
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' "$tar" "$BASE_IMAGE" >/dev/null || die "podman import failed"
  rm -f "$tar"
  "${PODMAN[@]}" image inspect --format '{{.Id}}' "$BASE_IMAGE" >"$CACHE/READY"
  log "base made in $((SECONDS - t))s"
}

if base_ready; then log "base cached ($BASE_IMAGE)"; else make_base; fi

# ---- the image -------------------------------------------------------------
t=$SECONDS
log "building $IMAGE from Dockerfile (NODE_IMAGE=$BASE_IMAGE)"
buildah bud --quiet --layers --runtime runc --build-arg "NODE_IMAGE=$BASE_IMAGE" \
  -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT" >&2 || die "buildah bud failed"
size="$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE")"
log "built $IMAGE in $((SECONDS - t))s ($((size / 1000000)) MB; total $((SECONDS - T0))s)"
echo "$IMAGE"

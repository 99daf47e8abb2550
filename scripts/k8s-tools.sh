#!/usr/bin/env bash
# Builds the real-Kubernetes test tools from Go modules (via the Go module proxy)
# into .cache/k8s-tools/<version>/bin/:
#   kube-apiserver, kubectl   (k8s.io/kubernetes)
#   etcd, etcdctl             (go.etcd.io/etcd/{server,etcdctl}/v3)
#   helm                      (helm.sh/helm/v3/cmd/helm)
# and then runs scripts/chart-tools.sh (promtool, kubeconform; its own cache folder).
#
# Idempotent, non-interactive. A READY stamp is written only after every binary
# built; when it exists the script exits at once. GOMODCACHE/GOCACHE are the
# shared Go defaults, so a rebuild after a version bump is incremental.
#
# Usage:
#   bash scripts/k8s-tools.sh              build if needed, print the bin dir last
#   bash scripts/k8s-tools.sh --print-dir  only print the bin dir (no build)
#   bash scripts/k8s-tools.sh --version    only print the cache version key
#   K8S_TOOLS_FORCE=1 bash scripts/k8s-tools.sh   rebuild even if READY exists
#
# Why not Debian's etcd-server: bookworm ships etcd 3.4.23, and kube-apiserver
# 1.3x needs etcd >= 3.5, so etcd is built from the proxy as well.
set -euo pipefail

K8S_VERSION="v1.36.3"          # k8s.io/kubernetes; staging modules are v0.36.3
ETCD_VERSION="v3.6.16"         # go.etcd.io/etcd/*/v3
HELM_VERSION="v3.22.0"         # helm.sh/helm/v3
GO_MIN_MINOR=26                # k8s v1.36 and etcd v3.6.16 need go >= 1.26

TOOLS_VERSION="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The git-ignored .cache/k8s-tools is a link into a per-machine cache, so a fresh
# clone on the same machine (CI runs in one) reuses the binaries; a new machine
# simply builds them. K8S_TOOLS_CACHE overrides the whole location.
if [[ -z "${K8S_TOOLS_CACHE:-}" && ! -e "$ROOT/.cache/k8s-tools" ]]; then
  MACHINE_CACHE="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/amko-k8s-tools"
  mkdir -p "$MACHINE_CACHE" "$ROOT/.cache" && ln -sfn "$MACHINE_CACHE" "$ROOT/.cache/k8s-tools" || true
fi
CACHE="${K8S_TOOLS_CACHE:-$ROOT/.cache/k8s-tools}/${TOOLS_VERSION}"
BIN="$CACHE/bin"

case "${1:-}" in
  --print-dir) echo "$BIN"; exit 0 ;;
  --version) echo "$TOOLS_VERSION"; exit 0 ;;
  "") ;;
  *) echo "k8s-tools: unknown argument '$1' (use --print-dir or --version)" >&2; exit 2 ;;
esac

log() { echo "k8s-tools: $*" >&2; }
die() { echo "k8s-tools: ERROR: $*" >&2; exit 1; }
# The chart's check tools (promtool, kubeconform) are built next to these.
chart_tools() { bash "$ROOT/scripts/chart-tools.sh" >/dev/null || die "scripts/chart-tools.sh failed"; }

if [[ -f "$CACHE/READY" && -z "${K8S_TOOLS_FORCE:-}" ]]; then
  log "cached ($TOOLS_VERSION)"
  chart_tools
  echo "$BIN"
  exit 0
fi

exec </dev/null
mkdir -p "$CACHE"
# Serialize concurrent runs (e.g. CI step and a test run) on the same cache.
exec 9>"$CACHE/.lock"
if ! flock -w 3600 9; then die "timed out waiting for lock $CACHE/.lock"; fi
if [[ -f "$CACHE/READY" && -z "${K8S_TOOLS_FORCE:-}" ]]; then
  log "cached ($TOOLS_VERSION, built by a concurrent run)"
  exec 9>&-
  chart_tools
  echo "$BIN"; exit 0
fi
rm -f "$CACHE/READY"

# ---- prerequisites -------------------------------------------------------
apt_install() {
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
      || die "apt-get install $* failed"
  else
    die "missing $*; install it (not root or no apt-get)"
  fi
}
command -v openssl >/dev/null || apt_install openssl   # used by test/harness for certs
command -v git >/dev/null || apt_install git           # go may need it for VCS stamping fallbacks
command -v go >/dev/null || die "go is not on PATH (need go >= 1.${GO_MIN_MINOR})"
export GOTOOLCHAIN=local
GOV="$(go env GOVERSION)"
minor="$(sed -E 's/^go1\.([0-9]+).*/\1/' <<<"$GOV")"
[[ "$minor" =~ ^[0-9]+$ && "$minor" -ge "$GO_MIN_MINOR" ]] \
  || die "$GOV is too old; need go >= 1.${GO_MIN_MINOR} (GOTOOLCHAIN=local, no toolchain downloads)"

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off
unset GOOS GOARCH GOPATH_SET 2>/dev/null || true
mkdir -p "$BIN"
T0=$SECONDS
BUILT=()

step() { # name, then command...
  local name="$1"; shift
  local t=$SECONDS
  log "building $name ..."
  "$@" || die "building $name failed (see output above)"
  log "built $name in $((SECONDS - t))s"
  BUILT+=("$name")
}

write_mod() { # dir, module-name, go.mod body
  mkdir -p "$1"
  printf 'module %s\n\ngo 1.%s.0\n\n%s\n' "$2" "$GO_MIN_MINOR" "$3" >"$1/go.mod"
  # keep an existing go.sum (incremental), but the module is throwaway
  touch "$1/go.sum"
}

# ---- etcd + etcdctl -------------------------------------------------------
build_etcd() {
  local d="$CACHE/src/etcd" v="$ETCD_VERSION"
  write_mod "$d" "k8stools/etcd" "require (
	go.etcd.io/etcd/server/v3 $v
	go.etcd.io/etcd/etcdctl/v3 $v
)

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $v
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $v
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $v
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $v
	go.etcd.io/etcd/server/v3 => go.etcd.io/etcd/server/v3 $v
	go.etcd.io/etcd/etcdctl/v3 => go.etcd.io/etcd/etcdctl/v3 $v
)"
  ( cd "$d" &&
    go get go.etcd.io/etcd/server/v3@"$v" go.etcd.io/etcd/etcdctl/v3@"$v" &&
    go build -trimpath -ldflags="-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3 &&
    go build -trimpath -ldflags="-s -w" -o "$BIN/etcdctl.tmp" go.etcd.io/etcd/etcdctl/v3 &&
    mv -f "$BIN/etcd.tmp" "$BIN/etcd" && mv -f "$BIN/etcdctl.tmp" "$BIN/etcdctl" &&
    "$BIN/etcd" --version | head -1 >&2 )
}

# ---- kube-apiserver + kubectl ----------------------------------------------
build_k8s() {
  local d="$CACHE/src/kubernetes" v="$K8S_VERSION" sv="v0.${K8S_VERSION#v1.}"
  # every staging module that k8s.io/kubernetes replaces with ./staging/src/...
  local staging=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
    cloud-provider cluster-bootstrap code-generator component-base component-helpers
    controller-manager cri-api cri-client cri-streaming csi-translation-lib
    dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
    kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics mount-utils
    pod-security-admission sample-apiserver sample-cli-plugin sample-controller streaming)
  # Cross-check against the real go.mod so a version bump that adds a staging
  # module fails loudly instead of building with a mismatched module.
  local modfile
  modfile="$(go mod download -json "k8s.io/kubernetes@$v" | sed -nE 's/^\s*"GoMod": "(.*)",?$/\1/p')"
  [[ -f "$modfile" ]] || { log "cannot download k8s.io/kubernetes@$v"; return 1; }
  local real
  real="$(sed -nE 's#^\s*k8s\.io/([a-z0-9-]+) => \./staging/.*#\1#p' "$modfile" | sort | tr '\n' ' ')"
  if [[ "$real" != "$(printf '%s\n' "${staging[@]}" | sort | tr '\n' ' ')" ]]; then
    staging=($real)
    log "staging list taken from $modfile: ${staging[*]}"
  fi
  local rep="" m
  for m in "${staging[@]}"; do rep+=$'\t'"k8s.io/$m => k8s.io/$m $sv"$'\n'; done
  write_mod "$d" "k8stools/kubernetes" "require k8s.io/kubernetes $v

replace (
$rep)"
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  ( cd "$d" &&
    go get "k8s.io/kubernetes/cmd/kube-apiserver@$v" "k8s.io/kubernetes/cmd/kubectl@$v" &&
    go build -trimpath -ldflags="$ld" -o "$BIN/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver &&
    go build -trimpath -ldflags="$ld" -o "$BIN/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl &&
    mv -f "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver" && mv -f "$BIN/kubectl.tmp" "$BIN/kubectl" &&
    "$BIN/kube-apiserver" --version >&2 )
}

# ---- helm -----------------------------------------------------------------
build_helm() {
  # helm has no replace directives, so a plain `go install pkg@version` works.
  ( GOBIN="$BIN" go install -trimpath \
      -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
      "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" &&
    "$BIN/helm" version --short >&2 )
}

# A previous run that died half way keeps what it finished (binaries are moved
# into place only after a successful build); K8S_TOOLS_FORCE=1 rebuilds all.
[[ -n "${K8S_TOOLS_FORCE:-}" ]] && rm -f "$BIN"/*
[[ -x "$BIN/etcd" && -x "$BIN/etcdctl" ]] \
  && log "etcd already built" || step "etcd $ETCD_VERSION" build_etcd
[[ -x "$BIN/helm" ]] && log "helm already built" || step "helm $HELM_VERSION" build_helm
[[ -x "$BIN/kube-apiserver" && -x "$BIN/kubectl" ]] \
  && log "kube-apiserver/kubectl already built" || step "kube-apiserver+kubectl $K8S_VERSION" build_k8s

for b in kube-apiserver kubectl etcd etcdctl helm; do
  [[ -x "$BIN/$b" ]] || die "$BIN/$b missing after build"
done
rm -rf "$CACHE/src/"*/vendor 2>/dev/null || true
echo "$TOOLS_VERSION built=$(date -u +%FT%TZ) go=$GOV" >"$CACHE/READY"
log "done in $((SECONDS - T0))s: ${BUILT[*]:-nothing new} -> $BIN"
ls -l "$BIN" >&2
exec 9>&-   # release the lock: the chart tools have their own
chart_tools
echo "$BIN"

#!/usr/bin/env bash
# Builds the tools that check the chart's monitoring and editor artifacts, from
# their Go modules (via the Go module proxy), next to the binaries of
# scripts/k8s-tools.sh in the same per-machine cache:
#   promtool     (github.com/prometheus/prometheus/cmd/promtool): `promtool check rules`
#                and `promtool test rules` on the chart's PrometheusRule
#   kubeconform  (github.com/yannh/kubeconform/cmd/kubeconform): validates manifests
#                against the published JSON Schemas in schemas/
# scripts/k8s-tools.sh runs this script, so CI (.ci/run) builds them too.
#
# Idempotent, non-interactive; a READY stamp is written after both built.
#
# Usage:
#   bash scripts/chart-tools.sh              build if needed, print the bin dir last
#   bash scripts/chart-tools.sh --print-dir  only print the bin dir (no build)
set -euo pipefail

# Prometheus 3.x publishes its Go module as v0.3MM.P (3.16.0 = v0.316.0).
PROMETHEUS_VERSION="3.16.0"
PROMETHEUS_MODULE_VERSION="v0.316.0"
KUBECONFORM_VERSION="v0.8.0"
GO_MIN_MINOR=26   # both go.mod files say go 1.26

TOOLS_VERSION="promtool-v${PROMETHEUS_VERSION}_kubeconform-${KUBECONFORM_VERSION}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The cache root of scripts/k8s-tools.sh (which also sets up the per-machine link).
K8S_BIN="$(bash "$ROOT/scripts/k8s-tools.sh" --print-dir)"
CACHE="$(dirname "$(dirname "$K8S_BIN")")/$TOOLS_VERSION"
BIN="$CACHE/bin"

case "${1:-}" in
  --print-dir) echo "$BIN"; exit 0 ;;
  "") ;;
  *) echo "chart-tools: unknown argument '$1' (use --print-dir)" >&2; exit 2 ;;
esac

log() { echo "chart-tools: $*" >&2; }
die() { echo "chart-tools: ERROR: $*" >&2; exit 1; }

if [[ -f "$CACHE/READY" ]]; then
  log "cached ($TOOLS_VERSION)"
  echo "$BIN"
  exit 0
fi

exec </dev/null
mkdir -p "$BIN"
exec 9>"$CACHE/.lock"
flock -w 3600 9 || die "timed out waiting for lock $CACHE/.lock"
if [[ -f "$CACHE/READY" ]]; then
  log "cached ($TOOLS_VERSION, built by a concurrent run)"
  echo "$BIN"; exit 0
fi

command -v go >/dev/null || die "go is not on PATH (need go >= 1.${GO_MIN_MINOR})"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off
minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
[[ "$minor" =~ ^[0-9]+$ && "$minor" -ge "$GO_MIN_MINOR" ]] \
  || die "$(go env GOVERSION) is too old; need go >= 1.${GO_MIN_MINOR}"

T0=$SECONDS
# Neither module has replace directives, so `go install pkg@version` works.
if [[ ! -x "$BIN/promtool" ]]; then
  log "building promtool v$PROMETHEUS_VERSION ..."
  GOBIN="$BIN" go install -trimpath \
    -ldflags="-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION" \
    || die "building promtool failed (see output above)"
fi
if [[ ! -x "$BIN/kubeconform" ]]; then
  log "building kubeconform $KUBECONFORM_VERSION ..."
  GOBIN="$BIN" go install -trimpath -ldflags="-s -w" \
    "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" \
    || die "building kubeconform failed (see output above)"
fi
"$BIN/promtool" --version >&2 || die "$BIN/promtool does not run"
"$BIN/kubeconform" -v >&2 || die "$BIN/kubeconform does not run"
echo "$TOOLS_VERSION built=$(date -u +%FT%TZ) go=$(go env GOVERSION)" >"$CACHE/READY"
log "done in $((SECONDS - T0))s -> $BIN"
echo "$BIN"

#!/usr/bin/env bash
# Prints the folder of the Gateway API standard-channel CRDs (gatewayclasses, gateways, httproutes, ...) that the
# tests install into the harness clusters: config/crd/standard of the sigs.k8s.io/gateway-api Go module, fetched
# through the Go module proxy into the shared Go module cache (like scripts/k8s-tools.sh fetches its sources).
# Idempotent; a cached module is not fetched again.
set -euo pipefail

GATEWAY_API_VERSION="v1.3.0"   # serves Gateway, GatewayClass and HTTPRoute at v1 (what AKO reads and writes)

command -v go >/dev/null || { echo "gateway-api-crds: go is not installed (scripts/k8s-tools.sh needs it too)" >&2; exit 1; }
# Outside any module, so that no go.mod of a parent folder is consulted.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
dir="$(GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -n "$dir" && -d "$dir/config/crd/standard" ]] || { echo "gateway-api-crds: download of sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION} failed" >&2; exit 1; }
echo "$dir/config/crd/standard"

#!/bin/sh
# Prints both webhook registrations with caBundle filled from a PEM CA file
# (default certs/ca.crt, written by `npm start`) and, optionally, another URL base.
#   webhook-config/fill-ca-bundle.sh [ca-file] [https://127.0.0.1:8443] | kubectl apply -f -
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
ca=${1:-certs/ca.crt}
base=${2:-}
[ -r "$ca" ] || { echo "fill-ca-bundle: cannot read CA file $ca" >&2; exit 1; }
grep -q -- '-----BEGIN CERTIFICATE-----' "$ca" || { echo "fill-ca-bundle: $ca is not a PEM certificate" >&2; exit 1; }
bundle=$(base64 < "$ca" | tr -d '\n')
for f in validating.yaml mutating.yaml; do
  echo '---'
  if [ -n "$base" ]; then
    sed -e "s|\${CA_BUNDLE}|$bundle|" -e "s|https://127.0.0.1:8443|$base|" "$dir/$f"
  else
    sed -e "s|\${CA_BUNDLE}|$bundle|" "$dir/$f"
  fi
done

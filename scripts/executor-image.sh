#!/usr/bin/env bash
# Builds the executor image with kiln itself: scripts/executor-root.sh assembles the image's / in
# a temporary directory, which is the context for executor/Dockerfile; the flags given go to
# `kiln build` as they are.
#
# Usage: scripts/executor-image.sh --destination=REGISTRY/kiln/executor:TAG [kiln build flags]
#        scripts/executor-image.sh --no-push --oci-layout-path=DIR
# (run `npm run build` first: the image carries dist/ as it is)
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: scripts/executor-image.sh --destination=REF | --no-push --oci-layout-path=DIR [kiln build flags]" >&2; exit 2; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
tmp=$(mktemp -d -t kiln-executor-image.XXXXXX)
trap 'rm -rf -- "$tmp"' EXIT

root=$(bash "$repo/scripts/executor-root.sh" "$tmp/root")
node "$repo/dist/kiln.js" build --context="dir://$root" --dockerfile="$repo/executor/Dockerfile" "$@"

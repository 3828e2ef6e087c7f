#!/usr/bin/env bash
# Installs the Debian packages kiln's test lab uses (the real registry, image tools, peers).
set -euo pipefail
pkgs=(docker-registry skopeo umoci buildah libcap2-bin podman runc busybox-static debootstrap openssl apache2-utils jq zstd attr bats uidmap util-linux git patchelf)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

#!/bin/sh
# Downloads Debian's busybox-static for arm64 into DIR: the foreign half of the lab's two-platform
# base image (test/support/base-images.ts, "multiarch"). Adds the arm64 architecture to dpkg
# (needed on bookworm for `apt-get download PKG:arm64`); nothing of arm64 is installed.
set -eu
dir=${1:?usage: fetch-arm64-busybox.sh DIR}
mkdir -p "$dir"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq
fi
cd "$dir"
# apt's sandbox user cannot write to every directory; the download itself is what matters.
apt-get download -q busybox-static:arm64 2>&1 | grep -v 'Download is performed unsandboxed' || true
ls busybox-static_*_arm64.deb >/dev/null

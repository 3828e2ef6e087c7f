#!/bin/sh
# Lets this machine run arm64 binaries, so RUN for linux/arm64 works in kiln's chroot: installs
# qemu-user-static, mounts binfmt_misc if nothing did, and registers Debian's qemu-aarch64 entry
# (flags OPF: F opens the interpreter now, so it also works inside a build's root). Without it,
# test/integration/multi-platform.test.ts skips its emulated-RUN cases. Idempotent; run as root.
set -eu
command -v qemu-aarch64-static >/dev/null || apt-get install -y -q qemu-user-static
dir=/proc/sys/fs/binfmt_misc
[ -e "$dir/register" ] || mount -t binfmt_misc binfmt_misc "$dir"
[ -e "$dir/qemu-aarch64" ] || cat /usr/lib/binfmt.d/qemu-aarch64.conf > "$dir/register"
grep -qx enabled "$dir/qemu-aarch64"

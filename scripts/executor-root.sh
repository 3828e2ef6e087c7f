#!/usr/bin/env bash
# Assembles an executor root: a directory laid out as the executor image's / will be, holding kiln
# under /kiln and nothing else, so that an --isolation host build (which clears everything but
# /kiln, the kernel's filesystems and the mounts for each stage) keeps running.
#
#   /kiln/bin/     node and the programs kiln runs during a build (cp, touch, mknod, getfattr,
#                  setfattr, setpriv, and rm and nice for the workspace's removal), each patched
#                  to load its libraries from /kiln/lib through /kiln's own copy of the dynamic
#                  loader: the image's /lib is gone, or another libc, after the first stage
#   /kiln/lib/     that loader and every library `ldd` lists for them
#   /kiln/bin/busybox  a static busybox for the Buildkite plugin's hooks (agent-stack-k8s runs them
#                  with /bin/sh in the step's container): /kiln/bin/sh, /kiln/bin/dirname and /bin/sh
#                  link to it; /bin/sh is the built image's own once a host-isolation build ran
#   /kiln/bin/kiln the CLI (`kiln build`, `kiln buildkite HOOK`), the plugin's `executor:`
#   /kiln/dist/    the bundles from `npm run build` (ES modules: a package.json says so)
#   /kiln/hooks/, /kiln/plugin.yml  the plugin's hooks and schema, so that a job can run the plugin
#                  from the image (the hooks fall back to /kiln/hooks/run-kiln)
#   /kiln/tmp/     TMPDIR (sticky, 1777): the plugin's private DOCKER_CONFIG and the agent's hook
#                  wrappers must outlive a host-isolation build, which keeps /kiln and clears /tmp
#   /kiln/executor kaniko's entry: `/kiln/executor --context=… --destination=…`
#   /proc /dev /sys  empty mount points
#
# Usage: scripts/executor-root.sh DIR   (DIR must be missing or empty; run `npm run build` first)
set -euo pipefail

dir=${1:?usage: scripts/executor-root.sh DIR}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
tools=(node cp touch mknod rm nice getfattr setfattr setpriv)

# Only a fresh directory is written into: never / or a tree that already holds something.
if [ -e "$dir" ] && [ -n "$(ls -A -- "$dir")" ]; then
  echo "executor-root: $dir is not empty" >&2
  exit 1
fi
mkdir -p -- "$dir"
dir=$(cd -- "$dir" && pwd -P)
if [ "$dir" = / ]; then
  echo "executor-root: refusing to assemble into /" >&2
  exit 1
fi
for f in dist/kiln.js dist/executor.js; do
  [ -f "$repo/$f" ] || { echo "executor-root: $repo/$f is missing; run npm run build" >&2; exit 1; }
done
command -v patchelf >/dev/null || { echo "executor-root: patchelf is missing; run scripts/install-deps.sh" >&2; exit 1; }
busybox=$(readlink -f "$(command -v busybox || true)")
# A dynamic busybox would need the libc the first stage deletes; Debian's busybox-static is not.
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
  echo "executor-root: a static busybox is missing; run scripts/install-deps.sh (busybox-static)" >&2
  exit 1
fi

kiln=$dir/kiln
mkdir -p "$kiln/bin" "$kiln/lib" "$kiln/dist" "$kiln/hooks" "$kiln/tmp" "$dir/bin" "$dir/proc" "$dir/dev" "$dir/sys"

node=$(command -v node)
loader=$(patchelf --print-interpreter "$(readlink -f "$node")")
cp -L -- "$loader" "$kiln/lib/"
interp=/kiln/lib/$(basename "$loader")

for t in "${tools[@]}"; do
  src=$(readlink -f "$(command -v "$t")")
  cp -- "$src" "$kiln/bin/$t"
  # DT_RPATH, unlike RUNPATH, also serves the libraries' own dependencies (libselinux's pcre2).
  patchelf --set-interpreter "$interp" --force-rpath --set-rpath /kiln/lib "$kiln/bin/$t"
  # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)": copied under the name asked for.
  ldd "$src" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | while read -r name path; do
    [ -e "$kiln/lib/$name" ] || cp -L -- "$path" "$kiln/lib/$name"
  done
done

cp -- "$busybox" "$kiln/bin/busybox"
ln -s busybox "$kiln/bin/sh"
ln -s busybox "$kiln/bin/dirname"
ln -s /kiln/bin/busybox "$dir/bin/sh"

cp -- "$repo"/dist/*.js "$kiln/dist/"
cp -R -- "$repo/dist/cli-chunks" "$kiln/dist/"
echo '{ "type": "module" }' > "$kiln/dist/package.json"
cp -- "$repo"/hooks/* "$kiln/hooks/"
cp -- "$repo/plugin.yml" "$kiln/plugin.yml"
printf '#!/kiln/bin/node\nimport("/kiln/dist/executor.js");\n' > "$kiln/executor"
printf '#!/kiln/bin/sh\nexec /kiln/bin/node /kiln/dist/kiln.js "$@"\n' > "$kiln/bin/kiln"
chmod 0755 "$kiln/executor" "$kiln/hooks"/* "$kiln/bin/busybox" "$kiln/bin/kiln"
chmod 0755 "${tools[@]/#/$kiln/bin/}"
chmod 1777 "$kiln/tmp"
echo "$dir"

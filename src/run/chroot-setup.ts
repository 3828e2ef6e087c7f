// The part of a chroot RUN that must happen inside the new namespaces before the command: a
// POSIX shell script run by the host's /bin/sh as pid 1 of the new pid namespace. It mounts what
// it is told, says "ready", and then holds the namespaces open until kiln closes its stdin; when it
// exits, the kernel kills whatever the command left behind in the pid namespace.

/**
 * One step, on a host path already resolved inside the rootfs: a mount on an existing mount
 * point, or (mkdir, mkfile) making a mount point inside our own /dev tmpfs.
 */
export interface MountOp {
  kind: 'proc' | 'sys' | 'dev' | 'bind' | 'bind-ro' | 'overlay' | 'tmpfs' | 'mkdir' | 'mkfile';
  source: string;
  target: string;
  /** tmpfs: extra options; overlay: a scratch dir for upper/work. */
  option: string;
}

// /dev is a fresh tmpfs with docker's minimal set of nodes rather than a bind of the host's /dev:
// the host's holds every disk and device of this machine, which a root RUN could then write to.
// Why each mount flag: nosuid/nodev/noexec as docker sets them; /sys read-only as docker does.
export const SETUP_SCRIPT = `
set -eu
net=$1 ip=$2
shift 2
dev() {
  mount -t tmpfs -o nosuid,strictatime,mode=755,size=65536k tmpfs "$1"
  for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    name=\${n%%:*} rest=\${n#*:}
    mknod -m 666 "$1/$name" c "\${rest%%:*}" "\${rest#*:}"
  done
  mkdir -m 755 "$1/pts"
  mkdir -m 1777 "$1/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$1/pts"
  mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=65536k shm "$1/shm"
  ln -s pts/ptmx "$1/ptmx"
  ln -s /proc/self/fd "$1/fd"
  ln -s /proc/self/fd/0 "$1/stdin"
  ln -s /proc/self/fd/1 "$1/stdout"
  ln -s /proc/self/fd/2 "$1/stderr"
}
while [ $# -ge 4 ]; do
  kind=$1 src=$2 dst=$3 opt=$4
  shift 4
  case $kind in
    proc) mount -t proc -o nosuid,nodev,noexec proc "$dst" ;;
    sys) mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$dst" ;;
    dev) dev "$dst" ;;
    bind) mount --bind "$src" "$dst" ;;
    bind-ro) mount --bind "$src" "$dst"; mount -o remount,bind,ro,nosuid,nodev "$dst" ;;
    overlay)
      mkdir "$opt/upper" "$opt/work"
      mount -t overlay -o "lowerdir=$src,upperdir=$opt/upper,workdir=$opt/work" overlay "$dst" ;;
    tmpfs) mount -t tmpfs -o "nosuid,nodev$opt" tmpfs "$dst" ;;
    mkdir) mkdir -p "$dst" ;;
    mkfile) mkdir -p "\${dst%/*}"; [ -e "$dst" ] || : > "$dst" ;;
    *) echo "unknown mount kind $kind" >&2; exit 1 ;;
  esac
done
if [ "$net" = none ]; then "$ip" link set lo up; fi
echo ready
read -r _ || true
`;

/** The script's positional arguments. */
export function setupArgs(network: 'default' | 'none', ipPath: string, ops: MountOp[]): string[] {
  return [network, ipPath, ...ops.flatMap((op) => [op.kind, op.source, op.target, op.option])];
}

// Turns a RunSpec into the list of mounts the setup script makes, preparing on the host what they
// need: mount points in the rootfs (remembered, so they can be removed afterwards and leave no
// trace in the layer, as with docker), private copies of resolv.conf and hosts, secret files.
import { chmod, chown, copyFile, lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import type { MountOp } from './chroot-setup.ts';
import { ensureInRoot, removeCreated, resolveInRoot, type Created } from './in-root.ts';
import { guardSecret, secretTarget } from './secrets.ts';
import type { RunMount, RunSpec } from './spec.ts';

// Used when the host has no /etc/hosts of its own.
const DEFAULT_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';

export interface MountPlan {
  ops: MountOp[];
  /** What was created in the rootfs only to be mounted over, parents first. */
  created: Created[];
  /** The host path of the rootfs's /dev, where our tmpfs goes. */
  dev: string;
}

export interface PlanDirs {
  /** Private scratch space of this run (mode 0700), for the file copies and overlay dirs. */
  state: string;
  /** Where secret files are written; memory-backed when the host allows it. */
  secrets: string;
}

async function mountPoint(root: string, target: string, kind: 'dir' | 'file', plan: MountPlan): Promise<string> {
  const { path, created } = await ensureInRoot(root, target, kind);
  plan.created.push(...created);
  return path;
}

// Entries of our /dev that are links or another filesystem: nothing may be mounted through them.
const DEV_RESERVED = new Set(['fd', 'stdin', 'stdout', 'stderr', 'ptmx', 'pts']);

/**
 * The mount point for a RUN --mount target. Under /dev it can only be made inside the namespace,
 * on our fresh tmpfs (BuildKit runs heredoc scripts from /dev/pipes), so the setup script makes
 * it there and it vanishes with the tmpfs; /proc and /sys are the kernel's.
 */
async function userMountPoint(root: string, target: string, kind: 'dir' | 'file', plan: MountPlan): Promise<string> {
  const parts = posix.resolve('/', target).split('/').filter(Boolean);
  if (parts[0] !== 'dev' && parts[0] !== 'proc' && parts[0] !== 'sys') return mountPoint(root, target, kind, plan);
  if (parts[0] !== 'dev' || parts.length === 1 || DEV_RESERVED.has(parts[1])) {
    throw new BuilderError('BUILD_FAILED', `RUN --mount target ${target}: kiln mounts that path itself and cannot mount over it`);
  }
  const path = join(plan.dev, ...parts.slice(1));
  plan.ops.push({ kind: kind === 'dir' ? 'mkdir' : 'mkfile', source: '-', target: path, option: '' });
  return path;
}

// A file we put over /etc/resolv.conf or /etc/hosts: the command may read and even write it, but
// it writes our copy, never the host's file nor the image's. A symlink in the image is left alone.
async function networkFile(root: string, name: string, content: () => Promise<string>, dirs: PlanDirs, plan: MountPlan) {
  const inRoot = `/etc/${name}`;
  const st = await lstat(join(await resolveInRoot(root, '/etc'), name)).catch(() => undefined);
  if (st && !st.isFile()) return;
  const copy = join(dirs.state, name);
  await writeFile(copy, await content(), { mode: 0o644 });
  plan.ops.push({ kind: 'bind', source: copy, target: await mountPoint(root, inRoot, 'file', plan), option: '' });
}

async function hostFile(path: string, fallback: string | undefined): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && fallback !== undefined) return fallback;
    throw err;
  }
}

function checkOverlayPath(p: string): void {
  // overlayfs takes its directories in a comma- and colon-separated option string.
  if (/[,:]/.test(p)) {
    throw new BuilderError('BUILD_FAILED', `RUN --mount=type=bind,rw: source ${p} contains ',' or ':', which overlayfs cannot take`);
  }
}

async function userMount(root: string, m: RunMount, index: number, dirs: PlanDirs, plan: MountPlan): Promise<void> {
  switch (m.type) {
    case 'bind': {
      const st = await lstat(m.source).catch((err: unknown) => {
        throw fromSystemError(err, `RUN --mount=type=bind: source ${m.source}`);
      });
      const target = await userMountPoint(root, m.target, st.isDirectory() ? 'dir' : 'file', plan);
      const scratch = join(dirs.state, `bind-${index}`);
      if (!m.readWrite) {
        plan.ops.push({ kind: 'bind-ro', source: m.source, target, option: '' });
      } else if (st.isDirectory()) {
        // Writes land in an overlay upper dir of our own and are thrown away with it.
        checkOverlayPath(m.source);
        await mkdir(scratch);
        plan.ops.push({ kind: 'overlay', source: m.source, target, option: scratch });
      } else {
        await copyFile(m.source, scratch);
        plan.ops.push({ kind: 'bind', source: scratch, target, option: '' });
      }
      return;
    }
    case 'cache': {
      // The caller keeps cache dirs; a missing one is a bug to report here, not as a mount failure.
      await lstat(m.source).catch((err: unknown) => {
        throw fromSystemError(err, `RUN --mount=type=cache: source ${m.source}`);
      });
      const target = await userMountPoint(root, m.target, 'dir', plan);
      plan.ops.push({ kind: m.readOnly ? 'bind-ro' : 'bind', source: m.source, target, option: '' });
      return;
    }
    case 'tmpfs': {
      const target = await userMountPoint(root, m.target, 'dir', plan);
      plan.ops.push({ kind: 'tmpfs', source: 'tmpfs', target, option: m.size ? `,size=${m.size}` : '' });
      return;
    }
    case 'secret': {
      guardSecret(m);
      const file = join(dirs.secrets, `secret-${index}`);
      await writeFile(file, m.data, { mode: 0o400 });
      await chown(file, m.uid ?? 0, m.gid ?? 0);
      await chmod(file, m.mode ?? 0o400);
      const target = await userMountPoint(root, secretTarget(m), 'file', plan);
      plan.ops.push({ kind: 'bind-ro', source: file, target, option: '' });
      return;
    }
  }
}

/** Mounts of the RUN's own --mount flags, parents before children as BuildKit orders them. */
function byDepth(mounts: RunMount[]): RunMount[] {
  const depth = (m: RunMount) => posix.normalize(m.type === 'secret' ? secretTarget(m) : m.target).split('/').length;
  return [...mounts].sort((a, b) => depth(a) - depth(b));
}

export async function planMounts(spec: RunSpec, dirs: PlanDirs): Promise<MountPlan> {
  const root = spec.rootDir;
  const plan: MountPlan = { ops: [], created: [], dev: '' };
  try {
    plan.ops.push({ kind: 'proc', source: 'proc', target: await mountPoint(root, '/proc', 'dir', plan), option: '' });
    plan.dev = await mountPoint(root, '/dev', 'dir', plan);
    plan.ops.push({ kind: 'dev', source: 'tmpfs', target: plan.dev, option: '' });
    plan.ops.push({ kind: 'sys', source: 'sysfs', target: await mountPoint(root, '/sys', 'dir', plan), option: '' });
    await networkFile(root, 'resolv.conf', () => hostFile('/etc/resolv.conf', ''), dirs, plan);
    await networkFile(root, 'hosts', () => hostFile('/etc/hosts', DEFAULT_HOSTS), dirs, plan);
    const mounts = byDepth(spec.mounts);
    for (const [i, m] of mounts.entries()) await userMount(root, m, i, dirs, plan);
    return plan;
  } catch (err) {
    await removeCreated(plan.created);
    throw err;
  }
}

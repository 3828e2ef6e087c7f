// The host runner, kaniko's way: in an unprivileged pod running the executor image there are no
// namespaces to make, so the base image is extracted onto the container's own `/` and each RUN
// runs right there, as the USER (via setpriv) with exactly the given env and workdir. Outside a
// container this would change the machine itself, so it is refused unless `force` is given.
//
// Without mount rights a RUN --mount can only be imitated by putting something at the target for
// the duration of the command and removing it before the snapshot: a secret as a file, a bind as
// a copy of its source (writes to it are discarded; read-only is not enforced), a tmpfs as an
// empty directory (its size is not enforced). Only a target the image does not have yet can be
// used that way. A cache mount would have to outlive the build's / and is refused.
import { spawn } from 'node:child_process';
import { chmod, chown, lstat, readdir, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { copyTree } from '../util/copy-tree.ts';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { drain, exited, forward, statusOf, type Exit } from './child.ts';
import { detectContainer, type ContainerProbe } from './container.ts';
import { commandEnv, envObject } from './env.ts';
import { RunFailedError } from './errors.ts';
import { ensureInRoot, removeCreated, type Created } from './in-root.ts';
import { guardSecret, secretTarget } from './secrets.ts';
import { checkSpec, type BindMount, type RunMount, type Runner, type RunSpec, type SecretMount } from './spec.ts';
import { findTool } from './tools.ts';
import { lookupUser, type ExecUser } from './user.ts';

// How long to let output still in the pipes arrive once the command's process group is killed.
const DRAIN_MS = 200;

export interface HostRunnerOptions {
  /** kaniko's `--force`: run on a machine that does not look like a container. */
  force?: boolean;
  /** Where to look for container evidence; tests use a made-up tree. */
  probe?: ContainerProbe;
}

/** What a RUN --mount left in / for the duration of the command. */
interface Placed {
  created: Created[];
  /** A directory whose contents (a copy, or what the command wrote there) go before it does. */
  dir?: string;
}

export class HostRunner implements Runner {
  readonly isolation = 'host' as const;

  private constructor(
    private readonly setpriv: string | undefined,
    private readonly cp: string,
  ) {}

  static async create(opts: HostRunnerOptions = {}): Promise<HostRunner> {
    const info = await detectContainer(opts.probe);
    if (!info.inContainer && !opts.force) {
      throw new BuilderError(
        'ISOLATION',
        '--isolation host runs RUN commands directly on this machine\'s / and refuses to outside a container ' +
          '(no /.dockerenv, /run/.containerenv, container= or Kubernetes environment found); ' +
          'use --isolation chroot as root, or pass --force if this machine is disposable',
      );
    }
    // Each stage replaces what `/` holds: say so where everyone reads it, not only at debug level.
    if (info.inContainer) log.info(`host isolation: in a container (${info.evidence}); each stage replaces the container's / (kaniko's way)`);
    else log.warn('host isolation forced outside a container: RUN commands will change this machine');
    // Without root we can only run as ourselves; setpriv is needed only to switch.
    return new HostRunner(process.getuid?.() === 0 ? findTool('setpriv', 'util-linux', 'host') : undefined, findTool('cp', 'coreutils', 'host'));
  }

  async run(spec: RunSpec): Promise<void> {
    if ((await checkSpec(spec)) !== '/') {
      throw new BuilderError('INTERNAL', `--isolation host runs on / only, not on ${spec.rootDir}`);
    }
    if (spec.network === 'none') {
      throw new BuilderError('ISOLATION', 'RUN --network=none needs a network namespace: use --isolation chroot');
    }
    const user = await lookupUser('/', spec.user);
    const cwd = posix.resolve('/', spec.cwd || '/');
    await ensureInRoot('/', cwd, 'dir');
    const placed: Placed[] = [];
    try {
      // Parents first, so that a target inside another mount's target lands in its copy.
      for (const m of byDepth(spec.mounts)) placed.push(await this.place(m));
      await this.command(spec, user, cwd);
    } finally {
      await unplace(placed);
    }
  }

  private async place(m: RunMount): Promise<Placed> {
    switch (m.type) {
      case 'secret':
        return { created: await placeSecret(m) };
      case 'tmpfs': {
        const { path, created } = await placeholder(m.target, 'dir', `type=tmpfs,target=${m.target}`);
        return { created, dir: path };
      }
      case 'bind':
        return this.placeCopy(m);
      case 'cache':
        throw new BuilderError('ISOLATION', `RUN --mount=type=cache,target=${m.target} needs mount rights to keep a directory between builds: use --isolation chroot`);
    }
  }

  private async placeCopy(m: BindMount): Promise<Placed> {
    const st = await lstat(m.source).catch((err: unknown) => {
      throw fromSystemError(err, `RUN --mount=type=bind: source ${m.source}`);
    });
    const kind = st.isDirectory() ? 'dir' : 'file';
    const { path, created } = await placeholder(m.target, kind, `type=bind,target=${m.target}`);
    const placed: Placed = { created, dir: kind === 'dir' ? path : undefined };
    try {
      await copyTree(kind === 'dir' ? `${m.source}/.` : m.source, path, 'the RUN --mount=type=bind source', this.cp);
    } catch (err) {
      await unplace([placed]);
      throw err;
    }
    return placed;
  }

  private argv(spec: RunSpec, user: ExecUser): [string, string[]] {
    if (this.setpriv) {
      return [this.setpriv, [`--reuid=${user.uid}`, `--regid=${user.gid}`, `--groups=${user.groups.join(',')}`, '--', ...spec.argv]];
    }
    if (user.uid !== process.getuid?.()) {
      throw new BuilderError('ISOLATION', `USER ${spec.user}: switching to uid ${user.uid} needs kiln to run as root in the container`);
    }
    return [spec.argv[0], spec.argv.slice(1)];
  }

  private async command(spec: RunSpec, user: ExecUser, cwd: string): Promise<void> {
    const [file, args] = this.argv(spec, user);
    // Its own process group, so whatever the command leaves running in the background can be
    // killed with it (a daemon that calls setsid escapes; a container's end still takes it).
    const child = spawn(file, args, {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: envObject(commandEnv(spec.env, user.home)),
    });
    forward(child, spec.stdout, spec.stderr);
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    };
    spec.signal?.addEventListener('abort', killGroup, { once: true });
    let exit: Exit;
    try {
      exit = await exited(child);
    } finally {
      spec.signal?.removeEventListener('abort', killGroup);
      killGroup();
      await drain(child, DRAIN_MS);
    }
    if (spec.signal?.aborted) throw spec.signal.reason;
    const status = statusOf(exit);
    if (status !== 0) throw new RunFailedError(status, exit.signal);
  }
}

function mountTarget(m: RunMount): string {
  return posix.resolve('/', m.type === 'secret' ? secretTarget(m) : m.target);
}

function byDepth(mounts: RunMount[]): RunMount[] {
  const depth = (m: RunMount) => mountTarget(m).split('/').length;
  return [...mounts].sort((a, b) => depth(a) - depth(b));
}

/** A new empty file or directory at `target`: what the image already has cannot be covered here. */
async function placeholder(target: string, kind: 'dir' | 'file', what: string): Promise<{ path: string; created: Created[] }> {
  const made = await ensureInRoot('/', target, kind);
  if (!made.created.some((c) => c.path === made.path)) {
    throw new BuilderError('BUILD_FAILED', `RUN --mount=${what}: ${target} already exists, and host isolation cannot mount over it`);
  }
  return made;
}

/**
 * Removes what was placed, and what the command wrote into it, before the snapshot sees it. A
 * placed directory the command replaced by a symlink is not followed: only the link goes.
 */
async function unplace(placed: Placed[]): Promise<void> {
  for (const { dir } of placed) {
    if (!dir || !(await lstat(dir).catch(() => undefined))?.isDirectory()) continue;
    for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
  }
  await removeCreated(placed.flatMap((p) => p.created));
}

async function placeSecret(m: SecretMount): Promise<Created[]> {
  guardSecret(m);
  const { path, created } = await placeholder(secretTarget(m), 'file', `type=secret,id=${m.id}`);
  try {
    // Closed to others before the bytes go in.
    await chmod(path, 0o400);
    await writeFile(path, m.data);
    await chown(path, m.uid ?? 0, m.gid ?? 0);
    await chmod(path, m.mode ?? 0o400);
  } catch (err) {
    await removeCreated(created);
    throw err;
  }
  return created;
}

// The host runner, kaniko's way: in an unprivileged pod running the executor image there are no
// namespaces to make, so the base image is extracted onto the container's own `/` and each RUN
// runs right there, as the USER (via setpriv) with exactly the given env and workdir. Outside a
// container this would change the machine itself, so it is refused unless `force` is given.
import { spawn } from 'node:child_process';
import { chmod, chown, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { BuilderError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { drain, exited, forward, statusOf, type Exit } from './child.ts';
import { detectContainer, type ContainerProbe } from './container.ts';
import { commandEnv, envObject } from './env.ts';
import { RunFailedError } from './errors.ts';
import { ensureInRoot, removeCreated, type Created } from './in-root.ts';
import { guardSecret, secretTarget } from './secrets.ts';
import { checkSpec, type Runner, type RunSpec, type SecretMount } from './spec.ts';
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

export class HostRunner implements Runner {
  readonly isolation = 'host' as const;
  private readonly setpriv: string | undefined;

  private constructor(setpriv: string | undefined) {
    this.setpriv = setpriv;
  }

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
    if (info.inContainer) log.debug(`host isolation: in a container (${info.evidence})`);
    else log.warn('host isolation forced outside a container: RUN commands will change this machine');
    // Without root we can only run as ourselves; setpriv is needed only to switch.
    return new HostRunner(process.getuid?.() === 0 ? findTool('setpriv', 'util-linux', 'host') : undefined);
  }

  async run(spec: RunSpec): Promise<void> {
    if ((await checkSpec(spec)) !== '/') {
      throw new BuilderError('INTERNAL', `--isolation host runs on / only, not on ${spec.rootDir}`);
    }
    if (spec.network === 'none') {
      throw new BuilderError('ISOLATION', 'RUN --network=none needs a network namespace: use --isolation chroot');
    }
    const unsupported = spec.mounts.find((m) => m.type !== 'secret');
    if (unsupported) {
      throw new BuilderError('ISOLATION', `RUN --mount=type=${unsupported.type} needs mount rights: use --isolation chroot`);
    }
    const user = await lookupUser('/', spec.user);
    const cwd = posix.resolve('/', spec.cwd || '/');
    await ensureInRoot('/', cwd, 'dir');
    const created: Created[] = [];
    try {
      for (const m of spec.mounts as SecretMount[]) created.push(...(await placeSecret(m)));
      await this.command(spec, user, cwd);
    } finally {
      // Secrets are plain files here: delete them (and the dirs made for them) before the snapshot.
      await removeCreated(created);
    }
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

async function placeSecret(m: SecretMount): Promise<Created[]> {
  guardSecret(m);
  const target = secretTarget(m);
  const { path, created } = await ensureInRoot('/', target, 'file');
  if (!created.some((c) => c.path === path)) {
    throw new BuilderError('BUILD_FAILED', `RUN --mount=type=secret,id=${m.id}: ${target} already exists, and host isolation cannot mount over it`);
  }
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

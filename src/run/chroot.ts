// The chroot runner: each RUN gets new mount, pid, ipc and uts namespaces (and a network namespace
// with only `lo` for --network=none), /proc, /dev, /sys and the network files mounted into the
// rootfs, then chroot, the USER's ids and groups, and exactly the given environment.
//
// Two processes do it, because the command must get its environment untouched and a shell in the
// middle would add PWD, SHLVL and the like:
//   1. `unshare … -- /bin/sh -c SETUP_SCRIPT`: pid 1 of the new namespaces; mounts, says "ready",
//      then holds the namespaces until we close its stdin. Its exit kills whatever is left.
//   2. `nsenter` into those namespaces → `setpriv` (gid, groups, capability bounding set) →
//      `unshare --root --wd --setuid` (chroot, chdir, uid) → the command, with the spec's env.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { BuilderError } from '../util/errors.ts';
import { SETUP_SCRIPT, setupArgs } from './chroot-setup.ts';
import { planMounts } from './chroot-mounts.ts';
import { drain, exited, forward, statusOf } from './child.ts';
import { commandEnv, envObject } from './env.ts';
import { RunFailedError } from './errors.ts';
import { ensureInRoot, removeCreated, type Created } from './in-root.ts';
import { checkSpec, type Runner, type RunSpec } from './spec.ts';
import { findTool } from './tools.ts';
import { lookupUser, type ExecUser } from './user.ts';

// Docker's default capability set for a container; root in a RUN gets these and no more, so it
// cannot, say, mount over the rootfs or leave the chroot.
const DOCKER_CAPS = [
  'chown', 'dac_override', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap',
  'net_bind_service', 'net_raw', 'sys_chroot', 'mknod', 'audit_write', 'setfcap',
];

// How long to let output still in the pipes arrive after the namespaces are gone.
const DRAIN_MS = 200;

interface Tools {
  unshare: string;
  nsenter: string;
  setpriv: string;
}

export class ChrootRunner implements Runner {
  readonly isolation = 'chroot' as const;
  private readonly tools: Tools;

  constructor() {
    this.tools = {
      unshare: findTool('unshare', 'util-linux', 'chroot'),
      nsenter: findTool('nsenter', 'util-linux', 'chroot'),
      setpriv: findTool('setpriv', 'util-linux', 'chroot'),
    };
  }

  async run(given: RunSpec): Promise<void> {
    // nsenter resets the working directory, so a relative rootDir would not survive it.
    const spec = { ...given, rootDir: await checkSpec(given) };
    const user = await lookupUser(spec.rootDir, spec.user);
    const cwd = posix.resolve('/', spec.cwd || '/');
    await ensureInRoot(spec.rootDir, cwd, 'dir');
    const ip = spec.network === 'none' ? findTool('ip', 'iproute2', 'chroot') : '';

    const state = await mkdtemp(join(tmpdir(), 'kiln-run-'));
    const secrets = await mkdtemp(join(await secretBase(), 'kiln-secrets-'));
    let created: Created[] = [];
    try {
      const plan = await planMounts(spec, { state, secrets });
      created = plan.created;
      const holder = spawn(
        this.tools.unshare,
        ['--mount', '--pid', '--ipc', '--uts', '--fork', '--kill-child', '--propagation', 'private',
          ...(spec.network === 'none' ? ['--net'] : []),
          '--', '/bin/sh', '-c', SETUP_SCRIPT, 'kiln-run-setup', ...setupArgs(spec.network, ip, plan.ops)],
        { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } },
      );
      const holderExit = exited(holder);
      // Killing the holder (pid 1) takes the whole pid namespace, the command included, with it.
      const abort = () => holder.kill('SIGKILL');
      spec.signal?.addEventListener('abort', abort, { once: true });
      let child: ChildProcess | undefined;
      let failure: Error | undefined;
      try {
        await ready(holder, holderExit);
        child = this.spawnCommand(spec, user, cwd, holder.pid!);
        failure = await outcome(child);
      } catch (err) {
        failure = err as Error;
      } finally {
        spec.signal?.removeEventListener('abort', abort);
        // SIGKILL to unshare reaches the holder through --kill-child; the closed stdin ends it
        // too should kiln itself die. With pid 1 gone, the kernel kills everything the command
        // left behind, and their copies of the output pipes close with them.
        holder.stdin?.end();
        holder.kill('SIGKILL');
        await holderExit;
        if (child) await drain(child, DRAIN_MS);
      }
      if (spec.signal?.aborted) throw spec.signal.reason;
      if (failure) throw failure;
    } finally {
      await removeCreated(created);
      await rm(state, { recursive: true, force: true });
      await rm(secrets, { recursive: true, force: true });
    }
  }

  private spawnCommand(spec: RunSpec, user: ExecUser, cwd: string, holderPid: number): ChildProcess {
    const args = [
      `--target=${holderPid}`, '--mount', '--uts', '--ipc',
      ...(spec.network === 'none' ? ['--net'] : []),
      `--pid=/proc/${holderPid}/ns/pid_for_children`,
      '--', this.tools.setpriv,
      `--regid=${user.gid}`,
      `--groups=${user.groups.join(',')}`,
      `--bounding-set=-all,${DOCKER_CAPS.map((c) => `+${c}`).join(',')}`,
      '--', this.tools.unshare, `--root=${spec.rootDir}`, `--wd=${cwd}`, `--setuid=${user.uid}`,
      '--', ...spec.argv,
    ];
    const child = spawn(this.tools.nsenter, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: envObject(commandEnv(spec.env, user.home)),
    });
    forward(child, spec.stdout, spec.stderr);
    return child;
  }
}

/** Waits for the command's own exit; returns the error to throw, if any. */
async function outcome(child: ChildProcess): Promise<Error | undefined> {
  const exit = await exited(child);
  const status = statusOf(exit);
  return status === 0 ? undefined : new RunFailedError(status, exit.signal);
}

/** Waits for the setup script's "ready"; its stderr becomes the error if it fails first. */
async function ready(holder: ChildProcess, exit: Promise<unknown>): Promise<void> {
  let err = '';
  holder.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-4000);
  });
  const isReady = new Promise<boolean>((resolve) => {
    let out = '';
    holder.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready\n')) resolve(true);
    });
  });
  const ok = await Promise.race([isReady, exit.then(() => false)]);
  if (!ok) {
    throw new BuilderError(
      'ISOLATION',
      `--isolation chroot: setting up the RUN namespaces and mounts failed (are we root with CAP_SYS_ADMIN? ` +
        `otherwise use --isolation host inside a container): ${err.trim() || 'no output'}`,
    );
  }
}

/** Secret files go to memory (/dev/shm) when we may, so their bytes never touch a disk. */
async function secretBase(): Promise<string> {
  try {
    await access('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

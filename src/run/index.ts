// Running RUN commands (docs/architecture.md, "Running RUN: isolation modes").
//
// The build engine hands one RunSpec per RUN to a Runner, after the snapshotter has given it the
// rootDir to run in (an overlay merged dir, the stage rootfs, or `/` in host mode):
//
//   interface RunSpec {
//     rootDir: string;          // what the command sees as /
//     argv: string[];           // already resolved from shell form ([...SHELL, cmd]) or exec form
//     env: string[];            // KEY=VALUE, exactly; PATH (docker's default) and HOME (from
//                               // passwd, else /) are added when absent; nothing is inherited
//     cwd: string;              // WORKDIR, created when missing
//     user: string;             // "", name, uid, name:group, uid:gid, … resolved from the
//                               // rootfs's /etc/passwd and /etc/group as docker does
//     network: 'default' | 'none';
//     mounts: RunMount[];       // bind (read-only, or rw with writes discarded), cache (a host dir
//                               // kept by the caller), tmpfs, secret (bytes → a 0400 file at
//                               // /run/secrets/ID or target; never logged). Targets under
//                               // /dev live on the RUN's own /dev tmpfs (BuildKit's
//                               // /dev/pipes heredocs); /proc and /sys are refused.
//     stdout, stderr: Writable; // the command's output as it comes, not ended by us
//     signal?: AbortSignal;     // kills the command and everything it started
//   }
//   interface Runner { isolation: 'chroot' | 'host'; run(spec): Promise<void> }
//
// run() resolves when the command exits 0 and throws RunFailedError (code RUN_FAILED, with
// `exitCode`) otherwise; set-up problems are BuilderError ISOLATION; an unknown USER name is
// BUILD_FAILED. Processes the command leaves in the background are killed when it exits, and
// nothing the runner made only to mount over (/proc, /dev, /sys, /etc/hosts, /etc/resolv.conf,
// /run/secrets placeholders) is left in the rootfs.
//
// chroot: namespaces via util-linux unshare/nsenter, chroot, setpriv (chroot.ts). The command
//         is not pid 1: a small holder is, so that everything dies with it.
// host: kaniko's way inside an unprivileged container, refused elsewhere without force (host.ts);
//       the snapshotter skips hostIgnorePaths() there.
import { ChrootRunner } from './chroot.ts';
import { detectIsolation } from './detect.ts';
import { HostRunner, type HostRunnerOptions } from './host.ts';
import type { Isolation, Runner } from './spec.ts';

export type { BindMount, CacheMount, Isolation, RunMount, Runner, RunSpec, SecretMount, TmpfsMount } from './spec.ts';
export { RunFailedError } from './errors.ts';
export { detectContainer, type ContainerInfo, type ContainerProbe } from './container.ts';
export { detectIsolation } from './detect.ts';
export { holdsIgnored, hostIgnorePaths, isIgnored, KILN_DIR, type IgnoreOptions } from './ignore.ts';
export { findTool } from './tools.ts';
export { DEFAULT_PATH } from './env.ts';

export interface RunnerOptions extends HostRunnerOptions {
  /** `--isolation`; detected when absent. */
  isolation?: Isolation;
}

export async function createRunner(opts: RunnerOptions = {}): Promise<Runner> {
  const isolation = opts.isolation ?? (await detectIsolation(opts.probe));
  return isolation === 'chroot' ? new ChrootRunner() : HostRunner.create(opts);
}

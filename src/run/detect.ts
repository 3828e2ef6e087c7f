// The automatic choice of --isolation: chroot when this process can make mount and pid
// namespaces and chroot (root on a VM, a privileged pod); host inside a container that cannot;
// otherwise an error saying what to do.
import { spawn } from 'node:child_process';
import { BuilderError } from '../util/errors.ts';
import { exited } from './child.ts';
import { detectContainer, type ContainerProbe } from './container.ts';
import type { Isolation } from './spec.ts';
import { findTool } from './tools.ts';

/** Tries the very namespaces and chroot a chroot RUN needs; returns why not, or undefined. */
export async function chrootUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'kiln is not running as root';
  let unshare: string;
  try {
    unshare = findTool('unshare', 'util-linux', 'chroot');
  } catch (err) {
    return (err as Error).message;
  }
  const child = spawn(unshare, ['--mount', '--pid', '--ipc', '--uts', '--fork', '--propagation', 'private', '--root=/', '--', 'true'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = await exited(child).catch((err: Error) => ({ code: -1, signal: null, message: err.message }));
  return exit.code === 0 ? undefined : stderr.trim() || `unshare exited with ${exit.code ?? exit.signal}`;
}

export async function detectIsolation(probe?: ContainerProbe): Promise<Isolation> {
  const why = await chrootUnavailable();
  if (why === undefined) return 'chroot';
  const container = await detectContainer(probe);
  if (container.inContainer) return 'host';
  throw new BuilderError(
    'ISOLATION',
    `cannot isolate RUN commands: creating mount and pid namespaces failed (${why}) and this is not a container. ` +
      'Run kiln as root (or in a privileged container) for --isolation chroot, or inside a container for --isolation host; ' +
      '--isolation host --force runs commands directly on this machine',
  );
}

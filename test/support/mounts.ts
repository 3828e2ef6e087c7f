// Lab temp dirs can end up holding mounts (debootstrap's /proc, containers/storage's private
// bind of its overlay home); they must be unmounted before the tree is removed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { run } from './exec.ts';

/** Mount points at or under `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    // /proc/self/mounts escapes spaces and other odd bytes as octal.
    .map((line) => line.split(' ')[1]?.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8))))
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
}

export async function unmountUnder(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) await run('umount', ['-l', m]);
}

export async function removeTree(dir: string): Promise<void> {
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true });
}

/** The synchronous twin, for process-exit hooks; best effort. */
export function removeTreeSync(dir: string): void {
  try {
    for (const m of mountsUnder(dir)) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
  } catch {
    // Keep going: removing what can be removed is still better than nothing.
  }
  try {
    execFileSync('rm', ['-rf', '--one-file-system', dir], { stdio: 'ignore' });
  } catch {
    // Nothing more to do at exit.
  }
}

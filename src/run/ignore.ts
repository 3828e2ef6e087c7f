// What a host-mode build must neither extract over nor snapshot: kiln's own files, the kernel's
// filesystems, everything mounted into the container (secrets, the workspace, hosts files), the
// user's --ignore-path values and, unless --ignore-var-run=false, /var/run. Kaniko's list.
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';

export interface IgnoreOptions {
  /** `--ignore-path`, repeatable. */
  ignorePaths?: string[];
  /** `--ignore-var-run`; true by default, as in kaniko. */
  ignoreVarRun?: boolean;
  /** The content of /proc/self/mountinfo; read from the kernel when absent. */
  mountinfo?: string;
}

/** kiln's own directory inside the executor image. */
export const KILN_DIR = '/kiln';

/** Mount points from mountinfo's fifth field, with the kernel's octal escapes (\040) undone. */
export function mountPoints(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field) out.push(field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))));
  }
  return out;
}

export async function hostIgnorePaths(opts: IgnoreOptions = {}): Promise<string[]> {
  const mountinfo = opts.mountinfo ?? (await readFile('/proc/self/mountinfo', 'utf8'));
  const paths = [KILN_DIR, '/proc', '/sys', '/dev', ...mountPoints(mountinfo), ...(opts.ignorePaths ?? [])];
  if (opts.ignoreVarRun ?? true) paths.push('/var/run');
  const normalized = paths.map((p) => posix.resolve('/', p)).filter((p) => p !== '/');
  return [...new Set(normalized)].sort();
}

/** Whether `path` (absolute, in the container) is an ignored path or lies under one. */
export function isIgnored(path: string, ignored: readonly string[]): boolean {
  const p = posix.resolve('/', path);
  return ignored.some((i) => p === i || p.startsWith(`${i}/`));
}

/**
 * Whether an ignored path lies strictly below `path`: such a directory must stay (emptied of
 * everything else) when / is cleared, since what it holds may not be touched. `/` always does.
 */
export function holdsIgnored(path: string, ignored: readonly string[]): boolean {
  const p = posix.resolve('/', path);
  const prefix = p === '/' ? '/' : `${p}/`;
  return ignored.some((i) => i !== p && i.startsWith(prefix));
}

// Paths a snapshot never reports: kernel filesystems the runner mounts, kiln's own directory when
// it runs on the image's "/", paths the user names with --ignore-path, and anything mounted.
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';

export const DEFAULT_IGNORES = ['/proc', '/sys', '/dev'];

function toRel(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

/** Mount points strictly inside `rootfs`, relative to it, read from /proc/self/mountinfo. */
export function mountPointsUnder(rootfs: string): string[] {
  let info: string;
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return []; // not Linux, or no /proc: nothing can be mounted under the rootfs by us either
  }
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    // mountinfo escapes space, tab, newline and backslash as \ooo.
    const point = field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    const rel = relative(rootfs, point);
    if (rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep)) out.push(rel);
  }
  return out;
}

/** A set of rootfs-relative paths whose subtrees are skipped (the paths themselves included). */
export class IgnoreList {
  private readonly paths: Set<string>;

  constructor(rootfs: string, extra: readonly string[] = [], defaults: readonly string[] = DEFAULT_IGNORES) {
    this.paths = new Set([...defaults, ...extra].map(toRel).filter((p) => p !== ''));
    for (const m of mountPointsUnder(rootfs)) this.paths.add(m);
  }

  /** True if `rel` or one of its ancestors is ignored. */
  has(rel: string): boolean {
    if (this.paths.size === 0) return false;
    if (this.paths.has(rel)) return true;
    for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) if (this.paths.has(rel.slice(0, i))) return true;
    return false;
  }
}

// Path handling that keeps every write inside a rootfs. Entry names are normalised (leading "/"
// dropped the way docker does, ".." refused); parent directories are resolved one component at a
// time inside the root, following symlinks the way a chroot would (absolute targets start at the
// root, ".." stops at the root), so no link already in the tree can lead a write out of it.
// Synchronous calls: extraction resolves a parent per entry, and a sync lstat costs a fraction
// of a promise round trip through the thread pool.
import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BuilderError } from '../util/errors.ts';

/** Linux's own limit on symlinks followed while resolving one path. */
const MAX_LINKS = 40;

/**
 * An entry name as a relative path with no empty, "." or ".." components ("" is the root itself).
 * A leading "/" is dropped (absolute names mean the same place in a layer); ".." is refused.
 */
export function normaliseName(name: string, what: string): string {
  if (name.includes('\0')) throw new BuilderError('LAYER_INVALID', `${what}: entry name ${JSON.stringify(name)} contains a NUL byte`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new BuilderError('LAYER_INVALID', `${what}: entry "${name}" has a ".." component that could escape the rootfs`);
    parts.push(part);
  }
  return parts.join('/');
}

export function splitName(rel: string): { dir: string; base: string } {
  const slash = rel.lastIndexOf('/');
  return slash === -1 ? { dir: '', base: rel } : { dir: rel.slice(0, slash), base: rel.slice(slash + 1) };
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT';
}

/**
 * Resolves directories of a rootfs to host paths inside it. Results are cached until the caller
 * says the tree changed in a way that could redirect a path (a directory or symlink removed).
 */
export class RootResolver {
  private readonly cache = new Map<string, string>();

  constructor(
    readonly root: string,
    private readonly what: string,
  ) {}

  /** Forget every resolution: call after removing or replacing a directory or a symlink. */
  invalidate(): void {
    this.cache.clear();
  }

  /** Record that `rel` is a real directory at `host` (one just created or verified). */
  remember(rel: string, host: string): void {
    this.cache.set(rel, host);
  }

  /**
   * Host path of directory `rel` (normalised), following symlinks inside the root. Missing
   * components are created (0755, root-owned) when `create`, else null is returned. A component
   * that exists and is not a directory is a layer error.
   */
  dir(rel: string, create: boolean): string | null {
    if (rel === '') return this.root;
    const hit = this.cache.get(rel);
    if (hit !== undefined) return hit;
    const stack: string[] = [];
    const queue = rel.split('/');
    let links = 0;
    while (queue.length > 0) {
      const part = queue.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        stack.pop(); // ".." at the root stays at the root, as in a chroot
        continue;
      }
      const host = join(this.root, ...stack, part);
      let st;
      try {
        st = lstatSync(host);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        if (!create) return null;
        mkdirSync(host, { mode: 0o755 });
        stack.push(part);
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw new BuilderError('LAYER_INVALID', `${this.what}: too many levels of symbolic links resolving "${rel}"`);
        const target = readlinkSync(host);
        if (target.startsWith('/')) stack.length = 0;
        queue.unshift(...target.split('/'));
        continue;
      }
      if (!st.isDirectory()) {
        throw new BuilderError('LAYER_INVALID', `${this.what}: "${rel}": parent "${[...stack, part].join('/')}" is not a directory`);
      }
      stack.push(part);
    }
    const host = join(this.root, ...stack);
    this.cache.set(rel, host);
    return host;
  }
}

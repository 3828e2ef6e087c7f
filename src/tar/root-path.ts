// Resolves a path inside a root directory the way the kernel would after chroot(root): every
// symlink met on the way is followed with `/` meaning the root and `..` stopping at the root, so
// no link in a rootfs or an extracted archive (to `/`, `../..`, `/etc`) can lead outside it.
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { BuilderError } from '../util/errors.ts';

// Linux gives up after 40 links in one lookup; so do we.
const MAX_LINKS = 40;

export interface ResolveOptions {
  /** Follow a symlink in the last component too (true: like stat; false: like lstat). */
  followLeaf: boolean;
}

/** Splits a slash path into its components, dropping empty ones and `.`. */
function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * The host path for `p` (absolute or relative, always taken from the root) inside `root`.
 * Components that do not exist yet are kept as written, so the result can be created.
 */
export async function resolveInRoot(root: string, p: string, opts: ResolveOptions): Promise<string> {
  return join(root, ...(await resolveComponents(root, p, opts)));
}

/** Like resolveInRoot, but returns the path relative to the root (`''` for the root itself). */
export async function resolveRelative(root: string, p: string, opts: ResolveOptions): Promise<string> {
  return (await resolveComponents(root, p, opts)).join('/');
}

async function resolveComponents(root: string, p: string, opts: ResolveOptions): Promise<string[]> {
  const resolved: string[] = [];
  let pending = components(p);
  let links = 0;
  while (pending.length > 0) {
    const [name, ...rest] = pending;
    pending = rest;
    if (name === '..') {
      resolved.pop();
      continue;
    }
    const isLeaf = pending.length === 0;
    const host = join(root, ...resolved, name);
    let st;
    try {
      st = lstatSync(host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // Nothing further can be a link; the rest is created as written (`..` still applies).
        return normalizeTail(resolved, [name, ...pending]);
      }
      if (code === 'ENOTDIR') return normalizeTail(resolved, [name, ...pending]);
      throw err;
    }
    if (!st.isSymbolicLink() || (isLeaf && !opts.followLeaf)) {
      resolved.push(name);
      continue;
    }
    if (++links > MAX_LINKS) {
      throw new BuilderError('IO', `${posix.join('/', p)}: too many levels of symbolic links`);
    }
    const target = readlinkSync(host);
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...components(target), ...pending];
  }
  return resolved;
}

/** Appends components that do not exist, applying `..` lexically (there are no links among them). */
function normalizeTail(resolved: string[], tail: string[]): string[] {
  const out = [...resolved];
  for (const c of tail) {
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

/** lstat, or undefined when nothing is there (missing, or a parent is not a directory). */
export function lstatIfExists(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

// Test helpers for exact filesystem expectations: build a tree from a compact description and
// describe a tree back (type, mode, owner, link target, content) so a test compares whole trees.
import { lstat, mkdir, readdir, readFile, readlink, realpath, symlink, writeFile, chmod, lchown, utimes } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';

export interface Entry {
  type: 'file' | 'dir' | 'symlink';
  mode?: number;
  uid?: number;
  gid?: number;
  content?: string;
  target?: string;
}

/**
 * Creates `spec` under `root` (parents first); files default to 0644, dirs to 0755. Refuses to
 * write through a symlink the spec itself created: fixtures hold hostile links on purpose.
 */
export async function makeTree(root: string, spec: Record<string, Entry | string>): Promise<void> {
  await mkdir(root, { recursive: true });
  const realRoot = await realpath(root);
  for (const [path, raw] of Object.entries(spec).sort(([a], [b]) => a.localeCompare(b))) {
    const e: Entry = typeof raw === 'string' ? { type: 'file', content: raw } : raw;
    const host = join(root, path);
    await mkdirs(dirname(host));
    const parent = await realpath(dirname(host));
    if (host !== join(root, '.') && parent !== realRoot && !parent.startsWith(realRoot + sep)) {
      throw new Error(`makeTree: ${path} would be written outside ${root} (through a symlink)`);
    }
    if (e.type === 'dir') await mkdirs(host);
    else if (e.type === 'symlink') await symlink(e.target ?? '', host);
    else await writeFile(host, e.content ?? '');
    if (e.type !== 'symlink') await chmod(host, e.mode ?? (e.type === 'dir' ? 0o755 : 0o644));
    await lchown(host, e.uid ?? 0, e.gid ?? 0);
  }
}

/** mkdir -p whose directories are 0755 whatever the umask, so expected trees do not depend on it. */
async function mkdirs(path: string): Promise<void> {
  const made = await mkdir(path, { recursive: true });
  if (made === undefined) return;
  for (let p = path; p.length >= made.length; p = dirname(p)) await chmod(p, 0o755);
}

/** Sets a fixed mtime on a path, for tests that check times are kept. */
export async function setTime(path: string, seconds: number): Promise<void> {
  await utimes(path, seconds, seconds);
}

/** Describes every entry under `root` (or only those under `under`), keyed by relative path. */
export async function describeTree(root: string, under = ''): Promise<Record<string, Entry>> {
  const out: Record<string, Entry> = {};
  async function walk(rel: string): Promise<void> {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(root, p));
      const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (st.isDirectory()) {
        out[p] = { type: 'dir', ...base };
        await walk(p);
      } else if (st.isSymbolicLink()) {
        out[p] = { type: 'symlink', uid: st.uid, gid: st.gid, target: await readlink(join(root, p)) };
      } else {
        out[p] = { type: 'file', ...base, content: await readFile(join(root, p), 'utf8') };
      }
    }
  }
  await walk(under);
  return out;
}

/** Shorthands for expected entries. */
export const file = (content: string, mode = 0o644, uid = 0, gid = 0): Entry => ({ type: 'file', mode, uid, gid, content });
export const dir = (mode = 0o755, uid = 0, gid = 0): Entry => ({ type: 'dir', mode, uid, gid });
export const link = (target: string, uid = 0, gid = 0): Entry => ({ type: 'symlink', uid, gid, target });

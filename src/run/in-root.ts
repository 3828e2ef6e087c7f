// Paths inside a rootfs, resolved the way the kernel would after chroot(rootDir): a symlink in
// the image (even `/etc -> /host/etc` or `../../..`) never leads a mount or a mkdir out of it.
import { lstat, lutimes, mkdir, rmdir, unlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { BuilderError } from '../util/errors.ts';
import { resolveInRoot as resolveInRootPath, resolveRelative } from '../tar/root-path.ts';

/** The host path of `p` inside `root`, every symlink (the last one too) followed inside the root. */
export async function resolveInRoot(root: string, p: string): Promise<string> {
  return resolveInRootPath(root, p, { followLeaf: true });
}

/**
 * Something ensureInRoot made. The first thing made in an existing directory remembers that
 * directory's mtime, so it can be put back: a RUN that only had /etc/hosts mounted over must not
 * show /etc as changed to a snapshotter.
 */
export interface Created {
  path: string;
  parent?: { dir: string; mtimeBefore: bigint; mtimeAfter: bigint };
}

async function mtimeNs(path: string): Promise<bigint> {
  return (await lstat(path, { bigint: true })).mtimeNs;
}

/**
 * Node's utimes takes seconds as a double, which holds whole seconds (a layer's mtimes) exactly but
 * not every nanosecond: what it did not set exactly, touch(1) sets, at the price of a spawn.
 */
async function setMtimeNs(path: string, ns: bigint): Promise<void> {
  // Gone (a directory we made and removed again): nothing to put back.
  const st = await lstat(path, { bigint: true }).catch(() => undefined);
  if (!st) return;
  await lutimes(path, Number(st.atimeNs) / 1e9, Number(ns) / 1e9);
  if ((await mtimeNs(path)) === ns) return;
  const stamp = `@${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
  return new Promise((resolve, reject) => {
    execFile('touch', ['-m', '-c', '-d', stamp, path], (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Makes sure `p` (inside `root`) exists as a directory or an empty file, creating what is missing.
 * Returns the host path and what it created, parents first, so it can be removed.
 */
export async function ensureInRoot(
  root: string,
  p: string,
  kind: 'dir' | 'file',
): Promise<{ path: string; created: Created[] }> {
  const rel = (await resolveRelative(root, p, { followLeaf: true })).split('/').filter(Boolean);
  const path = join(root, ...rel);
  const created: Created[] = [];
  for (let i = 1; i <= rel.length; i++) {
    const host = join(root, ...rel.slice(0, i));
    const leaf = i === rel.length;
    const st = await lstat(host).catch(() => undefined);
    if (st) {
      const want = leaf && kind === 'file' ? st.isFile() : st.isDirectory();
      if (!want) {
        const what = leaf && kind === 'file' ? 'a regular file' : 'a directory';
        throw new BuilderError('BUILD_FAILED', `${p}: /${rel.slice(0, i).join('/')} in the rootfs is not ${what}`);
      }
      continue;
    }
    const dir = dirname(host);
    const mtimeBefore = created.length === 0 ? await mtimeNs(dir) : undefined;
    if (leaf && kind === 'file') await writeFile(host, '', { mode: 0o644, flag: 'wx' });
    else await mkdir(host, { mode: 0o755 });
    created.push(
      mtimeBefore === undefined ? { path: host } : { path: host, parent: { dir, mtimeBefore, mtimeAfter: await mtimeNs(dir) } },
    );
  }
  return { path, created };
}

/**
 * Removes what ensureInRoot created, children first. A directory the command filled (outside
 * any mount) is not empty and stays: its content belongs to the layer. A parent's mtime is put
 * back only if nothing but us changed it in between, once per directory.
 */
export async function removeCreated(created: Created[]): Promise<void> {
  // Per parent directory: its mtime before our first change and after our last one.
  const parents = new Map<string, { before: bigint; after: bigint }>();
  for (const { parent } of created) {
    if (!parent) continue;
    const seen = parents.get(parent.dir);
    parents.set(parent.dir, { before: seen?.before ?? parent.mtimeBefore, after: parent.mtimeAfter });
  }
  const restore: [string, bigint][] = [];
  for (const [dir, { before, after }] of parents) {
    if ((await mtimeNs(dir).catch(() => undefined)) === after) restore.push([dir, before]);
  }
  for (const { path } of [...created].reverse()) {
    const st = await lstat(path).catch(() => undefined);
    if (!st) continue;
    try {
      if (st.isDirectory()) await rmdir(path);
      else await unlink(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  }
  await Promise.all(restore.map(([dir, ns]) => setMtimeNs(dir, ns)));
}

// The state of every path of a rootfs, taken after the last layer; the walk snapshotter compares
// a fresh scan against it. Scanning uses the synchronous fs calls on purpose: a walk of 100k
// files is a tight loop of lstat/readdir where the promise machinery would cost more than the
// system calls, and nothing else runs while a snapshot is taken.
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import type { IgnoreList } from './ignore.ts';

export interface IndexEntry {
  /** mode & S_IFMT */
  type: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  /** Content hash of a regular file, or target of a symlink; only kept in `full` mode. */
  content?: string;
}

/** Rootfs-relative path (no leading "/") → entry; the root itself is not listed. */
export type RootfsIndex = Map<string, IndexEntry>;

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export function entryOf(st: Stats): IndexEntry {
  return {
    type: st.mode & S_IFMT,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    mtimeMs: st.mtimeMs,
    ctimeMs: st.ctimeMs,
    ino: st.ino,
  };
}

/** sha256 of a file's bytes, or the target of a symlink: what `full` mode compares. */
export function contentOf(host: string, entry: IndexEntry): string | undefined {
  if (entry.type === S_IFLNK) return readlinkSync(host);
  if (entry.type !== S_IFREG) return undefined;
  const hash = createHash('sha256');
  const fd = openSync(host, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let n: number;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Scans `rootfs`, skipping ignored subtrees. With `withContent`, files and symlinks carry their
 * content (the baseline of `full` mode).
 */
export function scanRootfs(rootfs: string, ignore: IgnoreList, withContent = false): RootfsIndex {
  const index: RootfsIndex = new Map();
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      throw fromSystemError(err, dir);
    }
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (ignore.has(childRel)) continue;
      // Plain concatenation: path.join would normalise 100k strings that are already normal.
      const host = `${dir}/${name}`;
      let st: Stats;
      try {
        st = lstatSync(host);
      } catch (err) {
        // Gone between readdir and lstat: a process still running in the rootfs; skip it.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw fromSystemError(err, host);
      }
      const entry = entryOf(st);
      if (withContent) entry.content = contentOf(host, entry);
      index.set(childRel, entry);
      if (entry.type === S_IFDIR) walk(host, childRel);
    }
  };
  try {
    if (!lstatSync(rootfs).isDirectory()) throw new BuilderError('IO', `${rootfs}: rootfs is not a directory`);
  } catch (err) {
    throw fromSystemError(err, rootfs);
  }
  walk(rootfs, '');
  return index;
}

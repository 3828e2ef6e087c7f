// Deterministic layer tars for the lab's base images: entries in sorted order, numeric owners
// without names, one fixed mtime, PAX records only where ustar cannot hold a value, hard links
// by inode. The same tree gives the same bytes on any machine. Written independently of
// src/tar so the lab's images are an outside check on kiln's own reader.
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Header, Pax } from 'tar';

export type EntryType = 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';

export interface TarEntry {
  /** Relative, no leading "./" or "/"; directories without the trailing slash. */
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  linkpath?: string;
  devmaj?: number;
  devmin?: number;
  /** Contents of a File entry: bytes, or a file on disk read when the entry is written. */
  data?: Buffer | { file: string };
}

const BLOCK = 512;
const ZERO = Buffer.alloc(BLOCK * 2);

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : ZERO.subarray(0, BLOCK - rest);
}

function encodeHeader(entry: TarEntry, mtime: Date): Buffer {
  const path = entry.type === 'Directory' ? `${entry.path}/` : entry.path;
  const fields = {
    path,
    mode: entry.mode & 0o7777,
    uid: entry.uid,
    gid: entry.gid,
    size: entry.type === 'File' ? (entry.size ?? 0) : 0,
    mtime,
    type: entry.type,
    linkpath: entry.linkpath ?? '',
    uname: '',
    gname: '',
    devmaj: entry.devmaj ?? 0,
    devmin: entry.devmin ?? 0,
  };
  const block = Buffer.alloc(BLOCK);
  const needPax = new Header(fields).encode(block);
  if (!needPax) return block;
  // Only the values ustar could not hold; no atime/ctime, which would vary.
  const pax = new Pax({
    path,
    linkpath: entry.linkpath,
    size: fields.size >= 0o77777777777 ? fields.size : undefined,
    uid: entry.uid > 0o7777777 ? entry.uid : undefined,
    gid: entry.gid > 0o7777777 ? entry.gid : undefined,
  });
  return Buffer.concat([pax.encode(), block]);
}

async function* fileChunks(file: string, size: number): AsyncGenerator<Buffer> {
  const fh = await open(file, 'r');
  try {
    let left = size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(left, 1 << 20));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) throw new Error(`${file} shrank while being packed`);
      left -= bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** The bytes of a tar holding `entries` in the order given, every mtime set to `mtime`. */
export async function* tarStream(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>, mtime: Date): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    yield encodeHeader(entry, mtime);
    if (entry.type !== 'File' || !entry.data) continue;
    const size = entry.size ?? 0;
    if (Buffer.isBuffer(entry.data)) yield entry.data;
    else yield* fileChunks(entry.data.file, size);
    yield padding(size);
  }
  yield ZERO;
}

export interface WalkOptions {
  /** Relative paths whose children are left out (the directory itself stays), e.g. "dev". */
  emptyDirs?: string[];
}

/** Entries of the tree under `root`, depth first with names in byte order. */
export async function* walkTree(root: string, opts: WalkOptions = {}): AsyncGenerator<TarEntry> {
  const empty = new Set(opts.emptyDirs ?? []);
  const seenInodes = new Map<string, string>();
  async function* walk(rel: string): AsyncGenerator<TarEntry> {
    const names = (await readdir(join(root, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const abs = join(root, path);
      const st = await lstat(abs);
      const base = { path, mode: st.mode, uid: st.uid, gid: st.gid };
      if (st.isDirectory()) {
        yield { ...base, type: 'Directory' };
        if (!empty.has(path)) yield* walk(path);
      } else if (st.isSymbolicLink()) {
        yield { ...base, type: 'SymbolicLink', linkpath: await readlink(abs) };
      } else if (st.isFile()) {
        const inode = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? seenInodes.get(inode) : undefined;
        if (first !== undefined) {
          yield { ...base, type: 'Link', linkpath: first };
        } else {
          if (st.nlink > 1) seenInodes.set(inode, path);
          yield { ...base, type: 'File', size: st.size, data: { file: abs } };
        }
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const devmaj = Number((BigInt(st.rdev) >> 8n) & 0xfffn);
        const devmin = Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & 0xfff00n));
        yield { ...base, type: st.isCharacterDevice() ? 'CharacterDevice' : 'BlockDevice', devmaj, devmin };
      } else if (st.isFIFO()) {
        yield { ...base, type: 'FIFO' };
      }
      // Sockets have no place in an image.
    }
  }
  yield* walk('');
}

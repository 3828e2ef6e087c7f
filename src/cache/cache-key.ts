// Layer cache keys. A step's key chains its parent's key with everything that decides what the
// step writes, so a key can only hit where the layer would come out the same. mtimes are left out
// on purpose (as kaniko and BuildKit do): a fresh checkout must hit the cache of an older one.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { BuilderError, fromSystemError } from '../util/errors.ts';

// Bump when the encoding changes, so keys of an older kiln never hit.
const KEY_VERSION = 'kiln-layer-cache-v1';
const FILES_VERSION = 'kiln-files-v1';
// Files hashed at once: enough to keep a disk busy without holding many descriptors.
const HASH_CONCURRENCY = 8;

export interface CacheKeyInput {
  /** The previous step's key, or the base image's digest for a stage's first step. */
  parent: string;
  /** The instruction text after expansion, flags included (RUN --mount=…, COPY --chown=…). */
  instruction: string;
  /** NAME=VALUE of the env and build args the step can see; names must be unique. */
  env: string[];
  /** hashFiles() of the COPY/ADD sources. */
  files?: string;
  /** os/arch[/variant] the build is for. */
  platform: string;
}

function envName(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/** The key of one step as sha256 hex; the same inputs always give the same key. */
export function cacheKey(input: CacheKeyInput): string {
  // Sorted here so the caller's order does not matter; a name given twice would make the step's
  // value depend on that order, so it is refused instead of silently hashed one way.
  const env = [...input.env].sort();
  for (let i = 1; i < env.length; i++) {
    if (envName(env[i]) === envName(env[i - 1])) {
      throw new BuilderError('INTERNAL', `cache key: ${envName(env[i])} is given twice in the step's environment`);
    }
  }
  // JSON keeps the fields apart: no choice of texts can make two different inputs encode alike.
  const encoded = JSON.stringify([KEY_VERSION, input.parent, input.platform, input.instruction, env, input.files ?? null]);
  return createHash('sha256').update(encoded).digest('hex');
}

type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'char' | 'block' | 'socket';

/** What of a file ends up in a layer, mtime aside. */
interface FileRecord {
  path: string;
  type: EntryType;
  /** Permission bits with setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  link?: string;
  rdev?: number;
  sha256?: string;
  /** The first hashed path sharing this file's inode: COPY keeps hardlinks as hardlinks. */
  hardlinkOf?: string;
}

function entryType(st: Stats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return 'socket';
}

/** `rel` cleaned the way COPY cleans a source: `..` stops at the root ('' is the root itself). */
function cleanRel(rel: string): string {
  return posix.normalize(`/${rel}`).slice(1).replace(/\/$/, '');
}

/**
 * The caller resolves sources inside their root first (COPY follows links the chroot way). A
 * link on the way would be followed on the host here and could hash other bytes than COPY copies,
 * so it is refused rather than guessed at.
 */
async function checkNoLinkOnTheWay(root: string, rel: string): Promise<void> {
  const parts = rel === '' ? [] : rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const host = join(root, ...parts.slice(0, i));
    const st = await lstat(host).catch((err: unknown) => {
      throw fromSystemError(err, host);
    });
    if (st.isSymbolicLink()) {
      throw new BuilderError('INTERNAL', `cache key: ${rel} passes through the symlink ${parts.slice(0, i).join('/')}; resolve it in ${root} first`);
    }
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (err) {
    throw fromSystemError(err, path);
  }
  return hash.digest('hex');
}

/** Every path under `rel` (itself included) with its lstat, directories walked in name order. */
async function walk(root: string, rel: string, out: Map<string, Stats>): Promise<void> {
  if (out.has(rel)) return;
  const host = rel === '' ? root : join(root, rel);
  let st: Stats;
  try {
    st = await lstat(host);
  } catch (err) {
    throw fromSystemError(err, host);
  }
  out.set(rel, st);
  if (!st.isDirectory()) return;
  let names: string[];
  try {
    names = (await readdir(host)).sort();
  } catch (err) {
    throw fromSystemError(err, host);
  }
  for (const name of names) await walk(root, rel === '' ? name : `${rel}/${name}`, out);
}

async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * A digest over the content and metadata (path, type, mode, uid, gid, link target, size, device
 * number, content sha256, hardlink grouping; not mtime) of every file under `relPaths` of `root`.
 * Overlapping paths count once; the result does not depend on their order.
 */
export async function hashFiles(root: string, relPaths: string[]): Promise<string> {
  const stats = new Map<string, Stats>();
  for (const given of relPaths) {
    const rel = cleanRel(given);
    await checkNoLinkOnTheWay(root, rel);
    await walk(root, rel, stats);
  }
  const paths = [...stats.keys()].sort();
  const firstOfInode = new Map<string, string>();
  const records = await mapLimit(paths, HASH_CONCURRENCY, async (path): Promise<FileRecord> => {
    const st = stats.get(path) as Stats;
    const host = path === '' ? root : join(root, path);
    const type = entryType(st);
    const record: FileRecord = { path, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: type === 'file' ? st.size : 0 };
    if (type === 'symlink') record.link = await readlink(host).catch((err: unknown) => Promise.reject(fromSystemError(err, host)));
    if (type === 'char' || type === 'block') record.rdev = st.rdev;
    if (type === 'file') record.sha256 = await sha256File(host);
    return record;
  });
  // Hardlink groups are decided in path order, after the concurrent hashing.
  for (const record of records) {
    const st = stats.get(record.path) as Stats;
    if (record.type === 'dir' || st.nlink < 2) continue;
    const inode = `${st.dev}:${st.ino}`;
    const first = firstOfInode.get(inode);
    if (first === undefined) firstOfInode.set(inode, record.path);
    else record.hardlinkOf = first;
  }
  const hash = createHash('sha256').update(FILES_VERSION);
  // One JSON line per file: the fields are delimited, so no two trees hash alike by accident.
  for (const record of records) hash.update(`\n${JSON.stringify(record)}`);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * hashFiles() of what a RUN --mount=type=bind shows: the tree at `hostPath`, links on the way and
 * the path itself followed as the mount follows them.
 */
export async function hashMountSource(hostPath: string): Promise<string> {
  const real = await realpath(hostPath).catch((err: unknown) => Promise.reject(fromSystemError(err, hostPath)));
  return hashFiles(real, ['']);
}

// The layer cache in a plain local directory (`--cache-repo dir:PATH`), for builds sharing a host.
// Blobs are content-addressed under blobs/ (one copy of a layer however many entries use it); each
// key is one small file under entries/ naming its manifest and blobs, replaced atomically. An
// entry file's mtime is its last use, so eviction drops the least recently used entries first.
//
// Concurrency: blob writes are race-free by themselves (temp name, verified, renamed). Publishing
// an entry and pruning both run under the directory's lock, and a writer re-checks under that lock
// that every blob it skipped as present is still there, so a prune never leaves an entry naming a
// deleted blob.
import { mkdir, readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { BlobStore, type StagedBlob } from '../cache/blob-store.ts';
import { writeFileAtomic } from '../cache/atomic-file.ts';
import { withFileLock } from '../cache/file-lock.ts';
import { isDigest, type Digest } from '../oci/digest.ts';
import type { Platform } from '../oci/types.ts';
import { BuilderError, fromSystemError, isBuilderError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { EntryImageCache, type FailureScope } from './cache-entry.ts';
import { readStoreImage } from './store.ts';
import type { Image } from './types.ts';
import { walkImage } from './walk.ts';

/** What entries/<key>.json holds. */
interface EntryFile {
  manifest: { mediaType: string; digest: Digest };
  /** Every blob the entry needs, manifest included: what keeps a blob from being pruned. */
  blobs: Digest[];
}

const ENTRIES = 'entries';
const LOCK = 'cache.lock';
// Temp blobs younger than this may belong to a write in progress; older ones were left by a crash.
const TEMP_GRACE_MS = 3_600_000;

// Keys are hex digests; anything else would let a key name a path outside entries/.
function entryPath(root: string, key: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(key)) throw new BuilderError('INTERNAL', `cache key "${key}" is not a file name`);
  return join(root, ENTRIES, `${key}.json`);
}

function parseEntry(text: string): EntryFile | undefined {
  try {
    const entry = JSON.parse(text) as EntryFile;
    if (isDigest(entry.manifest?.digest) && typeof entry.manifest.mediaType === 'string' && Array.isArray(entry.blobs) && entry.blobs.every(isDigest)) return entry;
  } catch {
    // A torn or foreign file is no entry.
  }
  return undefined;
}

export class DirLayerCache extends EntryImageCache {
  private readonly root: string;
  private readonly blobs: BlobStore;

  constructor(
    path: string,
    ttlMs: number,
    platform: Platform,
    /** Evict least recently used entries after each write once the blobs pass this many bytes. */
    private readonly maxBytes?: number,
  ) {
    super(`dir:${path}`, ttlMs, platform);
    this.root = resolve(path);
    this.blobs = new BlobStore(this.root, this.name);
  }

  protected async find(key: string): Promise<Image | undefined> {
    const path = entryPath(this.root, key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fromSystemError(err, path);
    }
    const entry = parseEntry(text);
    if (!entry) throw new BuilderError('LAYER_INVALID', `${path} is not a kiln cache entry`);
    const found = await readStoreImage(this.blobs, entry.manifest.digest, `${this.name}:${key}`, entry.manifest.mediaType);
    if (found.kind !== 'image') throw new BuilderError('LAYER_INVALID', `${path} names an index, not a cache entry`);
    // The mtime records the last use for LRU eviction; failing to touch it only makes eviction less exact.
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    return found.image;
  }

  protected async store(key: string, image: Image): Promise<void> {
    const tree = await walkImage({ kind: 'image', image });
    const top = tree.manifests[tree.manifests.length - 1];
    const staged: StagedBlob[] = [];
    const stageMissing = async (): Promise<void> => {
      for (const blob of tree.blobs) {
        if (!(await this.blobs.has(blob.digest))) staged.push(await this.blobs.stage(await blob.open(), { digest: blob.digest, size: blob.size }));
      }
      if (!(await this.blobs.has(top.digest))) staged.push(await this.blobs.stage(Readable.from([top.bytes]), { digest: top.digest, size: top.bytes.length }));
    };
    const entry: EntryFile = { manifest: { mediaType: top.mediaType, digest: top.digest }, blobs: [...tree.blobs.map((b) => b.digest), top.digest] };
    try {
      await mkdir(join(this.root, ENTRIES), { recursive: true });
      await stageMissing();
      await withFileLock(join(this.root, LOCK), async () => {
        for (const s of staged.splice(0)) await s.commit();
        // A prune may have removed a blob between the check above and taking the lock.
        await stageMissing();
        for (const s of staged.splice(0)) await s.commit();
        await writeFileAtomic(entryPath(this.root, key), JSON.stringify(entry));
      });
    } finally {
      await Promise.all(staged.map((s) => s.discard()));
    }
    if (this.maxBytes !== undefined) await pruneDirCache(this.root, this.maxBytes);
  }

  protected scopeOf(err: unknown): FailureScope {
    return isBuilderError(err, 'IO') || isBuilderError(err, 'DISK_FULL') ? 'unreachable' : 'entry';
  }
}

export interface PruneResult {
  entriesKept: number;
  entriesRemoved: number;
  blobsRemoved: number;
  bytesRemoved: number;
  /** Bytes of blobs left. */
  bytes: number;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromSystemError(err, dir);
  }
}

/**
 * Drops least recently used entries until the blobs the rest need fit in `maxBytes` (no cap when
 * undefined), then deletes every blob no entry needs, and temp files left by crashed writes.
 */
export async function pruneDirCache(path: string, maxBytes?: number): Promise<PruneResult> {
  const root = resolve(path);
  const result: PruneResult = { entriesKept: 0, entriesRemoved: 0, blobsRemoved: 0, bytesRemoved: 0, bytes: 0 };
  const entriesDir = join(root, ENTRIES);
  const blobsDir = join(root, 'blobs', 'sha256');
  await withFileLock(join(root, LOCK), async () => {
    const blobSizes = new Map<string, number>();
    for (const name of await listDir(blobsDir)) {
      const st = await stat(join(blobsDir, name)).catch(() => undefined);
      if (!st?.isFile()) continue;
      if (name.startsWith('.tmp-')) {
        if (Date.now() - st.mtimeMs > TEMP_GRACE_MS) await rm(join(blobsDir, name), { force: true });
        continue;
      }
      blobSizes.set(`sha256:${name}`, st.size);
    }

    const entries: { file: string; used: number; blobs: Digest[] }[] = [];
    for (const name of await listDir(entriesDir)) {
      const file = join(entriesDir, name);
      if (!name.endsWith('.json')) continue;
      const [text, st] = await Promise.all([readFile(file, 'utf8').catch(() => ''), stat(file).catch(() => undefined)]);
      const entry = parseEntry(text);
      // An entry with a blob gone cannot be served: it goes too.
      if (!entry || !st || !entry.blobs.every((d) => blobSizes.has(d))) {
        await rm(file, { force: true });
        result.entriesRemoved++;
        continue;
      }
      entries.push({ file, used: st.mtimeMs, blobs: entry.blobs });
    }

    // Newest first: walk down, keeping entries while the blobs they add still fit.
    entries.sort((a, b) => b.used - a.used);
    const kept = new Set<string>();
    let bytes = 0;
    for (const entry of entries) {
      const added = [...new Set(entry.blobs)].filter((d) => !kept.has(d));
      const extra = added.reduce((sum, d) => sum + (blobSizes.get(d) ?? 0), 0);
      if (maxBytes !== undefined && bytes + extra > maxBytes) {
        await rm(entry.file, { force: true });
        result.entriesRemoved++;
        continue;
      }
      for (const d of added) kept.add(d);
      bytes += extra;
      result.entriesKept++;
    }
    for (const [digest, size] of blobSizes) {
      if (kept.has(digest)) continue;
      await rm(join(blobsDir, digest.slice('sha256:'.length)), { force: true });
      result.blobsRemoved++;
      result.bytesRemoved += size;
    }
    result.bytes = bytes;
  });
  log.info(`pruned ${root}: ${result.entriesRemoved} entries and ${result.blobsRemoved} blobs removed, ${result.entriesKept} entries kept`);
  return result;
}

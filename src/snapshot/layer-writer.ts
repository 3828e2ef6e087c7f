// Change set + rootfs → a layer blob. One streaming pass: the tar is hashed (diffId), compressed,
// hashed again (digest, size) and written to a temp file that is renamed to blobs/sha256/<hex>;
// nothing is held in memory but the list of entries. The tar is deterministic (see tar/writer.ts),
// and with a fixed mtime (--reproducible, SOURCE_DATE_EPOCH) the same tree gives the same digest.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { Digest } from '../oci/digest.ts';
import { MediaType } from '../oci/mediatypes.ts';
import { verified } from '../cache/digest-stream.ts';
import { openerLayer } from '../image/layer.ts';
import type { Layer } from '../image/types.ts';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from '../tar/extract.ts';
import { packTar, type PackEntry } from '../tar/writer.ts';
import { readXattrs, type Xattrs } from '../tar/xattr.ts';
import { ParallelGzip } from '../util/parallel-gzip.ts';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import { compareNames, normalizeChanges, type ChangeSet } from './changes.ts';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface LayerWriteOptions {
  /** Directory holding `blobs/sha256/` (an OCI layout or the blob store). */
  blobRoot: string;
  compression?: LayerCompression;
  /** --compression-level: gzip 0–9, zstd 1–22. */
  compressionLevel?: number;
  /** Every timestamp in the layer, in seconds (--reproducible: 0 or SOURCE_DATE_EPOCH). */
  fixedMtime?: number;
  /** Receives the blob's bytes as they are written, and its digest once all are: an upload made while compressing. */
  upload?: LayerUpload;
}

/**
 * Takes a layer's blob while it is written. `bytes` ends when the blob is whole (or is destroyed
 * with the writer's error); `digest` then resolves (or rejects). Destroying `bytes` gives up
 * without slowing the layer's own file.
 */
export type LayerUpload = (bytes: Readable, digest: Promise<Digest>) => void;

export interface WrittenLayer extends Layer {
  /** Where the blob was written. */
  readonly blobPath: string;
  /** Tar entries written, whiteouts included. */
  readonly entries: number;
}

/** The timestamp --reproducible gives every entry: SOURCE_DATE_EPOCH when set, else 0. */
export function reproducibleMtime(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return 0;
  if (!/^\d+$/.test(raw)) throw new BuilderError('USAGE', `SOURCE_DATE_EPOCH=${raw} is not a whole number of seconds`);
  return Number(raw);
}

type ZstdFactory = (opts: { params: Record<number, number> }) => Transform;
const zstdCompress = (zlib as unknown as { createZstdCompress?: ZstdFactory }).createZstdCompress;
const ZSTD_LEVEL_PARAM = (zlib.constants as unknown as Record<string, number>).ZSTD_c_compressionLevel;

// kaniko's default: it leaves the level to go-containerregistry, whose layers are gzip.BestSpeed.
// Twice as fast as zlib's default level, for layers about a tenth larger.
const KANIKO_GZIP_LEVEL = 1;

/** The compressor for the options, or a usage error naming the flag that cannot be honoured. */
function compressor(compression: LayerCompression, level: number | undefined): Transform | null {
  if (compression === 'none') return null;
  if (compression === 'gzip') {
    if (level !== undefined && (!Number.isInteger(level) || level < 0 || level > 9)) {
      throw new BuilderError('USAGE', `--compression-level=${level} is out of range for gzip (0 to 9)`);
    }
    return new ParallelGzip({ level: level ?? KANIKO_GZIP_LEVEL });
  }
  if (!zstdCompress || ZSTD_LEVEL_PARAM === undefined) {
    throw new BuilderError('USAGE', `--compression=zstd needs a Node.js whose zlib has zstd (22.15 or later); this is Node ${process.version}. Use --compression=gzip.`);
  }
  if (level !== undefined && (!Number.isInteger(level) || level < 1 || level > 22)) {
    throw new BuilderError('USAGE', `--compression-level=${level} is out of range for zstd (1 to 22)`);
  }
  return zstdCompress({ params: { [ZSTD_LEVEL_PARAM]: level ?? 3 } });
}

function mediaTypeFor(compression: LayerCompression): string {
  return compression === 'gzip' ? MediaType.OciLayerGzip : compression === 'zstd' ? MediaType.OciLayerZstd : MediaType.OciLayer;
}

/** Passes chunks on and copies them to `side` at its pace, until `side` is destroyed. */
class Tee extends Transform {
  constructor(private readonly side: PassThrough) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.side.destroyed || this.side.write(chunk)) return done(null, chunk);
    const go = (): void => {
      this.side.off('drain', go).off('close', go);
      done(null, chunk);
    };
    this.side.on('drain', go).on('close', go);
  }

  override _flush(done: TransformCallback): void {
    if (!this.side.destroyed) this.side.end();
    done();
  }
}

class HashTap extends Transform {
  private readonly hash: Hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }

  digest(): Digest {
    return `sha256:${this.hash.digest('hex')}` as Digest;
  }
}

function devNumbers(rdev: number): { devmajor: number; devminor: number } {
  const dev = BigInt(rdev);
  return {
    devmajor: Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn)),
    devminor: Number((dev & 0xffn) | ((dev >> 12n) & 0xfff00n)),
  };
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** What goes in the tar, by path: each present path, the parents of every path, whiteouts. */
function plan(set: ChangeSet): { present: Set<string>; whiteouts: string[]; opaque: string[] } {
  const present = new Set<string>();
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  const addParents = (path: string): void => {
    for (let p = parentOf(path); p !== '' && !present.has(p); p = parentOf(p)) present.add(p);
  };
  for (const c of normalizeChanges(set.changes)) {
    addParents(c.path);
    if (c.kind === 'delete') {
      const parent = parentOf(c.path);
      const base = c.path.slice(parent === '' ? 0 : parent.length + 1);
      whiteouts.push(parent === '' ? `${WHITEOUT_PREFIX}${base}` : `${parent}/${WHITEOUT_PREFIX}${base}`);
      continue;
    }
    present.add(c.path);
    if (c.opaque) opaque.push(c.path);
  }
  // An opaque directory hides everything below it, so everything it holds now must be written.
  const addSubtree = (rel: string): void => {
    for (const name of readdirSync(join(set.rootfs, rel))) {
      const child = `${rel}/${name}`;
      present.add(child);
      if (lstatSync(join(set.rootfs, child)).isDirectory()) addSubtree(child);
    }
  };
  for (const dir of opaque) addSubtree(dir);
  return { present, whiteouts, opaque };
}

/** The tar entries for a change set, sorted, hard links resolved within the layer. */
async function entriesFor(set: ChangeSet, fixedMtime: number | undefined): Promise<PackEntry[]> {
  const { present, whiteouts, opaque } = plan(set);
  const paths = [...present];
  const stats = new Map<string, Stats>();
  for (const p of paths) {
    const host = join(set.rootfs, p);
    try {
      stats.set(p, lstatSync(host));
    } catch (err) {
      throw fromSystemError(err, host);
    }
  }
  const read = await readXattrs(paths.filter((p) => !set.knownXattrs?.has(p)).map((p) => join(set.rootfs, p)));
  const xattrsOf = (p: string): Xattrs | undefined => {
    const attrs = set.knownXattrs?.get(p) ?? read.get(join(set.rootfs, p));
    return attrs?.size ? attrs : undefined;
  };
  const marker = (name: string): PackEntry => ({ name, type: 'file', mode: 0, uid: 0, gid: 0, mtime: fixedMtime ?? 0, size: 0 });
  const entries: PackEntry[] = [...whiteouts.map(marker), ...opaque.map((d) => marker(`${d}/${OPAQUE_MARKER}`))];
  for (const p of paths) {
    const st = stats.get(p) as Stats;
    const host = join(set.rootfs, p);
    const base = { name: p, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: fixedMtime ?? Math.floor(st.mtimeMs / 1000), xattrs: xattrsOf(p) };
    if (st.isFile()) entries.push({ ...base, type: 'file', size: st.size, source: host });
    else if (st.isDirectory()) entries.push({ ...base, type: 'dir' });
    else if (st.isSymbolicLink()) entries.push({ ...base, type: 'symlink', linkname: readlinkSync(host) });
    else if (st.isCharacterDevice()) entries.push({ ...base, type: 'char', ...devNumbers(st.rdev) });
    else if (st.isBlockDevice()) entries.push({ ...base, type: 'block', ...devNumbers(st.rdev) });
    else if (st.isFIFO()) entries.push({ ...base, type: 'fifo' });
    // Sockets belong to a running process, not to an image.
  }
  entries.sort((a, b) => compareNames(a.name, b.name));
  // Hard links: the first name of an inode in tar order carries the bytes, later ones link to it.
  const firstByInode = new Map<string, string>();
  for (const e of entries) {
    const st = stats.get(e.name);
    if (!st || !st.isFile() || st.nlink < 2) continue;
    const key = `${st.dev}:${st.ino}`;
    const first = firstByInode.get(key);
    if (first === undefined) {
      firstByInode.set(key, e.name);
    } else {
      e.type = 'hardlink';
      e.linkname = first;
      e.size = 0;
      delete e.source;
      delete e.xattrs;
    }
  }
  return entries;
}

/** Writes the layer of `set` into `opts.blobRoot` and returns it as a lazy Layer over the blob. */
export async function writeLayer(set: ChangeSet, opts: LayerWriteOptions): Promise<WrittenLayer> {
  const compression = opts.compression ?? 'gzip';
  const compress = compressor(compression, opts.compressionLevel);
  const dir = join(opts.blobRoot, 'blobs', 'sha256');
  const tmp = join(dir, `.layer-${randomBytes(8).toString('hex')}.tmp`);
  const entries = await entriesFor(set, opts.fixedMtime);
  const tarTap = new HashTap();
  const blobTap = new HashTap();
  const side = opts.upload ? new PassThrough() : undefined;
  let settle: { resolve: (d: Digest) => void; reject: (err: unknown) => void } | undefined;
  if (side && opts.upload) {
    const digest = new Promise<Digest>((resolve, reject) => (settle = { resolve, reject }));
    // The taker may have given up already: a rejection nobody waits for is not an error here.
    digest.catch(() => undefined);
    opts.upload(side, digest);
  }
  try {
    await mkdir(dir, { recursive: true });
    // No fsync: the blob lives in the build's workspace, which does not outlive the build.
    const stages = [Readable.from(packTar(entries), { objectMode: false }), tarTap, ...(compress ? [compress] : []), blobTap, ...(side ? [new Tee(side)] : []), createWriteStream(tmp)];
    await pipeline(stages);
  } catch (err) {
    side?.destroy(err as Error);
    settle?.reject(err);
    await rm(tmp, { force: true });
    throw fromSystemError(err, tmp);
  }
  const diffId = tarTap.digest();
  const digest = compress ? blobTap.digest() : diffId;
  settle?.resolve(digest);
  const size = blobTap.size;
  const blobPath = join(dir, digest.slice('sha256:'.length));
  try {
    await rename(tmp, blobPath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw fromSystemError(err, blobPath);
  }
  const layer = openerLayer({
    digest,
    diffId,
    size,
    mediaType: mediaTypeFor(compression),
    open: async () => verified(createReadStream(blobPath), digest, size, `layer ${digest} at ${blobPath}`),
  });
  return { ...layer, blobPath, entries: entries.length };
}

// A pull-based tar reader: entries come one at a time from an async generator, and the next header
// is read only after the caller has consumed (or skipped) the body of the current one. That gives
// extraction real backpressure and strict ordering, which node-tar's event-driven Parser does not.
// The ustar block is decoded by header.ts (node-tar's Header for all but the common form); PAX and
// GNU long-name records are parsed here so that their sizes can be bounded and SCHILY.xattr.* kept.
import { decodeHeader } from './header.ts';
import { BuilderError } from '../util/errors.ts';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  /** The name as stored (after PAX/GNU overrides), not yet normalised. */
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch, fractional when a PAX record says so. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Buffer>;
  /** The body, in chunks; must be drained or skipped before the next entry is read. */
  body(): AsyncGenerator<Buffer>;
  /** The whole body in one buffer (for small bodies: one read instead of a generator). */
  bytes(): Promise<Buffer>;
}

const BLOCK = 512;
/** PAX and GNU long-name records larger than this are refused rather than buffered. */
export const MAX_META_SIZE = 1 << 20;
const XATTR_PREFIX = 'SCHILY.xattr.';

const TYPES: Record<string, EntryType | undefined> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Directory: 'dir',
  SymbolicLink: 'symlink',
  Link: 'hardlink',
  CharacterDevice: 'char',
  BlockDevice: 'block',
  FIFO: 'fifo',
};

/**
 * Exact-size reads over a byte stream, failing with a clear error when it ends early. Chunks are
 * queued and joined once per read: joining on every arrival made a 1 MiB read copy ~32 MiB.
 */
class ByteReader {
  private readonly it: AsyncIterator<Buffer | string>;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private done = false;

  constructor(
    source: AsyncIterable<Buffer | string>,
    private readonly what: string,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.it.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    if (chunk.length > 0) {
      this.queue.push(chunk);
      this.queued += chunk.length;
    }
    return true;
  }

  /** Up to `n` bytes from the front of the queue (at least one byte; the queue must not be empty). */
  private take(n: number): Buffer {
    const head = this.queue[0];
    if (head.length <= n) {
      this.queue.shift();
      this.queued -= head.length;
      return head;
    }
    this.queue[0] = head.subarray(n);
    this.queued -= n;
    return head.subarray(0, n);
  }

  /** Exactly `n` bytes, or null at a clean end of stream (nothing buffered). */
  async readExact(n: number): Promise<Buffer | null> {
    while (this.queued < n) {
      if (!(await this.fill())) {
        if (this.queued === 0) return null;
        throw this.truncated();
      }
    }
    if (n === 0) return Buffer.alloc(0);
    if (this.queue[0].length >= n) return this.take(n);
    const parts: Buffer[] = [];
    for (let left = n; left > 0; ) {
      const part = this.take(left);
      parts.push(part);
      left -= part.length;
    }
    return Buffer.concat(parts, n);
  }

  /** `n` bytes as they arrive, without collecting them. */
  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.queued === 0 && !(await this.fill())) throw this.truncated();
      if (this.queued === 0) continue;
      const out = this.take(left);
      left -= out.length;
      yield out;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.chunks(n)) {
      // discarded
    }
  }

  truncated(): BuilderError {
    return new BuilderError('LAYER_INVALID', `${this.what}: tar stream is truncated`);
  }

  /** Drains what follows the end-of-archive blocks (padding) without looking at it. */
  async drain(): Promise<void> {
    this.queue.length = 0;
    this.queued = 0;
    while (await this.fill()) {
      this.queue.length = 0;
      this.queued = 0;
    }
  }
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

interface Overrides {
  path?: string;
  linkpath?: string;
  size?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  xattrs: Map<string, Buffer>;
}

/** Parses PAX records ("LEN key=value\n"); values are kept as bytes for xattrs. */
export function parsePax(data: Buffer, into: Overrides, what: string): void {
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break; // some writers pad the record block with NULs
    const space = data.indexOf(0x20, off);
    const len = space > off ? Number(data.subarray(off, space).toString('latin1')) : NaN;
    if (!Number.isSafeInteger(len) || len <= 0 || off + len > data.length || data[off + len - 1] !== 0x0a) {
      throw new BuilderError('LAYER_INVALID', `${what}: malformed PAX record at byte ${off}`);
    }
    const record = data.subarray(space + 1, off + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw new BuilderError('LAYER_INVALID', `${what}: malformed PAX record at byte ${off}`);
    const key = record.subarray(0, eq).toString('utf8');
    const value = record.subarray(eq + 1);
    const text = (): string => value.toString('utf8');
    const num = (): number => {
      const n = Number(text());
      if (!Number.isFinite(n) || n < 0) throw new BuilderError('LAYER_INVALID', `${what}: PAX ${key} is not a number`);
      return n;
    };
    if (key === 'path') into.path = text();
    else if (key === 'linkpath') into.linkpath = text();
    else if (key === 'size') into.size = num();
    else if (key === 'uid') into.uid = num();
    else if (key === 'gid') into.gid = num();
    else if (key === 'mtime') into.mtime = num();
    else if (key.startsWith(XATTR_PREFIX)) into.xattrs.set(key.slice(XATTR_PREFIX.length), Buffer.from(value));
    off += len;
  }
}

function nulTerminated(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.subarray(0, nul === -1 ? buf.length : nul).toString('utf8');
}

/**
 * Entries of the tar in `source`. `what` names the layer in errors ("image x layer sha256:…").
 * Unsupported entry types (sparse files, volume labels) are refused: extracting them as something
 * else would produce a different filesystem than the image means.
 */
export async function* readTar(source: AsyncIterable<Buffer | string>, what: string): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source, what);
  const global: Overrides = { xattrs: new Map() };
  let local: Overrides = { xattrs: new Map() };
  let zeroBlocks = 0;
  while (true) {
    const block = await reader.readExact(BLOCK);
    if (block === null) {
      if (zeroBlocks === 0) throw reader.truncated();
      return; // one zero block then EOF: tolerated, as GNU tar and Go do
    }
    if (block.every((b) => b === 0)) {
      if (++zeroBlocks === 2) {
        await reader.drain();
        return;
      }
      continue;
    }
    zeroBlocks = 0;
    const header = decodeHeader(block);
    if (!header.cksumValid) throw new BuilderError('LAYER_INVALID', `${what}: invalid tar header checksum`);
    const size = header.size ?? 0;
    const typeName = header.type;
    if (typeName === 'ExtendedHeader' || typeName === 'GlobalExtendedHeader' || typeName === 'NextFileHasLongPath' || typeName === 'NextFileHasLongLinkpath' || typeName === 'OldExtendedHeader') {
      if (size > MAX_META_SIZE) {
        throw new BuilderError('LAYER_INVALID', `${what}: ${typeName} record of ${size} bytes exceeds the ${MAX_META_SIZE}-byte limit`);
      }
      const data = size === 0 ? Buffer.alloc(0) : await reader.readExact(padded(size));
      if (data === null) throw reader.truncated();
      const body = data.subarray(0, size);
      if (typeName === 'GlobalExtendedHeader') parsePax(body, global, what);
      else if (typeName === 'NextFileHasLongPath') local.path = nulTerminated(body);
      else if (typeName === 'NextFileHasLongLinkpath') local.linkpath = nulTerminated(body);
      else parsePax(body, local, what);
      continue;
    }
    const name = local.path ?? global.path ?? header.path ?? '';
    const type = TYPES[typeName];
    if (type === undefined) {
      throw new BuilderError('LAYER_INVALID', `${what}: entry "${name}" has unsupported tar type ${header.typeKey}`);
    }
    const bodySize = local.size ?? global.size ?? size;
    // Whatever the type, the header's size says how many bytes follow; skip them to stay in step.
    const dataSize = bodySize;
    const xattrs = new Map([...global.xattrs, ...local.xattrs]);
    let consumed = false;
    const entry: TarEntry = {
      name,
      type,
      mode: (header.mode ?? 0) & 0o7777,
      uid: local.uid ?? global.uid ?? header.uid ?? 0,
      gid: local.gid ?? global.gid ?? header.gid ?? 0,
      size: type === 'file' ? bodySize : 0,
      mtime: local.mtime ?? global.mtime ?? header.mtime ?? 0,
      linkname: local.linkpath ?? global.linkpath ?? header.linkpath ?? '',
      devmajor: header.devmaj ?? 0,
      devminor: header.devmin ?? 0,
      xattrs,
      body: async function* () {
        consumed = true;
        yield* reader.chunks(dataSize);
        await reader.skip(padded(dataSize) - dataSize);
      },
      bytes: async () => {
        consumed = true;
        const data = await reader.readExact(padded(dataSize));
        if (data === null && dataSize > 0) throw reader.truncated();
        return data === null ? Buffer.alloc(0) : data.subarray(0, dataSize);
      },
    };
    local = { xattrs: new Map() };
    yield entry;
    if (!consumed) await reader.skip(padded(dataSize));
  }
}

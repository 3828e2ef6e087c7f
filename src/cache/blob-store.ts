// A content-addressed directory of blobs laid out as `blobs/<algorithm>/<hex>`, the same shape as
// an OCI image layout, so the layout sink and the base-image cache share this code.
//
// Writing is crash- and race-safe: bytes go to a temp name in the destination directory, are hashed
// as they pass, fsynced, checked against the expected digest, and only then renamed into place.
// rename(2) is atomic, so a reader sees either no blob or the whole blob; two processes writing the
// same digest both rename identical bytes onto the same name and neither can observe a torn file.
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DigestCounter, digestAlgorithm, digestHex, type Digest } from '../oci/digest.ts';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import { digestMismatch, sizeMismatch, verified } from './digest-stream.ts';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** Bytes written and verified under a temp name; `commit` renames them into place. */
export interface StagedBlob extends BlobInfo {
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export interface ExpectedBlob {
  digest: Digest;
  size?: number;
}

const TEMP_PREFIX = '.tmp-';
const TEMP_NAME = /^\.tmp-(\d+)-[0-9a-f]+$/;

/** Whether a process of this pid is running on this host (a temp of a live writer is left alone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class BlobStore {
  // Once per store and algorithm: temps that writers killed mid-blob left behind.
  private readonly swept = new Map<string, Promise<void>>();

  /** `root` holds the `blobs/` directory; `label` names the store in messages. */
  constructor(
    readonly root: string,
    private readonly label: string = root,
  ) {}

  path(digest: Digest): string {
    return join(this.root, 'blobs', digestAlgorithm(digest), digestHex(digest));
  }

  async size(digest: Digest): Promise<number | undefined> {
    try {
      const st = await stat(this.path(digest));
      return st.isFile() ? st.size : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fromSystemError(err, this.path(digest));
    }
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.size(digest)) !== undefined;
  }

  /** A fresh stream of a stored blob, verified against its digest as it is read. */
  async open(digest: Digest): Promise<Readable> {
    const size = await this.size(digest);
    if (size === undefined) throw new BuilderError('BLOB_UNKNOWN', `blob ${digest} not found in ${this.label}`);
    return verified(createReadStream(this.path(digest)), digest, size, `blob ${digest} in ${this.label}`);
  }

  /** Writes a blob and returns its digest; with `expected`, refuses bytes that do not match it. */
  async write(source: Readable | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, expected?: ExpectedBlob): Promise<BlobInfo> {
    const staged = await this.stage(source, expected);
    await staged.commit();
    return { digest: staged.digest, size: staged.size };
  }

  /**
   * Removes temps whose writer is gone (SIGKILL, OOM, power): they are never read, since only a
   * verified rename publishes a blob, but a long-lived cache must not fill up with them.
   */
  private sweepAbandoned(dir: string): Promise<void> {
    let done = this.swept.get(dir);
    if (!done) {
      done = (async () => {
        for (const name of await readdir(dir)) {
          const m = TEMP_NAME.exec(name);
          if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) await rm(join(dir, name), { force: true });
        }
      })();
      this.swept.set(dir, done);
    }
    return done;
  }

  async writeBytes(bytes: Uint8Array, expected?: ExpectedBlob): Promise<BlobInfo> {
    return this.write([bytes], expected);
  }

  /**
   * Writes and verifies a blob under a temp name without publishing it, so a caller can put
   * several blobs in place only once all of them are known to be good.
   */
  async stage(source: Readable | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, expected?: ExpectedBlob): Promise<StagedBlob> {
    const algorithm = expected ? digestAlgorithm(expected.digest) : 'sha256';
    const dir = join(this.root, 'blobs', algorithm);
    const temp = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(8).toString('hex')}`);
    const counter = new DigestCounter(algorithm);
    const what = expected ? `blob ${expected.digest} for ${this.label}` : `blob for ${this.label}`;
    const limit = expected?.size;

    try {
      await mkdir(dir, { recursive: true });
      await this.sweepAbandoned(dir);
      const fh = await open(temp, 'wx', 0o644);
      try {
        for await (const chunk of source) {
          counter.update(chunk);
          // Stop as soon as a blob runs past its declared size instead of filling the disk.
          if (limit !== undefined && counter.size > limit) throw sizeMismatch(what, limit, counter.size);
          for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off)).bytesWritten;
        }
        // Durable before it becomes visible: a crash after rename must not leave a short file.
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      await rm(temp, { force: true });
      throw fromSystemError(err, `${what}: ${temp}`);
    }

    const digest = counter.digest();
    const problem =
      expected && limit !== undefined && counter.size !== limit
        ? sizeMismatch(what, limit, counter.size)
        : expected && digest !== expected.digest
          ? digestMismatch(what, expected.digest, digest)
          : undefined;
    if (problem) {
      await rm(temp, { force: true });
      throw problem;
    }

    const final = join(dir, digestHex(digest));
    return {
      digest,
      size: counter.size,
      commit: async () => {
        try {
          await rename(temp, final);
          await syncDir(dir);
        } catch (err) {
          await rm(temp, { force: true });
          throw fromSystemError(err, final);
        }
      },
      discard: () => rm(temp, { force: true }),
    };
  }
}

/** fsync a directory so that a rename into it survives a crash. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

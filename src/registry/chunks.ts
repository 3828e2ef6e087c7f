// Cuts one byte stream into consecutive chunks of exact sizes without buffering a whole chunk:
// each chunk is itself a stream that ends after its share of bytes, leaving the rest for the next.
import { Readable } from 'node:stream';
import { BuilderError } from '../util/errors.ts';

export class ChunkCutter {
  private readonly iterator: AsyncIterator<Buffer>;
  private leftover: Buffer | undefined;
  private readonly what: string;

  constructor(source: Readable, what: string) {
    this.iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.what = what;
  }

  private async pull(): Promise<Buffer | undefined> {
    if (this.leftover) {
      const b = this.leftover;
      this.leftover = undefined;
      return b;
    }
    const next = await this.iterator.next();
    return next.done ? undefined : Buffer.from(next.value);
  }

  /** A stream of exactly `length` bytes; it fails if the source ends sooner. */
  next(length: number): Readable {
    return Readable.from(this.take(length), { objectMode: false });
  }

  private async *take(length: number): AsyncGenerator<Buffer> {
    let remaining = length;
    while (remaining > 0) {
      const buf = await this.pull();
      if (!buf) throw new BuilderError('DIGEST_MISMATCH', `${this.what}: content ended ${remaining} bytes short of the declared size`);
      if (buf.length > remaining) {
        this.leftover = buf.subarray(remaining);
        yield buf.subarray(0, remaining);
        remaining = 0;
      } else {
        remaining -= buf.length;
        yield buf;
      }
    }
  }

  /** Reads and drops `length` bytes (the part of a resumed upload the registry already has). */
  async skip(length: number): Promise<void> {
    for await (const _ of this.take(length)) {
      // Dropped on purpose.
    }
  }

  /** True when the source has bytes beyond what the chunks took. */
  async hasMore(): Promise<boolean> {
    const buf = await this.pull();
    if (buf && buf.length > 0) {
      this.leftover = buf;
      return true;
    }
    return buf !== undefined && (await this.hasMore());
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

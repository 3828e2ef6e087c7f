// Streams that check and count bytes as they pass, so a blob is verified without buffering it.
import { Transform, type TransformCallback } from 'node:stream';
import { BuilderError } from '../util/errors.ts';
import { DigestCounter, digestAlgorithm, type Digest } from '../oci/digest.ts';

/**
 * Passes bytes through, hashing them; at the end it fails with DIGEST_MISMATCH (naming `what`)
 * when the digest, or the size if one is expected, is not what was asked for.
 */
export class VerifyingStream extends Transform {
  private readonly counter: DigestCounter;
  private readonly expected: Digest;
  private readonly expectedSize?: number;
  private readonly what: string;
  private readonly onBytes?: (done: number) => void;

  constructor(expected: Digest, what: string, opts: { size?: number; onBytes?: (done: number) => void } = {}) {
    super();
    this.expected = expected;
    this.what = what;
    this.expectedSize = opts.size;
    this.onBytes = opts.onBytes;
    this.counter = new DigestCounter(digestAlgorithm(expected));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.counter.update(chunk);
    this.onBytes?.(this.counter.size);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const actual = this.counter.digest();
    if (actual !== this.expected) {
      done(new BuilderError('DIGEST_MISMATCH', `${this.what}: content has digest ${actual}, expected ${this.expected}`));
    } else if (this.expectedSize !== undefined && this.counter.size !== this.expectedSize) {
      done(new BuilderError('DIGEST_MISMATCH', `${this.what}: content is ${this.counter.size} bytes, expected ${this.expectedSize}`));
    } else {
      done();
    }
  }

}

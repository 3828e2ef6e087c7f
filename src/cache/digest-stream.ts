// A pass-through stream that hashes what flows through it and fails at the end when the bytes do
// not match the expected digest (and size). Readers of blobs from disk or from another process use
// it so that a corrupted blob is refused instead of being passed on.
import { Transform, type TransformCallback } from 'node:stream';
import { DigestCounter, digestAlgorithm, type Digest } from '../oci/digest.ts';
import { BuilderError } from '../util/errors.ts';

export function digestMismatch(what: string, expected: Digest, actual: Digest): BuilderError {
  return new BuilderError('DIGEST_MISMATCH', `${what}: content does not match its digest (expected ${expected}, got ${actual})`);
}

export function sizeMismatch(what: string, expected: number, actual: number): BuilderError {
  return new BuilderError('DIGEST_MISMATCH', `${what}: expected ${expected} bytes, got ${actual}`);
}

export class VerifyingStream extends Transform {
  private readonly counter: DigestCounter;

  /** `what` names the blob in the error, e.g. "layer sha256:… of oci-layout:/tmp/x". */
  constructor(
    private readonly expected: Digest,
    private readonly expectedSize: number | undefined,
    private readonly what: string,
  ) {
    super();
    this.counter = new DigestCounter(digestAlgorithm(expected));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.counter.update(chunk);
    // Fail as soon as a blob runs past its declared size rather than at the end.
    if (this.expectedSize !== undefined && this.counter.size > this.expectedSize) {
      done(sizeMismatch(this.what, this.expectedSize, this.counter.size));
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.expectedSize !== undefined && this.counter.size !== this.expectedSize) {
      done(sizeMismatch(this.what, this.expectedSize, this.counter.size));
      return;
    }
    const actual = this.counter.digest();
    done(actual === this.expected ? null : digestMismatch(this.what, this.expected, actual));
  }
}

/** `source` piped through a VerifyingStream; errors of the source reach the returned stream. */
export function verified(source: NodeJS.ReadableStream, expected: Digest, size: number | undefined, what: string): Transform {
  const check = new VerifyingStream(expected, size, what);
  source.on('error', (err) => check.destroy(err));
  return source.pipe(check);
}

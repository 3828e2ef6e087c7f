// Streams that hash what flows through them and fail at the end when the bytes do not match the
// expected digest (and size). Readers of blobs from disk or from another process use
// it so that a corrupted blob is refused instead of being passed on.
import { Readable } from 'node:stream';
import { DigestCounter, digestAlgorithm, type Digest } from '../oci/digest.ts';
import { BuilderError } from '../util/errors.ts';

export function digestMismatch(what: string, expected: Digest, actual: Digest): BuilderError {
  return new BuilderError('DIGEST_MISMATCH', `${what}: content does not match its digest (expected ${expected}, got ${actual})`);
}

export function sizeMismatch(what: string, expected: number, actual: number): BuilderError {
  return new BuilderError('DIGEST_MISMATCH', `${what}: expected ${expected} bytes, got ${actual}`);
}

/**
 * `source` with its bytes checked against `expected` (and `size`): a mismatch is thrown to the
 * reader at the end, an overrun as soon as it happens. Lazy: nothing is read, and so no error can
 * be raised, before the returned stream is read, however long the caller waits to start.
 */
export function verified(source: NodeJS.ReadableStream, expected: Digest, size: number | undefined, what: string): Readable {
  async function* check(): AsyncGenerator<Buffer> {
    const counter = new DigestCounter(digestAlgorithm(expected));
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        counter.update(chunk);
        if (size !== undefined && counter.size > size) throw sizeMismatch(what, size, counter.size);
        yield chunk;
      }
    } finally {
      (source as Readable).destroy?.();
    }
    if (size !== undefined && counter.size !== size) throw sizeMismatch(what, size, counter.size);
    const actual = counter.digest();
    if (actual !== expected) throw digestMismatch(what, expected, actual);
  }
  return Readable.from(check(), { objectMode: false });
}

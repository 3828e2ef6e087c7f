// Blob downloads that survive a broken connection: when the body stops short with a transient
// error, the download goes on from the byte it reached with a Range request, so a large layer is
// not fetched again from the start. A server that ignores Range (200 instead of 206) is handled by
// dropping the bytes already delivered.
import { Readable } from 'node:stream';
import { backoffDelay, isRetryableError, sleep } from './retry.ts';
import { networkError, type HttpResponse } from './transport.ts';

/** Opens the blob at `offset` (0: a plain GET; otherwise with a Range header). */
export type RangeOpener = (offset: number) => Promise<HttpResponse>;

async function* resumingBytes(first: HttpResponse, open: RangeOpener, host: string, retries: number): AsyncGenerator<Buffer> {
  let res = first;
  let offset = 0;
  let failures = 0;
  for (;;) {
    // Bytes to drop at the start of this body: all of them up to `offset` when Range was ignored.
    let drop = offset > 0 && res.status !== 206 ? offset : 0;
    try {
      for await (const raw of res.body) {
        let chunk = raw as Buffer;
        if (drop > 0) {
          const n = Math.min(drop, chunk.length);
          drop -= n;
          chunk = chunk.subarray(n);
          if (chunk.length === 0) continue;
        }
        offset += chunk.length;
        yield chunk;
      }
      return;
    } catch (err) {
      res.body.destroy();
      if (failures >= retries || !isRetryableError(err)) throw networkError(host, err);
      await sleep(backoffDelay(failures++));
      res = await open(offset);
    }
  }
}

/** The blob's bytes as one stream, resuming after transient failures up to `retries` times. */
export function resumingBlobStream(first: HttpResponse, open: RangeOpener, host: string, retries: number): Readable {
  return Readable.from(resumingBytes(first, open, host, retries), { objectMode: false });
}

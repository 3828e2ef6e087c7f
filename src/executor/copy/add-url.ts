// `ADD <url>` as BuildKit's HTTP source does it: the body saved under the last segment of the
// URL's path (`__unnamed__` when there is none), mode 0600, mtime from Last-Modified, never
// unpacked; `--checksum=<algo>:<hex>` verified over the bytes received.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { EnvHttpProxyAgent, fetch } from 'undici';
import { BuilderError } from '../../util/errors.ts';
import { displayUrl } from '../../util/display-url.ts';

const ALGORITHMS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export function isHttpUrl(src: string): boolean {
  return /^https?:\/\//i.test(src);
}

/** The file name BuildKit gives a downloaded URL. */
function urlFileName(url: string): string {
  try {
    const base = posix.basename(decodeURIComponent(new URL(url).pathname));
    return base === '' || base === '.' || base === '/' ? '__unnamed__' : base;
  } catch {
    return '__unnamed__';
  }
}

/** Checks the syntax of `--checksum`, returning the algorithm and the expected hex. */
export function parseChecksum(value: string, where: string): { algorithm: string; hex: string } {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(value);
  if (!m || ALGORITHMS[m[1]] !== m[2].length) {
    throw new BuilderError('DOCKERFILE_PARSE', `${where} --checksum=${value}: invalid checksum: expected sha256:<64 hex digits> (or sha384, sha512)`);
  }
  return { algorithm: m[1], hex: m[2] };
}

/** Downloads `url` into the directory `into`; returns the file's name there. */
export async function downloadUrl(url: string, into: string, checksum: string | undefined, where: string): Promise<string> {
  const shown = displayUrl(url);
  const expected = checksum === undefined ? undefined : parseChecksum(checksum, where);
  // HTTP_PROXY, HTTPS_PROXY and NO_PROXY apply, as they do to BuildKit's HTTP source.
  const dispatcher = new EnvHttpProxyAgent();
  try {
    return await fetchInto(url, shown, into, expected, where, dispatcher);
  } finally {
    await dispatcher.close();
  }
}

async function fetchInto(
  url: string,
  shown: string,
  into: string,
  expected: { algorithm: string; hex: string } | undefined,
  where: string,
  dispatcher: EnvHttpProxyAgent,
): Promise<string> {
  let response;
  try {
    response = await fetch(url, { redirect: 'follow', dispatcher });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new BuilderError('BUILD_FAILED', `${where} ${shown}: ${cause}`, { cause: err });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    const code = response.status === 404 || response.status === 410 ? 'FILE_NOT_FOUND' : 'BUILD_FAILED';
    throw new BuilderError(code, `${where} ${shown}: invalid response status ${response.status}`);
  }
  const name = urlFileName(url);
  const file = join(into, name);
  const hash = createHash(expected?.algorithm ?? 'sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as unknown as WebReadableStream), hasher, createWriteStream(file, { mode: 0o600 }));
  } catch (err) {
    throw new BuilderError('BUILD_FAILED', `${where} ${shown}: download failed: ${(err as Error).message}`, { cause: err });
  }
  const got = hash.digest('hex');
  if (expected && got !== expected.hex) {
    throw new BuilderError(
      'DIGEST_MISMATCH',
      `${where} ${shown}: digest mismatch: expected ${expected.algorithm}:${expected.hex}, got ${expected.algorithm}:${got}`,
    );
  }
  await chmod(file, 0o600);
  const lastModified = Date.parse(response.headers.get('last-modified') ?? '');
  if (Number.isFinite(lastModified)) {
    const when = new Date(lastModified);
    await utimes(file, when, when);
  }
  return name;
}

// Blob upload (distribution spec "pushing blobs"): HEAD first and skip a blob the repository
// has; otherwise open an upload session with POST and send the bytes, in one PUT for small blobs
// or in PATCH chunks with Content-Range for large ones, then commit with PUT ?digest=. Bytes come
// from an opener, so a failed attempt starts over with a fresh stream and a fresh session.
import { pipeline, Transform, type Readable } from 'node:stream';
import { BuilderError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { DigestCounter, digestAlgorithm, type Digest } from '../oci/digest.ts';
import { ChunkCutter } from './chunks.ts';
import type { RegistryOptions } from './options.ts';
import type { Repository } from './reference.ts';
import { backoffDelay, isRetryableError, sleep } from './retry.ts';
import { repositoryScope, type Scope } from './scope.ts';
import type { Session } from './session.ts';
import { header, type HttpResponse } from './transport.ts';

export type Opener = () => Promise<Readable>;

export interface BlobToUpload {
  digest: Digest;
  size: number;
}

/** Where an upload session continues: the Location of the last answer. */
function location(res: HttpResponse, what: string): string {
  const loc = header(res, 'location');
  if (!loc) throw new BuilderError('REGISTRY_ERROR', `${what}: the registry opened an upload without a Location`);
  return loc;
}

function withDigest(loc: string, digest: Digest): string {
  const url = new URL(loc, 'http://placeholder');
  url.searchParams.set('digest', digest);
  // Keep a relative Location relative; the session resolves it against the registry's origin.
  return /^[a-z]+:\/\//i.test(loc) ? url.toString() : `${url.pathname}${url.search}`;
}

function hasCode(err: unknown, code: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

export class BlobUploader {
  private readonly session: Session;
  private readonly opts: RegistryOptions;

  constructor(session: Session, opts: RegistryOptions) {
    this.session = session;
    this.opts = opts;
  }

  private base(repo: Repository, scopes: Scope[]) {
    return { registry: repo.registry, direction: 'push' as const, repository: repo.repository, scopes };
  }

  /** Streams bytes through a counter that reports progress and hashes what is sent. */
  private counted(repo: Repository, blob: BlobToUpload, source: Readable, counter?: DigestCounter): Readable {
    const onProgress = this.opts.onProgress;
    const repository = `${repo.registry}/${repo.repository}`;
    let done = 0;
    const t = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        counter?.update(chunk);
        done += chunk.length;
        onProgress?.({ phase: 'upload', repository, digest: blob.digest, done, total: blob.size });
        cb(null, chunk);
      },
    });
    // pipeline carries a source error into the request and closes the source if the request ends early.
    pipeline(source, t, () => {});
    return t;
  }

  /** Uploads a blob unless the repository has it; returns false when it was already there. */
  async upload(repo: Repository, blob: BlobToUpload, opener: Opener): Promise<boolean> {
    const what = `${repo.registry}/${repo.repository}@${blob.digest}`;
    const scopes = [repositoryScope(repo.repository, 'push', 'pull')];
    const head = await this.session.send({
      ...this.base(repo, scopes),
      method: 'HEAD',
      path: `/v2/${repo.repository}/blobs/${blob.digest}`,
      ok: [200, 404],
      subject: { what, kind: 'blob' },
    });
    await head.body.dump();
    if (head.status === 200) {
      this.opts.onProgress?.({ phase: 'upload', repository: `${repo.registry}/${repo.repository}`, digest: blob.digest, done: blob.size, total: blob.size });
      return false;
    }
    const attempts = 1 + this.opts.retries + this.opts.pushRetry;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.attempt(repo, blob, opener, what, scopes);
        return true;
      } catch (err) {
        if (attempt + 1 >= attempts || !isRetryableError(err)) throw err;
        log.debug(`${what}: upload failed (${(err as Error).message}); starting over`);
        await sleep(backoffDelay(attempt));
      }
    }
  }

  /** POST: a new upload session; its Location. */
  private async openSession(repo: Repository, scopes: Scope[], what: string): Promise<string> {
    const start = await this.session.send({
      ...this.base(repo, scopes),
      method: 'POST',
      path: `/v2/${repo.repository}/blobs/uploads/`,
      headers: { 'content-length': '0' },
      ok: [202],
      subject: { what, kind: 'upload' },
    });
    await start.body.dump();
    return location(start, what);
  }

  /** PUT ?digest= with no body: the registry checks what the session received and links it. */
  private async commit(repo: Repository, scopes: Scope[], loc: string, digest: Digest, what: string): Promise<void> {
    const res = await this.session.send({
      ...this.base(repo, scopes),
      method: 'PUT',
      path: withDigest(loc, digest),
      headers: { 'content-length': '0' },
      ok: [201, 204],
      subject: { what, kind: 'upload' },
    });
    await res.body.dump();
  }

  private async attempt(repo: Repository, blob: BlobToUpload, opener: Opener, what: string, scopes: Scope[]): Promise<void> {
    const loc = await this.openSession(repo, scopes, what);
    if (blob.size < this.opts.chunkThreshold) await this.monolithic(repo, blob, opener, what, scopes, loc);
    else await this.chunked(repo, blob, opener, what, scopes, loc);
  }

  private async monolithic(repo: Repository, blob: BlobToUpload, opener: Opener, what: string, scopes: Scope[], loc: string): Promise<void> {
    // One request; a failure inside it goes back to attempt(), which opens a new session. The
    // registry checks the digest; a size that differs from Content-Length undici catches first.
    let res: HttpResponse;
    try {
      res = await this.session.send({
        ...this.base(repo, scopes),
        method: 'PUT',
        path: withDigest(loc, blob.digest),
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
        body: async () => this.counted(repo, blob, await opener()),
        replayable: false,
        ok: [201, 204],
        subject: { what, kind: 'upload' },
      });
    } catch (err) {
      if (hasCode(err, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH')) {
        throw new BuilderError('DIGEST_MISMATCH', `${what}: content is not the declared ${blob.size} bytes`, { cause: err });
      }
      throw err;
    }
    await res.body.dump();
  }

  /** Opens the bytes afresh and skips what the registry already has; the hash covers them all. */
  private async openAt(repo: Repository, blob: BlobToUpload, opener: Opener, what: string, offset: number) {
    const counter = new DigestCounter(digestAlgorithm(blob.digest));
    const cutter = new ChunkCutter(this.counted(repo, blob, await opener(), counter), what);
    await cutter.skip(offset);
    return { counter, cutter };
  }

  /** Asks where an upload session stands: GET on it answers 204 with Range "0-<last byte>". */
  private async status(repo: Repository, scopes: Scope[], loc: string, what: string): Promise<{ offset: number; loc: string }> {
    const res = await this.session.send({ ...this.base(repo, scopes), method: 'GET', path: loc, ok: [204], subject: { what, kind: 'upload' } });
    await res.body.dump();
    const range = header(res, 'range')?.match(/^(?:bytes=)?0-(\d+)$/);
    // distribution answers "0-0" for an empty session as well as for one byte; a chunked upload
    // never stops after one byte, so "0-0" means nothing has arrived.
    const last = range ? Number(range[1]) : 0;
    return { offset: last > 0 ? last + 1 : 0, loc: header(res, 'location') ?? loc };
  }

  private async chunked(repo: Repository, blob: BlobToUpload, opener: Opener, what: string, scopes: Scope[], firstLoc: string): Promise<void> {
    let loc = firstLoc;
    let offset = 0;
    let failures = 0;
    let src = await this.openAt(repo, blob, opener, what, 0);
    try {
      while (offset < blob.size) {
        const length = Math.min(this.opts.chunkSize, blob.size - offset);
        const chunk = src.cutter.next(length);
        try {
          const res = await this.session.send({
            ...this.base(repo, scopes),
            method: 'PATCH',
            path: loc,
            headers: {
              'content-type': 'application/octet-stream',
              'content-length': String(length),
              'content-range': `${offset}-${offset + length - 1}`,
            },
            body: async () => chunk,
            replayable: false,
            ok: [202, 204],
            subject: { what, kind: 'upload' },
          });
          await res.body.dump();
          loc = location(res, what);
          offset += length;
        } catch (err) {
          // A chunk cannot be sent twice from the same stream: ask the registry how far it got,
          // reopen the bytes there and go on. A session that cannot say fails the whole attempt.
          if (failures >= this.opts.retries + this.opts.pushRetry || !isRetryableError(err)) throw err;
          await sleep(backoffDelay(failures++));
          const sent = offset;
          ({ offset, loc } = await this.status(repo, scopes, loc, what));
          if (offset > sent + length) throw new BuilderError('REGISTRY_ERROR', `${what}: the registry reports more bytes (${offset}) than were sent`, { cause: err });
          await src.cutter.close();
          src = await this.openAt(repo, blob, opener, what, offset);
          log.debug(`${what}: chunk failed (${(err as Error).message}); resuming at byte ${offset}`);
        }
      }
      if (await src.cutter.hasMore()) throw new BuilderError('DIGEST_MISMATCH', `${what}: content is longer than the declared ${blob.size} bytes`);
    } finally {
      await src.cutter.close();
    }
    // Check before committing: a wrong blob must never land under the digest it claims.
    const actual = src.counter.digest();
    if (actual !== blob.digest) throw new BuilderError('DIGEST_MISMATCH', `${what}: content has digest ${actual}, expected ${blob.digest}`);
    await this.commit(repo, scopes, loc, blob.digest, what);
  }

  /**
   * Sends a blob while it is being made, before its digest is known: an upload session, one
   * PATCH streaming the bytes as they come (distribution's stream upload), then PUT ?digest=
   * with the digest the maker reports; the registry checks it against what arrived. No retries:
   * the bytes cannot be read again, so a failure is the caller's to fall back from.
   */
  async stream(repo: Repository, bytes: Readable, digest: Promise<Digest>): Promise<Digest> {
    const what = `${repo.registry}/${repo.repository} (a layer being written)`;
    const scopes = [repositoryScope(repo.repository, 'push', 'pull')];
    const loc = await this.openSession(repo, scopes, what);
    const sent = await this.session.send({
      ...this.base(repo, scopes),
      method: 'PATCH',
      path: loc,
      headers: { 'content-type': 'application/octet-stream' },
      body: async () => bytes,
      replayable: false,
      ok: [202, 204],
      subject: { what, kind: 'upload' },
    });
    await sent.body.dump();
    const made = await digest;
    await this.commit(repo, scopes, location(sent, what), made, `${repo.registry}/${repo.repository}@${made}`);
    return made;
  }

  /** Cross-repository mount: true when the registry linked the blob without an upload. */
  async mount(repo: Repository, digest: Digest, fromRepository: string): Promise<boolean> {
    const what = `${repo.registry}/${repo.repository}@${digest}`;
    const scopes = [repositoryScope(repo.repository, 'push', 'pull'), repositoryScope(fromRepository, 'pull')];
    const query = new URLSearchParams({ mount: digest, from: fromRepository });
    const res = await this.session.send({
      ...this.base(repo, scopes),
      method: 'POST',
      path: `/v2/${repo.repository}/blobs/uploads/?${query}`,
      headers: { 'content-length': '0' },
      ok: [201, 202],
      subject: { what, kind: 'upload' },
    });
    await res.body.dump();
    if (res.status === 201) return true;
    // 202: the registry could not mount and opened an ordinary upload instead; close it.
    const loc = header(res, 'location');
    if (loc) {
      try {
        const cancel = await this.session.send({ ...this.base(repo, scopes), method: 'DELETE', path: loc, ok: [200, 202, 204, 404], subject: { what, kind: 'upload' } });
        await cancel.body.dump();
      } catch (err) {
        log.debug(`${what}: could not cancel the upload session a failed mount opened: ${(err as Error).message}`);
      }
    }
    return false;
  }
}

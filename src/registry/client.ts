// RegistryClient: the distribution-spec v2 API kiln needs, over one Session (auth, retries,
// limits) per client. Methods take parsed references and repositories; every failure a user can
// cause comes out as a BuilderError naming the image or host.
import { pipeline, type Readable } from 'node:stream';
import { BuilderError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { digestAlgorithm, DigestCounter, isDigest, sha256, type Digest } from '../oci/digest.ts';
import { MANIFEST_ACCEPT } from '../oci/mediatypes.ts';
import { HostPolicy } from './host-policy.ts';
import { registryOptions, type Direction, type RegistryOptions } from './options.ts';
import { DOCKER_HUB, registryApiHost, type Reference, type Repository } from './reference.ts';
import { backoffDelay, isRetryableError, sleep } from './retry.ts';
import { repositoryScope } from './scope.ts';
import { Session, type Endpoint } from './session.ts';
import { header, networkError, Transport, type HttpResponse } from './transport.ts';
import { BlobUploader, type BlobToUpload, type Opener } from './upload.ts';
import { VerifyingStream } from './verify.ts';
import { resumingBlobStream } from './blob-reader.ts';

/** Manifests bigger than this are refused (the distribution registry's own limit is 4 MiB). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const TAGS_PAGE = 1000;

export interface ManifestResult {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
  /** The reference that served it: the one asked for, or a mirror's copy of it. */
  source: Reference;
}

export interface ManifestHead {
  digest: Digest;
  mediaType: string;
  size: number;
}

function repoName(repo: Repository): string {
  return `${repo.registry}/${repo.repository}`;
}

function contentType(res: HttpResponse): string | undefined {
  return header(res, 'content-type')?.split(';')[0]?.trim() || undefined;
}

/** A manifest's media type: the header when it is specific, else the document's own field. */
function manifestMediaType(res: HttpResponse, bytes: Buffer): string {
  const fromHeader = contentType(res);
  if (fromHeader && fromHeader !== 'application/json' && fromHeader !== 'text/plain') return fromHeader;
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown };
    if (typeof doc.mediaType === 'string') return doc.mediaType;
  } catch {
    // Not JSON: fall through to whatever the header said.
  }
  return fromHeader ?? 'application/octet-stream';
}

async function readLimited(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.length;
    if (size > limit) {
      res.body.destroy();
      throw new BuilderError('REGISTRY_ERROR', `${what}: manifest is larger than ${limit} bytes`);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

export class RegistryClient {
  readonly options: RegistryOptions;
  private readonly transport: Transport;
  private readonly session: Session;
  private readonly uploader: BlobUploader;

  constructor(options: Partial<RegistryOptions> & Pick<RegistryOptions, 'keychain'>) {
    this.options = registryOptions(options);
    const policy = new HostPolicy(this.options);
    this.transport = new Transport(policy, this.options.userAgent);
    this.session = new Session({
      transport: this.transport,
      policy,
      keychain: this.options.keychain,
      retries: this.options.retries,
      concurrency: this.options.concurrency,
    });
    this.uploader = new BlobUploader(this.session, this.options);
  }

  /** Reaches the registry's /v2/ and reports its scheme and auth challenge. */
  ping(registry: string, direction: Direction = 'pull'): Promise<Endpoint> {
    return this.session.endpoint(registry, direction);
  }

  /**
   * Checks that the keychain's credentials for `registry` are accepted: GET /v2/ authorized as a
   * real request would be (a token with no scopes for token auth). Used by `kiln login`; with
   * token auth and a password it also asks for an identity token, which it returns if issued.
   */
  async checkAuth(registry: string): Promise<{ identityToken?: string }> {
    const ep = await this.session.endpoint(registry, 'pull');
    const credential = await this.session.credential(registry, '');
    const identityToken = await this.session.auth.identityToken({ host: ep.host, challenge: ep.challenge, credential, scopes: [], direction: 'pull' });
    const res = await this.session.send({
      registry,
      direction: 'pull',
      method: 'GET',
      path: '/v2/',
      scopes: [],
      repository: '',
      ok: [200],
      subject: { what: registry, kind: 'ping' },
    });
    await res.body.dump();
    return identityToken ? { identityToken } : {};
  }

  /** Fetches a manifest; docker.io references try the configured mirrors first. */
  async getManifest(ref: Reference): Promise<ManifestResult> {
    if (ref.registry === DOCKER_HUB) {
      for (const mirror of this.options.mirrors) {
        const viaMirror = ref.withRegistry(mirror);
        try {
          return await this.fetchManifest(viaMirror);
        } catch (err) {
          if (!(err instanceof BuilderError)) throw err;
          log.warn(`mirror ${mirror} could not serve ${ref}: ${err.message}; trying the next source`);
        }
      }
    }
    return this.fetchManifest(ref);
  }

  private async fetchManifest(ref: Reference): Promise<ManifestResult> {
    const what = ref.toString();
    // A connection that breaks inside the body is retried like one that breaks before it.
    for (let attempt = 0; ; attempt++) {
      const res = await this.session.send({
        registry: ref.registry,
        direction: 'pull',
        method: 'GET',
        path: `/v2/${ref.repository}/manifests/${ref.identifier}`,
        scopes: [repositoryScope(ref.repository, 'pull')],
        repository: ref.repository,
        headers: { accept: MANIFEST_ACCEPT },
        ok: [200],
        subject: { what, kind: 'manifest' },
      });
      let bytes: Buffer;
      try {
        bytes = await readLimited(res, MAX_MANIFEST_BYTES, what);
      } catch (err) {
        if (attempt >= this.options.retries || !isRetryableError(err)) throw networkError(registryApiHost(ref.registry), err);
        await sleep(backoffDelay(attempt));
        continue;
      }
      return this.checkManifest(ref, res, bytes);
    }
  }

  private checkManifest(ref: Reference, res: HttpResponse, bytes: Buffer): ManifestResult {
    const what = ref.toString();
    let digest = sha256(bytes);
    if (ref.digest) {
      const counter = new DigestCounter(digestAlgorithm(ref.digest));
      counter.update(bytes);
      const actual = counter.digest();
      if (actual !== ref.digest) throw new BuilderError('DIGEST_MISMATCH', `${what}: manifest has digest ${actual}, expected ${ref.digest}`);
      digest = ref.digest;
    }
    return { bytes, mediaType: manifestMediaType(res, bytes), digest, source: ref };
  }

  /** Digest, media type and size of a manifest without its body; undefined when there is none. */
  async headManifest(ref: Reference): Promise<ManifestHead | undefined> {
    const res = await this.session.send({
      registry: ref.registry,
      direction: 'pull',
      method: 'HEAD',
      path: `/v2/${ref.repository}/manifests/${ref.identifier}`,
      scopes: [repositoryScope(ref.repository, 'pull')],
      repository: ref.repository,
      headers: { accept: MANIFEST_ACCEPT },
      ok: [200, 404],
      subject: { what: ref.toString(), kind: 'manifest' },
    });
    await res.body.dump();
    if (res.status === 404) return undefined;
    const digest = header(res, 'docker-content-digest');
    const size = Number(header(res, 'content-length'));
    const mediaType = contentType(res);
    if (digest && isDigest(digest) && Number.isInteger(size) && mediaType) return { digest, mediaType, size };
    // Some registries leave out the digest on HEAD; the body tells everything.
    const full = await this.fetchManifest(ref);
    return { digest: full.digest, mediaType: full.mediaType, size: full.bytes.length };
  }

  /** Pushes manifest bytes under the reference's tag (or digest); returns their digest. */
  async putManifest(ref: Reference, bytes: Buffer, mediaType: string): Promise<Digest> {
    const digest = sha256(bytes);
    if (ref.digest && ref.digest !== digest) {
      throw new BuilderError('DIGEST_MISMATCH', `${ref}: manifest has digest ${digest}, not the one in the reference`);
    }
    const res = await this.session.send({
      registry: ref.registry,
      direction: 'push',
      method: 'PUT',
      path: `/v2/${ref.repository}/manifests/${ref.tag ?? ref.identifier}`,
      scopes: [repositoryScope(ref.repository, 'push', 'pull')],
      repository: ref.repository,
      headers: { 'content-type': mediaType },
      body: async () => bytes,
      ok: [200, 201, 202],
      subject: { what: ref.toString(), kind: 'manifest' },
      extraAttempts: this.options.pushRetry,
    });
    await res.body.dump();
    return digest;
  }

  /** Deletes a manifest (by digest; a tag is resolved to its digest first). */
  async deleteManifest(ref: Reference): Promise<void> {
    let digest = ref.digest;
    if (!digest) {
      const head = await this.headManifest(ref);
      if (!head) throw new BuilderError('MANIFEST_UNKNOWN', `${ref}: manifest unknown`);
      digest = head.digest;
    }
    const res = await this.session.send({
      registry: ref.registry,
      direction: 'push',
      method: 'DELETE',
      path: `/v2/${ref.repository}/manifests/${digest}`,
      scopes: [repositoryScope(ref.repository, 'delete', 'pull')],
      repository: ref.repository,
      ok: [200, 202],
      subject: { what: ref.toString(), kind: 'manifest' },
    });
    await res.body.dump();
  }

  /** All tags of a repository, following the registry's pagination. */
  async listTags(repo: Repository): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repo.repository}/tags/list?n=${TAGS_PAGE}`;
    while (path) {
      const res: HttpResponse = await this.session.send({
        registry: repo.registry,
        direction: 'pull',
        method: 'GET',
        path,
        scopes: [repositoryScope(repo.repository, 'pull')],
        repository: repo.repository,
        ok: [200],
        subject: { what: repoName(repo), kind: 'tags' },
      });
      const body = (await res.body.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      // Link: </v2/name/tags/list?n=1000&last=x>; rel="next"
      const link = header(res, 'link');
      path = link?.match(/<([^>]+)>\s*;\s*rel="?next"?/)?.[1];
    }
    return tags;
  }

  async blobExists(repo: Repository, digest: Digest): Promise<boolean> {
    const res = await this.session.send({
      registry: repo.registry,
      direction: 'pull',
      method: 'HEAD',
      path: `/v2/${repo.repository}/blobs/${digest}`,
      scopes: [repositoryScope(repo.repository, 'pull')],
      repository: repo.repository,
      ok: [200, 404],
      subject: { what: `${repoName(repo)}@${digest}`, kind: 'blob' },
    });
    await res.body.dump();
    return res.status === 200;
  }

  /**
   * A stream of a blob's bytes, verified as they pass: it errors with DIGEST_MISMATCH at the end
   * when the bytes are not the digest's (or not `size` long, when a size is given). A connection
   * that breaks mid-body is resumed with a Range request.
   */
  async getBlob(repo: Repository, digest: Digest, size?: number): Promise<Readable> {
    const what = `${repoName(repo)}@${digest}`;
    const open = (offset: number) =>
      this.session.send({
        registry: repo.registry,
        direction: 'pull',
        method: 'GET',
        path: `/v2/${repo.repository}/blobs/${digest}`,
        scopes: [repositoryScope(repo.repository, 'pull')],
        repository: repo.repository,
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
        ok: offset > 0 ? [200, 206] : [200],
        subject: { what, kind: 'blob' },
      });
    const res = await open(0);
    const total = size ?? (Number(header(res, 'content-length')) || undefined);
    const onProgress = this.options.onProgress;
    const verifier = new VerifyingStream(digest, what, {
      size,
      onBytes: onProgress && ((done) => onProgress({ phase: 'download', repository: repoName(repo), digest, done, total })),
    });
    const bytes = resumingBlobStream(res, open, registryApiHost(repo.registry), this.options.retries);
    // pipeline carries a failed download into the verifier as an error instead of a silent end.
    pipeline(bytes, verifier, () => {});
    return verifier;
  }

  /** Links a blob from another repository of the same registry; false when the registry would not. */
  mountBlob(repo: Repository, digest: Digest, fromRepository: string): Promise<boolean> {
    return this.uploader.mount(repo, digest, fromRepository);
  }

  /** Uploads a blob unless the repository has it; false when it was already there. */
  uploadBlob(repo: Repository, blob: BlobToUpload, opener: Opener): Promise<boolean> {
    return this.uploader.upload(repo, blob, opener);
  }

  /** Uploads a blob while it is being made; see BlobUploader.stream. */
  streamBlob(repo: Repository, bytes: Readable, digest: Promise<Digest>): Promise<Digest> {
    return this.uploader.stream(repo, bytes, digest);
  }

  /** Closes the client's connections. */
  close(): Promise<void> {
    return this.transport.close();
  }
}

// A strict local GitHub Actions cache service, v2 (what @actions/cache speaks when the runner sets
// ACTIONS_CACHE_SERVICE_V2): the twirp JSON service github.actions.results.api.v1.CacheService on
// ACTIONS_RESULTS_URL (CreateCacheEntry, FinalizeCacheEntryUpload, GetCacheEntryDownloadURL,
// each checking the runtime token as a bearer and the key/version fields), and the blob storage
// its signed URLs point at, the Azure Blob subset the SDK's upload uses (Put Blob, Put Block, Put
// Block List, then a plain GET), each checking the URL's signature, expiry and permissions.
// An entry is visible only once it is uploaded and finalized with its exact size; a restore
// matches a key exactly or as a prefix (newest first) among entries of the same version.
// On demand: `tooManyRequests` makes the named operations answer 429, as the service does when
// rate limited; `stalled` ones never answer (a hung service); `refuseReservations` makes
// CreateCacheEntry answer ok: false with that message, as the service refuses an entry (a full
// storage quota, a policy).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const SERVICE = 'github.actions.results.api.v1.CacheService';
const ACCOUNT = 'kilnlab';
const CONTAINER = 'actions-cache';
const URL_LIFETIME_MS = 10 * 60_000;
const FIELDS: Record<string, Set<string>> = {
  CreateCacheEntry: new Set(['metadata', 'key', 'version']),
  FinalizeCacheEntryUpload: new Set(['metadata', 'key', 'version', 'size_bytes']),
  GetCacheEntryDownloadURL: new Set(['metadata', 'key', 'restore_keys', 'version']),
};

export type CacheOperation = keyof typeof FIELDS | 'PutBlob';

interface Entry {
  key: string;
  version: string;
  blob: string;
  id: number;
  /** Set by FinalizeCacheEntryUpload; until then the entry cannot be restored. */
  size?: number;
  finalizedAt?: number;
}

interface Blob {
  committed?: Buffer;
  blocks: Map<string, Buffer>;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TWIRP_STATUS: Record<string, number> = {
  invalid_argument: 400,
  malformed: 400,
  unauthenticated: 401,
  permission_denied: 403,
  bad_route: 404,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 412,
  resource_exhausted: 429,
};

function twirpError(code: string, message: string): Refusal {
  return new Refusal(TWIRP_STATUS[code] ?? 500, code, message);
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function checkKey(key: unknown, field: string): string {
  if (typeof key !== 'string' || key === '') throw twirpError('invalid_argument', `${field} is required`);
  if (key.length > 512 || key.includes(',')) throw twirpError('invalid_argument', `${field} "${key}" is over 512 characters or holds a comma`);
  return key;
}

export class GhaCacheServer {
  /** The runtime token steps must present (ACTIONS_RUNTIME_TOKEN). */
  readonly token = `ghs_${randomBytes(24).toString('hex')}`;
  /** Operations answered 429 while listed. */
  readonly tooManyRequests = new Set<CacheOperation>();
  /** Operations left unanswered while listed. */
  readonly stalled = new Set<CacheOperation>();
  /** When set, CreateCacheEntry answers ok: false with this message. */
  refuseReservations: string | undefined;
  /** Every request, in order: operation and status, for assertions. */
  readonly requests: { operation: string; status: number }[] = [];
  readonly entries: Entry[] = [];
  private readonly blobs = new Map<string, Blob>();
  private readonly signingKey = randomBytes(32);
  private nextId = 1;
  private server: Server | undefined;
  private base = '';

  /** ACTIONS_RESULTS_URL, with the trailing slash the runner gives it. */
  get resultsUrl(): string {
    return `${this.base}/`;
  }

  /** The step environment @actions/cache needs for service v2. */
  get env(): Record<string, string> {
    return { ACTIONS_RESULTS_URL: this.resultsUrl, ACTIONS_RUNTIME_TOKEN: this.token, ACTIONS_CACHE_SERVICE_V2: 'True' };
  }

  /** Finalized entries' keys, oldest first. */
  keys(): string[] {
    return this.entries.filter((e) => e.finalizedAt !== undefined).map((e) => e.key);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.requests.push({ operation: `${req.method} ${req.url}`, status: 500 });
        res.destroy(err as Error);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const twirp = url.pathname.startsWith('/twirp/');
    let operation = twirp ? url.pathname.slice(`/twirp/${SERVICE}/`.length) : `${req.method} blob`;
    try {
      const data = await body(req);
      if (twirp) {
        const answer = await this.twirp(req, url, operation, data);
        this.reply(res, operation, 200, { 'content-type': 'application/json' }, JSON.stringify(answer));
      } else {
        operation = this.blobOperation(req, url);
        const { status, headers, payload } = this.blob(req, url, operation, data);
        this.reply(res, operation, status, headers, payload);
      }
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      const headers: Record<string, string> = err.status === 429 ? { 'retry-after': '60' } : {};
      if (twirp) {
        this.reply(res, operation, err.status, { ...headers, 'content-type': 'application/json' }, JSON.stringify({ code: err.code, msg: err.message }));
      } else {
        const xml = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${err.code}</Code><Message>${err.message}</Message></Error>`;
        this.reply(res, operation, err.status, { ...headers, 'content-type': 'application/xml', 'x-ms-error-code': err.code }, xml);
      }
    }
  }

  private reply(res: ServerResponse, operation: string, status: number, headers: Record<string, string>, payload: string | Buffer): void {
    this.requests.push({ operation, status });
    res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(payload)) });
    res.end(payload);
  }

  // --- the twirp service ---

  private twirp(req: IncomingMessage, url: URL, method: string, data: Buffer): Record<string, unknown> | Promise<never> {
    if (req.method !== 'POST') throw twirpError('bad_route', `${req.method} ${url.pathname}: twirp takes POST`);
    if (!(method in FIELDS) || url.pathname !== `/twirp/${SERVICE}/${method}`) throw new Refusal(404, 'bad_route', `no such method ${url.pathname}`);
    const auth = req.headers.authorization ?? '';
    const presented = Buffer.from(auth.startsWith('Bearer ') ? auth.slice(7) : '');
    const expected = Buffer.from(this.token);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) throw twirpError('unauthenticated', 'the runtime token is missing or wrong');
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw twirpError('invalid_argument', 'content-type must be application/json');
    if (this.tooManyRequests.has(method as CacheOperation)) throw twirpError('resource_exhausted', 'cache operations are rate limited for this repository');
    if (this.stalled.has(method as CacheOperation)) return new Promise<never>(() => undefined);
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw twirpError('malformed', 'the body is not JSON');
    }
    for (const field of Object.keys(request)) if (!FIELDS[method].has(field)) throw twirpError('invalid_argument', `unknown field ${field}`);
    const version = request.version;
    if (typeof version !== 'string' || !/^[0-9a-f]{64}$/.test(version)) throw twirpError('invalid_argument', 'version must be the 64-hex-digit cache version');
    const key = checkKey(request.key, 'key');
    switch (method) {
      case 'CreateCacheEntry':
        return this.create(key, version);
      case 'FinalizeCacheEntryUpload':
        return this.finalize(key, version, request.size_bytes);
      default:
        return this.lookup(key, request.restore_keys, version);
    }
  }

  private create(key: string, version: string): Record<string, unknown> {
    if (this.refuseReservations !== undefined) return { ok: false, message: this.refuseReservations };
    if (this.entries.some((e) => e.key === key && e.version === version)) throw twirpError('already_exists', `cache entry ${key} already exists`);
    const blob = randomBytes(16).toString('hex');
    this.blobs.set(blob, { blocks: new Map() });
    this.entries.push({ key, version, blob, id: this.nextId++ });
    return { ok: true, signedUploadUrl: this.signedUrl(blob, 'cw') };
  }

  private finalize(key: string, version: string, sizeField: unknown): Record<string, unknown> {
    const entry = this.entries.find((e) => e.key === key && e.version === version);
    if (!entry) throw twirpError('not_found', `no cache entry ${key} was created for this version`);
    if (entry.finalizedAt !== undefined) throw twirpError('already_exists', `cache entry ${key} is already finalized`);
    if (typeof sizeField !== 'string' || !/^[0-9]+$/.test(sizeField)) throw twirpError('invalid_argument', 'size_bytes must be an int64 in its JSON string form');
    const committed = this.blobs.get(entry.blob)?.committed;
    if (!committed) throw twirpError('failed_precondition', `nothing was uploaded for ${key}`);
    if (committed.length !== Number(sizeField)) throw twirpError('invalid_argument', `size_bytes ${sizeField} but ${committed.length} bytes were uploaded`);
    entry.size = committed.length;
    entry.finalizedAt = Date.now() + entry.id / 1e6;
    return { ok: true, entryId: String(entry.id) };
  }

  private lookup(key: string, restoreKeys: unknown, version: string): Record<string, unknown> {
    if (restoreKeys !== undefined && !(Array.isArray(restoreKeys) && restoreKeys.length <= 9)) throw twirpError('invalid_argument', 'restore_keys must be a list of at most 9 keys');
    const candidates = [key, ...((restoreKeys as unknown[] | undefined) ?? []).map((k) => checkKey(k, 'restore_keys'))];
    const live = this.entries.filter((e) => e.version === version && e.finalizedAt !== undefined).sort((a, b) => b.finalizedAt! - a.finalizedAt!);
    for (const candidate of candidates) {
      const hit = live.find((e) => e.key === candidate) ?? live.find((e) => e.key.startsWith(candidate));
      if (hit) return { ok: true, signedDownloadUrl: this.signedUrl(hit.blob, 'r'), matchedKey: hit.key };
    }
    return { ok: false };
  }

  // --- blob storage behind the signed URLs ---

  private signature(path: string, permissions: string, expiry: string): string {
    return createHmac('sha256', this.signingKey).update(`${permissions}\n${expiry}\n${path}`).digest('base64');
  }

  private signedUrl(blob: string, permissions: string): string {
    const path = `/${ACCOUNT}/${CONTAINER}/${blob}`;
    const expiry = new Date(Date.now() + URL_LIFETIME_MS).toISOString();
    const query = new URLSearchParams({ sv: '2024-11-04', sr: 'b', sp: permissions, se: expiry, sig: this.signature(path, permissions, expiry) });
    return `${this.base}${path}?${query}`;
  }

  private blobOperation(req: IncomingMessage, url: URL): string {
    if (req.method === 'GET') return 'GetBlob';
    const comp = url.searchParams.get('comp');
    if (req.method === 'PUT' && comp === null) return 'PutBlob';
    if (req.method === 'PUT' && comp === 'block') return 'PutBlock';
    if (req.method === 'PUT' && comp === 'blocklist') return 'PutBlockList';
    throw new Refusal(400, 'UnsupportedHttpVerb', `${req.method} comp=${comp} is not served here`);
  }

  /** The blob a request's SAS signs, when the signature, expiry and permission hold. */
  private authorize(url: URL, need: string): Blob {
    const p = url.searchParams;
    const [sp, se, sig] = [p.get('sp') ?? '', p.get('se') ?? '', p.get('sig') ?? ''];
    const expected = Buffer.from(this.signature(url.pathname, sp, se));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Refusal(403, 'AuthenticationFailed', 'Signature did not match');
    if (!(Date.parse(se) > Date.now())) throw new Refusal(403, 'AuthenticationFailed', 'Signed expiry time has passed');
    if (![...need].some((c) => sp.includes(c))) throw new Refusal(403, 'AuthorizationPermissionMismatch', `the signature grants "${sp}", not "${need}"`);
    const blob = this.blobs.get(url.pathname.split('/')[3] ?? '');
    if (!blob) throw new Refusal(404, 'BlobNotFound', 'The specified blob does not exist.');
    return blob;
  }

  private blob(req: IncomingMessage, url: URL, operation: string, data: Buffer): { status: number; headers: Record<string, string>; payload: Buffer | string } {
    if (this.tooManyRequests.has('PutBlob') && operation !== 'GetBlob') throw new Refusal(429, 'ServerBusy', 'The server is busy.');
    const blob = this.authorize(url, operation === 'GetBlob' ? 'r' : 'cw');
    const ok = { status: 201, headers: { etag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"`, 'x-ms-version': '2024-11-04', 'x-ms-request-id': randomBytes(8).toString('hex'), 'last-modified': new Date().toUTCString() }, payload: '' };
    if (operation === 'GetBlob') {
      if (!blob.committed) throw new Refusal(404, 'BlobNotFound', 'The specified blob does not exist.');
      return { ...ok, status: 200, headers: { ...ok.headers, 'content-type': 'application/octet-stream' }, payload: blob.committed };
    }
    if (!req.headers['x-ms-version']) throw new Refusal(400, 'MissingRequiredHeader', 'x-ms-version is required');
    if (Number(req.headers['content-length'] ?? -1) !== data.length) throw new Refusal(400, 'InvalidHeaderValue', 'content-length does not match the body');
    const md5 = req.headers['content-md5'];
    if (typeof md5 === 'string' && md5 !== createHash('md5').update(data).digest('base64')) throw new Refusal(400, 'Md5Mismatch', 'content-md5 does not match the body');
    if (blob.committed) throw new Refusal(409, 'BlobAlreadyExists', 'the entry was uploaded already');
    if (operation === 'PutBlob') {
      if (req.headers['x-ms-blob-type'] !== 'BlockBlob') throw new Refusal(400, 'InvalidHeaderValue', 'x-ms-blob-type must be BlockBlob');
      blob.committed = data;
      return ok;
    }
    if (operation === 'PutBlock') {
      const id = url.searchParams.get('blockid') ?? '';
      if (!/^[A-Za-z0-9+/]+=*$/.test(id) || Buffer.from(id, 'base64').length > 64) throw new Refusal(400, 'InvalidQueryParameterValue', 'blockid must be base64 of at most 64 bytes');
      const other = blob.blocks.keys().next().value;
      if (other !== undefined && other.length !== id.length) throw new Refusal(400, 'InvalidBlobOrBlock', 'all block ids of a blob must have the same length');
      blob.blocks.set(id, data);
      return ok;
    }
    const ids = [...data.toString('utf8').matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map((m) => m[2]);
    if (!/^(<\?xml[^>]*\?>)?\s*<BlockList>/.test(data.toString('utf8')) || ids.length === 0) throw new Refusal(400, 'InvalidXmlDocument', 'the body is not a BlockList');
    const parts = ids.map((id) => {
      const part = blob.blocks.get(id);
      if (!part) throw new Refusal(400, 'InvalidBlockList', `block ${id} was not uploaded`);
      return part;
    });
    blob.committed = Buffer.concat(parts);
    blob.blocks.clear();
    return ok;
  }
}

export function startGhaCacheServer(): Promise<GhaCacheServer> {
  return new GhaCacheServer().start();
}

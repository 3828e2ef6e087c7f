// A strict local stand-in for the Cloud Storage JSON API's objects.get, written from Google's
// published API (no GCS emulator runs offline here): metadata (`storage#object`) and media
// (`alt=media`, with x-goog-hash crc32c/md5 the SDK validates and x-goog-generation), under the
// /storage/v1 and /download/storage/v1 prefixes and the bare prefix STORAGE_EMULATOR_HOST users
// give. Every request needs `Authorization: Bearer <token>` that `authorize` accepts (a token the
// lab's google metadata server issued) and a reader grant on the bucket; refusals, missing
// buckets and objects answer in GCS's error shape ({"error":{"code","message","errors":[…]}}).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CRC32C } from '@google-cloud/storage';
import { closeServer, listenLoopback } from './loopback.ts';

export interface GcsServerOptions {
  /** The account a bearer token stands for, or undefined when the token is not valid. */
  authorize(token: string): string | undefined;
  /** Accounts that may read each bucket (storage.objects.get). */
  readers: Record<string, string[]>;
}

interface StoredObject {
  bytes: Buffer;
  generation: string;
}

export class GcsServer {
  /** `METHOD path account` of every request, for assertions. */
  readonly requests: string[] = [];
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private server: Server | undefined;
  private base = '';
  private generation = 1_700_000_000_000_000;

  constructor(private readonly opts: GcsServerOptions) {}

  /** What STORAGE_EMULATOR_HOST holds (the SDK uses it as the JSON API's base URL). */
  get emulatorHost(): string {
    return `${this.base}/storage/v1`;
  }

  createBucket(name: string): void {
    this.buckets.set(name, new Map());
  }

  putObject(bucket: string, name: string, bytes: Buffer): void {
    const objects = this.buckets.get(bucket);
    if (!objects) throw new Error(`no bucket ${bucket}`);
    objects.set(name, { bytes, generation: String(this.generation++) });
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    this.base = `http://127.0.0.1:${await listenLoopback(server)}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const account = token === undefined ? undefined : this.opts.authorize(token);
    this.requests.push(`${req.method} ${url.pathname}${url.search} ${account ?? '-'}`);
    const m = /^(?:\/download)?(?:\/storage\/v1)?\/b\/([^/]+)\/o\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) return gcsError(res, 404, 'notFound', 'Not Found');
    const bucket = decodeURIComponent(m[1]);
    const name = decodeURIComponent(m[2]);
    if (token === undefined) {
      return gcsError(res, 401, 'required', 'Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object. Permission \'storage.objects.get\' denied on resource (or it may not exist).');
    }
    if (account === undefined) return gcsError(res, 401, 'authError', 'Invalid Credentials');
    const objects = this.buckets.get(bucket);
    if (!objects) return gcsError(res, 404, 'notFound', 'The specified bucket does not exist.');
    if (!(this.opts.readers[bucket] ?? []).includes(account)) {
      return gcsError(res, 403, 'forbidden', `${account} does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist).`);
    }
    const object = objects.get(name);
    const generation = url.searchParams.get('generation');
    if (!object || (generation !== null && generation !== object.generation)) return gcsError(res, 404, 'notFound', `No such object: ${bucket}/${name}`);
    const crc32c = new CRC32C();
    crc32c.update(object.bytes);
    const md5 = createHash('md5').update(object.bytes).digest('base64');
    const size = String(object.bytes.length);
    if (url.searchParams.get('alt') === 'media') {
      res.writeHead(200, {
        'content-type': 'application/gzip',
        'content-length': size,
        'x-goog-hash': `crc32c=${crc32c.toString()},md5=${md5}`,
        'x-goog-generation': object.generation,
        'x-goog-stored-content-encoding': 'identity',
        'x-goog-stored-content-length': size,
      });
      res.end(object.bytes);
      return;
    }
    json(res, 200, {
      kind: 'storage#object',
      id: `${bucket}/${name}/${object.generation}`,
      name,
      bucket,
      generation: object.generation,
      metageneration: '1',
      contentType: 'application/gzip',
      size,
      md5Hash: md5,
      crc32c: crc32c.toString(),
      storageClass: 'STANDARD',
    });
  }
}

function gcsError(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, { error: { code, message, errors: [{ message, domain: 'global', reason }] } });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'cache-control': 'no-cache, no-store' });
  res.end(JSON.stringify(body));
}

export async function startGcsServer(opts: GcsServerOptions): Promise<GcsServer> {
  const server = new GcsServer(opts);
  await server.start();
  return server;
}

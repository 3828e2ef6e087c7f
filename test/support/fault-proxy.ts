// A plain-HTTP proxy in front of a lab registry that misbehaves on purpose, so tests can show
// that retries, backoff and digest checks work: on a seeded share of requests it answers 500,
// answers 429 with Retry-After, or resets the connection (before or in the middle of the body),
// and it can corrupt the bytes of blob downloads for chosen digests.
import { prng } from './prng.ts';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault = '500' | '429' | 'reset' | 'truncate';

export interface FaultProxyOptions {
  /** Registry base URL to forward to (plain http). */
  target: string;
  /** Seed for the pseudo-random draws, so a failing run can be replayed. */
  seed?: number;
  /** Share of requests (0..1) that get each fault; draws happen in arrival order. */
  rates?: Partial<Record<Fault, number>>;
  /** Retry-After seconds sent with 429 (default 0). */
  retryAfter?: 0 | 1;
  /** Which requests may get a fault (default all). */
  eligible?: (req: { method: string; path: string }) => boolean;
  /** Blob digests whose GET bodies get one byte flipped. */
  corruptDigests?: Iterable<string>;
}

/** A request the registry answered, in the order the answers came. */
export interface ForwardedRequest {
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  status: number;
}

export interface FaultCounters {
  requests: number;
  forwarded: number;
  injected500: number;
  injected429: number;
  resets: number;
  truncated: number;
  corrupted: number;
}

const BLOB_GET = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/;

export class FaultProxy {
  readonly counters: FaultCounters = { requests: 0, forwarded: 0, injected500: 0, injected429: 0, resets: 0, truncated: 0, corrupted: 0 };
  /** What reached the registry and what it answered: ordering assertions read this. */
  readonly forwarded: ForwardedRequest[] = [];
  /** Mutable while running: tests can switch faults on and off between steps. */
  rates: Partial<Record<Fault, number>>;
  readonly corruptDigests: Set<string>;

  private random: () => number;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly opts: FaultProxyOptions) {
    this.random = prng(opts.seed ?? 1);
    this.rates = { ...(opts.rates ?? {}) };
    this.corruptDigests = new Set(opts.corruptDigests ?? []);
  }

  /** Starts a new draw sequence, so each run of a test gets its own replayable faults. */
  reseed(seed: number): void {
    this.random = prng(seed);
  }

  /** "127.0.0.1:PORT", to use as a registry host. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `http://${this.host}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private pickFault(method: string, path: string): Fault | undefined {
    if (this.opts.eligible && !this.opts.eligible({ method, path })) return undefined;
    // One draw per request whatever the rates, so a seed replays the same sequence.
    let x = this.random();
    for (const fault of ['500', '429', 'reset', 'truncate'] as const) {
      const rate = this.rates[fault] ?? 0;
      if (x < rate) return fault;
      x -= rate;
    }
    return undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counters.requests++;
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0];
    const fault = this.pickFault(method, path);
    if (fault === '500') {
      this.counters.injected500++;
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected by the kiln lab fault proxy' }] }));
      return;
    }
    if (fault === '429') {
      this.counters.injected429++;
      req.resume();
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(this.opts.retryAfter ?? 0) });
      res.end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'injected by the kiln lab fault proxy' }] }));
      return;
    }
    if (fault === 'reset') {
      this.counters.resets++;
      req.socket.resetAndDestroy();
      return;
    }
    this.forward(req, res, method, fault === 'truncate');
  }

  private forward(req: IncomingMessage, res: ServerResponse, method: string, truncate: boolean): void {
    const target = new URL(this.opts.target);
    // The Host header goes through unchanged so the registry's Location URLs point back at us.
    const upstream = request(
      { host: target.hostname, port: target.port, method, path: req.url, headers: req.headers },
      (up) => {
        this.counters.forwarded++;
        this.forwarded.push({ method, url: req.url ?? '/', status: up.statusCode ?? 0 });
        const blob = method === 'GET' && up.statusCode === 200 ? BLOB_GET.exec((req.url ?? '').split('?')[0]) : null;
        const corrupt = blob !== null && this.corruptDigests.has(blob[1]);
        const length = Number(up.headers['content-length'] ?? 0);
        res.writeHead(up.statusCode ?? 502, up.headers);
        // A HEAD answer has no body to cut short; holding it back would only stall the client.
        if (truncate && length > 0 && method !== 'HEAD') {
          // Send half the body, then reset: the client sees a short read on a good status.
          this.counters.truncated++;
          let sent = 0;
          up.on('data', (chunk: Buffer) => {
            const room = Math.floor(length / 2) - sent;
            if (room > 0) res.write(chunk.subarray(0, room));
            sent += chunk.length;
            if (sent >= length / 2) {
              up.destroy();
              res.socket?.resetAndDestroy();
            }
          });
          return;
        }
        if (corrupt) {
          this.counters.corrupted++;
          let flipped = false;
          up.on('data', (chunk: Buffer) => {
            if (!flipped && chunk.length > 0) {
              const copy = Buffer.from(chunk);
              copy[copy.length >> 1] ^= 0xff;
              flipped = true;
              res.write(copy);
            } else {
              res.write(chunk);
            }
          });
          up.on('end', () => res.end());
          return;
        }
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upstream);
  }
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const proxy = new FaultProxy(opts);
  await proxy.start();
  return proxy;
}

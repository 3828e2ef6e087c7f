// One HTTP exchange with a registry (or its token server, or the storage a blob redirects to),
// over undici with the TLS settings the host policy gives. Redirects are followed here by hand so
// that an Authorization header never travels to another origin: blob GETs often redirect to
// object storage with a signed URL, and the registry's token must not leak there.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { BuilderError } from '../util/errors.ts';
import type { HostPolicy } from './host-policy.ts';
import { trustedSecureContext } from '../util/trust-store.ts';
import type { Direction } from './options.ts';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: Buffer | Readable;
  direction: Direction;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The URL that answered, after redirects. */
  url: string;
}

const MAX_REDIRECTS = 5;
// Codes that mean the host could not be reached at all: no point in a different request.
const UNREACHABLE = new Map<string, string>([
  ['ECONNREFUSED', 'connection refused'],
  ['ENOTFOUND', 'no such host'],
  ['EAI_AGAIN', 'DNS lookup failed'],
  ['EHOSTUNREACH', 'host unreachable'],
  ['ENETUNREACH', 'network unreachable'],
  ['ECONNRESET', 'connection reset'],
  ['EPIPE', 'connection closed'],
  ['ETIMEDOUT', 'timed out'],
  ['UND_ERR_CONNECT_TIMEOUT', 'connect timed out'],
  ['UND_ERR_HEADERS_TIMEOUT', 'timed out waiting for an answer'],
  ['UND_ERR_SOCKET', 'connection closed'],
  ['UND_ERR_CLOSED', 'connection closed'],
]);

function errorCode(err: unknown): string | undefined {
  // undici wraps the socket's error; the most telling code may sit anywhere in the cause chain.
  let first: string | undefined;
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (UNREACHABLE.has(code)) return code;
      first ??= code;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return first;
}

/** A network-level failure turned into a BuilderError naming the host; the cause is kept for retries. */
export function networkError(host: string, err: unknown): BuilderError {
  if (err instanceof BuilderError) return err;
  const code = errorCode(err) ?? '';
  const reason = UNREACHABLE.get(code);
  if (reason) return new BuilderError('REGISTRY_UNREACHABLE', `${host}: ${reason}`, { cause: err });
  const message = (err as Error)?.message ?? String(err);
  if (/certificate|self.signed|SSL|TLS|EPROTO|CERT_/i.test(`${code} ${message}`)) {
    return new BuilderError(
      'REGISTRY_ERROR',
      `${host}: TLS failed (${message.split('\n')[0]}); trust its CA with --registry-certificate ${host}=CA.pem, or use --skip-tls-verify-registry ${host} / --insecure-registry ${host}`,
      { cause: err },
    );
  }
  return new BuilderError('REGISTRY_UNREACHABLE', `${host}: ${message.split('\n')[0]}`, { cause: err });
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Connects to `address` whatever host the URL names; TLS still checks the URL's host name. */
function redirectedConnector(tlsOptions: buildConnector.BuildOptions, [address, port]: [string, number]): buildConnector.connector {
  const connect = buildConnector(tlsOptions);
  return (opts, callback) => connect({ ...opts, hostname: address, port: String(port), servername: opts.servername ?? opts.hostname }, callback);
}

export class Transport {
  private readonly agents = new Map<string, Agent>();
  private readonly policy: HostPolicy;
  private readonly userAgent: string;

  constructor(policy: HostPolicy, userAgent: string) {
    this.policy = policy;
    this.userAgent = userAgent;
  }

  private agentFor(host: string, direction: Direction): Agent {
    const skipVerify = this.policy.skipVerify(host, direction);
    const caFile = skipVerify ? undefined : this.policy.caFile(host);
    const address = this.policy.address(host);
    const key = `${skipVerify}\n${caFile ?? ''}\n${address?.join(':') ?? ''}`;
    let agent = this.agents.get(key);
    if (!agent) {
      let pem: string | undefined;
      if (caFile) {
        try {
          pem = readFileSync(caFile, 'utf8');
        } catch (err) {
          throw new BuilderError('FILE_NOT_FOUND', `--registry-certificate ${host}=${caFile}: cannot read the certificate`, { cause: err });
        }
      }
      const secureContext = skipVerify ? undefined : trustedSecureContext(pem);
      const tlsOptions = { rejectUnauthorized: !skipVerify, ...(secureContext ? { secureContext } : {}) };
      agent = new Agent({ connect: address ? redirectedConnector(tlsOptions, address) : tlsOptions });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Sends one request; GET and HEAD follow redirects, dropping Authorization across origins. */
  async exchange(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers = { 'user-agent': this.userAgent, ...req.headers };
    for (let hop = 0; ; hop++) {
      const target = new URL(url);
      let res: Dispatcher.ResponseData;
      try {
        res = await request(target, {
          method: req.method,
          headers,
          body: req.body ?? null,
          dispatcher: this.agentFor(target.host, req.direction),
        });
      } catch (err) {
        const address = this.policy.address(target.host);
        throw networkError(address ? `${target.host} (at ${address[0]}:${address[1]}, --registry-address)` : target.host, err);
      }
      const location = res.headers.location;
      const follow = (req.method === 'GET' || req.method === 'HEAD') && [301, 302, 303, 307, 308].includes(res.statusCode);
      if (!follow || typeof location !== 'string' || hop >= MAX_REDIRECTS) {
        return { status: res.statusCode, headers: res.headers, body: res.body, url };
      }
      await res.body.dump();
      const next = new URL(location, target);
      if (next.origin !== target.origin) {
        const { authorization: _dropped, ...rest } = headers as Record<string, string>;
        headers = rest as typeof headers;
      }
      url = next.toString();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close()));
    this.agents.clear();
  }
}

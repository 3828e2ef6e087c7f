// The request engine under RegistryClient: finds how to reach a registry (ping over HTTPS, then
// HTTP where allowed), authorizes each request for its scopes, bounds requests in flight, retries
// transient failures with backoff (honouring Retry-After), re-authorizes once after a 401, and
// turns any other unexpected status into a BuilderError.
import type { Readable } from 'node:stream';
import { credentialLabel, type Credential, type Keychain } from '../auth/credential.ts';
import { BuilderError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { parseChallenge, type Challenge } from './challenge.ts';
import { responseError, type ErrorSubject } from './errors.ts';
import type { HostPolicy } from './host-policy.ts';
import { Limiter } from './limiter.ts';
import type { Direction } from './options.ts';
import { registryApiHost } from './reference.ts';
import { backoffDelay, isRetryableError, isRetryableStatus, parseRetryAfter, sleep } from './retry.ts';
import { mergeScopes, parseScopes, type Scope } from './scope.ts';
import { Authenticator } from './token.ts';
import { header, type HttpRequest, type HttpResponse, type Transport } from './transport.ts';

export interface Endpoint {
  /** API host:port. */
  host: string;
  /** "https://host" or "http://host". */
  origin: string;
  /** How /v2/ asked to be authenticated; undefined when it let us in anonymously. */
  challenge: Challenge | undefined;
}

export interface Call {
  registry: string;
  direction: Direction;
  method: HttpRequest['method'];
  /** "/v2/…" or an absolute URL (an upload Location). */
  path: string;
  scopes: Scope[];
  /** Repository whose credentials to use (keychains may hold repository-scoped entries). */
  repository: string;
  headers?: Record<string, string>;
  /** Called before each attempt for a fresh body. */
  body?: () => Promise<Buffer | Readable>;
  /** False when a body cannot be produced twice (a chunk of a shared stream): no retries then. */
  replayable?: boolean;
  /** Statuses handed back to the caller; anything else becomes an error. */
  ok: number[];
  subject: ErrorSubject;
  /** Attempts beyond the client's `retries` (kaniko's --push-retry for pushes). */
  extraAttempts?: number;
}

export interface SessionConfig {
  transport: Transport;
  policy: HostPolicy;
  keychain: Keychain;
  retries: number;
  concurrency: number;
}

export class Session {
  private readonly endpoints = new Map<string, Promise<Endpoint>>();
  private readonly limiter: Limiter;
  readonly auth: Authenticator;
  private readonly cfg: SessionConfig;

  constructor(cfg: SessionConfig) {
    this.cfg = cfg;
    this.limiter = new Limiter(cfg.concurrency);
    this.auth = new Authenticator(cfg.transport);
  }

  /** Pings the registry once per direction and remembers the scheme and the challenge. */
  endpoint(registry: string, direction: Direction): Promise<Endpoint> {
    const host = registryApiHost(registry);
    const key = `${host}\n${direction}`;
    let ep = this.endpoints.get(key);
    if (!ep) {
      ep = this.ping(host, direction);
      this.endpoints.set(key, ep);
      ep.catch(() => this.endpoints.delete(key));
    }
    return ep;
  }

  private async pingOnce(host: string, scheme: 'https' | 'http', direction: Direction): Promise<HttpResponse> {
    const req: HttpRequest = { method: 'GET', url: `${scheme}://${host}/v2/`, headers: {}, direction };
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.cfg.transport.exchange(req);
        if (attempt < this.cfg.retries && isRetryableStatus(res.status)) {
          await res.body.dump();
          await sleep(parseRetryAfter(header(res, 'retry-after')) ?? backoffDelay(attempt));
          continue;
        }
        return res;
      } catch (err) {
        if (attempt >= this.cfg.retries || !isRetryableError(err)) throw err;
        await sleep(backoffDelay(attempt));
      }
    }
  }

  private async ping(host: string, direction: Direction): Promise<Endpoint> {
    let res: HttpResponse;
    let origin = `https://${host}`;
    try {
      res = await this.pingOnce(host, 'https', direction);
    } catch (httpsError) {
      if (!this.cfg.policy.allowHttp(host, direction)) throw httpsError;
      log.debug(`${host}: HTTPS failed, trying plain HTTP`);
      try {
        res = await this.pingOnce(host, 'http', direction);
      } catch {
        throw httpsError;
      }
      // An HTTPS server answers plain HTTP with 400; then HTTPS's own failure is the real story.
      if (res.status !== 200 && res.status !== 401) {
        await res.body.dump();
        throw httpsError;
      }
      origin = `http://${host}`;
    }
    const challenge = res.status === 401 ? parseChallenge(header(res, 'www-authenticate')) : undefined;
    await res.body.dump();
    if (res.status !== 200 && res.status !== 401) {
      log.debug(`${host}: /v2/ answered HTTP ${res.status}; going on without authentication`);
    }
    return { host, origin, challenge };
  }

  /** Resolves the keychain's credential for a repository on a registry. */
  credential(registry: string, repository: string, direction: Direction = 'pull'): Promise<Credential | undefined> {
    return this.cfg.keychain.resolve(registry, repository, { post: (url, form) => this.postForm(url, form, direction) });
  }

  /** A form POST through this session's connections, for token exchanges a credential source makes on the registry. */
  private async postForm(url: string, form: URLSearchParams, direction: Direction): Promise<{ status: number; text: string }> {
    const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const res = await this.cfg.transport.exchange({ method: 'POST', url, headers, body: Buffer.from(form.toString()), direction });
    return { status: res.status, text: await res.body.text() };
  }

  /** Sends a call and returns the response when its status is one of `call.ok`. */
  async send(call: Call): Promise<HttpResponse> {
    const ep = await this.endpoint(call.registry, call.direction);
    let credential = await this.credential(call.registry, call.repository, call.direction);
    const url = new URL(call.path, ep.origin + '/');
    const sameOrigin = url.origin === ep.origin;
    const maxAttempts = 1 + this.cfg.retries + (call.extraAttempts ?? 0);
    const replayable = call.replayable ?? true;
    let challenge = ep.challenge;
    let scopes = call.scopes;
    let reauthorized = false;

    for (let attempt = 0; ; ) {
      const target = { host: ep.host, challenge, credential, scopes, direction: call.direction };
      const authorization = sameOrigin ? await this.auth.authorization(target) : undefined;
      const headers: Record<string, string> = { ...call.headers };
      if (authorization) headers.authorization = authorization;
      const body = call.body ? await call.body() : undefined;
      const release = await this.limiter.acquire();
      let res: HttpResponse;
      try {
        res = await this.cfg.transport.exchange({ method: call.method, url: url.toString(), headers, body, direction: call.direction });
      } catch (err) {
        if (body && !Buffer.isBuffer(body)) body.destroy();
        if (replayable && attempt + 1 < maxAttempts && isRetryableError(err)) {
          log.debug(`${ep.host}: ${call.method} ${url.pathname} failed (${(err as Error).message}); retrying`);
          await sleep(backoffDelay(attempt++));
          continue;
        }
        throw err;
      } finally {
        release();
      }

      if (res.status === 401 && !reauthorized && replayable) {
        // The token may have expired, lacked a scope the registry names, or /v2/ let us in
        // anonymously while this repository does not: learn from the challenge and try once more.
        const fresh = parseChallenge(header(res, 'www-authenticate'));
        // Basic with the same credentials would fail the same way; only a new challenge or a new token can help.
        if (fresh && (fresh.scheme === 'bearer' || (fresh.scheme === 'basic' && challenge?.scheme !== 'basic'))) {
          reauthorized = true;
          await res.body.dump();
          this.auth.forget(target);
          // A minted credential (a cloud token) may be what expired: have the keychain mint anew.
          if (credential && this.cfg.keychain.invalidate) {
            this.cfg.keychain.invalidate(call.registry, call.repository);
            credential = await this.credential(call.registry, call.repository, call.direction);
          }
          challenge = fresh;
          if (fresh.scheme === 'bearer') scopes = mergeScopes(scopes, parseScopes(fresh.params.scope));
          continue;
        }
      }
      if (isRetryableStatus(res.status) && replayable && attempt + 1 < maxAttempts) {
        const wait = parseRetryAfter(header(res, 'retry-after')) ?? backoffDelay(attempt);
        log.debug(`${ep.host}: ${call.method} ${url.pathname} answered HTTP ${res.status}; retrying in ${wait} ms`);
        await res.body.dump();
        await sleep(wait);
        attempt++;
        continue;
      }
      if (call.ok.includes(res.status)) return res;
      if (res.status === 401 && credential && parseChallenge(header(res, 'www-authenticate'))?.params.error === 'insufficient_scope') {
        // Authenticated, but the token server granted less than asked: a permission problem.
        await res.body.dump();
        const wanted = scopes.map((s) => `${s.actions.join(',')} on ${s.name}`).join(', ');
        throw new BuilderError(
          'REGISTRY_DENIED',
          `${call.subject.what}: denied: ${credentialLabel(credential)} may not ${wanted} at ${ep.host}`,
        );
      }
      throw await responseError(res, call.subject);
    }
  }
}

// Authorization for registry requests (distribution's token auth spec). A Basic challenge takes
// the keychain's username and password as they are. A Bearer challenge sends us to the token
// server: an identity token is exchanged by the OAuth2 refresh-token grant (POST), a password by
// the OAuth2 password grant (POST) or, where the server has no OAuth2 endpoint (404/405), by a GET
// with Basic credentials; anonymous pulls GET a token with no credentials. Tokens are cached per
// server, credential and scope set until shortly before they expire, and a cached token serves
// any request whose scopes it covers; concurrent requests for the same token share one fetch.
import { createHash } from 'node:crypto';
import { BuilderError } from '../util/errors.ts';
import { registerSecret } from '../util/redact.ts';
import { credentialLabel, type Credential } from '../auth/credential.ts';
import type { Challenge } from './challenge.ts';
import { formatScope, scopesCover, type Scope } from './scope.ts';
import { readErrorBody, statusError } from './errors.ts';
import { isRetryableError, isRetryableStatus, backoffDelay, parseRetryAfter, sleep } from './retry.ts';
import { header, type HttpRequest, type HttpResponse, type Transport } from './transport.ts';
import type { Direction } from './options.ts';

/** Client id sent with OAuth2 grants; token servers log it. */
const CLIENT_ID = 'kiln';
/** The token spec's default lifetime when the server names none. */
const DEFAULT_EXPIRES_IN_S = 60;
const TOKEN_ATTEMPTS = 3;

export interface AuthTarget {
  /** API host, for messages. */
  host: string;
  challenge: Challenge | undefined;
  credential: Credential | undefined;
  scopes: Scope[];
  direction: Direction;
}

interface CachedToken {
  token: string;
  /** An OAuth2 refresh token, when the server issued one (only asked for at login). */
  refreshToken?: string;
  scopes: Scope[];
  /** Epoch ms after which the token is not used again. */
  expiresAt: number;
}

function fingerprint(cred: Credential | undefined): string {
  // The cache must tell credentials apart without holding them in its keys as plain text.
  return cred ? createHash('sha256').update(JSON.stringify(cred)).digest('hex').slice(0, 32) : 'anonymous';
}

/** Reads a token response: `token` or its OAuth2 twin `access_token`, and when it stops working. */
export function parseTokenResponse(text: string, now: number = Date.now()): { token: string; expiresAt: number; refreshToken?: string } {
  const body = JSON.parse(text) as { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown; refresh_token?: unknown };
  const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
  if (!token) throw new Error('token response holds no token');
  const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_EXPIRES_IN_S;
  const issued = typeof body.issued_at === 'string' ? Date.parse(body.issued_at) : NaN;
  const start = Number.isNaN(issued) ? now : Math.min(issued, now);
  // Stop using a token a little early (a tenth of its life, at most 30 s) so it never dies in flight.
  const margin = Math.min(30_000, (expiresIn * 1000) / 10);
  const expiresAt = start + expiresIn * 1000 - margin;
  return typeof body.refresh_token === 'string' && body.refresh_token ? { token, expiresAt, refreshToken: body.refresh_token } : { token, expiresAt };
}

export class Authenticator {
  private readonly cache = new Map<string, CachedToken[]>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** The Authorization header value for a request, or undefined to go without. */
  async authorization(target: AuthTarget): Promise<string | undefined> {
    const { challenge, credential } = target;
    if (credential?.kind === 'registryToken') return `Bearer ${credential.registryToken}`;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      if (credential?.kind !== 'basic') return undefined;
      return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
    }
    if (challenge.scheme !== 'bearer') return undefined;
    const token = await this.token(target);
    return `Bearer ${token.token}`;
  }

  /**
   * Logs in with a password the way `docker login` does: the OAuth2 password grant asking for
   * offline access. Returns the refresh token (an identity token) when the server issues one, so
   * config.json can hold it instead of the password; undefined when it does not.
   */
  async identityToken(target: AuthTarget): Promise<string | undefined> {
    if (target.challenge?.scheme !== 'bearer' || target.credential?.kind !== 'basic') return undefined;
    const token = await this.fetchToken(target, true);
    this.remember(target, token);
    return token.refreshToken;
  }

  /** Drops cached tokens for a target, after the registry refused one. */
  forget(target: AuthTarget): void {
    this.cache.delete(this.serverKey(target));
  }

  private remember(target: AuthTarget, token: CachedToken): void {
    const key = this.serverKey(target);
    this.cache.set(key, [...(this.cache.get(key) ?? []), token]);
  }

  private serverKey(target: AuthTarget): string {
    const p = target.challenge?.params ?? {};
    return `${p.realm ?? ''}\n${p.service ?? ''}\n${fingerprint(target.credential)}`;
  }

  private async token(target: AuthTarget): Promise<CachedToken> {
    const key = this.serverKey(target);
    const now = Date.now();
    const live = (this.cache.get(key) ?? []).filter((t) => t.expiresAt > now);
    this.cache.set(key, live);
    const hit = live.find((t) => scopesCover(t.scopes, target.scopes));
    if (hit) return hit;
    const flightKey = `${key}\n${target.scopes.map(formatScope).join(' ')}`;
    let pending = this.inflight.get(flightKey);
    if (!pending) {
      pending = this.fetchToken(target).then((t) => {
        this.remember(target, t);
        return t;
      });
      this.inflight.set(flightKey, pending);
      const clear = () => this.inflight.delete(flightKey);
      pending.then(clear, clear);
    }
    return pending;
  }

  private async fetchToken(target: AuthTarget, offline = false): Promise<CachedToken> {
    const params = target.challenge?.params ?? {};
    if (!params.realm) throw new BuilderError('REGISTRY_ERROR', `${target.host}: Bearer challenge names no token realm`);
    let realm: URL;
    try {
      realm = new URL(params.realm);
    } catch {
      throw new BuilderError('REGISTRY_ERROR', `${target.host}: token realm "${params.realm}" is not a URL`);
    }
    const cred = target.credential;
    let res: HttpResponse;
    if (cred?.kind === 'identityToken') {
      res = await this.send(target, this.oauthRequest(realm, target, { grant_type: 'refresh_token', refresh_token: cred.identityToken }));
    } else if (cred?.kind === 'basic') {
      const grant = { grant_type: 'password', username: cred.username, password: cred.password, ...(offline ? { access_type: 'offline' } : {}) };
      res = await this.send(target, this.oauthRequest(realm, target, grant));
      if (res.status === 404 || res.status === 405) {
        await res.body.dump();
        res = await this.send(target, this.getRequest(realm, target, cred));
      }
    } else {
      res = await this.send(target, this.getRequest(realm, target, undefined));
    }
    if (res.status !== 200) {
      const details = await readErrorBody(res);
      const who = credentialLabel(cred);
      if (res.status === 401 || res.status === 403) {
        const said = details.map((d) => d.message).filter(Boolean).join('; ');
        throw new BuilderError(
          'REGISTRY_UNAUTHORIZED',
          `${target.host}: unauthorized: authentication required (token server ${realm.host} refused ${who}${said ? `: ${said}` : ''})`,
        );
      }
      throw statusError(res.status, details, { what: `${target.host} token server ${realm.host}`, kind: 'token' });
    }
    const text = await res.body.text();
    let parsed: ReturnType<typeof parseTokenResponse>;
    try {
      parsed = parseTokenResponse(text);
    } catch (err) {
      throw new BuilderError('REGISTRY_ERROR', `${target.host}: token server ${realm.host} gave an unreadable answer (${(err as Error).message})`);
    }
    registerSecret(parsed.token);
    registerSecret(parsed.refreshToken);
    return { ...parsed, scopes: target.scopes };
  }

  private oauthRequest(realm: URL, target: AuthTarget, grant: Record<string, string>): HttpRequest {
    const form = new URLSearchParams({ ...grant, client_id: CLIENT_ID });
    if (target.challenge?.params.service) form.set('service', target.challenge.params.service);
    if (target.scopes.length) form.set('scope', target.scopes.map(formatScope).join(' '));
    return {
      method: 'POST',
      url: realm.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(form.toString()),
      direction: target.direction,
    };
  }

  private getRequest(realm: URL, target: AuthTarget, cred: Extract<Credential, { kind: 'basic' }> | undefined): HttpRequest {
    const url = new URL(realm);
    if (target.challenge?.params.service) url.searchParams.set('service', target.challenge.params.service);
    for (const s of target.scopes) url.searchParams.append('scope', formatScope(s));
    const headers: Record<string, string> = {};
    if (cred) headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    return { method: 'GET', url: url.toString(), headers, direction: target.direction };
  }

  /** Token requests are small and idempotent: retry them on transient failures. */
  private async send(target: AuthTarget, req: HttpRequest): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= TOKEN_ATTEMPTS;
      let res: HttpResponse;
      try {
        res = await this.transport.exchange(req);
      } catch (err) {
        if (last || !isRetryableError(err)) throw err;
        await sleep(backoffDelay(attempt));
        continue;
      }
      if (last || !isRetryableStatus(res.status)) return res;
      await res.body.dump();
      await sleep(parseRetryAfter(header(res, 'retry-after')) ?? backoffDelay(attempt));
    }
  }
}

// A bearer-token server for the lab registry, following the distribution token spec
// (docs/spec/auth/token.md and oauth.md): GET with Basic auth or anonymous, POST with
// grant_type=password or refresh_token, several `scope`s, JWTs signed RS256 or ES256 whose
// `x5c` header chains to the CA the registry has as `rootcertbundle`.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createPrivateKey, randomBytes, sign, timingSafeEqual, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { closeServer, listenLoopback } from './loopback.ts';

export type TokenAlgorithm = 'RS256' | 'ES256';

/** Repository name (exact), a prefix ending in `/*`, or `*` -> the actions allowed there. */
export type Permissions = Record<string, string[]>;

export interface TokenServerOptions {
  service: string;
  issuer: string;
  users: Record<string, string>;
  /** What a request without credentials may do: pull on every repository, or nothing. */
  anonymous?: 'pull' | 'none';
  /** Per-user permissions; a user not listed may pull, push and delete everywhere. */
  permissions?: Record<string, Permissions>;
  algorithm?: TokenAlgorithm;
  signingKeyFile: string;
  signingCertFile: string;
  expiresInSeconds?: number;
  tls?: { keyFile: string; certFile: string };
  /**
   * Decides a username and password instead of `users`, for registries that accept minted
   * credentials (a cloud token, an OIDC JWT): the account name to record, or undefined to refuse.
   */
  authenticate?: (user: string, password: string) => string | undefined | Promise<string | undefined>;
  /** Accepts refresh tokens minted elsewhere (ACR's /oauth2/exchange): the account, or undefined. */
  verifyRefreshToken?: (token: string) => string | undefined | Promise<string | undefined>;
  /**
   * Extra endpoints served beside /token (ACR serves /oauth2/exchange on the registry host):
   * return true when the request was answered.
   */
  routes?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
}

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenRequestRecord {
  method: string;
  grantType: 'basic' | 'anonymous' | 'password' | 'refresh_token';
  account?: string;
  scopes: string[];
  status: number;
}

type PendingRecord = Omit<TokenRequestRecord, 'status'>;

export interface TokenCounters {
  requests: number;
  tokensIssued: number;
  refreshTokensIssued: number;
  denied: number;
}

const FULL_ACCESS: Permissions = { '*': ['pull', 'push', 'delete'] };

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `repository:library/busybox:pull,push` -> entry; the name may itself hold colons in theory, so split at the ends. */
export function parseScope(scope: string): AccessEntry | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const actions = scope.slice(last + 1).split(',').filter(Boolean);
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

function allowedActions(perms: Permissions, entry: AccessEntry): string[] {
  if (entry.type === 'registry') {
    // Catalog access only for those allowed everywhere.
    return perms['*'] ? ['*'] : [];
  }
  if (!entry.type.startsWith('repository')) return [];
  const allowed = new Set<string>();
  for (const [pattern, actions] of Object.entries(perms)) {
    const matches =
      pattern === '*' ||
      pattern === entry.name ||
      (pattern.endsWith('/*') && entry.name.startsWith(pattern.slice(0, -1)));
    if (matches) for (const a of actions) allowed.add(a);
  }
  if (allowed.has('*')) return entry.actions;
  return entry.actions.filter((a) => allowed.has(a));
}

export class TokenServer {
  readonly counters: TokenCounters = { requests: 0, tokensIssued: 0, refreshTokensIssued: 0, denied: 0 };
  readonly log: TokenRequestRecord[] = [];
  /** Mutable so a test can change who may do what while the server runs. */
  permissions: Record<string, Permissions>;
  anonymous: 'pull' | 'none';

  private server: Server | undefined;
  private key: KeyObject | undefined;
  private x5c: string[] = [];
  private refreshTokens = new Map<string, string>();
  private baseUrl = '';

  constructor(private readonly opts: TokenServerOptions) {
    this.permissions = { ...(opts.permissions ?? {}) };
    this.anonymous = opts.anonymous ?? 'pull';
  }

  get realm(): string {
    return `${this.baseUrl}/token`;
  }

  async start(): Promise<void> {
    this.key = createPrivateKey(await readFile(this.opts.signingKeyFile));
    this.x5c = [new X509Certificate(await readFile(this.opts.signingCertFile)).raw.toString('base64')];
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.reply(res, 500, { errors: [{ code: 'UNKNOWN', message: String(err) }] });
      });
    };
    const tls = this.opts.tls;
    this.server = tls
      ? createHttpsServer({ key: await readFile(tls.keyFile), cert: await readFile(tls.certFile) }, handler)
      : createHttpServer(handler);
    const server = this.server;
    this.baseUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${await listenLoopback(server)}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  private reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counters.requests++;
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (this.opts.routes && (await this.opts.routes(req, res, url))) return;
    if (url.pathname !== '/token') return this.reply(res, 404, { error: 'not_found' });
    if (req.method === 'GET') return this.handleGet(req, res, url.searchParams);
    if (req.method === 'POST') return this.handlePost(req, res, new URLSearchParams(await readBody(req)));
    return this.reply(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, POST' });
  }

  private async handleGet(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    const scopes = q.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    const authz = req.headers.authorization;
    if (!authz) {
      return this.grant(res, q, { method: 'GET', grantType: 'anonymous', scopes }, undefined, false);
    }
    const creds = parseBasic(authz);
    const account = creds && (await this.accountFor(creds.user, creds.password));
    if (!creds || account === undefined) {
      return this.deny(res, { method: 'GET', grantType: 'basic', account: creds?.user, scopes }, 401, 'invalid username or password', {
        'www-authenticate': 'Basic realm="kiln-lab-token"',
      });
    }
    // A refresh token over GET only when asked for with offline_token=true.
    return this.grant(res, q, { method: 'GET', grantType: 'basic', account, scopes }, account, q.get('offline_token') === 'true');
  }

  private async handlePost(_req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<void> {
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const grantType = form.get('grant_type');
    const record: PendingRecord = { method: 'POST', grantType: 'password', scopes };
    if (!form.get('client_id')) return this.deny(res, record, 400, 'client_id is required', {}, 'invalid_request');
    if (grantType === 'password') {
      const user = form.get('username') ?? '';
      record.account = user;
      const account = await this.accountFor(user, form.get('password') ?? '');
      if (account === undefined) return this.deny(res, record, 401, 'invalid username or password');
      record.account = account;
      // The OAuth2 password grant is how clients obtain a refresh token, so it always gets one.
      return this.grant(res, form, record, account, true);
    }
    if (grantType === 'refresh_token') {
      record.grantType = 'refresh_token';
      const given = form.get('refresh_token') ?? '';
      const subject = this.refreshTokens.get(given) ?? (this.opts.verifyRefreshToken ? await this.opts.verifyRefreshToken(given) : undefined);
      record.account = subject;
      if (subject === undefined) return this.deny(res, record, 401, 'invalid refresh token');
      return this.grant(res, form, record, subject, false, form.get('refresh_token') ?? undefined);
    }
    return this.deny(res, record, 400, 'unsupported grant_type', {}, 'unsupported_grant_type');
  }

  /** The account a username and password stand for, or undefined when they are refused. */
  private async accountFor(user: string, password: string): Promise<string | undefined> {
    if (this.opts.authenticate) return this.opts.authenticate(user, password);
    const expected = this.opts.users[user];
    return expected !== undefined && safeEqual(expected, password) ? user : undefined;
  }

  private deny(
    res: ServerResponse,
    record: PendingRecord,
    status: number,
    description: string,
    headers: Record<string, string> = {},
    error = status === 401 ? 'invalid_grant' : 'invalid_request',
  ): void {
    this.counters.denied++;
    this.log.push({ ...record, status });
    this.reply(res, status, { error, error_description: description }, headers);
  }

  private grant(
    res: ServerResponse,
    params: URLSearchParams,
    record: PendingRecord,
    subject: string | undefined,
    withRefreshToken: boolean,
    existingRefreshToken?: string,
  ): void {
    const service = params.get('service');
    if (service !== null && service !== this.opts.service) {
      return this.deny(res, record, 400, `unknown service "${service}"`, {}, 'invalid_request');
    }
    const perms = subject === undefined
      ? this.anonymous === 'pull' ? { '*': ['pull'] } : {}
      : (this.permissions[subject] ?? FULL_ACCESS);
    const access: AccessEntry[] = [];
    for (const scope of record.scopes) {
      const entry = parseScope(scope);
      if (!entry) continue;
      const actions = allowedActions(perms, entry);
      if (actions.length > 0) access.push({ ...entry, actions });
    }
    const expiresIn = this.opts.expiresInSeconds ?? 300;
    const now = Math.floor(Date.now() / 1000);
    const token = this.signJwt({
      iss: this.opts.issuer,
      sub: subject ?? '',
      // distribution 2.8 accepts only a string here, not an array.
      aud: this.opts.service,
      exp: now + expiresIn,
      nbf: now - 1,
      iat: now,
      jti: randomBytes(16).toString('hex'),
      access,
    });
    this.counters.tokensIssued++;
    const body: Record<string, unknown> = {
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date(now * 1000).toISOString(),
      scope: access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' '),
    };
    if (withRefreshToken && subject !== undefined) {
      const refresh = randomBytes(24).toString('base64url');
      this.refreshTokens.set(refresh, subject);
      this.counters.refreshTokensIssued++;
      body.refresh_token = refresh;
    } else if (existingRefreshToken !== undefined) {
      body.refresh_token = existingRefreshToken;
    }
    this.log.push({ ...record, status: 200 });
    this.reply(res, 200, body);
  }

  private signJwt(claims: Record<string, unknown>): string {
    const alg = this.opts.algorithm ?? 'RS256';
    const header = base64url(JSON.stringify({ typ: 'JWT', alg, x5c: this.x5c }));
    const payload = base64url(JSON.stringify(claims));
    const input = `${header}.${payload}`;
    const key = this.key;
    if (!key) throw new Error('token server not started');
    // JWS wants ECDSA signatures as raw r||s, not DER.
    const signature = alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), key);
    return `${input}.${base64url(signature)}`;
  }
}

function parseBasic(header: string): { user: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

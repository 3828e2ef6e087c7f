// Strict local stand-ins for the Google endpoints google-auth-library talks to, written from
// Google's published protocols: STS token exchange (sts.googleapis.com/v1/token, RFC 8693),
// IAM credentials generateAccessToken and the GCE metadata server. (Service-account keys and
// authorized_user files are not served: google-auth-library 10 posts them to oauth2.googleapis.com
// whatever their token_uri says.) Each checks what the real service checks and refuses in its error shape;
// every access token is random and remembered, so a lab registry accepts only tokens issued here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { OidcIssuer } from './oidc-issuer.ts';
import { closeServer, listenLoopback } from './loopback.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const SUBJECT_TOKEN_TYPES = new Set(['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token']);
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

export interface GcpServerOptions {
  /** Issuer whose JWKS signs subject tokens (the workload identity pool's OIDC provider). */
  issuer: OidcIssuer;
  /** The pool provider resource, `//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/X`. */
  workloadIdentityProvider: string;
  /** The service account generateAccessToken may impersonate (`name@project.iam.gserviceaccount.com`). */
  serviceAccount: string;
  /** The service account the metadata server speaks for. */
  metadataServiceAccount?: string;
  expiresInSeconds?: number;
}

export interface IssuedToken {
  /** Who the token stands for: `principal://…/subject/SUB` or a service account email. */
  account: string;
  via: 'sts' | 'impersonation' | 'metadata';
  expiresAt: number;
}

export class GcpServer {
  /** Every access token issued, so the lab registry's `authenticate` can accept exactly these. */
  readonly issued = new Map<string, IssuedToken>();
  /** Error descriptions returned, in order, for assertions on what the client passed on. */
  readonly refusals: string[] = [];
  private server: Server | undefined;
  private base = '';

  constructor(private readonly opts: GcpServerOptions) {}

  get url(): string {
    return this.base;
  }
  get stsUrl(): string {
    return `${this.base}/v1/token`;
  }
  impersonationUrl(serviceAccount = this.opts.serviceAccount): string {
    return `${this.base}/v1/projects/-/serviceAccounts/${serviceAccount}:generateAccessToken`;
  }
  /** What GCE_METADATA_HOST holds: host and port, no scheme. */
  get metadataHost(): string {
    return this.base.replace(/^http:\/\//, '');
  }

  /** The lab registry hook: `oauth2accesstoken` with a live token issued here → its account. */
  authenticate = (user: string, password: string): string | undefined => {
    const token = this.issued.get(password);
    if (user !== 'oauth2accesstoken' || !token || token.expiresAt <= Date.now()) return undefined;
    return token.account;
  };

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) json(res, 500, { error: 'internal_failure', error_description: String(err) });
      });
    });
    this.server = server;
    this.base = `http://127.0.0.1:${await listenLoopback(server)}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    if (url.pathname.startsWith('/computeMetadata/')) return this.metadata(req, res, url);
    if (req.method !== 'POST') return json(res, 405, { error: 'invalid_request', error_description: 'POST only' });
    const body = await readBody(req);
    if (url.pathname === '/v1/token') return this.sts(res, new URLSearchParams(body));
    const impersonate = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(url.pathname);
    if (impersonate) return this.generateAccessToken(req, res, decodeURIComponent(impersonate[1]), body);
    return json(res, 404, { error: { code: 404, message: `no such method ${url.pathname}`, status: 'NOT_FOUND' } });
  }

  private async sts(res: ServerResponse, form: URLSearchParams): Promise<void> {
    if (form.get('grant_type') !== TOKEN_EXCHANGE_GRANT) return this.refuse(res, 'unsupported_grant_type', `Invalid value for "grant_type": ${form.get('grant_type')}`);
    if (form.get('requested_token_type') !== ACCESS_TOKEN_TYPE) return this.refuse(res, 'invalid_request', 'Invalid value for "requested_token_type"');
    if (!SUBJECT_TOKEN_TYPES.has(form.get('subject_token_type') ?? '')) return this.refuse(res, 'invalid_request', 'Invalid value for "subject_token_type"');
    const audience = form.get('audience') ?? '';
    if (audience !== this.opts.workloadIdentityProvider) {
      return this.refuse(res, 'invalid_target', `The target service indicated by the "audience" parameters is invalid: ${audience}`);
    }
    // A provider created without allowed audiences accepts `https://iam.googleapis.com/` + the resource.
    const expectedAud = `https://iam.googleapis.com/${audience.replace(/^\/\/iam\.googleapis\.com\//, '')}`;
    let subject: string;
    try {
      const claims = await this.opts.issuer.verify(form.get('subject_token') ?? '', expectedAud);
      subject = String(claims.sub);
    } catch (err) {
      return this.refuse(res, 'invalid_grant', `The ID Token was refused (${describeJoseFailure(err)}); the provider expects audience ${expectedAud}.`);
    }
    const pool = audience.replace(/^\/\/iam\.googleapis\.com\//, '').replace(/\/providers\/[^/]+$/, '');
    const token = this.issue(`principal://iam.googleapis.com/${pool}/subject/${subject}`, 'sts');
    json(res, 200, { access_token: token, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: this.lifetime() });
  }

  private generateAccessToken(req: IncomingMessage, res: ServerResponse, serviceAccount: string, body: string): void {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const caller = bearer ? this.issued.get(bearer) : undefined;
    if (!caller || caller.via !== 'sts' || caller.expiresAt <= Date.now()) {
      return googleError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    if (serviceAccount !== this.opts.serviceAccount) {
      return googleError(res, 403, 'PERMISSION_DENIED', `Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).`);
    }
    const request = JSON.parse(body || '{}') as { scope?: string[]; lifetime?: string };
    if (!request.scope?.includes(CLOUD_PLATFORM)) return googleError(res, 400, 'INVALID_ARGUMENT', 'Scope required.');
    const token = this.issue(serviceAccount, 'impersonation');
    const expireTime = new Date(this.issued.get(token)!.expiresAt).toISOString();
    json(res, 200, { accessToken: token, expireTime });
  }

  private metadata(req: IncomingMessage, res: ServerResponse, url: URL): void {
    // The real server refuses requests without the header (SSRF guard) and answers with it.
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403, { 'content-type': 'text/html' });
      res.end('Missing Metadata-Flavor:Google header.');
      return;
    }
    const account = this.opts.metadataServiceAccount;
    const headers = { 'metadata-flavor': 'Google', 'content-type': 'application/json' };
    if (url.pathname === '/computeMetadata/v1/instance' || url.pathname === '/computeMetadata/v1/instance/') {
      res.writeHead(200, { ...headers, 'content-type': 'application/text' });
      res.end('attributes/\nservice-accounts/\n');
      return;
    }
    if (url.pathname === '/computeMetadata/v1/instance/service-accounts/default/token' && account) {
      const token = this.issue(account, 'metadata');
      res.writeHead(200, headers);
      res.end(JSON.stringify({ access_token: token, expires_in: this.lifetime(), token_type: 'Bearer' }));
      return;
    }
    res.writeHead(404, { 'metadata-flavor': 'Google', 'content-type': 'text/html' });
    res.end('Not Found');
  }

  private lifetime(): number {
    return this.opts.expiresInSeconds ?? 3600;
  }

  private issue(account: string, via: IssuedToken['via']): string {
    // ya29.-prefixed like Google's access tokens, random so none can be guessed.
    const token = `ya29.lab-${randomBytes(24).toString('base64url')}`;
    this.issued.set(token, { account, via, expiresAt: Date.now() + this.lifetime() * 1000 });
    return token;
  }

  private refuse(res: ServerResponse, error: string, description: string, status = 400): void {
    this.refusals.push(description);
    json(res, status, { error, error_description: description });
  }
}

/** jose's check that failed, in words: `"aud" claim check failed`, `"exp" claim timestamp check failed`. */
function describeJoseFailure(err: unknown): string {
  return err instanceof Error ? err.message : 'invalid token';
}

function googleError(res: ServerResponse, code: number, status: string, message: string): void {
  json(res, code, { error: { code, message, status } });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startGcpServer(opts: GcpServerOptions): Promise<GcpServer> {
  const server = new GcpServer(opts);
  await server.start();
  return server;
}

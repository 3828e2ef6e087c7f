// Strict local stand-ins for the Azure endpoints kiln's ACR paths talk to, written from the
// documented protocols (no emulator exists):
//   Entra ID v2 (HTTPS, as @azure/identity insists; reached through AZURE_AUTHORITY_HOST):
//     GET  /{tenant}/v2.0/.well-known/openid-configuration   the authority metadata MSAL reads first;
//     POST /{tenant}/oauth2/v2.0/token   client_credentials with a client_secret, or a
//          client_assertion (JWT bearer) checked like a federated identity credential: signature
//          against the OIDC issuer's JWKS, issuer, subject, audience api://AzureADTokenExchange, lifetime;
//   ACR, served beside the lab token registry's /token (TokenServer `routes`):
//     POST /oauth2/exchange   grant_type=access_token: an access token issued here, for the ARM
//          audience, for this login server (`service`) and tenant -> an ACR refresh token (a JWT),
//          which the token registry's refresh_token grant then accepts (`verifyRefreshToken`).
// Refusals use the real services' shapes (AADSTS codes; ACR's `errors` array).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { decodeProtectedHeader, jwtVerify, SignJWT, createRemoteJWKSet, errors as joseErrors } from 'jose';
import { Agent, buildConnector, fetch } from 'undici';
import type { RegistryFormPost } from '../../src/auth/credential.ts';
import type { OidcIssuer } from './oidc-issuer.ts';
import { labTls } from './tls.ts';
import { closeServer, listenLoopback } from './loopback.ts';

export const FEDERATION_AUDIENCE = 'api://AzureADTokenExchange';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ARM_AUDIENCE = 'https://management.azure.com';

/** An app registration: a client secret, and/or a federated identity credential trusting an issuer's subject. */
export interface AzureApp {
  secret?: string;
  federated?: { issuer: OidcIssuer; subject: string };
}

export interface AzureServerOptions {
  tenant: string;
  /** Client id -> app registration. */
  apps: Record<string, AzureApp>;
  /** The ACR login server the exchange answers for (its `service`). */
  loginServer: string;
  accessTokenSeconds?: number;
  refreshTokenSeconds?: number;
}

interface IssuedAccessToken {
  clientId: string;
  tenant: string;
  audience: string;
  via: 'secret' | 'federated';
  expiresAt: number;
}

export class AzureServer {
  /** Access tokens Entra issued here, and ACR refresh tokens the exchange issued (-> account). */
  readonly accessTokens = new Map<string, IssuedAccessToken>();
  readonly refreshTokens = new Map<string, { account: string; expiresAt: number }>();
  /** Every refusal text, in order, so tests can check what the client passed on. */
  readonly refusals: string[] = [];
  /** Requests seen, `METHOD path`, to assert which flow ran. */
  readonly calls: string[] = [];
  private server: Server | undefined;
  private base = '';
  private readonly refreshKey = randomBytes(32);

  constructor(private readonly opts: AzureServerOptions) {}

  /** What AZURE_AUTHORITY_HOST holds. */
  get authorityHost(): string {
    return this.base;
  }

  async start(): Promise<void> {
    const tls = await labTls();
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.entra(req, res).catch((err: unknown) => {
        if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: String(err) });
      });
    };
    const server = createHttpsServer({ key: await readFile(tls.server.keyFile), cert: await readFile(tls.server.certFile) }, handler);
    this.server = server;
    this.base = `https://127.0.0.1:${await listenLoopback(server)}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  private async entra(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    this.calls.push(`${req.method} ${url.pathname}`);
    const m = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(url.pathname);
    if (!m) return json(res, 404, { error: 'not_found' });
    const [, tenant, what] = m as unknown as [string, string, string];
    if (tenant !== this.opts.tenant) {
      return this.aadError(res, 400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    if (what.startsWith('v2.0')) {
      const root = `${this.base}/${tenant}`;
      return json(res, 200, {
        issuer: `${this.base}/${tenant}/v2.0`,
        authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
        token_endpoint: `${root}/oauth2/v2.0/token`,
        end_session_endpoint: `${root}/oauth2/v2.0/logout`,
        jwks_uri: `${this.base}/${tenant}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      });
    }
    if (req.method !== 'POST') return this.aadError(res, 405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    return this.token(res, tenant, new URLSearchParams(await readBody(req)));
  }

  private async token(res: ServerResponse, tenant: string, form: URLSearchParams): Promise<void> {
    if (form.get('grant_type') !== 'client_credentials') {
      return this.aadError(res, 400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.get('grant_type')}'.`);
    }
    const clientId = form.get('client_id') ?? '';
    const app = this.opts.apps[clientId];
    if (!app) {
      return this.aadError(res, 400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
    }
    // A client-credentials request names resources as RESOURCE/.default; MSAL may add OIDC scopes.
    const resources = (form.get('scope') ?? '').split(' ').filter((s) => s && !['openid', 'profile', 'offline_access'].includes(s));
    if (resources.length !== 1 || !resources[0]!.endsWith('/.default')) {
      return this.aadError(res, 400, 'invalid_scope', 1002012, `The provided value for scope ${form.get('scope')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`);
    }
    const audience = resources[0]!.slice(0, -'/.default'.length);
    let via: IssuedAccessToken['via'];
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
        return this.aadError(res, 400, 'invalid_request', 900023, `Specified client_assertion_type '${form.get('client_assertion_type')}' is not supported.`);
      }
      const refusal = await this.checkFederated(app, assertion);
      if (refusal) return this.aadError(res, 401, 'invalid_client', refusal[0], refusal[1]);
      via = 'federated';
    } else {
      if (!app.secret || form.get('client_secret') !== app.secret) {
        return this.aadError(res, 401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
      }
      via = 'secret';
    }
    const lifetime = this.opts.accessTokenSeconds ?? 3600;
    const token = `lab-entra.${randomBytes(32).toString('base64url')}`;
    this.accessTokens.set(token, { clientId, tenant, audience, via, expiresAt: Date.now() + lifetime * 1000 });
    json(res, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token });
  }

  /** A federated identity credential's checks, in Entra's order: [AADSTS code, description] of the first failure. */
  private async checkFederated(app: AzureApp, assertion: string): Promise<[number, string] | undefined> {
    const fic = app.federated;
    if (!fic) return [700027, 'Client assertion failed signature validation: the application has no federated identity credential.'];
    try {
      decodeProtectedHeader(assertion);
    } catch {
      return [50027, 'JWT token is invalid or malformed.'];
    }
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(assertion, createRemoteJWKSet(new URL(fic.issuer.jwksUrl)), { algorithms: ['RS256'] }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return [700024, 'Client assertion is not within its valid time range.'];
      return [700027, `Client assertion failed signature validation. (${err instanceof Error ? err.message : 'invalid'})`];
    }
    if (claims.iss !== fic.issuer.issuer) return [700211, `No matching federated identity record found for presented assertion issuer '${String(claims.iss)}'.`];
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(FEDERATION_AUDIENCE)) return [700212, `No matching federated identity record found for presented assertion audience '${aud.join(',')}'.`];
    if (claims.sub !== fic.subject) return [700213, `No matching federated identity record found for presented assertion subject '${String(claims.sub)}'.`];
    return undefined;
  }

  /** TokenServer `routes` hook: ACR's POST /oauth2/exchange on the registry host. */
  exchangeRoute = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== '/oauth2/exchange') return false;
    this.calls.push(`${req.method} /oauth2/exchange`);
    if (req.method !== 'POST') {
      acrError(res, 405, 'UNSUPPORTED', 'The requested method is not supported.');
      return true;
    }
    const form = new URLSearchParams(await readBody(req));
    const refuse = (status: number, code: string, message: string): true => {
      this.refusals.push(message);
      acrError(res, status, code, message);
      return true;
    };
    if (form.get('grant_type') !== 'access_token') return refuse(400, 'UNSUPPORTED', `grant_type ${form.get('grant_type')} is not supported`);
    if (form.get('service') !== this.opts.loginServer) return refuse(400, 'INVALID_REQUEST', `service "${form.get('service')}" is not this registry`);
    const issued = this.accessTokens.get(form.get('access_token') ?? '');
    if (!issued || issued.expiresAt <= Date.now()) return refuse(401, 'UNAUTHORIZED', 'the access token is invalid or expired');
    if (issued.audience !== ARM_AUDIENCE) return refuse(401, 'UNAUTHORIZED', `the access token's audience ${issued.audience} is not ${ARM_AUDIENCE}`);
    const tenant = form.get('tenant');
    if (tenant !== null && tenant !== issued.tenant) return refuse(401, 'UNAUTHORIZED', `the access token is not from tenant ${tenant}`);
    const lifetime = this.opts.refreshTokenSeconds ?? 3 * 3600;
    const account = `acr:${issued.clientId}`;
    const refreshToken = await new SignJWT({ tenant: issued.tenant, grant_type: 'refresh_token', permissions: { actions: ['read', 'write'] } })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setJti(randomUUID())
      .setSubject(account)
      .setAudience(this.opts.loginServer)
      .setIssuer('Azure Container Registry')
      .setIssuedAt()
      .setExpirationTime(`${lifetime}s`)
      .sign(this.refreshKey);
    this.refreshTokens.set(refreshToken, { account, expiresAt: Date.now() + lifetime * 1000 });
    json(res, 200, { refresh_token: refreshToken });
    return true;
  };

  /** TokenServer `verifyRefreshToken` hook: the account of a live refresh token issued here. */
  verifyRefreshToken = (token: string): string | undefined => {
    const issued = this.refreshTokens.get(token);
    return issued && issued.expiresAt > Date.now() ? issued.account : undefined;
  };

  private aadError(res: ServerResponse, status: number, error: string, code: number, description: string): void {
    const text = `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`;
    this.refusals.push(text);
    json(res, status, { error, error_description: text, error_codes: [code], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() });
  }
}

function acrError(res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { errors: [{ code, message, detail: null }] });
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

export async function startAzureServer(opts: AzureServerOptions): Promise<AzureServer> {
  const server = new AzureServer(opts);
  await server.start();
  return server;
}

/**
 * ACR's login server in the lab: one HTTPS host, as ACR is, that answers /oauth2/exchange itself
 * (the Azure server's route) and passes everything else (/v2/…) to the lab registry. Reach it
 * under the ACR name with --registry-address or `postVia`; the certificate covers *.azurecr.io.
 */
export async function startAcrLoginServer(azure: AzureServer, registry: { host: string; caFile?: string }): Promise<{ host: string; stop(): Promise<void> }> {
  const tls = await labTls();
  const ca = await readFile(registry.caFile ?? tls.caFile, 'utf8');
  const colon = registry.host.lastIndexOf(':');
  const server = createHttpsServer({ key: await readFile(tls.server.keyFile), cert: await readFile(tls.server.certFile) }, (req, res) => {
    void (async () => {
      if (await azure.exchangeRoute(req, res, new URL(req.url ?? '/', 'https://acr.invalid'))) return;
      const upstream = httpsRequest(
        { host: registry.host.slice(0, colon), port: Number(registry.host.slice(colon + 1)), method: req.method, path: req.url, headers: req.headers, ca },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end());
      req.pipe(upstream);
    })().catch(() => res.destroy());
  });
  const port = await listenLoopback(server);
  return {
    host: `127.0.0.1:${port}`,
    stop: () => closeServer(server),
  };
}

/**
 * A credential lookup's form POST connecting to `address` whatever the URL's host, trusting the
 * lab CA, with the TLS name and Host kept: what the registry client lends a source under
 * --registry-address, for tests that call a source directly.
 */
export async function postVia(address: string): Promise<RegistryFormPost> {
  const ca = await readFile((await labTls()).caFile, 'utf8');
  const colon = address.lastIndexOf(':');
  const connect = buildConnector({ ca: [...rootCertificates, ca] });
  const dispatcher = new Agent({
    connect: (opts, callback) => connect({ ...opts, hostname: address.slice(0, colon), port: address.slice(colon + 1), ...(isIP(opts.hostname) ? {} : { servername: opts.hostname }) }, callback),
  });
  return async (url, form) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), dispatcher });
    return { status: res.status, text: await res.text() };
  };
}

/** A TCP endpoint that accepts connections and never answers: an identity endpoint gone silent. */
export async function startSilentEndpoint(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer(() => {
    // Never answer.
  });
  const port = await listenLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => closeServer(server),
  };
}

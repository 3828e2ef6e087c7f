// A local OpenID Connect issuer for the credential tests: an RSA key, discovery and JWKS over
// HTTP on 127.0.0.1, and tokens shaped like the two CI issuers kiln's faces meet: GitHub Actions'
// (`token.actions.githubusercontent.com`) and the Buildkite agent's (`agent.buildkite.com`).
// The strict cloud servers verify what it mints against its JWKS, as AWS STS, GCP STS and Entra
// verify the real issuers' tokens.
//
// Two endpoints stand in for how a CI job asks for a token:
//   GET /github/idtoken?audience=A   with `Authorization: Bearer <request token>`, answering
//       {"value": JWT}: what ACTIONS_ID_TOKEN_REQUEST_URL serves to @actions/core's getIDToken;
//   GET /buildkite/token?audience=A&lifetime=S   answering the JWT as text: what a
//       `buildkite-agent oidc request-token` stub prints.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK, type CryptoKey, type JWTPayload } from 'jose';
import { closeServer, listenLoopback } from './loopback.ts';

export type TokenShape = 'github' | 'buildkite' | 'plain';

export interface MintOptions {
  audience: string | string[];
  shape?: TokenShape;
  /** Seconds until `exp` (default 300). A negative value mints an already expired token. */
  lifetimeSeconds?: number;
  subject?: string;
  /** Extra or overriding claims. */
  claims?: JWTPayload;
}

export interface MintRecord {
  shape: TokenShape;
  audience: string | string[];
  token: string;
}

/** The claims GitHub puts in an Actions ID token, for a fixed lab repository and run. */
function githubClaims(): JWTPayload {
  return {
    sub: 'repo:kiln-lab/app:ref:refs/heads/main',
    repository: 'kiln-lab/app',
    repository_owner: 'kiln-lab',
    actor: 'octo-lab',
    ref: 'refs/heads/main',
    sha: '0123456789abcdef0123456789abcdef01234567',
    workflow: 'build',
    event_name: 'push',
    run_id: '1001',
    run_attempt: '1',
    job_workflow_ref: 'kiln-lab/app/.github/workflows/build.yml@refs/heads/main',
    runner_environment: 'github-hosted',
  };
}

/** The claims the Buildkite agent puts in a job's OIDC token. */
function buildkiteClaims(): JWTPayload {
  return {
    sub: 'organization:kiln-lab:pipeline:app:ref:refs/heads/main:commit:0123456789abcdef0123456789abcdef01234567:step:build',
    organization_slug: 'kiln-lab',
    pipeline_slug: 'app',
    build_number: 42,
    build_branch: 'main',
    build_commit: '0123456789abcdef0123456789abcdef01234567',
    step_key: 'build',
    job_id: randomUUID(),
    agent_id: randomUUID(),
  };
}

export class OidcIssuer {
  /** Every token minted, in order, for leak checks and assertions. */
  readonly minted: MintRecord[] = [];
  /** The bearer token a GitHub job holds in ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly githubRequestToken = randomBytes(24).toString('base64url');
  private server: Server | undefined;
  private privateKey: CryptoKey | undefined;
  private jwk: JWK | undefined;
  private readonly kid = randomBytes(8).toString('hex');
  private base = '';

  /** The `iss` of every token: the issuer's own URL, so discovery works from the token alone. */
  get issuer(): string {
    return this.base;
  }

  get jwksUrl(): string {
    return `${this.base}/.well-known/jwks`;
  }

  /** What a GitHub runner puts in ACTIONS_ID_TOKEN_REQUEST_URL (getIDToken appends &audience=). */
  get githubRequestUrl(): string {
    return `${this.base}/github/idtoken?api-version=2.0`;
  }

  /** Environment a GitHub job step with `id-token: write` has. */
  githubEnv(): Record<string, string> {
    return { ACTIONS_ID_TOKEN_REQUEST_URL: this.githubRequestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: this.githubRequestToken };
  }

  /** URL a `buildkite-agent oidc request-token` stub fetches (add &audience= and &lifetime=). */
  get buildkiteTokenUrl(): string {
    return `${this.base}/buildkite/token`;
  }

  async start(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.jwk = { ...(await exportJWK(publicKey)), kid: this.kid, alg: 'RS256', use: 'sig' };
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
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

  /** A signed token; GitHub's and Buildkite's shapes carry their issuers' usual claims. */
  async mint(opts: MintOptions): Promise<string> {
    const key = this.privateKey;
    if (!key) throw new Error('OIDC issuer not started');
    const shape = opts.shape ?? 'plain';
    const shaped = shape === 'github' ? githubClaims() : shape === 'buildkite' ? buildkiteClaims() : { sub: 'lab-subject' };
    const now = Math.floor(Date.now() / 1000);
    const lifetime = opts.lifetimeSeconds ?? 300;
    const claims: JWTPayload = { ...shaped, ...(opts.subject ? { sub: opts.subject } : {}), ...opts.claims };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(this.base)
      .setAudience(opts.audience)
      .setIssuedAt(Math.min(now, now + lifetime - 1))
      .setNotBefore(Math.min(now, now + lifetime - 1))
      .setExpirationTime(now + lifetime)
      .setJti(randomUUID())
      .sign(key);
    this.minted.push({ shape, audience: opts.audience, token });
    return token;
  }

  /**
   * Verifies a token the way a relying party does: signature from the JWKS fetched over HTTP,
   * issuer, audience and lifetime. Throws jose's error (its `code` says which check failed).
   */
  async verify(token: string, audience: string): Promise<JWTPayload> {
    const jwks = createRemoteJWKSet(new URL(this.jwksUrl));
    const { payload } = await jwtVerify(token, jwks, { issuer: this.base, audience, algorithms: ['RS256'] });
    return payload;
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    if (req.method !== 'GET') return this.json(res, 405, { message: 'method not allowed' });
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return this.json(res, 200, {
          issuer: this.base,
          jwks_uri: this.jwksUrl,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public', 'pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf'],
        });
      case '/.well-known/jwks':
        return this.json(res, 200, { keys: [this.jwk] });
      case '/github/idtoken': {
        // The runner's token service refuses a request without the job's bearer token.
        if (req.headers.authorization !== `Bearer ${this.githubRequestToken}`) {
          return this.json(res, 401, { message: 'Unable to get ACTIONS_ID_TOKEN_REQUEST_TOKEN env variable' });
        }
        const audience = url.searchParams.get('audience') ?? 'https://github.com/kiln-lab';
        return this.json(res, 200, { value: await this.mint({ audience, shape: 'github' }) });
      }
      case '/buildkite/token': {
        const audience = url.searchParams.get('audience') ?? 'https://buildkite.com/kiln-lab';
        const lifetime = Number(url.searchParams.get('lifetime') ?? '300') || 300;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(await this.mint({ audience, shape: 'buildkite', lifetimeSeconds: lifetime }));
        return;
      }
      default:
        return this.json(res, 404, { message: 'not found' });
    }
  }
}

/** Starts an issuer; stop() it when done. */
export async function startOidcIssuer(): Promise<OidcIssuer> {
  const issuer = new OidcIssuer();
  await issuer.start();
  return issuer;
}

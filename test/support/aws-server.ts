// A strict local stand-in for the three AWS operations kiln's ECR and AWS OIDC paths call, so the
// real SDKs can be pointed at it through their documented endpoint overrides
// (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_ECR_PUBLIC):
//   STS AssumeRoleWithWebIdentity (query protocol, XML): verifies the web identity JWT against the
//       issuer's JWKS (signature, aud = sts.amazonaws.com, exp) and the role's trust (issuer, sub);
//   ECR GetAuthorizationToken (JSON 1.1) and ECR public GetAuthorizationToken: verify the SigV4
//       signature with the secret of a static key or of a temporary key STS issued, the session
//       token, the date skew; answer `AWS:<password>` tokens the lab registry then accepts.
// Refusals use the real services' error codes so the SDK surfaces what AWS would.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, errors as joseErrors } from 'jose';
import { closeServer, listenLoopback } from './loopback.ts';

export interface RoleTrust {
  /** The OIDC issuer URL the role trusts (its JWKS is fetched from `<issuer>/.well-known/jwks`). */
  issuer: string;
  /** Subjects allowed to assume the role; `*` at the end matches a prefix. */
  subjects: string[];
  /** The account the temporary keys act as (the ECR registry's account id). */
  account: string;
}

export interface AwsServerOptions {
  /** Long-lived keys: access key id -> secret, each acting as the given account. */
  staticKeys?: Record<string, { secret: string; account: string }>;
  /** Role ARN -> trust policy. */
  roles?: Record<string, RoleTrust>;
  /** Lifetime of the registry passwords GetAuthorizationToken issues (default 12 hours, ECR's). */
  registryTokenSeconds?: number;
  /** Lifetime of STS temporary keys when the caller asks for none (default 3600). */
  sessionSeconds?: number;
}

interface Principal {
  secret: string;
  account: string;
  sessionToken?: string;
  expiresAt?: number;
}

export interface AwsCallRecord {
  operation: string;
  status: number;
  error?: string;
  accessKeyId?: string;
}

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ECR_TARGET = 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken';
const ECR_PUBLIC_TARGET = 'SpencerFrontendService.GetAuthorizationToken';
const MAX_SKEW_MS = 5 * 60 * 1000;

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `20261207T061500Z` -> ms since the epoch. */
function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

export class AwsServer {
  readonly calls: AwsCallRecord[] = [];
  /** Every secret the server handed out (temporary keys, registry passwords), for leak checks. */
  readonly issuedSecrets: string[] = [];
  private readonly principals = new Map<string, Principal>();
  private readonly registryPasswords = new Map<string, { account: string; expiresAt: number }>();
  private server: Server | undefined;
  private base = '';

  constructor(private readonly opts: AwsServerOptions = {}) {
    for (const [id, key] of Object.entries(opts.staticKeys ?? {})) this.principals.set(id, { ...key });
  }

  get url(): string {
    return this.base;
  }

  /** The endpoint overrides the AWS SDKs read, all pointing here. */
  endpointEnv(): Record<string, string> {
    return { AWS_ENDPOINT_URL_STS: this.base, AWS_ENDPOINT_URL_ECR: this.base, AWS_ENDPOINT_URL_ECR_PUBLIC: this.base };
  }

  /** For the lab token server's `authenticate`: the account behind an unexpired ECR password. */
  accepts(user: string, password: string): string | undefined {
    const entry = this.registryPasswords.get(password);
    if (user !== 'AWS' || !entry || entry.expiresAt <= Date.now()) return undefined;
    return `ecr:${entry.account}`;
  }

  async start(): Promise<void> {
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = req.headers['x-amz-target'];
    if (req.method === 'POST' && (target === ECR_TARGET || target === ECR_PUBLIC_TARGET)) {
      return this.ecr(req, res, body, target === ECR_PUBLIC_TARGET);
    }
    const form = new URLSearchParams(req.method === 'POST' ? body.toString('utf8') : (req.url ?? '').split('?')[1] ?? '');
    if (form.get('Action') === 'AssumeRoleWithWebIdentity') return this.assumeRole(res, form);
    this.calls.push({ operation: String(target ?? form.get('Action') ?? 'unknown'), status: 400, error: 'InvalidAction' });
    res.writeHead(400, { 'content-type': 'text/xml' });
    res.end(this.stsErrorXml('InvalidAction', 'Could not find operation'));
  }

  private stsErrorXml(code: string, message: string): string {
    return `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  }

  private async assumeRole(res: ServerResponse, form: URLSearchParams): Promise<void> {
    const record: AwsCallRecord = { operation: 'AssumeRoleWithWebIdentity', status: 200 };
    this.calls.push(record);
    try {
      const roleArn = form.get('RoleArn') ?? '';
      const sessionName = form.get('RoleSessionName') ?? '';
      const token = form.get('WebIdentityToken') ?? '';
      if (form.get('Version') !== '2011-06-15') throw new AwsError(400, 'InvalidParameterValue', 'Unsupported Version');
      if (!roleArn || !sessionName || !token) throw new AwsError(400, 'MissingParameter', 'RoleArn, RoleSessionName and WebIdentityToken are required');
      if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) throw new AwsError(400, 'ValidationError', `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`);
      const trust = this.opts.roles?.[roleArn];
      const payload = await this.verifyWebIdentity(token, trust);
      const sub = String(payload.sub ?? '');
      if (!trust || !trust.subjects.some((s) => (s.endsWith('*') ? sub.startsWith(s.slice(0, -1)) : s === sub))) {
        throw new AwsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
      }
      const duration = Number(form.get('DurationSeconds') ?? this.opts.sessionSeconds ?? 3600);
      const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
      const secret = randomBytes(30).toString('base64');
      const sessionToken = randomBytes(48).toString('base64');
      const expiresAt = Date.now() + duration * 1000;
      this.principals.set(accessKeyId, { secret, account: trust.account, sessionToken, expiresAt });
      this.issuedSecrets.push(secret, sessionToken);
      record.accessKeyId = accessKeyId;
      const roleName = roleArn.split('/').pop() ?? roleArn;
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<AssumeRoleWithWebIdentityResponse xmlns="${STS_NS}"><AssumeRoleWithWebIdentityResult>` +
          `<SubjectFromWebIdentityToken>${xmlEscape(sub)}</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience>` +
          `<AssumedRoleUser><Arn>arn:aws:sts::${trust.account}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(sessionName)}</Arn><AssumedRoleId>AROA${randomBytes(8).toString('hex').toUpperCase()}:${xmlEscape(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
          `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey><SessionToken>${sessionToken}</SessionToken><Expiration>${new Date(expiresAt).toISOString()}</Expiration></Credentials>` +
          `<Provider>${xmlEscape(trust.issuer)}</Provider></AssumeRoleWithWebIdentityResult>` +
          `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
      );
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError(500, 'InternalFailure', String(err));
      record.status = e.status;
      record.error = e.code;
      res.writeHead(e.status, { 'content-type': 'text/xml' });
      res.end(this.stsErrorXml(e.code, e.message));
    }
  }

  private async verifyWebIdentity(token: string, trust: RoleTrust | undefined) {
    if (!trust) throw new AwsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    try {
      const jwks = createRemoteJWKSet(new URL(`${trust.issuer}/.well-known/jwks`));
      const { payload } = await jwtVerify(token, jwks, { issuer: trust.issuer, audience: 'sts.amazonaws.com', algorithms: ['RS256'] });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new AwsError(400, 'ExpiredTokenException', 'Token expired: current date/time is after the token expiry');
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud') {
        throw new AwsError(400, 'InvalidIdentityToken', 'Incorrect token audience');
      }
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'iss') {
        throw new AwsError(400, 'InvalidIdentityToken', 'No OpenIDConnect provider found in your account for this issuer');
      }
      throw new AwsError(400, 'InvalidIdentityToken', 'The web identity token that was passed could not be validated by AWS');
    }
  }

  private ecr(req: IncomingMessage, res: ServerResponse, body: Buffer, isPublic: boolean): void {
    const record: AwsCallRecord = { operation: isPublic ? 'ecr-public:GetAuthorizationToken' : 'ecr:GetAuthorizationToken', status: 200 };
    this.calls.push(record);
    try {
      if (req.headers['content-type'] !== 'application/x-amz-json-1.1') {
        throw new AwsError(400, 'SerializationException', 'Expected application/x-amz-json-1.1');
      }
      const principal = this.verifySignature(req, body, isPublic ? 'ecr-public' : 'ecr', record);
      const input = JSON.parse(body.toString('utf8') || '{}') as { registryIds?: string[] };
      if (input.registryIds?.some((id) => id !== principal.account)) {
        throw new AwsError(400, 'AccessDeniedException', `User is not authorized to perform: ecr:GetAuthorizationToken on registry ${input.registryIds.join(',')}`);
      }
      const password = randomBytes(64).toString('base64');
      const expiresAt = Date.now() + (this.opts.registryTokenSeconds ?? 12 * 3600) * 1000;
      this.registryPasswords.set(password, { account: principal.account, expiresAt });
      this.issuedSecrets.push(password);
      const data = { authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'), expiresAt: expiresAt / 1000 };
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? 'us-east-1';
      const out = isPublic
        ? { authorizationData: data }
        : { authorizationData: [{ ...data, proxyEndpoint: `https://${principal.account}.dkr.ecr.${region}.amazonaws.com` }] };
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(out));
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError(500, 'InternalFailure', String(err));
      record.status = e.status;
      record.error = e.code;
      res.writeHead(e.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': e.code, 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify({ __type: e.code, message: e.message }));
    }
  }

  /** Recomputes the SigV4 signature of the request; the principal it was signed for, or throws. */
  private verifySignature(req: IncomingMessage, body: Buffer, service: string, record: AwsCallRecord): Principal {
    const auth = req.headers.authorization ?? '';
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) throw new AwsError(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const [, accessKeyId, day, region, signedService, signedHeaders, signature] = m as unknown as string[];
    record.accessKeyId = accessKeyId;
    const principal = this.principals.get(accessKeyId!);
    if (!principal) throw new AwsError(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (principal.sessionToken !== undefined) {
      if (!safeEqual(String(req.headers['x-amz-security-token'] ?? ''), principal.sessionToken)) {
        throw new AwsError(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      }
      if ((principal.expiresAt ?? 0) <= Date.now()) throw new AwsError(400, 'ExpiredTokenException', 'The security token included in the request is expired');
    }
    if (signedService !== service) throw new AwsError(400, 'InvalidSignatureException', `Credential should be scoped to correct service: '${service}'.`);
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const when = parseAmzDate(amzDate);
    if (Number.isNaN(when) || !amzDate.startsWith(day!)) throw new AwsError(400, 'IncompleteSignatureException', 'Date must be in ISO-8601 basic format and match the credential scope');
    if (Math.abs(Date.now() - when) > MAX_SKEW_MS) throw new AwsError(400, 'InvalidSignatureException', 'Signature expired: the request time is too far from the server time.');
    const headerNames = signedHeaders!.split(';');
    if (!headerNames.includes('host') || !headerNames.includes('x-amz-date')) {
      throw new AwsError(400, 'InvalidSignatureException', 'The host and x-amz-date headers must be signed.');
    }
    if (principal.sessionToken !== undefined && !headerNames.includes('x-amz-security-token')) {
      throw new AwsError(400, 'InvalidSignatureException', 'x-amz-security-token must be signed.');
    }
    const url = new URL(req.url ?? '/', 'http://local');
    const query = [...url.searchParams].map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).sort().join('&');
    const canonicalHeaders = headerNames
      .map((name) => {
        const value = req.headers[name];
        const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
        return `${name}:${joined.trim().replace(/\s+/g, ' ')}\n`;
      })
      .join('');
    const path = url.pathname.split('/').map((seg) => uriEncode(uriEncode(decodeURIComponent(seg)))).join('/');
    const canonicalRequest = [req.method, path, query, canonicalHeaders, signedHeaders, sha256Hex(body)].join('\n');
    const scope = `${day}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${principal.secret}`, day!), region!), service), 'aws4_request');
    const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
    if (!safeEqual(expected, signature!)) {
      throw new AwsError(400, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
    }
    return principal;
  }
}

/** Starts a server; stop() it when done. */
export async function startAwsServer(opts: AwsServerOptions = {}): Promise<AwsServer> {
  const server = new AwsServer(opts);
  await server.start();
  return server;
}

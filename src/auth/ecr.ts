// Amazon ECR as a built-in credential source, as amazon-ecr-credential-helper does it: the registry
// host names the account and region, GetAuthorizationToken (signed with whatever the AWS SDK's
// default chain finds: env keys, a web identity token file, container or instance credentials)
// answers a base64 `AWS:<password>` good for hours. ECR public (public.ecr.aws) is always
// authorised in us-east-1. The SDKs read AWS_ENDPOINT_URL_ECR / _ECR_PUBLIC themselves.
// The SDKs are imported when a lookup needs them: a build that never meets ECR does not load them.
import { namedExports } from '../util/package-import.ts';
import type { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { BuilderError } from '../util/errors.ts';
import { registerSecret } from '../util/redact.ts';
import type { Answer, CredentialSource } from './source.ts';

export type EcrRegistry = { kind: 'private'; account: string; region: string; fips: boolean } | { kind: 'public' };

// Private registries: <12-digit account>.dkr.ecr[-fips].<region>.<partition domain>, or the
// dual-stack form <account>.dkr-ecr[-fips].<region>.on.aws (on.amazonwebservices.com.cn in China).
const PRIVATE_HOST =
  /^(\d{12})\.dkr([.-])ecr(-fips)?\.([a-z0-9][a-z0-9-]*)\.(amazonaws\.com|amazonaws\.com\.cn|amazonaws\.eu|on\.aws|on\.amazonwebservices\.com\.cn|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;
const DUAL_STACK_DOMAINS = new Set(['on.aws', 'on.amazonwebservices.com.cn']);
const PUBLIC_HOST = 'public.ecr.aws';
/** ECR public's API lives in one region only. */
const PUBLIC_REGION = 'us-east-1';
/** How long the instance metadata service may take before the chain passes to the next source. */
const METADATA_TIMEOUT_MS = 1000;

/** The ECR registry a host names, or undefined for any other host. */
export function parseEcrHost(registry: string): EcrRegistry | undefined {
  const host = registry.toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (host === PUBLIC_HOST) return { kind: 'public' };
  const m = PRIVATE_HOST.exec(host);
  if (!m) return undefined;
  const [, account, separator, fips, region, domain] = m as unknown as [string, string, string, string | undefined, string, string];
  // Dual-stack hosts spell `dkr-ecr`; the IPv4 ones `dkr.ecr`. A mix is no ECR host.
  if ((separator === '-') !== DUAL_STACK_DOMAINS.has(domain)) return undefined;
  return { kind: 'private', account, region, fips: fips !== undefined };
}

function describe(reg: EcrRegistry): string {
  return reg.kind === 'public' ? 'ECR public' : `ECR account ${reg.account} in ${reg.region}${reg.fips ? ' (FIPS)' : ''}`;
}

/** Splits ECR's base64 `AWS:<password>` token into a basic credential (both halves redacted). */
function decodeToken(token: string, registry: string): Answer['credential'] {
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new BuilderError('CREDENTIALS', `ecr: GetAuthorizationToken for ${registry} returned a malformed token`);
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  registerSecret(token);
  registerSecret(password);
  return { kind: 'basic', username, password };
}

type CredentialProvider = ReturnType<typeof fromNodeProviderChain>;
type AwsCredentialIdentity = Awaited<ReturnType<CredentialProvider>>;
type Credentials = AwsCredentialIdentity | CredentialProvider;

/**
 * GetAuthorizationToken for an ECR registry host with the given AWS credentials: the registry
 * credential and when it expires. SDK errors propagate (callers word them for their context).
 */
export async function ecrAuthorization(registry: string, reg: EcrRegistry, credentials: Credentials): Promise<{ credential: Answer['credential']; expiresAt?: number }> {
  if (reg.kind === 'public') {
    const { ECRPUBLICClient, GetAuthorizationTokenCommand: GetPublicAuthorizationTokenCommand } = namedExports(await import('@aws-sdk/client-ecr-public'));
    const client = new ECRPUBLICClient({ region: PUBLIC_REGION, credentials });
    const out = await client.send(new GetPublicAuthorizationTokenCommand({}));
    const data = out.authorizationData;
    if (!data?.authorizationToken) throw new BuilderError('CREDENTIALS', `ecr: GetAuthorizationToken for ${registry} returned no token`);
    return { credential: decodeToken(data.authorizationToken, registry), expiresAt: data.expiresAt?.getTime() };
  }
  const { ECRClient, GetAuthorizationTokenCommand } = namedExports(await import('@aws-sdk/client-ecr'));
  const client = new ECRClient({ region: reg.region, credentials, useFipsEndpoint: reg.fips });
  const out = await client.send(new GetAuthorizationTokenCommand({ registryIds: [reg.account] }));
  const data = out.authorizationData?.[0];
  if (!data?.authorizationToken) throw new BuilderError('CREDENTIALS', `ecr: GetAuthorizationToken for ${registry} returned no token`);
  return { credential: decodeToken(data.authorizationToken, registry), expiresAt: data.expiresAt?.getTime() };
}

/** AWS's wording of a refusal, one line, with no secret in it (the SDK's messages carry none). */
export function awsErrorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message.split('\n')[0]}`;
  return String(err);
}

/** Where the SDK's default chain will look first, for the `why` of an answer; never a secret. */
function identityHint(env: NodeJS.ProcessEnv): string {
  if (env.AWS_ACCESS_KEY_ID) return 'AWS_ACCESS_KEY_ID';
  if (env.AWS_ROLE_ARN && env.AWS_WEB_IDENTITY_TOKEN_FILE) return 'AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE';
  if (env.AWS_PROFILE) return `AWS_PROFILE=${env.AWS_PROFILE}`;
  return 'the AWS default credential chain';
}

export function ecrSource(env: NodeJS.ProcessEnv = process.env): CredentialSource {
  return {
    name: 'ecr',
    claims(registry) {
      const reg = parseEcrHost(registry);
      return reg ? `${registry} is ${describe(reg)}` : undefined;
    },
    async lookup(registry) {
      const reg = parseEcrHost(registry);
      if (!reg) return undefined;
      // STS (for web identity) is asked in the registry's own region.
      const region = reg.kind === 'public' ? PUBLIC_REGION : reg.region;
      const { fromNodeProviderChain } = namedExports(await import('@aws-sdk/credential-providers'));
      const provider = fromNodeProviderChain({ timeout: METADATA_TIMEOUT_MS, maxRetries: 0, clientConfig: { region } });
      let credentials: AwsCredentialIdentity;
      try {
        credentials = await provider();
      } catch (err) {
        // No AWS identity on this machine: not an error, the next source (or anonymous) may do.
        if (err instanceof Error && err.name === 'CredentialsProviderError') return undefined;
        throw new BuilderError('CREDENTIALS', `ecr: no AWS credentials for ${registry}: ${awsErrorText(err)}`);
      }
      registerSecret(credentials.secretAccessKey);
      registerSecret(credentials.sessionToken);
      try {
        const { credential, expiresAt } = await ecrAuthorization(registry, reg, credentials);
        return { credential, expiresAt, why: `${registry} is ${describe(reg)}; GetAuthorizationToken signed with ${identityHint(env)}` };
      } catch (err) {
        if (err instanceof BuilderError) throw err;
        throw new BuilderError('CREDENTIALS', `ecr: GetAuthorizationToken for ${registry} failed: ${awsErrorText(err)}`);
      }
    },
  };
}

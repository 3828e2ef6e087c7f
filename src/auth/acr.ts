// Azure Container Registry as a built-in credential source, as `az acr login` does it: an Entra ID
// access token for the cloud's Resource Manager audience (from @azure/identity: a client secret,
// a workload identity token file, or the managed identity), exchanged at the registry's own
// POST /oauth2/exchange for an ACR refresh token. That refresh token is the docker
// `identitytoken` (user 00000000-0000-0000-0000-000000000000) the registry client trades at the
// registry's token endpoint. The OIDC provider (oidc/azure.ts) shares the exchange.
// @azure/identity is imported when a credential is made: a build that never meets ACR does not load it.
import { namedExports } from '../util/package-import.ts';
import type { TokenCredential } from '@azure/identity';
import { decodeJwt } from 'jose';
import { Agent, fetch } from 'undici';
import { BuilderError } from '../util/errors.ts';
import { redact, registerSecret } from '../util/redact.ts';
import { withTimeout } from '../util/timeout.ts';
import { trustedRoots } from '../util/trust-store.ts';
import type { RegistryFormPost } from './credential.ts';
import type { Answer, CredentialSource } from './source.ts';

/** The user name ACR expects beside a refresh token (docker's identitytoken). */
export const ACR_TOKEN_USER = '00000000-0000-0000-0000-000000000000';
/** What Entra's workload identity federation expects as the audience of an external token. */
export const FEDERATION_AUDIENCE = 'api://AzureADTokenExchange';
/** Off Azure no managed identity endpoint answers; waiting longer only delays the next source. */
const MANAGED_IDENTITY_TIMEOUT_MS = 5000;
const EXCHANGE_TIMEOUT_MS = 30_000;

interface AzureCloud {
  /** The Resource Manager audience ACR accepts tokens for (@azure/container-registry's KnownContainerRegistryAudience). */
  audience: string;
  /** Entra's login host for that cloud, when AZURE_AUTHORITY_HOST names none. */
  authorityHost: string;
}

// Login servers by suffix. (azurecr.de belonged to Azure Germany, closed in 2021.)
const CLOUDS: Record<string, AzureCloud> = {
  'azurecr.io': { audience: 'https://management.azure.com', authorityHost: 'https://login.microsoftonline.com' },
  'azurecr.cn': { audience: 'https://management.chinacloudapi.cn', authorityHost: 'https://login.chinacloudapi.cn' },
  'azurecr.us': { audience: 'https://management.usgovcloudapi.net', authorityHost: 'https://login.microsoftonline.us' },
};

// A registry name (5-50 alphanumerics, or with a domain-name-label hash) and, for geo-replicas,
// more labels before the suffix: `name.azurecr.io`, `name-hash.azurecr.io`, `name.westeurope.geo.azurecr.io`.
const HOST = /^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)*\.(azurecr\.(?:io|cn|us))$/;

/** The Azure cloud an ACR login server belongs to, or undefined for any other host. */
export function parseAcrHost(registry: string): AzureCloud | undefined {
  const m = HOST.exec(registry.toLowerCase());
  return m ? CLOUDS[m[1] as string] : undefined;
}

/**
 * Options every @azure/identity credential of ours gets: the authority (AZURE_AUTHORITY_HOST or
 * the registry's cloud), no instance discovery (it would only ask login.microsoftonline.com to
 * vouch for an authority we already chose, unreachable from sovereign clouds), and the CAs kiln
 * trusts for registries (SSL_CERT_FILE / SSL_CERT_DIR) so a proxy's or lab's CA is honoured.
 */
export function azureCredentialOptions(cloud: AzureCloud, env: NodeJS.ProcessEnv, authorityHost = env.AZURE_AUTHORITY_HOST) {
  const ca = trustedRoots();
  return {
    authorityHost: authorityHost || cloud.authorityHost,
    disableInstanceDiscovery: true,
    ...(ca ? { tlsOptions: { ca: ca.join('\n') } } : {}),
  };
}

/** Entra's wording of a refusal in one line (its AADSTS code and description), no secret in it. */
export function entraErrorText(err: unknown): string {
  const response = (err as { errorResponse?: { error?: string; errorDescription?: string } }).errorResponse;
  if (response?.error) return `${response.error}: ${(response.errorDescription ?? '').split('\n')[0]?.trim()}`;
  const message = err instanceof Error ? err.message : String(err);
  return redact(message.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 2).join(' '));
}

/** An Entra access token for the registry's cloud, its secret registered. */
export async function entraToken(credential: TokenCredential, cloud: AzureCloud): Promise<{ token: string; expiresAt: number }> {
  const got = await credential.getToken(`${cloud.audience}/.default`);
  if (!got?.token) throw new Error('Entra ID answered without an access token');
  registerSecret(got.token);
  return { token: got.token, expiresAt: got.expiresOnTimestamp };
}

let directAgent: Agent | undefined;

/**
 * Without the registry client's connections (the wrappers mint before any build), the exchange
 * goes straight to the login server, trusting what kiln trusts for registries.
 */
const postDirect: RegistryFormPost = async (url, form) => {
  const ca = trustedRoots();
  directAgent ??= new Agent(ca ? { connect: { ca } } : {});
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
    dispatcher: directAgent,
  });
  return { status: res.status, text: await res.text() };
};

/**
 * POST /oauth2/exchange on the registry: an Entra access token for an ACR refresh token, answered
 * as docker's identitytoken. Refusals are passed on in one line naming `who` and the registry.
 */
export async function acrRefreshToken(
  who: string,
  registry: string,
  aad: { token: string; expiresAt: number },
  tenant: string | undefined,
  post: RegistryFormPost = postDirect,
): Promise<Pick<Answer, 'credential' | 'expiresAt'>> {
  const form = new URLSearchParams({ grant_type: 'access_token', service: registry, access_token: aad.token });
  if (tenant) form.set('tenant', tenant);
  let status: number;
  let text: string;
  try {
    ({ status, text } = await post(`https://${registry}/oauth2/exchange`, form));
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new BuilderError('CREDENTIALS', redact(`${who}: ${registry}/oauth2/exchange is unreachable: ${cause ?? (err as Error).message}`));
  }
  let body: { refresh_token?: unknown; errors?: { message?: string }[]; error?: string; error_description?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON: the status alone says what happened.
  }
  if (status !== 200 || typeof body.refresh_token !== 'string' || !body.refresh_token) {
    const reason = body.errors?.[0]?.message ?? body.error_description ?? body.error ?? text.slice(0, 200);
    throw new BuilderError('CREDENTIALS', redact(`${who}: ${registry} refused the Entra ID token at /oauth2/exchange (${status}): ${reason.split('\n')[0]}`));
  }
  const refreshToken = body.refresh_token;
  registerSecret(refreshToken);
  let expiresAt = aad.expiresAt;
  try {
    const exp = decodeJwt(refreshToken).exp;
    if (exp !== undefined) expiresAt = exp * 1000;
  } catch {
    // Not a JWT we can read: it lives at least as long as the Entra token it came from.
  }
  return { credential: { kind: 'identityToken', identityToken: refreshToken, username: ACR_TOKEN_USER }, expiresAt };
}

/** A client assertion credential for an external (OIDC) token: what the OIDC provider signs in with. */
export async function federatedCredential(tenantId: string, clientId: string, assertion: () => Promise<string>, cloud: AzureCloud, env: NodeJS.ProcessEnv, authorityHost?: string): Promise<TokenCredential> {
  const { ClientAssertionCredential } = namedExports(await import('@azure/identity'));
  return new ClientAssertionCredential(tenantId, clientId, assertion, azureCredentialOptions(cloud, env, authorityHost ?? env.AZURE_AUTHORITY_HOST));
}

interface Identity {
  credential: TokenCredential;
  why: string;
  /** Managed identity: no answer in time means there is none here. */
  ambient: boolean;
}

/** @azure/identity's "prod" chain in its order: the environment's secret, workload identity, managed identity. */
async function identityFor(cloud: AzureCloud, env: NodeJS.ProcessEnv): Promise<Identity> {
  const { ClientSecretCredential, ManagedIdentityCredential, WorkloadIdentityCredential } = namedExports(await import('@azure/identity'));
  const { AZURE_TENANT_ID: tenant, AZURE_CLIENT_ID: client, AZURE_CLIENT_SECRET: secret, AZURE_FEDERATED_TOKEN_FILE: tokenFile } = env;
  const options = azureCredentialOptions(cloud, env);
  if (tenant && client && secret) {
    registerSecret(secret);
    return { credential: new ClientSecretCredential(tenant, client, secret, options), why: `client secret of AZURE_CLIENT_ID=${client}`, ambient: false };
  }
  if (tenant && client && tokenFile) {
    return {
      credential: new WorkloadIdentityCredential({ ...options, tenantId: tenant, clientId: client, tokenFilePath: tokenFile }),
      why: `workload identity of AZURE_CLIENT_ID=${client} (AZURE_FEDERATED_TOKEN_FILE=${tokenFile})`,
      ambient: false,
    };
  }
  return {
    credential: new ManagedIdentityCredential({ ...options, ...(client ? { clientId: client } : {}), retryOptions: { maxRetries: 0 } }),
    why: client ? `managed identity ${client}` : 'the managed identity',
    ambient: true,
  };
}

export function acrSource(env: NodeJS.ProcessEnv = process.env): CredentialSource {
  return {
    name: 'acr',
    claims(registry) {
      return parseAcrHost(registry) ? `${registry} is an Azure container registry (*.azurecr.io, .cn, .us)` : undefined;
    },
    async lookup(registry, _repository, context) {
      const cloud = parseAcrHost(registry);
      if (!cloud) return undefined;
      const identity = await identityFor(cloud, env);
      let aad: { token: string; expiresAt: number } | undefined;
      if (identity.ambient) {
        // No managed identity on this machine (or none in time): the next source may do.
        aad = await withTimeout(entraToken(identity.credential, cloud).catch(() => undefined), MANAGED_IDENTITY_TIMEOUT_MS);
        if (!aad) return undefined;
      } else {
        try {
          aad = await entraToken(identity.credential, cloud);
        } catch (err) {
          throw new BuilderError('CREDENTIALS', `acr: Entra ID refused the ${identity.why} for ${registry}: ${entraErrorText(err)}`);
        }
      }
      const answer = await acrRefreshToken('acr', registry, aad, env.AZURE_TENANT_ID, context?.post);
      return { ...answer, why: `${registry} is an Azure container registry; Entra ID token from the ${identity.why}, exchanged at /oauth2/exchange` };
    },
  };
}

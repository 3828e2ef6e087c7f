// GCP: the subject token is exchanged at Google's STS for a federated access token of the
// workload identity pool (RFC 8693), optionally traded with IAM credentials' generateAccessToken
// for a service account's token (what google-github-actions/auth does). Both calls are
// google-auth-library's external-account client, fed the token we already hold. The endpoints
// follow gcloud's documented overrides, CLOUDSDK_API_ENDPOINT_OVERRIDES_STS / _IAMCREDENTIALS.
import { namedExports } from '../../util/package-import.ts';
import { BuilderError } from '../../util/errors.ts';
import { redact, registerSecret } from '../../util/redact.ts';
import { GOOGLE_ACCESS_TOKEN_USER, isGoogleRegistry } from '../google.ts';
import type { Answer } from '../source.ts';
import type { OidcProviderSpec } from './types.ts';

type Spec = Extract<OidcProviderSpec, { provider: 'gcp' }>;

const IAM_PREFIX = '//iam.googleapis.com/';
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** `projects/N/locations/global/workloadIdentityPools/P/providers/X`, with or without `//iam.googleapis.com/`. */
function providerResource(spec: Spec): string {
  return spec.workloadIdentityProvider.replace(/^(https:)?\/\/iam\.googleapis\.com\//, '');
}

/** What google-github-actions/auth asks GitHub for: the provider's resource URL. */
export function audienceFor(spec: Spec): string {
  return `https://iam.googleapis.com/${providerResource(spec)}`;
}

/** A gcloud endpoint override (a base URL, e.g. `https://sts.googleapis.com/`) joined with a path. */
function endpoint(override: string | undefined, fallback: string, path: string): string {
  return new URL(path, (override || fallback).replace(/\/?$/, '/')).toString();
}

export async function exchange(spec: Spec, registry: string, subjectToken: string, env: NodeJS.ProcessEnv): Promise<Answer> {
  if (!isGoogleRegistry(registry)) throw new BuilderError('USAGE', `oidc gcp: ${registry} is not a Google registry (gcr.io, *.gcr.io, *.pkg.dev)`);
  const sa = spec.serviceAccount;
  // Imported here, so that only a build minting Google credentials loads the library.
  const { IdentityPoolClient } = namedExports(await import('google-auth-library'));
  const client = new IdentityPoolClient({
    type: 'external_account',
    audience: `${IAM_PREFIX}${providerResource(spec)}`,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: endpoint(env.CLOUDSDK_API_ENDPOINT_OVERRIDES_STS, 'https://sts.googleapis.com/', 'v1/token'),
    ...(sa
      ? { service_account_impersonation_url: endpoint(env.CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS, 'https://iamcredentials.googleapis.com/', `v1/projects/-/serviceAccounts/${encodeURIComponent(sa)}:generateAccessToken`) }
      : {}),
    subject_token_supplier: { getSubjectToken: async () => subjectToken },
    scopes: [CLOUD_PLATFORM_SCOPE],
  });
  let token: string | null | undefined;
  try {
    ({ token } = await client.getAccessToken());
  } catch (err) {
    const step = sa ? `STS exchange or impersonation of ${sa}` : 'STS exchange';
    throw new BuilderError('CREDENTIALS', redact(`oidc gcp: ${step} for ${providerResource(spec)} refused for ${registry}: ${(err as Error).message.split('\n')[0]}`));
  }
  if (!token) throw new BuilderError('CREDENTIALS', `oidc gcp: STS answered no access token for ${registry}`);
  registerSecret(token);
  return {
    credential: { kind: 'basic', username: GOOGLE_ACCESS_TOKEN_USER, password: token },
    expiresAt: client.credentials.expiry_date ?? undefined,
    why: `OIDC token exchanged at STS for ${providerResource(spec)}${sa ? `, impersonating ${sa}` : ''}, for ${registry}`,
  };
}

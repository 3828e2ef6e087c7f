// Azure: the subject token is the client assertion of an Entra app with a federated identity
// credential trusting the CI issuer (what azure/login does with GitHub's token), signed in with
// @azure/identity's ClientAssertionCredential; the Entra token is then exchanged at the registry's
// /oauth2/exchange like the acr source does (auth/acr.ts, shared).
import { BuilderError } from '../../util/errors.ts';
import { acrRefreshToken, entraErrorText, entraToken, FEDERATION_AUDIENCE, federatedCredential, parseAcrHost } from '../acr.ts';
import type { LookupContext } from '../credential.ts';
import type { Answer } from '../source.ts';
import type { OidcProviderSpec } from './types.ts';

type Spec = Extract<OidcProviderSpec, { provider: 'azure' }>;

/** The audience Entra's workload identity federation expects in external tokens. */
export function audienceFor(_spec: Spec): string {
  return FEDERATION_AUDIENCE;
}

export async function exchange(spec: Spec, registry: string, subjectToken: string, env: NodeJS.ProcessEnv, context?: LookupContext): Promise<Answer> {
  const cloud = parseAcrHost(registry);
  if (!cloud) throw new BuilderError('USAGE', `oidc azure: ${registry} is not an Azure container registry (<name>.azurecr.io, .azurecr.cn, .azurecr.us)`);
  const credential = await federatedCredential(spec.tenantId, spec.clientId, async () => subjectToken, cloud, env, spec.authorityHost);
  let aad;
  try {
    aad = await entraToken(credential, cloud);
  } catch (err) {
    throw new BuilderError('CREDENTIALS', `oidc azure: Entra ID refused the OIDC token as client ${spec.clientId} of tenant ${spec.tenantId} for ${registry}: ${entraErrorText(err)}`);
  }
  const answer = await acrRefreshToken('oidc azure', registry, aad, spec.tenantId, context?.post);
  return { ...answer, why: `OIDC token as the client assertion of ${spec.clientId}, then /oauth2/exchange at ${registry}` };
}

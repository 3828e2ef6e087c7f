// One entry point for every face: read the CI job's subject token for the provider's audience,
// exchange it with the provider's token service, hand back registry credentials.
import { BuilderError } from '../../util/errors.ts';
import type { LookupContext } from '../credential.ts';
import type { Answer } from '../source.ts';
import * as aws from './aws.ts';
import * as azure from './azure.ts';
import * as buildkitePackages from './buildkite-packages.ts';
import * as gcp from './gcp.ts';
import { readSubjectToken } from './subject-token.ts';
import type { OidcProvider, OidcProviderSpec, OidcRequest } from './types.ts';

interface ProviderModule<S extends OidcProviderSpec> {
  audienceFor(spec: S): string;
  exchange(spec: S, registry: string, subjectToken: string, env: NodeJS.ProcessEnv, context?: LookupContext): Promise<Answer>;
}

type ProviderTable = { [P in OidcProvider]?: ProviderModule<Extract<OidcProviderSpec, { provider: P }>> };

const PROVIDERS: ProviderTable = {
  aws,
  gcp,
  azure,
  'buildkite-packages': buildkitePackages,
};

function providerFor(spec: OidcProviderSpec): ProviderModule<OidcProviderSpec> {
  const mod = PROVIDERS[spec.provider] as ProviderModule<OidcProviderSpec> | undefined;
  if (!mod) throw new BuilderError('USAGE', `oidc: provider "${spec.provider}" is not supported by this build of kiln`);
  return mod;
}

/** The audience the provider's token service expects, when the user names none. */
export function defaultAudience(spec: OidcProviderSpec): string {
  return providerFor(spec).audienceFor(spec);
}

export async function mintRegistryCredential(req: OidcRequest, env: NodeJS.ProcessEnv = process.env, context?: LookupContext): Promise<Answer> {
  const provider = providerFor(req.spec);
  const subjectToken = await readSubjectToken(req.subject, provider.audienceFor(req.spec), env);
  return provider.exchange(req.spec, req.registry, subjectToken, env, context);
}

// `kiln auth oidc --provider P --registry HOST [provider fields] (--token-file F | --github |
// --buildkite) [--audience A]`: mints registry credentials from the CI job's OIDC token
// (src/auth/oidc/) and writes them into a private DOCKER_CONFIG directory, which it prints. The
// provider and subject flags are shared with `kiln auth configure --oidc/--helper`.
import type { FlagSpec, ParsedArgs } from '../flags.ts';
import { configureLogin, privateDockerConfigDir } from '../../auth/configure.ts';
import { mintRegistryCredential } from '../../auth/oidc/index.ts';
import type { OidcProvider, OidcProviderSpec, SubjectTokenSource } from '../../auth/oidc/types.ts';
import { parseServerKey } from '../../auth/server-key.ts';
import { BuilderError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';
import type { AuthAction } from './auth.ts';

/** Each provider's fields: flag -> required. */
const PROVIDER_FIELDS: Record<OidcProvider, Record<string, boolean>> = {
  aws: { 'role-arn': true },
  gcp: { 'workload-identity-provider': true, 'service-account': false },
  azure: { 'client-id': true, 'tenant-id': true },
  'buildkite-packages': { organization: true, 'package-registry': true },
};
const PROVIDERS = Object.keys(PROVIDER_FIELDS) as OidcProvider[];

export const registryFlag: FlagSpec = { name: 'registry', type: 'string', value: 'HOST', help: 'the registry host the credential is for' };
export const dockerConfigFlag: FlagSpec = { name: 'docker-config', type: 'string', value: 'DIR', help: 'write DIR/config.json (default: a new private temp directory)' };

export const oidcFlags: FlagSpec[] = [
  { name: 'provider', type: 'string', value: PROVIDERS.join('|'), help: 'the token service the OIDC token is exchanged with' },
  { name: 'role-arn', type: 'string', value: 'ARN', help: 'aws: the IAM role to assume with the token' },
  { name: 'workload-identity-provider', type: 'string', value: 'RESOURCE', help: 'gcp: projects/N/locations/global/workloadIdentityPools/P/providers/X' },
  { name: 'service-account', type: 'string', value: 'EMAIL', help: 'gcp: a service account to impersonate (optional)' },
  { name: 'client-id', type: 'string', value: 'ID', help: 'azure: the Entra application (client) id' },
  { name: 'tenant-id', type: 'string', value: 'ID', help: 'azure: the Entra tenant id' },
  { name: 'organization', type: 'string', value: 'SLUG', help: 'buildkite-packages: the Buildkite organization' },
  { name: 'package-registry', type: 'string', value: 'SLUG', help: 'buildkite-packages: the package registry in it' },
  { name: 'token-file', type: 'string', value: 'PATH', help: 'the OIDC token is in PATH (read anew each time)' },
  { name: 'github', type: 'bool', default: false, help: "ask GitHub Actions for the token (ACTIONS_ID_TOKEN_REQUEST_URL; needs id-token: write)" },
  { name: 'buildkite', type: 'bool', default: false, help: 'ask the Buildkite agent for the token (buildkite-agent oidc request-token)' },
  { name: 'audience', type: 'string', value: 'AUDIENCE', help: "the token's audience with --github/--buildkite (default: the provider's)" },
];

/** --registry as a host: config.json's credHelpers and a minted credential are per host. */
export function registryHost(args: ParsedArgs, action: string): string {
  const text = args.flags.registry as string | undefined;
  if (!text) throw new BuilderError('USAGE', `${action}: --registry HOST is required`);
  const key = parseServerKey(text);
  if (key.host === '' || !/^[a-z0-9.\-[\]:]+$/.test(key.host) || key.path !== '') {
    throw new BuilderError('USAGE', `invalid value "${text}" for flag --registry: expected a registry host such as ghcr.io or 127.0.0.1:5000`);
  }
  return key.host;
}

function providerSpec(args: ParsedArgs, action: string): OidcProviderSpec {
  const provider = args.flags.provider as string | undefined;
  if (!provider || !(provider in PROVIDER_FIELDS)) {
    throw new BuilderError('USAGE', `${action}: ${provider ? `invalid value "${provider}" for flag --provider` : '--provider is required'}: expected ${PROVIDERS.join(', ')}`);
  }
  const fields = PROVIDER_FIELDS[provider as OidcProvider];
  const value = (flag: string): string => args.flags[flag] as string;
  for (const flag of Object.values(PROVIDER_FIELDS).flatMap(Object.keys)) {
    if (args.given.has(flag) && !(flag in fields)) throw new BuilderError('USAGE', `${action}: --${flag} does not apply to --provider ${provider}`);
    if (fields[flag] && !value(flag)) throw new BuilderError('USAGE', `${action}: --provider ${provider} needs --${flag}`);
  }
  switch (provider as OidcProvider) {
    case 'aws':
      return { provider: 'aws', roleArn: value('role-arn') };
    case 'gcp':
      return { provider: 'gcp', workloadIdentityProvider: value('workload-identity-provider'), serviceAccount: value('service-account') || undefined };
    case 'azure':
      return { provider: 'azure', clientId: value('client-id'), tenantId: value('tenant-id') };
    case 'buildkite-packages':
      return { provider: 'buildkite-packages', organization: value('organization'), registry: value('package-registry') };
  }
}

function subjectSource(args: ParsedArgs, action: string): Exclude<SubjectTokenSource, { kind: 'value' }> {
  const file = args.flags['token-file'] as string | undefined;
  const audience = args.flags.audience as string | undefined;
  const chosen = [file !== undefined, args.flags.github === true, args.flags.buildkite === true].filter(Boolean).length;
  if (chosen !== 1) throw new BuilderError('USAGE', `${action}: give exactly one subject token source: --token-file PATH, --github or --buildkite`);
  if (file !== undefined) {
    if (audience !== undefined) throw new BuilderError('USAGE', `${action}: --audience applies to --github and --buildkite; a --token-file token already has its audience`);
    return { kind: 'file', path: file };
  }
  return { kind: args.flags.github === true ? 'github' : 'buildkite', audience };
}

/** The provider and subject flags as an OIDC request's parts (no token is read yet). */
export function oidcRecipe(args: ParsedArgs, action: string): { spec: OidcProviderSpec; subject: Exclude<SubjectTokenSource, { kind: 'value' }> } {
  return { spec: providerSpec(args, action), subject: subjectSource(args, action) };
}

/** Mints now and writes the credential as a static login; prints the directory. Shared with `configure --oidc`. */
export async function writeMintedLogin(args: ParsedArgs, action: string): Promise<number> {
  const registry = registryHost(args, action);
  const { spec, subject } = oidcRecipe(args, action);
  // mintRegistryCredential registers every token it reads or mints with the redactor.
  const answer = await mintRegistryCredential({ registry, spec, subject });
  const dir = privateDockerConfigDir(args.flags['docker-config'] as string | undefined);
  configureLogin(dir, registry, answer.credential);
  const expires = answer.expiresAt === undefined ? '' : `, valid until ${new Date(answer.expiresAt).toISOString()}`;
  log.info(`${action}: credentials for ${registry} (${answer.why}${expires}) written to ${dir}/config.json`);
  process.stdout.write(`${dir}\n`);
  return 0;
}

export const oidcAction: AuthAction = {
  name: 'oidc',
  args: '--provider P --registry HOST [provider fields] (--token-file F | --github | --buildkite) [--audience A] [--docker-config DIR]',
  summary: 'Exchange the CI job\'s OIDC token for registry credentials; write them into a config.json and print its directory',
  flags: [registryFlag, ...oidcFlags, dockerConfigFlag],
  run: (args) => writeMintedLogin(args, 'oidc'),
};

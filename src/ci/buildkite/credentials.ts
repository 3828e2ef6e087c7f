// pre-command's credentials: each `auth` entry becomes an entry of the job's private
// DOCKER_CONFIG. Cloud entries turn the agent's OIDC token into registry credentials through the
// credential layer (auth/oidc/); env entries read a login the pipeline already holds. Every
// secret is handed to `buildkite-agent redactor add` before it is written or used, so it is
// masked in the job log from the first moment it exists.
import { join } from 'node:path';
import { saveCredential } from '../../auth/config-writer.ts';
import { credentialSecret, type Credential } from '../../auth/credential.ts';
import { mintRegistryCredential } from '../../auth/oidc/index.ts';
import type { OidcProviderSpec } from '../../auth/oidc/types.ts';
import { BuilderError } from '../../util/errors.ts';
import { registerSecret } from '../../util/redact.ts';
import { redactorAdd } from './agent.ts';
import type { AuthConfig } from './config.ts';

function envLogin(entry: AuthConfig, index: number, env: NodeJS.ProcessEnv): Credential {
  const read = (key: 'username-env' | 'password-env'): string => {
    const name = entry[key] as string;
    const value = env[name];
    if (!value) throw new BuilderError('CREDENTIALS', `kiln plugin configuration: auth[${index}].${key}: $${name} is empty or not set`);
    return value;
  };
  return { kind: 'basic', username: read('username-env'), password: read('password-env') };
}

/** A Buildkite Packages registry is named HOST/ORG/REGISTRY: the audience is built from ORG and REGISTRY. */
function packagesSpec(entry: AuthConfig, index: number): OidcProviderSpec {
  const [, organization, registry] = entry.registry.split('/');
  if (!organization || !registry) {
    throw new BuilderError('USAGE', `kiln plugin configuration: auth[${index}].registry: "${entry.registry}" should be packages.buildkite.com/ORGANIZATION/REGISTRY for provider buildkite-packages`);
  }
  return { provider: 'buildkite-packages', organization, registry };
}

/** The schema has already required each provider's fields (plugin.yml). */
function oidcSpec(entry: AuthConfig, index: number, env: NodeJS.ProcessEnv): OidcProviderSpec {
  switch (entry.provider) {
    case 'aws':
      return { provider: 'aws', roleArn: entry['role-arn'] as string, sessionName: `buildkite-${env.BUILDKITE_JOB_ID ?? 'job'}`.slice(0, 64) };
    case 'gcp':
      return { provider: 'gcp', workloadIdentityProvider: entry['workload-identity-provider'] as string, serviceAccount: entry['service-account'] };
    case 'azure':
      return { provider: 'azure', clientId: entry['client-id'] as string, tenantId: entry['tenant-id'] as string };
    case 'buildkite-packages':
      return packagesSpec(entry, index);
    case 'env':
      throw new BuilderError('INTERNAL', 'env entries carry no OIDC provider');
  }
}

async function login(entry: AuthConfig, index: number, lifetimeSeconds: number | undefined, env: NodeJS.ProcessEnv): Promise<Credential> {
  if (entry.provider === 'env') return envLogin(entry, index, env);
  const answer = await mintRegistryCredential({
    registry: entry.registry.split('/')[0],
    spec: oidcSpec(entry, index, env),
    subject: { kind: 'buildkite', audience: entry.audience, lifetimeSeconds },
  }, env);
  return answer.credential;
}

/** Writes DIR/config.json with a login per entry; returns the registries configured. */
export async function writeDockerConfig(dockerDir: string, auth: AuthConfig[], lifetimeSeconds: number | undefined, env: NodeJS.ProcessEnv): Promise<string[]> {
  const file = join(dockerDir, 'config.json');
  const registries: string[] = [];
  for (const [i, entry] of auth.entries()) {
    const credential = await login(entry, i, lifetimeSeconds, env);
    // Masked before it is written anywhere, the config.json included.
    redactorAdd(credentialSecret(credential));
    registerSecret(credentialSecret(credential));
    const host = entry.registry.split('/')[0];
    saveCredential(file, host, credential);
    registries.push(host);
  }
  return registries;
}

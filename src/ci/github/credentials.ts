// The step's registry credentials: each registry-auth entry becomes an entry of a private
// DOCKER_CONFIG the executor alone reads. OIDC entries exchange the job's GitHub ID token through
// the credential layer (auth/oidc/); every secret is masked (core.setSecret) and registered for
// redaction before it is written anywhere. Azure entries are the exception: ACR's exchange is a
// call to the registry itself (POST /oauth2/exchange), so it must travel the registry's own
// connections (--registry-address, CA and TLS flags), which only the executor has; they become a
// kiln credential-helper recipe that the executor's keychain mints from the job's ID token at use.
import { copyFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { saveCredential } from '../../auth/config-writer.ts';
import { configureHelper } from '../../auth/configure.ts';
import { credentialSecret, type Credential } from '../../auth/credential.ts';
import { defaultAudience, mintRegistryCredential } from '../../auth/oidc/index.ts';
import { BuilderError } from '../../util/errors.ts';
import { registerSecret } from '../../util/redact.ts';
import type { RegistryAuth } from './inputs.ts';

export interface StepIdentity {
  /** core.getIDToken: the job's OIDC token for an audience. */
  idToken(audience: string): Promise<string>;
  /** core.setSecret: the runner masks the value in the log. */
  mask(secret: string): void;
}

function hostOf(registry: string): string {
  return registry.replace(/^[a-z]+:\/\//i, '').split('/')[0];
}

function needIdToken(entry: Extract<RegistryAuth, { oidc: unknown }>, env: NodeJS.ProcessEnv): void {
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new BuilderError('CREDENTIALS', `input registry-auth: ${entry.registry} (oidc: ${entry.oidc.provider}) needs the job's ID token, and ACTIONS_ID_TOKEN_REQUEST_URL is not set: add \`permissions: id-token: write\` to the job`);
  }
}

async function login(entry: RegistryAuth, step: StepIdentity, env: NodeJS.ProcessEnv): Promise<Credential> {
  if (!('oidc' in entry)) return { kind: 'basic', username: entry.username, password: entry.password };
  needIdToken(entry, env);
  const token = await step.idToken(defaultAudience(entry.oidc));
  step.mask(token);
  registerSecret(token);
  const answer = await mintRegistryCredential({ registry: hostOf(entry.registry), spec: entry.oidc, subject: { kind: 'value', token } }, env);
  return answer.credential;
}

/**
 * Writes DIR/config.json: the logins a workflow already made (docker/login-action writes
 * $DOCKER_CONFIG or ~/.docker) first, then one entry per registry-auth entry; returns the hosts.
 */
export async function writeDockerConfig(dir: string, entries: RegistryAuth[], step: StepIdentity, env: NodeJS.ProcessEnv): Promise<string[]> {
  const file = join(dir, 'config.json');
  const existing = join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
  if (existsSync(existing)) copyFileSync(existing, file);
  const hosts: string[] = [];
  for (const entry of entries) {
    const host = hostOf(entry.registry);
    hosts.push(host);
    if ('oidc' in entry && entry.oidc.provider === 'azure') {
      needIdToken(entry, env);
      configureHelper(dir, host, { oidc: { spec: entry.oidc, subject: { kind: 'github' } } });
      continue;
    }
    const credential = await login(entry, step, env);
    const secret = credentialSecret(credential);
    step.mask(secret);
    registerSecret(secret);
    saveCredential(file, host, credential);
  }
  return hosts;
}

// pre-command's credentials: each `auth` entry becomes an entry of the job's private
// DOCKER_CONFIG. Every secret is handed to `buildkite-agent redactor add` before it is written
// or used, so it is masked in the job log from the first moment it exists.
import { join } from 'node:path';
import { saveLogin } from '../../auth/config-writer.ts';
import { BuilderError } from '../../util/errors.ts';
import { registerSecret } from '../../util/redact.ts';
import { redactorAdd } from './agent.ts';
import type { AuthConfig } from './config.ts';

interface Login {
  username: string;
  password: string;
}

function envLogin(entry: AuthConfig, index: number, env: NodeJS.ProcessEnv): Login {
  const read = (key: 'username-env' | 'password-env'): string => {
    const name = entry[key] as string;
    const value = env[name];
    if (!value) throw new BuilderError('CREDENTIALS', `kiln plugin configuration: auth[${index}].${key}: $${name} is empty or not set`);
    return value;
  };
  return { username: read('username-env'), password: read('password-env') };
}

function login(entry: AuthConfig, index: number, env: NodeJS.ProcessEnv): Login {
  if (entry.provider === 'env') return envLogin(entry, index, env);
  // The OIDC exchanges (auth/oidc/) are not part of this kiln yet.
  throw new BuilderError('CREDENTIALS', `kiln plugin configuration: auth[${index}].provider: "${entry.provider}" is not available in this kiln yet (use provider: env)`);
}

/** Writes DIR/config.json with a login per entry; returns the registries configured. */
export function writeDockerConfig(dockerDir: string, auth: AuthConfig[], env: NodeJS.ProcessEnv): string[] {
  const file = join(dockerDir, 'config.json');
  return auth.map((entry, i) => {
    const { username, password } = login(entry, i, env);
    redactorAdd(password);
    registerSecret(password);
    saveLogin(file, entry.registry, username, { password });
    return entry.registry;
  });
}

// Credentials given on the command line, scoped to a registry (or a repository path on it):
//   --registry-auth HOST[/PATH]=USER:env:VAR    the password is the value of $VAR
//   --registry-auth HOST[/PATH]=USER:file:PATH  the password is the file's content (trailing newline dropped)
// The secret itself never goes on argv, where `ps` and CI logs would show it.
import { readFileSync } from 'node:fs';
import { BuilderError } from '../util/errors.ts';
import { registerSecret } from '../util/redact.ts';
import { matchScore, parseServerKey, type ServerKey } from './server-key.ts';
import type { CredentialSource } from './source.ts';

export interface ExplicitCredential {
  /** The flag value as given (it holds no secret), for messages. */
  spec: string;
  key: ServerKey;
  username: string;
  password: string;
}

function invalid(spec: string, why: string): BuilderError {
  return new BuilderError('USAGE', `invalid value "${spec}" for flag --registry-auth: ${why}`);
}

export function parseRegistryAuth(spec: string, env: NodeJS.ProcessEnv): ExplicitCredential {
  const eq = spec.indexOf('=');
  const colon = spec.indexOf(':', eq + 1);
  if (eq <= 0 || colon === -1) throw invalid(spec, 'expected HOST[/PATH]=USER:env:VAR or HOST[/PATH]=USER:file:PATH');
  const username = spec.slice(eq + 1, colon);
  const from = spec.slice(colon + 1);
  let password: string;
  if (from.startsWith('env:')) {
    const name = from.slice(4);
    const value = env[name];
    if (!value) throw invalid(spec, `environment variable ${name} is empty or unset`);
    password = value;
  } else if (from.startsWith('file:')) {
    const path = from.slice(5);
    try {
      password = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw invalid(spec, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (password === '') throw invalid(spec, `${path} is empty`);
  } else {
    throw invalid(spec, 'the password must come from env:VAR or file:PATH, never the command line');
  }
  registerSecret(password);
  return { spec, key: parseServerKey(spec.slice(0, eq)), username, password };
}

export function flagSource(entries: readonly ExplicitCredential[]): CredentialSource {
  const find = (registry: string, repository?: string): ExplicitCredential | undefined => {
    let best: { entry: ExplicitCredential; score: number } | undefined;
    for (const entry of entries) {
      const score = matchScore(entry.key, registry, repository);
      if (score > (best?.score ?? -1)) best = { entry, score };
    }
    return best?.entry;
  };
  return {
    name: 'flags',
    claims(registry, repository) {
      const e = find(registry, repository);
      return e && `--registry-auth ${e.spec}`;
    },
    async lookup(registry, repository) {
      const e = find(registry, repository);
      return e && { credential: { kind: 'basic', username: e.username, password: e.password }, why: `--registry-auth ${e.spec}` };
    },
  };
}

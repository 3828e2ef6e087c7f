// Reading docker's config.json (and the same JSON in DOCKER_AUTH_CONFIG): where it lives and how
// an entry turns into a credential. Writing lives in config-writer.ts.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BuilderError } from '../util/errors.ts';
import { registerSecret } from '../util/redact.ts';
import type { Credential, LookupContext } from './credential.ts';
import { helperGet } from './cred-helper.ts';
import { matchScore, normalizeHost, parseServerKey, serverUrlFor } from './server-key.ts';

export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  email?: string;
}

export interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [key: string]: unknown;
}

/** Where kaniko's executor image keeps its config. */
export const KANIKO_CONFIG_DIR = '/kaniko/.docker';

/** The directory `kiln login` writes to: $DOCKER_CONFIG, else ~/.docker (docker's rule). */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

/** config.json candidates in the order they are tried; the first that exists is read. */
export function configFileCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const paths: string[] = [];
  if (env.DOCKER_CONFIG) paths.push(join(env.DOCKER_CONFIG, 'config.json'));
  paths.push(join(KANIKO_CONFIG_DIR, 'config.json'));
  paths.push(join(env.HOME || homedir(), '.docker', 'config.json'));
  return paths;
}

export function findConfigFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return configFileCandidates(env).find((p) => existsSync(p));
}

/** Parses config.json text; `source` names the file or variable in errors. */
export function parseDockerConfig(text: string, source: string): DockerConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BuilderError('CREDENTIALS', `${source}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BuilderError('CREDENTIALS', `${source}: expected a JSON object`);
  }
  const config = value as DockerConfig;
  for (const entry of Object.values(config.auths ?? {})) {
    if (entry && typeof entry === 'object') {
      registerSecret(entry.auth);
      registerSecret(entry.password);
      registerSecret(entry.identitytoken);
      registerSecret(entry.registrytoken);
    }
  }
  return config;
}

export function readDockerConfig(path: string): DockerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BuilderError('CREDENTIALS', `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  return parseDockerConfig(text, path);
}

/** Turns one `auths` entry into a credential; `source` names the file and key for errors. */
export function entryCredential(entry: AuthEntry, source: string): Credential | undefined {
  let username = entry.username ?? '';
  let password = entry.password ?? '';
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new BuilderError('CREDENTIALS', `${source}: "auth" is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
    registerSecret(password);
  }
  if (entry.registrytoken) return { kind: 'registryToken', registryToken: entry.registrytoken };
  if (entry.identitytoken) return { kind: 'identityToken', identityToken: entry.identitytoken, username: username || undefined };
  if (username === '' && password === '') return undefined;
  return { kind: 'basic', username, password };
}

function lookupByHost(map: Record<string, string> | undefined, registry: string): string | undefined {
  const host = normalizeHost(registry);
  for (const [key, value] of Object.entries(map ?? {})) {
    if (parseServerKey(key).host === host) return value;
  }
  return undefined;
}

/** Helpers answered inside this process instead of spawning docker-credential-NAME (kiln's own). */
export type InProcessHelpers = Record<string, (registry: string, repository?: string, context?: LookupContext) => Promise<Credential | undefined>>;

/** The credential helper a config names for a registry: its credHelpers entry, else credsStore. */
export function configHelper(config: DockerConfig, registry: string): string | undefined {
  return lookupByHost(config.credHelpers, registry) ?? (config.credsStore || undefined);
}

/** The `auths` entry that fits best: the longest matching repository path, then a host-wide one. */
export function findAuthEntry(config: DockerConfig, registry: string, repository?: string): { key: string; entry: AuthEntry } | undefined {
  let best: { key: string; entry: AuthEntry; score: number } | undefined;
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    const score = matchScore(parseServerKey(key), registry, repository);
    if (score > (best?.score ?? -1)) best = { key, entry, score };
  }
  return best && { key: best.key, entry: best.entry };
}

/**
 * Credentials for a registry from one config: a `credHelpers` entry for the host, else
 * `credsStore`, else `auths`. Unlike docker, an `auths` entry still answers when the helper has
 * nothing for the server, so `kiln login` works next to a credsStore that lacks the registry.
 */
export async function resolveFromConfig(
  config: DockerConfig,
  source: string,
  registry: string,
  repository?: string,
  inProcess: InProcessHelpers = {},
  context?: LookupContext,
): Promise<Credential | undefined> {
  const helper = configHelper(config, registry);
  if (helper) {
    const own = inProcess[helper];
    const fromHelper = own ? await own(registry, repository, context) : await helperGet(helper, serverUrlFor(registry));
    if (fromHelper) return fromHelper;
  }
  const found = findAuthEntry(config, registry, repository);
  return found && entryCredential(found.entry, `${source} auths["${found.key}"]`);
}

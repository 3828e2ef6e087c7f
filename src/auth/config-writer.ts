// The write side of config.json for `kiln login` / `kiln logout` / `kiln auth configure`: one
// `auths` or `credHelpers` entry added or removed, every other key kept. The file holds
// passwords, so it is 0600 in a 0700 directory, and it is replaced atomically so a crash never
// leaves half a file.
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BuilderError } from '../util/errors.ts';
import { registerSecret } from '../util/redact.ts';
import type { Credential } from './credential.ts';
import { readDockerConfig, type AuthEntry, type DockerConfig } from './docker-config.ts';
import { normalizeHost, parseServerKey, serverUrlFor } from './server-key.ts';

function load(path: string): DockerConfig {
  return existsSync(path) ? readDockerConfig(path) : {};
}

/** Writes JSON readable by its owner alone (0600; a new directory 0700), replacing the file atomically. */
export function writePrivateJson(path: string, value: unknown): void {
  const dir = dirname(path);
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    writeFileSync(tmp, JSON.stringify(value, null, '\t') + '\n', { mode: 0o600 });
    // writeFileSync's mode is masked by the umask; make sure of 0600 before the rename.
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    throw new BuilderError('CREDENTIALS', `${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
}

/** Keys in `auths` that stand for the whole of `registry`, in any spelling. */
function hostKeys(config: DockerConfig, registry: string): string[] {
  const host = normalizeHost(registry);
  return Object.keys(config.auths ?? {}).filter((k) => {
    const key = parseServerKey(k);
    return key.host === host && key.path === '';
  });
}

/** What a login leaves behind: a password, or (like docker) an identity token in its place. */
export type SavedSecret = { password: string } | { identityToken: string };

/** Stores a login for a registry, replacing any other spelling of its key. */
export function saveLogin(path: string, registry: string, username: string, secret: SavedSecret): void {
  const config = load(path);
  const auths = { ...(config.auths ?? {}) };
  for (const k of hostKeys(config, registry)) delete auths[k];
  // docker writes "user:" with an empty password next to an identity token; readers key on the token.
  const password = 'password' in secret ? secret.password : '';
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  registerSecret(password);
  registerSecret(auth);
  const entry: AuthEntry = { auth };
  if ('identityToken' in secret) {
    registerSecret(secret.identityToken);
    entry.identitytoken = secret.identityToken;
  }
  auths[serverUrlFor(registry)] = entry;
  writePrivateJson(path, { ...config, auths });
}

/** The username docker and ACR pair with an identity token when the source names none. */
const IDENTITY_TOKEN_USER = '00000000-0000-0000-0000-000000000000';

/** Stores any credential a source answered as `docker login` would have; a bearer registry token has no config.json form. */
export function saveCredential(path: string, registry: string, credential: Credential): void {
  switch (credential.kind) {
    case 'basic':
      return saveLogin(path, registry, credential.username, { password: credential.password });
    case 'identityToken':
      return saveLogin(path, registry, credential.username ?? IDENTITY_TOKEN_USER, { identityToken: credential.identityToken });
    case 'registryToken':
      throw new BuilderError('CREDENTIALS', `${path}: a registry token for ${registry} cannot be written to config.json`);
  }
}

/** Names a credential helper (docker-credential-NAME) for a registry in credHelpers, replacing other spellings of its key. */
export function saveCredHelper(path: string, registry: string, helper: string): void {
  const config = load(path);
  const host = normalizeHost(registry);
  const credHelpers = Object.fromEntries(Object.entries(config.credHelpers ?? {}).filter(([k]) => parseServerKey(k).host !== host));
  credHelpers[serverUrlFor(registry)] = helper;
  writePrivateJson(path, { ...config, credHelpers });
}

/** Removes a registry's host-wide entries; false when there was none. */
export function removeLogin(path: string, registry: string): boolean {
  if (!existsSync(path)) return false;
  const config = load(path);
  const keys = hostKeys(config, registry);
  if (keys.length === 0) return false;
  const auths = { ...(config.auths ?? {}) };
  for (const k of keys) delete auths[k];
  writePrivateJson(path, { ...config, auths });
  return true;
}

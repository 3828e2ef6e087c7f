// Credentials from environment variables, in two conventions CI users already know:
//   - the kaniko fork's KANIKO_<HOST>_USER / KANIKO_<HOST>_PASSWORD, HOST upper-cased with every
//     character other than A-Z and 0-9 turned into "_", tried from the full host[:port] down to
//     its shortest dotted suffix (registry.gitlab.com, then gitlab.com, then com);
//   - imgpkg's grammar under KILN_REGISTRY_: HOSTNAME, USERNAME, PASSWORD, IDENTITY_TOKEN,
//     REGISTRY_TOKEN, each optionally suffixed _<alphanumerics> to group several registries.
import { BuilderError } from '../util/errors.ts';
import { registerSecret } from '../util/redact.ts';
import type { Credential } from './credential.ts';
import { normalizeHost, parseServerKey } from './server-key.ts';
import type { CredentialSource } from './source.ts';

function kanikoHostKey(host: string): string {
  return host.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** Variable stems for a registry, most specific first: REGISTRY_GITLAB_COM, GITLAB_COM, COM. */
export function kanikoEnvNames(registry: string): string[] {
  const labels = registry.toLowerCase().split('.');
  return labels.map((_, i) => `KANIKO_${kanikoHostKey(labels.slice(i).join('.'))}`);
}

export function kanikoEnvSource(env: NodeJS.ProcessEnv): CredentialSource {
  const find = (registry: string): string | undefined =>
    kanikoEnvNames(registry).find((stem) => env[`${stem}_USER`] !== undefined || env[`${stem}_PASSWORD`] !== undefined);
  return {
    name: 'env',
    claims(registry) {
      const stem = find(registry);
      return stem && `${stem}_USER / ${stem}_PASSWORD are set for ${registry}`;
    },
    async lookup(registry) {
      const stem = find(registry);
      if (!stem) return undefined;
      const password = env[`${stem}_PASSWORD`] ?? '';
      registerSecret(password);
      if (password === '') throw new BuilderError('CREDENTIALS', `env: ${stem}_PASSWORD is empty or unset for ${registry}`);
      return { credential: { kind: 'basic', username: env[`${stem}_USER`] ?? '', password }, why: `${stem}_USER / ${stem}_PASSWORD` };
    },
  };
}

export const KILN_REGISTRY_PREFIX = 'KILN_REGISTRY_';
const KILN_REGISTRY_NAME = /^KILN_REGISTRY_(HOSTNAME|USERNAME|PASSWORD|IDENTITY_TOKEN|REGISTRY_TOKEN)(?:_([A-Za-z0-9]+))?$/;

interface RegistryEnvEntry {
  /** The HOSTNAME variable's name, for messages. */
  variable: string;
  hostname: string;
  /** Lowercased labels of the host (globs allowed per label), and the port ("" for none). */
  labels: string[];
  port: string;
  path: string;
  credential: Credential;
}

function globLabel(pattern: string, label: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
  return re.test(label);
}

function splitHostPort(host: string): { name: string; port: string } {
  const m = /^(.*?)(?::(\d+))?$/.exec(host)!;
  return { name: m[1]!, port: m[2] ?? '' };
}

function entryMatches(e: RegistryEnvEntry, registry: string, repository: string | undefined): boolean {
  const { name, port } = splitHostPort(normalizeHost(registry));
  if (port !== e.port) return false;
  const labels = name.split('.');
  if (labels.length !== e.labels.length || !labels.every((l, i) => globLabel(e.labels[i]!, l))) return false;
  if (e.path === '') return true;
  return repository !== undefined && (repository === e.path || repository.startsWith(`${e.path}/`));
}

/** Parses every KILN_REGISTRY_* variable; a name outside the grammar is an error naming it. */
export function parseRegistryEnv(env: NodeJS.ProcessEnv): RegistryEnvEntry[] {
  const groups = new Map<string, Record<string, string>>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(KILN_REGISTRY_PREFIX) || value === undefined) continue;
    const m = KILN_REGISTRY_NAME.exec(name);
    if (!m) {
      throw new BuilderError(
        'CREDENTIALS',
        `env: unknown variable ${name}: expected KILN_REGISTRY_{HOSTNAME,USERNAME,PASSWORD,IDENTITY_TOKEN,REGISTRY_TOKEN} with an optional _<suffix>`,
      );
    }
    const suffix = m[2] ? `_${m[2]}` : '';
    const group = groups.get(suffix) ?? {};
    group[m[1]!] = value;
    groups.set(suffix, group);
  }
  const entries: RegistryEnvEntry[] = [];
  for (const [suffix, g] of groups) {
    const variable = `KILN_REGISTRY_HOSTNAME${suffix}`;
    for (const secret of [g.PASSWORD, g.IDENTITY_TOKEN, g.REGISTRY_TOKEN]) registerSecret(secret);
    if (!g.HOSTNAME) {
      const set = Object.keys(g).map((k) => `KILN_REGISTRY_${k}${suffix}`).join(', ');
      throw new BuilderError('CREDENTIALS', `env: ${set} set without ${variable}`);
    }
    let credential: Credential;
    if (g.REGISTRY_TOKEN) credential = { kind: 'registryToken', registryToken: g.REGISTRY_TOKEN };
    else if (g.IDENTITY_TOKEN) credential = { kind: 'identityToken', identityToken: g.IDENTITY_TOKEN, username: g.USERNAME || undefined };
    else if (g.PASSWORD !== undefined && g.PASSWORD !== '') credential = { kind: 'basic', username: g.USERNAME ?? '', password: g.PASSWORD };
    else throw new BuilderError('CREDENTIALS', `env: ${variable}="${g.HOSTNAME}" has no KILN_REGISTRY_PASSWORD${suffix}, _IDENTITY_TOKEN${suffix} or _REGISTRY_TOKEN${suffix}`);
    const key = parseServerKey(g.HOSTNAME);
    const { name, port } = splitHostPort(key.host);
    if (name === '') throw new BuilderError('CREDENTIALS', `env: ${variable}="${g.HOSTNAME}" is not a registry host`);
    entries.push({ variable, hostname: g.HOSTNAME.trim(), labels: name.split('.'), port, path: key.path, credential });
  }
  // imgpkg's rule: reverse-lexicographic by hostname, so foo.docker.io comes before *.docker.io
  // ("*" sorts below letters) and gcr.io/a/b before gcr.io/a.
  return entries.sort((a, b) => (a.hostname < b.hostname ? 1 : a.hostname > b.hostname ? -1 : 0));
}

export function registryEnvSource(env: NodeJS.ProcessEnv): CredentialSource {
  const entries = parseRegistryEnv(env);
  const find = (registry: string, repository?: string) => entries.find((e) => entryMatches(e, registry, repository));
  return {
    name: 'env',
    claims(registry, repository) {
      const e = find(registry, repository);
      return e && `${e.variable}="${e.hostname}" matches ${registry}${repository ? `/${repository}` : ''}`;
    },
    async lookup(registry, repository) {
      const e = find(registry, repository);
      return e && { credential: e.credential, why: `${e.variable}="${e.hostname}"` };
    },
  };
}

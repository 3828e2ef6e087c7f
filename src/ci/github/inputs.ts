// The Action's inputs, read and checked: build-push-action's names and forms, kiln's own
// registry-auth / OIDC fields. Pure: `read` is given a getter (core.getInput in the step, a
// record in tests). Every bad input is a BuilderError('USAGE') whose message starts with the
// input's name, so the step fails with one line.
import { load as loadYaml } from 'js-yaml';
import type { OidcProviderSpec } from '../../auth/oidc/types.ts';
import { parseGoDuration } from '../../dockerfile/duration.ts';
import { BuilderError } from '../../util/errors.ts';
import { parseFields, parseList, splitKeyValue, splitWords } from './list-input.ts';

export type CacheSpec = { type: 'registry'; ref: string } | { type: 'local'; dir: string } | { type: 'gha'; scope: string; timeoutMs: number };
export type OutputSpec = { type: 'oci'; dest: string } | { type: 'tar'; dest: string } | { type: 'local'; dest: string };
export type RegistryAuth =
  | { registry: string; username: string; password: string }
  | { registry: string; oidc: OidcProviderSpec };

export interface ActionInputs {
  context: string;
  file?: string;
  tags: string[];
  labels: string[];
  buildArgs: string[];
  target?: string;
  push: boolean;
  noCache: boolean;
  /** One image per platform; several make an index (kiln's multi-platform build). */
  platforms: string[];
  secrets: { id: string; value: string }[];
  secretFiles: { id: string; path: string }[];
  secretEnvs: { id: string; env: string }[];
  outputs: OutputSpec[];
  cacheFrom: CacheSpec[];
  cacheTo: CacheSpec[];
  registryAuth: RegistryAuth[];
  extraArgs: string[];
  reproducible: boolean;
  summary: boolean;
}

export type InputGetter = (name: string) => string;

function usage(input: string, message: string): BuilderError {
  return new BuilderError('USAGE', `input ${input}: ${message}`);
}

/** YAML 1.2 core schema booleans, as core.getBooleanInput; empty takes the default. */
function bool(get: InputGetter, name: string, fallback: boolean): boolean {
  const raw = get(name).trim();
  if (raw === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(raw)) return true;
  if (['false', 'False', 'FALSE'].includes(raw)) return false;
  throw usage(name, `"${raw}" is not true or false`);
}

function optional(get: InputGetter, name: string): string | undefined {
  const raw = get(name).trim();
  return raw === '' ? undefined : raw;
}

function pairs(get: InputGetter, name: string, what: string): [string, string][] {
  return parseList(get(name), { ignoreComma: true }).map((item) => {
    const kv = splitKeyValue(item);
    if (!kv) throw usage(name, `"${item.split('=')[0]}" is not ${what}`);
    return kv;
  });
}

function cacheSpecs(get: InputGetter, name: string): CacheSpec[] {
  return parseList(get(name), { ignoreComma: true }).map((item) => {
    // buildx takes a bare reference as type=registry,ref=REFERENCE.
    if (!item.includes('=')) return { type: 'registry', ref: item.trim() };
    const fields = parseFields(item);
    if (!fields) throw usage(name, `"${item}" is not a list of KEY=VALUE fields`);
    const type = fields.get('type') ?? 'registry';
    if (type === 'registry') {
      const ref = fields.get('ref');
      if (!ref) throw usage(name, 'type=registry needs ref=REPOSITORY');
      return { type, ref };
    }
    if (type === 'local') {
      const dir = fields.get(name === 'cache-to' ? 'dest' : 'src') ?? fields.get('dest') ?? fields.get('src');
      if (!dir) throw usage(name, `type=local needs ${name === 'cache-to' ? 'dest' : 'src'}=DIR`);
      return { type, dir };
    }
    if (type === 'gha') return { type, scope: fields.get('scope') || 'buildkit', timeoutMs: ghaTimeout(name, fields.get('timeout')) };
    throw usage(name, `unknown cache type "${type}" (expected registry, gha or local)`);
  });
}

// buildx's type=gha default: a cache service that hangs must not hold the build longer than this.
const GHA_TIMEOUT_MS = 10 * 60_000;

function ghaTimeout(name: string, text: string | undefined): number {
  if (text === undefined) return GHA_TIMEOUT_MS;
  const ns = parseGoDuration(text);
  if (ns === undefined || ns <= 0) throw usage(name, `type=gha timeout "${text}" is not a duration such as 10m or 90s`);
  return Math.ceil(ns / 1e6);
}

function outputSpecs(get: InputGetter): OutputSpec[] {
  return parseList(get('outputs'), { ignoreComma: true }).map((item) => {
    const fields = parseFields(item);
    const type = fields?.get('type');
    const dest = fields?.get('dest');
    if ((type === 'oci' || type === 'tar' || type === 'docker') && dest) return { type: type === 'oci' ? 'oci' : 'tar', dest };
    if (type === 'local' && dest) return { type, dest };
    throw usage('outputs', `"${item}" is not type=oci,dest=PATH, type=tar,dest=PATH or type=local,dest=DIR`);
  });
}

function field(entry: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = entry[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** One registry-auth entry's OIDC fields; the Action's aws-/gcp-/azure- inputs fill what it leaves out. */
function oidcSpec(get: InputGetter, entry: Record<string, unknown>, registry: string, provider: string): OidcProviderSpec {
  const need = (value: string | undefined, what: string): string => {
    if (!value) throw usage('registry-auth', `${registry}: oidc: ${provider} needs ${what}`);
    return value;
  };
  switch (provider) {
    case 'aws':
      return { provider, roleArn: need(field(entry, 'role-arn', 'role') ?? optional(get, 'aws-role-arn'), 'role-arn (or the aws-role-arn input)') };
    case 'gcp': {
      const serviceAccount = field(entry, 'service-account') ?? optional(get, 'gcp-service-account');
      return {
        provider,
        workloadIdentityProvider: need(field(entry, 'workload-identity-provider') ?? optional(get, 'gcp-workload-identity-provider'), 'workload-identity-provider (or the gcp-workload-identity-provider input)'),
        ...(serviceAccount ? { serviceAccount } : {}),
      };
    }
    case 'azure':
      return {
        provider,
        clientId: need(field(entry, 'client-id') ?? optional(get, 'azure-client-id'), 'client-id (or the azure-client-id input)'),
        tenantId: need(field(entry, 'tenant-id') ?? optional(get, 'azure-tenant-id'), 'tenant-id (or the azure-tenant-id input)'),
      };
    case 'buildkite-packages': {
      // packages.buildkite.com/ORG/REGISTRY names both fields unless the entry gives them.
      const [, org, reg] = registry.split('/');
      return { provider, organization: need(field(entry, 'organization') ?? org, 'organization'), registry: need(field(entry, 'registry-slug') ?? reg, 'registry-slug') };
    }
    default:
      throw usage('registry-auth', `${registry}: unknown oidc provider "${provider}" (expected aws, gcp, azure or buildkite-packages)`);
  }
}

function registryAuth(get: InputGetter): RegistryAuth[] {
  const text = get('registry-auth');
  if (text.trim() === '') return [];
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (err) {
    // js-yaml's reason names the line; its snippet would echo the input, which may hold a password.
    throw usage('registry-auth', `not YAML (${(err as { reason?: string }).reason ?? 'parse error'})`);
  }
  if (!Array.isArray(doc)) throw usage('registry-auth', 'expected a YAML list of {registry, username, password} or {registry, oidc} entries');
  return doc.map((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw usage('registry-auth', `entry ${i + 1} is not a mapping`);
    const entry = raw as Record<string, unknown>;
    const registry = field(entry, 'registry');
    if (!registry) throw usage('registry-auth', `entry ${i + 1} has no registry`);
    const provider = field(entry, 'oidc');
    if (provider) return { registry, oidc: oidcSpec(get, entry, registry, provider) };
    const username = field(entry, 'username');
    const password = typeof entry.password === 'string' ? entry.password : undefined;
    if (!username || !password) throw usage('registry-auth', `${registry}: give username and password, or oidc`);
    return { registry, username, password };
  });
}

export function readInputs(get: InputGetter, workspace: string): ActionInputs {
  const tags = parseList(get('tags'));
  const platforms = parseList(get('platforms'));
  if (parseList(get('annotations')).length) throw usage('annotations', 'manifest annotations are not supported by kiln yet; use labels');
  if (bool(get, 'provenance', false)) throw usage('provenance', 'provenance attestations are not supported; leave it false');
  return {
    context: optional(get, 'context') ?? workspace,
    file: optional(get, 'file'),
    tags,
    labels: parseList(get('labels'), { ignoreComma: true }),
    buildArgs: parseList(get('build-args'), { ignoreComma: true }),
    target: optional(get, 'target'),
    push: bool(get, 'push', tags.length > 0),
    noCache: bool(get, 'no-cache', false),
    platforms,
    secrets: pairs(get, 'secrets', 'id=VALUE').map(([id, value]) => ({ id, value })),
    secretFiles: pairs(get, 'secret-files', 'id=PATH').map(([id, path]) => ({ id, path: path.trim() })),
    secretEnvs: pairs(get, 'secret-envs', 'id=ENV').map(([id, env]) => ({ id, env: env.trim() })),
    outputs: outputSpecs(get),
    cacheFrom: cacheSpecs(get, 'cache-from'),
    cacheTo: cacheSpecs(get, 'cache-to'),
    registryAuth: registryAuth(get),
    extraArgs: splitWords(get('extra-args')),
    reproducible: bool(get, 'reproducible', false),
    summary: bool(get, 'summary', true),
  };
}

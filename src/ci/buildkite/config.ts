// The plugin's configuration: Buildkite hands the step's plugin block to every hook as JSON in
// BUILDKITE_PLUGIN_CONFIGURATION. It is checked against the schema in plugin.yml (the one file
// Buildkite's tooling and this code share) and reported as one line naming the offending key.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { load as loadYaml } from 'js-yaml';
import { BuilderError } from '../../util/errors.ts';

export type Provider = 'aws' | 'gcp' | 'azure' | 'buildkite-packages' | 'env';
export type TagType = 'branch' | 'pr' | 'semver' | 'sha' | 'latest';

export interface AuthConfig {
  registry: string;
  provider: Provider;
  'role-arn'?: string;
  'workload-identity-provider'?: string;
  'service-account'?: string;
  'client-id'?: string;
  'tenant-id'?: string;
  'username-env'?: string;
  'password-env'?: string;
  audience?: string;
}

/** The configuration as plugin.yml describes it, keys spelled as in the pipeline. */
export interface PluginConfig {
  context?: string;
  dockerfile?: string;
  tags?: string[];
  destinations?: string[];
  'tags-from-build'?: { images: string[]; types?: TagType[] };
  'build-args'?: string[] | Record<string, string | number | boolean>;
  target?: string;
  push?: boolean;
  labels?: string[] | Record<string, string | number | boolean>;
  secrets?: string[];
  cache?: { repo?: string; ttl?: string; 'copy-layers'?: boolean };
  platforms?: string[];
  outputs?: string[];
  auth?: AuthConfig[];
  'oidc-lifetime'?: number;
  annotate?: boolean;
  'meta-data-key'?: string;
  'upload-metadata'?: boolean;
  'run-command'?: boolean;
  'extra-args'?: string[];
  executor?: string;
}

/** The plugin checkout: KILN_PLUGIN_DIR (the hooks set it), else the nearest plugin.yml above this module. */
export function pluginDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KILN_PLUGIN_DIR) return resolve(env.KILN_PLUGIN_DIR);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'plugin.yml'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new BuilderError('INTERNAL', 'plugin.yml not found above the kiln executable; set KILN_PLUGIN_DIR');
    dir = up;
  }
}

export function loadSchema(dir: string = pluginDir()): object {
  const file = join(dir, 'plugin.yml');
  const doc = loadYaml(readFileSync(file, 'utf8')) as { configuration?: object } | null;
  if (!doc?.configuration) throw new BuilderError('INTERNAL', `${file}: no configuration schema`);
  return doc.configuration;
}

/** JSON pointer "/auth/0/role-arn" as the pipeline author reads it: auth[0].role-arn. */
function keyPath(pointer: string, child?: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let out = '';
  for (const p of parts) out += /^[0-9]+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** The first error that names a key: if/then and anyOf wrappers say less than what they wrap. */
function describe(errors: ErrorObject[]): string {
  const e = errors.find((x) => x.keyword !== 'if' && x.keyword !== 'anyOf') ?? errors[0];
  if (e.keyword === 'additionalProperties') {
    return `${keyPath(e.instancePath, String(e.params.additionalProperty))}: unknown option`;
  }
  if (e.keyword === 'required') {
    const missing = String(e.params.missingProperty);
    if (e.instancePath === '' && errors.some((x) => x.keyword === 'anyOf')) {
      return 'tags: missing (give tags, destinations or tags-from-build, or push: false)';
    }
    const provider = e.instancePath.startsWith('/auth/') ? ' for this provider' : '';
    return `${keyPath(e.instancePath, missing)}: missing${provider}`;
  }
  const where = keyPath(e.instancePath) || '(configuration)';
  if (e.keyword === 'enum') return `${where}: must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
  return `${where}: ${e.message ?? 'invalid'}`;
}

/** Validates a parsed configuration; throws one USAGE line naming the key path. */
export function validateConfig(value: unknown, schema: object = loadSchema()): PluginConfig {
  const ajv = new Ajv({ allErrors: false, strict: false });
  const validate = ajv.compile(schema);
  if (!validate(value)) throw new BuilderError('USAGE', `kiln plugin configuration: ${describe(validate.errors ?? [])}`);
  return value as PluginConfig;
}

/** BUILDKITE_PLUGIN_CONFIGURATION, parsed and validated. */
export function readConfig(env: NodeJS.ProcessEnv = process.env, schema?: object): PluginConfig {
  const text = env.BUILDKITE_PLUGIN_CONFIGURATION;
  if (text === undefined || text.trim() === '') return validateConfig({}, schema);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BuilderError('USAGE', 'BUILDKITE_PLUGIN_CONFIGURATION: not JSON');
  }
  return validateConfig(value ?? {}, schema);
}

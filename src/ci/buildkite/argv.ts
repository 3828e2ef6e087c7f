// The plugin configuration as `kiln build` (kaniko) arguments. Pure: the environment and the
// clock come in as arguments so every mapping is checkable in a unit test.
import { BuilderError } from '../../util/errors.ts';
import type { PluginConfig } from './config.ts';
import { ociLabels, tagsFromBuild } from './tags.ts';

/** Every image the step pushes to: tags/destinations, then the derived ones. */
export function destinations(config: PluginConfig, env: NodeJS.ProcessEnv): string[] {
  const out = [...(config.tags ?? []), ...(config.destinations ?? [])];
  const derived = config['tags-from-build'];
  if (derived) {
    const tags = tagsFromBuild(env, derived.types);
    for (const image of derived.images) for (const tag of tags) out.push(`${image}:${tag}`);
  }
  return [...new Set(out)];
}

function keyValueList(value: PluginConfig['labels']): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  return Object.entries(value).map(([k, v]) => `${k}=${String(v)}`);
}

/** `id=env:VAR` / `id=file:PATH` (the plugin's short form) as `--secret` values. */
function secretFlag(spec: string): string {
  const eq = spec.indexOf('=');
  const id = spec.slice(0, eq);
  const source = spec.slice(eq + 1);
  if (source.startsWith('env:')) return `id=${id},env=${source.slice(4)}`;
  return `id=${id},src=${source.slice(5)}`;
}

function outputFlags(outputs: string[], hasDestinations: boolean): { args: string[]; registry: boolean } {
  const args: string[] = [];
  let registry = false;
  outputs.forEach((spec, i) => {
    const fields = Object.fromEntries(spec.split(',').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
    if (fields.type === 'registry') {
      if (!hasDestinations) throw new BuilderError('USAGE', `kiln plugin configuration: outputs[${i}]: type=registry needs tags`);
      registry = true;
    } else if (!fields.dest) {
      throw new BuilderError('USAGE', `kiln plugin configuration: outputs[${i}]: type=${fields.type} needs dest=`);
    } else {
      args.push(fields.type === 'tar' ? '--tar-path' : '--oci-layout-path', fields.dest);
    }
  });
  return { args, registry };
}

export interface BuildInvocation {
  argv: string[];
  destinations: string[];
}

/** The `kiln build` argument vector for a validated configuration. */
export function buildArgv(config: PluginConfig, env: NodeJS.ProcessEnv, now: Date): BuildInvocation {
  const images = destinations(config, env);
  const argv = ['build', '--context', config.context ?? '.', '--dockerfile', config.dockerfile ?? 'Dockerfile'];
  for (const image of images) argv.push('--destination', image);
  const outputs = outputFlags(config.outputs ?? [], images.length > 0);
  // Without outputs the step pushes (push defaults to true); with outputs only type=registry pushes.
  const push = (config.push ?? true) && (config.outputs === undefined || outputs.registry);
  if (push && images.length === 0) throw new BuilderError('USAGE', 'kiln plugin configuration: tags: missing (nothing to push to)');
  argv.push(push ? '--push' : '--no-push');
  argv.push(...outputs.args);
  for (const arg of keyValueList(config['build-args'])) argv.push('--build-arg', arg);
  if (config.target) argv.push('--target', config.target);
  const labels = config['tags-from-build'] ? { ...ociLabels(env, now) } : {};
  for (const label of keyValueList(labels)) argv.push('--label', label);
  for (const label of keyValueList(config.labels)) argv.push('--label', label);
  for (const secret of config.secrets ?? []) argv.push('--secret', secretFlag(secret));
  if (config.cache) {
    argv.push('--cache');
    if (config.cache.repo) argv.push('--cache-repo', config.cache.repo);
    if (config.cache.ttl) argv.push('--cache-ttl', config.cache.ttl);
    if (config.cache['copy-layers'] ?? true) argv.push('--cache-copy-layers');
  }
  if (config.platforms?.length) argv.push('--custom-platform', config.platforms.join(','));
  argv.push(...(config['extra-args'] ?? []));
  return { argv, destinations: images };
}

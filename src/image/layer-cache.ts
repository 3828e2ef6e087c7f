// Opening the layer cache for a build (--cache, --cache-repo, --cache-ttl): a local OCI layout
// for `oci:PATH`, a size-capped local directory for `dir:PATH`, else a registry repository, by default kaniko's `<first destination>/cache`.
import { hostPlatform } from '../oci/platform.ts';
import type { Platform } from '../oci/types.ts';
import type { RegistryClient } from '../registry/client.ts';
import { parseReference, parseRepository } from '../registry/reference.ts';
import { BuilderError, isBuilderError } from '../util/errors.ts';
import type { LayerCache } from './cache-entry.ts';
import { DirLayerCache } from './cache-dir.ts';
import { LayoutLayerCache } from './cache-layout.ts';
import { RegistryLayerCache } from './cache-repo.ts';

export type { CachedLayer, CacheEntryMeta, FlushResult, LayerCache } from './cache-entry.ts';

export interface LayerCacheOptions {
  /** --cache-repo: a repository, oci:PATH for a local OCI layout, or dir:PATH for a local directory. */
  cacheRepo?: string;
  /** --destination values; the first one names the default cache repository. */
  destinations: string[];
  /** --cache-ttl in milliseconds. */
  ttlMs: number;
  /** Reaches the cache repository (not used for oci:PATH). */
  client: RegistryClient;
  /** --cache-max-size in bytes: the cap of a dir:PATH cache. */
  maxBytes?: number;
  /** Recorded in the entries' configs; default this machine's. */
  platform?: Platform;
}

const LAYOUT_PREFIX = 'oci:';
const DIR_PREFIX = 'dir:';

/** kaniko's default cache repository: the repository of the first --destination, plus "/cache". */
export function defaultCacheRepo(destinations: string[]): string {
  if (destinations.length === 0) {
    throw new BuilderError('USAGE', '--cache needs --cache-repo, or a --destination to derive the cache repository from');
  }
  const ref = parseReference(destinations[0]);
  return `${ref.registry}/${ref.repository}/cache`;
}

export function openLayerCache(opts: LayerCacheOptions): LayerCache {
  const platform = opts.platform ?? hostPlatform();
  const repo = opts.cacheRepo || defaultCacheRepo(opts.destinations);
  if (opts.maxBytes !== undefined && !repo.startsWith(DIR_PREFIX)) {
    throw new BuilderError('USAGE', `--cache-max-size applies to a --cache-repo dir:PATH cache, not ${repo}`);
  }
  for (const prefix of [LAYOUT_PREFIX, DIR_PREFIX]) {
    if (!repo.startsWith(prefix)) continue;
    const path = repo.slice(prefix.length);
    if (path === '') throw new BuilderError('USAGE', `invalid value "${repo}" for flag --cache-repo: ${prefix} needs a directory`);
    return prefix === DIR_PREFIX ? new DirLayerCache(path, opts.ttlMs, platform, opts.maxBytes) : new LayoutLayerCache(path, opts.ttlMs, platform);
  }
  try {
    return new RegistryLayerCache(opts.client, parseRepository(repo), opts.ttlMs, platform);
  } catch (err) {
    if (!isBuilderError(err, 'REFERENCE_INVALID')) throw err;
    throw new BuilderError('USAGE', `invalid value "${repo}" for flag --cache-repo: ${err.message}`, { cause: err });
  }
}

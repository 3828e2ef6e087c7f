// Opening the layer cache for a build (--cache, --cache-repo, --cache-ttl): a local OCI layout
// for `oci:PATH`, else a registry repository, by default kaniko's `<first destination>/cache`.
import { hostPlatform } from '../oci/platform.ts';
import type { Platform } from '../oci/types.ts';
import type { RegistryClient } from '../registry/client.ts';
import { parseReference, parseRepository } from '../registry/reference.ts';
import { BuilderError, isBuilderError } from '../util/errors.ts';
import type { LayerCache } from './cache-entry.ts';
import { LayoutLayerCache } from './cache-layout.ts';
import { RegistryLayerCache } from './cache-repo.ts';

export type { CachedLayer, CacheEntryMeta, FlushResult, LayerCache } from './cache-entry.ts';

export interface LayerCacheOptions {
  /** --cache-repo: a repository, or oci:PATH for a local OCI layout. */
  cacheRepo?: string;
  /** --destination values; the first one names the default cache repository. */
  destinations: string[];
  /** --cache-ttl in milliseconds. */
  ttlMs: number;
  /** Reaches the cache repository (not used for oci:PATH). */
  client: RegistryClient;
  /** Recorded in the entries' configs; default this machine's. */
  platform?: Platform;
}

const LAYOUT_PREFIX = 'oci:';

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
  if (repo.startsWith(LAYOUT_PREFIX)) {
    const path = repo.slice(LAYOUT_PREFIX.length);
    if (path === '') throw new BuilderError('USAGE', `invalid value "${repo}" for flag --cache-repo: oci: needs a directory`);
    return new LayoutLayerCache(path, opts.ttlMs, platform);
  }
  try {
    return new RegistryLayerCache(opts.client, parseRepository(repo), opts.ttlMs, platform);
  } catch (err) {
    if (!isBuilderError(err, 'REFERENCE_INVALID')) throw err;
    throw new BuilderError('USAGE', `invalid value "${repo}" for flag --cache-repo: ${err.message}`, { cause: err });
  }
}

// The layer cache in a registry repository, kaniko's way: the entry for a key is the tag `<key>`
// of the cache repository. Writing pushes the layer (mounted from the repository it came from
// when that is on the same registry) before the manifest, so a tag never names a missing blob.
import type { Platform } from '../oci/types.ts';
import type { RegistryClient } from '../registry/client.ts';
import { Reference, type Repository } from '../registry/reference.ts';
import { BuilderError, isBuilderError } from '../util/errors.ts';
import { EntryImageCache, type FailureScope } from './cache-entry.ts';
import { pushImage } from './push.ts';
import { readRemote } from './remote.ts';
import type { Image } from './types.ts';

export class RegistryLayerCache extends EntryImageCache {
  constructor(
    private readonly client: RegistryClient,
    private readonly repo: Repository,
    ttlMs: number,
    platform: Platform,
  ) {
    super(`${repo.registry}/${repo.repository}`, ttlMs, platform);
  }

  private ref(key: string): Reference {
    return new Reference(this.repo.registry, this.repo.repository, key);
  }

  protected async find(key: string): Promise<Image | undefined> {
    let found;
    try {
      found = await readRemote(this.client, this.ref(key));
    } catch (err) {
      if (isBuilderError(err, 'MANIFEST_UNKNOWN')) return undefined;
      throw err;
    }
    if (found.kind !== 'image') throw new BuilderError('LAYER_INVALID', `${this.ref(key)} is an index, not a cache entry`);
    return found.image;
  }

  protected async store(key: string, image: Image): Promise<void> {
    await pushImage(this.client, this.ref(key), { kind: 'image', image });
  }

  protected scopeOf(err: unknown): FailureScope {
    if (isBuilderError(err, 'REGISTRY_UNREACHABLE')) return 'unreachable';
    if (isBuilderError(err, 'REGISTRY_UNAUTHORIZED') || isBuilderError(err, 'REGISTRY_DENIED')) return 'refused';
    return 'entry';
  }
}

// What both layer cache backends share: the entry format (kaniko's one-layer image whose config
// records when it was made), the TTL check on read, background writes, and how failures turn
// into misses. A backend only says how to find and store an entry image under a key.
import { MediaType } from '../oci/mediatypes.ts';
import type { ImageConfig, Platform } from '../oci/types.ts';
import { isExpired } from '../cache/layer-cache-ttl.ts';
import { BackgroundWrites, type FlushResult } from '../cache/layer-cache-writes.ts';
import { describeError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { imageFromParts } from './mutate.ts';
import type { Image, Layer } from './types.ts';

export type { FlushResult };

export interface CachedLayer {
  key: string;
  /** Lazy and verified as it is read; its origin lets a push to the same registry mount it. */
  layer: Layer;
  /** When the entry was written. */
  created: Date;
  /** The instruction that made it, as recorded in the entry's history. */
  createdBy?: string;
}

export interface CacheEntryMeta {
  /** The instruction text, recorded as the entry's history `created_by`. */
  createdBy: string;
  /** When the entry counts as made; default now. Only tests backdate it. */
  created?: Date;
}

export interface LayerCache {
  /** Names the cache in messages: "registry/repo" or "oci:PATH". */
  readonly name: string;
  /** The entry for `key` if there is one younger than the TTL. Never throws: trouble is a miss. */
  get(key: string): Promise<CachedLayer | undefined>;
  /**
   * Queues writing `layer` under `key` and returns at once; the write runs in the background.
   * The layer's bytes must stay readable until flush() has resolved.
   */
  put(key: string, layer: Layer, meta: CacheEntryMeta): Promise<void>;
  /** Waits for every queued write; failures were logged as warnings and are only counted. */
  flush(): Promise<FlushResult>;
}

/** The one-layer image an entry is stored as. */
function cacheEntryImage(layer: Layer, meta: CacheEntryMeta, platform: Platform): Image {
  const created = (meta.created ?? new Date()).toISOString();
  // A Docker layer goes into a Docker manifest, an OCI layer into an OCI one: no media types mixed.
  const mediaType = layer.mediaType.startsWith('application/vnd.docker.') ? MediaType.DockerManifest : MediaType.OciManifest;
  const config: ImageConfig = {
    created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created, created_by: meta.createdBy, author: 'kiln' }],
  };
  return imageFromParts(async () => ({ mediaType, config, layers: [layer] }));
}

/** How far a failure reaches: the whole cache, the right to write it, or just this entry. */
export type FailureScope = 'unreachable' | 'refused' | 'entry';

export abstract class EntryImageCache implements LayerCache {
  private readonly writes = new BackgroundWrites();
  /** Entries written by this build and not yet flushed: a later identical step hits them at once. */
  private readonly pending = new Map<string, CachedLayer>();
  /** Set once the cache proved unreachable: the rest of the build runs uncached. */
  private unreachable = false;
  /** Set once a write was refused (no push rights): later writes would be refused too. */
  private writesRefused = false;

  constructor(
    readonly name: string,
    private readonly ttlMs: number,
    private readonly platform: Platform,
  ) {}

  /** The entry image tagged `key`, or undefined when there is none. */
  protected abstract find(key: string): Promise<Image | undefined>;
  /** Stores `image` tagged `key`. */
  protected abstract store(key: string, image: Image): Promise<void>;
  protected abstract scopeOf(err: unknown): FailureScope;

  async get(key: string): Promise<CachedLayer | undefined> {
    const written = this.pending.get(key);
    if (written) return written;
    if (this.unreachable) return undefined;
    const where = `${this.name}:${key}`;
    try {
      const image = await this.find(key);
      if (!image) {
        log.debug(`no cached layer at ${where}`);
        return undefined;
      }
      const [config, layers] = await Promise.all([image.config(), image.layers()]);
      if (layers.length !== 1) {
        log.warn(`ignoring cache entry ${where}: it has ${layers.length} layers, not 1`);
        return undefined;
      }
      if (isExpired(config.created, this.ttlMs)) {
        log.info(`cache entry ${where} expired (created ${config.created ?? 'at an unknown time'})`);
        return undefined;
      }
      log.info(`found cached layer ${where}`);
      const createdBy = config.history?.find((h) => !h.empty_layer)?.created_by;
      return { key, layer: layers[0], created: new Date(config.created as string), createdBy };
    } catch (err) {
      switch (this.scopeOf(err)) {
        case 'unreachable':
          this.giveUp(err);
          break;
        case 'refused':
          // Registries such as Docker Hub refuse pulls from a repository that does not exist
          // yet: that is a fresh cache, to be filled by this build's writes.
          log.info(`no cached layer at ${where}: ${describeError(err)}`);
          break;
        case 'entry':
          log.warn(`layer cache: reading ${where} failed, treating it as a miss: ${describeError(err)}`);
      }
      return undefined;
    }
  }

  async put(key: string, layer: Layer, meta: CacheEntryMeta): Promise<void> {
    if (this.unreachable || this.writesRefused) return;
    const created = meta.created ?? new Date();
    this.pending.set(key, { key, layer, created, createdBy: meta.createdBy });
    const image = cacheEntryImage(layer, { ...meta, created }, this.platform);
    this.writes.add(`${this.name}:${key}`, async () => {
      try {
        // Queued before the cache failed for good; the warning about that has been given.
        if (this.unreachable || this.writesRefused) return;
        await this.store(key, image);
      } catch (err) {
        const scope = this.scopeOf(err);
        if (scope === 'unreachable') this.unreachable = true;
        if (scope === 'refused') this.writesRefused = true;
        throw err;
      } finally {
        this.pending.delete(key);
      }
    });
  }

  flush(): Promise<FlushResult> {
    return this.writes.flush();
  }

  private giveUp(err: unknown): void {
    if (!this.unreachable) log.warn(`layer cache ${this.name} cannot be used, building without it: ${describeError(err)}`);
    this.unreachable = true;
  }
}

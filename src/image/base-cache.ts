// The base-image cache (--cache-dir, filled by `kiln warm`, kaniko's warmer). The directory is an
// OCI image layout: blobs by digest (written to a temp name, verified, renamed), and index.json
// mapping each warmed reference (its ref.name annotation) to the image's digest. A build that has
// resolved its base image to a digest reads it from here instead of the registry.
import type { Digest } from '../oci/digest.ts';
import { formatPlatform, hostPlatform } from '../oci/platform.ts';
import type { Platform } from '../oci/types.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { Reference } from '../registry/reference.ts';
import { describeError, isBuilderError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { BlobStore } from '../cache/blob-store.ts';
import { forEachLimit } from './concurrency.ts';
import { isForeignLayer } from './layer.ts';
import { REF_NAME, readLayoutIndex } from './layout.ts';
import { writeLayout } from './layout-write.ts';
import { resolveImage } from './platform.ts';
import { readRemote } from './remote.ts';
import { readStoreImage } from './store.ts';
import type { Image } from './types.ts';
import { walkImage } from './walk.ts';

/** kaniko's default --cache-dir. */
export const DEFAULT_CACHE_DIR = '/cache';

function storeOf(cacheDir: string): BlobStore {
  return new BlobStore(cacheDir, `base-image cache ${cacheDir}`);
}

/** Whether the config and every (distributable) layer of `image` are in the store, whole. */
async function isComplete(store: BlobStore, image: Image): Promise<boolean> {
  const manifest = await image.manifest();
  const blobs = [manifest.config, ...manifest.layers.filter((l) => !isForeignLayer(l))];
  for (const blob of blobs) {
    if ((await store.size(blob.digest)) !== blob.size) return false;
  }
  return true;
}

/**
 * The image with manifest `digest` from the cache at `cacheDir`, or undefined when it is not there
 * whole. Never fails a build: an unreadable cache is a miss with a warning. Layer bytes are
 * verified against their digests as they are read.
 */
export async function cachedImage(cacheDir: string, digest: Digest): Promise<Image | undefined> {
  const store = storeOf(cacheDir);
  try {
    const found = await readStoreImage(store, digest, `base-image cache ${cacheDir}`);
    if (found.kind !== 'image' || !(await isComplete(store, found.image))) return undefined;
    log.info(`using ${digest} from the base-image cache ${cacheDir}`);
    return found.image;
  } catch (err) {
    if (isBuilderError(err, 'MANIFEST_UNKNOWN') || isBuilderError(err, 'FILE_NOT_FOUND')) return undefined;
    log.warn(`base-image cache ${cacheDir} could not be read, pulling instead: ${describeError(err)}`);
    return undefined;
  }
}

/**
 * The digest `ref` had when it was warmed, from the cache's index: lets a build that cannot reach
 * the registry still start from the warmed image. undefined when `ref` was never warmed here.
 */
export async function warmedDigest(cacheDir: string, ref: Reference): Promise<Digest | undefined> {
  try {
    const entries = (await readLayoutIndex(cacheDir)).manifests.filter((d) => d.annotations?.[REF_NAME] === ref.toString());
    return entries[entries.length - 1]?.digest;
  } catch (err) {
    if (isBuilderError(err, 'FILE_NOT_FOUND')) return undefined;
    log.warn(`base-image cache ${cacheDir} could not be read: ${describeError(err)}`);
    return undefined;
  }
}

export interface WarmOptions {
  /** The image of this platform out of an index; default this machine's. */
  platform?: Platform;
  /** Download and verify every blob again even when the image is cached (kaniko's --force). */
  force?: boolean;
  concurrency?: number;
}

export interface WarmResult {
  digest: Digest;
  /** True when the image was already cached whole and nothing was downloaded. */
  cached: boolean;
}

/** Replaces every blob of `image` in the store with freshly downloaded, verified bytes. */
async function refetchBlobs(store: BlobStore, image: Image, concurrency: number): Promise<void> {
  const tree = await walkImage({ kind: 'image', image });
  await forEachLimit(tree.blobs, concurrency, async (blob) => {
    const staged = await store.stage(await blob.open(), { digest: blob.digest, size: blob.size });
    // rename(2) over the old file: a reader sees the old bytes or the new, both verified.
    await staged.commit();
  });
}

/** Stores the image `ref` names (for `opts.platform` out of an index) under `cacheDir`. */
export async function warmImage(client: RegistryClient, ref: Reference, cacheDir: string, opts: WarmOptions = {}): Promise<WarmResult> {
  const name = ref.toString();
  const platform = opts.platform ?? hostPlatform();
  const found = await readRemote(client, ref);
  const image = await resolveImage(found, platform, name);
  const digest = await image.digest();
  const store = storeOf(cacheDir);
  const cached = !opts.force && (await isComplete(store, image));
  if (opts.force) await refetchBlobs(store, image, opts.concurrency ?? 4);
  // Downloads whatever is missing, then points the reference at the digest in index.json.
  await writeLayout(cacheDir, { kind: 'image', image }, { tag: name, concurrency: opts.concurrency });
  const what = found.kind === 'index' ? `${name} (${formatPlatform(platform)})` : name;
  log.info(cached ? `${what} is already cached as ${digest}` : `cached ${what} as ${digest} in ${cacheDir}`);
  return { digest, cached };
}

// The layer cache in a local OCI layout (`--cache-repo oci:PATH`): one layout whose index.json
// tags each entry with its key. Blobs are shared between entries and written through the layout
// sink (temp name, verified, renamed; index.json replaced under a lock), so concurrent builds
// sharing the directory never see a torn entry.
import type { Platform } from '../oci/types.ts';
import { isBuilderError } from '../util/errors.ts';
import { EntryImageCache, type FailureScope } from './cache-entry.ts';
import { readLayout } from './layout.ts';
import { writeLayout } from './layout-write.ts';
import type { Image } from './types.ts';

export class LayoutLayerCache extends EntryImageCache {
  constructor(
    private readonly path: string,
    ttlMs: number,
    platform: Platform,
  ) {
    super(`oci:${path}`, ttlMs, platform);
  }

  protected async find(key: string): Promise<Image | undefined> {
    let found;
    try {
      found = await readLayout(this.path, key);
    } catch (err) {
      // No layout yet, or no entry tagged with this key.
      if (isBuilderError(err, 'FILE_NOT_FOUND') || isBuilderError(err, 'MANIFEST_UNKNOWN')) return undefined;
      throw err;
    }
    return found.kind === 'image' ? found.image : undefined;
  }

  protected async store(key: string, image: Image): Promise<void> {
    await writeLayout(this.path, { kind: 'image', image }, { tag: key });
  }

  protected scopeOf(err: unknown): FailureScope {
    // A directory we may not use, or a full disk, fails every later entry the same way.
    return isBuilderError(err, 'IO') || isBuilderError(err, 'DISK_FULL') ? 'unreachable' : 'entry';
  }
}

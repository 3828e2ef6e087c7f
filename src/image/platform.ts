// Picking the image for a platform out of an index (nested indexes included).
import { formatPlatform, platformMatches } from '../oci/platform.ts';
import { isIndexMediaType } from '../oci/mediatypes.ts';
import type { Platform } from '../oci/types.ts';
import { BuilderError } from '../util/errors.ts';
import type { Image, ImageIndex, ImageOrIndex } from './types.ts';

/** The first entry of `index` (searched depth first) whose platform matches `wanted`. */
async function find(index: ImageIndex, wanted: Platform, seen: string[]): Promise<Image | undefined> {
  for (const desc of (await index.manifest()).manifests) {
    if (isIndexMediaType(desc.mediaType)) {
      const found = await find(await index.index(desc), wanted, seen);
      if (found) return found;
      continue;
    }
    if (desc.platform) seen.push(formatPlatform(desc.platform));
    if (platformMatches(wanted, desc.platform)) return index.image(desc);
  }
  return undefined;
}

export async function selectPlatform(index: ImageIndex, wanted: Platform, name: string): Promise<Image> {
  const seen: string[] = [];
  const image = await find(index, wanted, seen);
  if (image) return image;
  const available = [...new Set(seen)].filter((p) => p !== 'unknown/unknown');
  throw new BuilderError('PLATFORM_NOT_FOUND', `${name} has no image for ${formatPlatform(wanted)} (available: ${available.join(', ') || 'none'})`);
}

/** The image itself, or the one for `wanted` out of an index. */
export async function resolveImage(source: ImageOrIndex, wanted: Platform, name: string): Promise<Image> {
  return source.kind === 'image' ? source.image : selectPlatform(source.index, wanted, name);
}

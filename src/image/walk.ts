// Everything an image or index consists of, in the order a writer must publish it: blobs (layers
// and configs, deduplicated) first, then manifests with children before their parents.
import { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.ts';
import { isIndexMediaType } from '../oci/mediatypes.ts';
import { isForeignLayer } from './layer.ts';
import type { BlobOrigin, Image, ImageIndex, ImageOrIndex, Opener } from './types.ts';

export interface BlobEntry {
  digest: Digest;
  size: number;
  kind: 'layer' | 'config';
  origin?: BlobOrigin;
  open: Opener;
}

export interface ManifestEntry {
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
}

export interface ImageTree {
  blobs: BlobEntry[];
  /** Children before parents; the last entry is the top manifest. */
  manifests: ManifestEntry[];
  /** Layers left out because they are foreign (non-distributable). */
  foreign: number;
}

export async function walkImage(source: ImageOrIndex): Promise<ImageTree> {
  const tree: ImageTree = { blobs: [], manifests: [], foreign: 0 };
  const seenBlobs = new Set<string>();
  const seenManifests = new Set<string>();

  const addBlob = (blob: BlobEntry): void => {
    if (seenBlobs.has(blob.digest)) return;
    seenBlobs.add(blob.digest);
    tree.blobs.push(blob);
  };
  const addManifest = async (m: Image | ImageIndex): Promise<void> => {
    const digest = await m.digest();
    if (seenManifests.has(digest)) return;
    seenManifests.add(digest);
    tree.manifests.push({ digest, mediaType: await m.mediaType(), bytes: await m.rawManifest() });
  };

  const visitImage = async (image: Image): Promise<void> => {
    for (const layer of await image.layers()) {
      if (isForeignLayer(layer)) {
        tree.foreign++;
        continue;
      }
      addBlob({ digest: layer.digest, size: layer.size, kind: 'layer', origin: layer.origin, open: () => layer.compressed() });
    }
    const config = (await image.manifest()).config;
    addBlob({ digest: config.digest, size: config.size, kind: 'config', origin: image.origin, open: async () => Readable.from([await image.rawConfig()]) });
    await addManifest(image);
  };
  const visitIndex = async (index: ImageIndex): Promise<void> => {
    for (const desc of (await index.manifest()).manifests) {
      if (isIndexMediaType(desc.mediaType)) await visitIndex(await index.index(desc));
      else await visitImage(await index.image(desc));
    }
    await addManifest(index);
  };

  if (source.kind === 'image') await visitImage(source.image);
  else await visitIndex(source.index);
  // Configs go last, as docker and go-containerregistry push them: a config in place then means
  // every layer it lists is in place too.
  tree.blobs.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'layer' ? -1 : 1));
  return tree;
}

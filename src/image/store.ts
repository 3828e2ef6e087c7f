// Images held in a local blob store (the base-image cache, an OCI layout's blobs): manifests,
// configs and layers are all blobs named by digest.
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.ts';
import type { Descriptor } from '../oci/types.ts';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import type { BlobStore } from '../cache/blob-store.ts';
import { checkManifestBytes, openManifest, type BlobSource } from './source.ts';
import type { ImageOrIndex } from './types.ts';

export class BlobStoreSource implements BlobSource {
  constructor(
    readonly store: BlobStore,
    readonly name: string,
  ) {}

  async openBlob(desc: Descriptor): Promise<Readable> {
    const size = await this.store.size(desc.digest);
    if (size === undefined) throw new BuilderError('BLOB_UNKNOWN', `blob ${desc.digest} is missing from ${this.name}`);
    if (size !== desc.size) throw new BuilderError('DIGEST_MISMATCH', `blob ${desc.digest} in ${this.name}: ${size} bytes on disk, ${desc.size} in its descriptor`);
    return this.store.open(desc.digest);
  }

  async readManifest(desc: Descriptor): Promise<Buffer> {
    const path = this.store.path(desc.digest);
    try {
      return checkManifestBytes(await readFile(path), desc, `manifest ${desc.digest} in ${this.name}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BuilderError('MANIFEST_UNKNOWN', `manifest ${desc.digest} is missing from ${this.name}`);
      throw fromSystemError(err, path);
    }
  }
}

/** The image or index whose manifest is the blob `digest` of `store`. */
export async function readStoreImage(store: BlobStore, digest: Digest, name: string, mediaType?: string): Promise<ImageOrIndex> {
  const source = new BlobStoreSource(store, name);
  const size = await store.size(digest);
  if (size === undefined) throw new BuilderError('MANIFEST_UNKNOWN', `manifest ${digest} is missing from ${name}`);
  const bytes = await source.readManifest({ mediaType: mediaType ?? '', digest, size });
  return openManifest(source, bytes, mediaType);
}

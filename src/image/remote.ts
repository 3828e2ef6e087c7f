// Images in a registry: the manifest is fetched once, the config when first asked for, and layer
// bytes are streamed from the registry each time a layer is opened (verified by the client).
import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/types.ts';
import type { RegistryClient } from '../registry/client.ts';
import { Reference } from '../registry/reference.ts';
import { openManifest, type BlobSource } from './source.ts';
import type { BlobOrigin, ImageOrIndex } from './types.ts';

class RegistrySource implements BlobSource {
  readonly name: string;
  readonly origin: BlobOrigin;

  constructor(
    private readonly client: RegistryClient,
    private readonly ref: Reference,
  ) {
    this.name = `${ref.registry}/${ref.repository}`;
    this.origin = { registry: ref.registry, repository: ref.repository };
  }

  openBlob(desc: Descriptor): Promise<Readable> {
    return this.client.getBlob(this.ref.context(), desc.digest, desc.size);
  }

  async readManifest(desc: Descriptor): Promise<Buffer> {
    // By digest, so the client checks the bytes against it.
    const child = new Reference(this.ref.registry, this.ref.repository, undefined, desc.digest);
    return (await this.client.getManifest(child)).bytes;
  }
}

export async function readRemote(client: RegistryClient, ref: Reference): Promise<ImageOrIndex> {
  const found = await client.getManifest(ref);
  // A mirror may have served it; its blobs are read from (and mountable from) the same place.
  return openManifest(new RegistrySource(client, found.source), found.bytes, found.mediaType);
}

// A Layer whose stored bytes come from an opener. Every backend (registry, layout, blob store,
// the layers a build writes) describes its layers this way; only the opener differs.
import { pipeline, type Readable } from 'node:stream';
import type { Digest } from '../oci/digest.ts';
import { MediaType } from '../oci/mediatypes.ts';
import type { Descriptor } from '../oci/types.ts';
import { verified } from '../cache/digest-stream.ts';
import { decompressor } from './decompress.ts';
import type { BlobOrigin, Layer, Opener } from './types.ts';

export interface OpenerLayerProps {
  digest: Digest;
  diffId: Digest;
  size: number;
  mediaType: string;
  urls?: string[];
  annotations?: Record<string, string>;
  origin?: BlobOrigin;
  /** Fresh stream of the stored bytes; the opener is responsible for verifying them. */
  open: Opener;
}

export function openerLayer(props: OpenerLayerProps): Layer {
  const { open, ...fields } = props;
  return {
    ...fields,
    compressed: open,
    async uncompressed(): Promise<Readable> {
      const what = `layer ${props.digest}`;
      const raw = await open();
      const decode = decompressor(props.mediaType, what);
      const tar = decode ? pipeline(raw, decode, () => {}) : raw;
      // The diffId is what rootfs.diff_ids promises; a layer that decodes to other bytes is refused.
      return verified(tar, props.diffId, undefined, `${what} (uncompressed)`);
    },
  };
}

/** A layer of `descriptor` whose diffId comes from the image config. */
export function describedLayer(descriptor: Descriptor, diffId: Digest, open: Opener, origin?: BlobOrigin): Layer {
  return openerLayer({
    digest: descriptor.digest,
    diffId,
    size: descriptor.size,
    mediaType: descriptor.mediaType,
    urls: descriptor.urls,
    annotations: descriptor.annotations,
    origin,
    open,
  });
}

/** The same bytes under another media type (gzip tar is gzip tar in either vocabulary). */
export function withLayerMediaType(layer: Layer, mediaType: string): Layer {
  if (layer.mediaType === mediaType) return layer;
  return {
    digest: layer.digest,
    diffId: layer.diffId,
    size: layer.size,
    mediaType,
    urls: layer.urls,
    annotations: layer.annotations,
    origin: layer.origin,
    compressed: () => layer.compressed(),
    uncompressed: () => layer.uncompressed(),
  };
}

/** Foreign (non-distributable) layers live at their URLs; registries and copies skip them. */
export function isForeignLayer(layer: { mediaType: string; urls?: string[] }): boolean {
  return (
    layer.mediaType === MediaType.DockerForeignLayerGzip ||
    layer.mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.')
  );
}

export function layerDescriptor(layer: Layer): Descriptor {
  const desc: Descriptor = { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
  if (layer.urls?.length) desc.urls = layer.urls;
  if (layer.annotations && Object.keys(layer.annotations).length) desc.annotations = layer.annotations;
  return desc;
}

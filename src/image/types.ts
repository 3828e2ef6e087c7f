// The lazy image model shared by every backend (registry, OCI layout, docker tarball, the image
// being built). Bytes come from openers, functions that return a fresh stream, so every read and
// every upload can be retried and nothing is buffered whole.
import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.ts';
import type { Descriptor, ImageConfig, Index, Manifest } from '../oci/types.ts';

export type Opener = () => Promise<Readable>;

/**
 * Where a blob can already be found in a registry. A push to another repository of the same
 * registry mounts it from there instead of uploading its bytes.
 */
export interface BlobOrigin {
  registry: string;
  repository: string;
}

export interface Layer {
  /** Digest of the bytes as stored (compressed). */
  readonly digest: Digest;
  /** Digest of the uncompressed tar. */
  readonly diffId: Digest;
  /** Size of the bytes as stored. */
  readonly size: number;
  readonly mediaType: string;
  readonly urls?: string[];
  readonly annotations?: Record<string, string>;
  readonly origin?: BlobOrigin;
  /** A fresh stream of the stored (compressed) bytes. */
  compressed(): Promise<Readable>;
  /** A fresh stream of the uncompressed tar. */
  uncompressed(): Promise<Readable>;
}

export interface Image {
  /** Set when the image was read from a registry; its config blob can be mounted from there. */
  readonly origin?: BlobOrigin;
  /** Exact manifest bytes; the image digest is their hash. */
  rawManifest(): Promise<Buffer>;
  manifest(): Promise<Manifest>;
  mediaType(): Promise<string>;
  digest(): Promise<Digest>;
  rawConfig(): Promise<Buffer>;
  config(): Promise<ImageConfig>;
  /** Layers in manifest order. */
  layers(): Promise<Layer[]>;
}

export interface ImageIndex {
  readonly origin?: BlobOrigin;
  rawManifest(): Promise<Buffer>;
  manifest(): Promise<Index>;
  mediaType(): Promise<string>;
  digest(): Promise<Digest>;
  image(desc: Descriptor): Promise<Image>;
  index(desc: Descriptor): Promise<ImageIndex>;
}

export type ImageOrIndex = { kind: 'image'; image: Image } | { kind: 'index'; index: ImageIndex };

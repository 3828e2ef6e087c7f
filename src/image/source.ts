// Images and indexes over any store of blobs (a registry repository, an OCI layout, the local blob
// store). A backend supplies a BlobSource; everything else (parsing, diffIds, children) is shared.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { digestAlgorithm, sha256, type Digest } from '../oci/digest.ts';
import { isIndexMediaType, isManifestMediaType } from '../oci/mediatypes.ts';
import type { Descriptor, ImageConfig, Index, Manifest } from '../oci/types.ts';
import { BuilderError } from '../util/errors.ts';
import { digestMismatch } from '../cache/digest-stream.ts';
import { describedLayer } from './layer.ts';
import { once } from './once.ts';
import { detectMediaType, parseConfig, parseIndex, parseManifest } from './parse.ts';
import type { BlobOrigin, Image, ImageIndex, ImageOrIndex, Layer } from './types.ts';

export interface BlobSource {
  /** Names the source in messages, e.g. "oci-layout:/tmp/x" or "127.0.0.1:5000/busybox". */
  readonly name: string;
  readonly origin?: BlobOrigin;
  /** A fresh stream of a blob's bytes, verified against the descriptor as it is read. */
  openBlob(desc: Descriptor): Promise<Readable>;
  /** The exact bytes of the manifest a descriptor names (an index entry). */
  readManifest(desc: Descriptor): Promise<Buffer>;
}

// Configs are a few KiB; anything near this is not a config and must not be held in memory.
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export async function readSmallBlob(source: BlobSource, desc: Descriptor, what: string): Promise<Buffer> {
  if (desc.size > MAX_CONFIG_BYTES) throw new BuilderError('MANIFEST_UNKNOWN', `${what}: ${desc.size} bytes is too large for a config`);
  const chunks: Buffer[] = [];
  for await (const chunk of await source.openBlob(desc)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function digestOf(bytes: Buffer, algorithm: 'sha256' | 'sha512'): Digest {
  return algorithm === 'sha256' ? sha256(bytes) : (`sha512:${createHash('sha512').update(bytes).digest('hex')}` as Digest);
}

/** Manifest bytes a source returned for `desc`, checked against the descriptor's digest. */
export function checkManifestBytes(bytes: Buffer, desc: Descriptor, what: string): Buffer {
  const actual = digestOf(bytes, digestAlgorithm(desc.digest));
  if (actual !== desc.digest) throw digestMismatch(what, desc.digest, actual);
  return bytes;
}

/** What an image and an index read from a source share: their exact bytes, parsed once. */
abstract class SourceManifest<T> {
  readonly origin?: BlobOrigin;
  protected readonly parsed: T;
  protected readonly what: string;

  constructor(
    protected readonly source: BlobSource,
    private readonly bytes: Buffer,
    private readonly type: string,
    kind: 'image' | 'index',
    parse: (bytes: Buffer, what: string) => T,
  ) {
    this.origin = source.origin;
    this.what = `${kind} ${sha256(bytes)} in ${source.name}`;
    this.parsed = parse(bytes, this.what);
  }

  async rawManifest(): Promise<Buffer> {
    return this.bytes;
  }
  async manifest(): Promise<T> {
    return this.parsed;
  }
  async mediaType(): Promise<string> {
    return this.type;
  }
  async digest(): Promise<Digest> {
    return sha256(this.bytes);
  }
}

export class SourceImage extends SourceManifest<Manifest> implements Image {
  constructor(source: BlobSource, bytes: Buffer, type: string) {
    super(source, bytes, type, 'image', parseManifest);
  }

  readonly rawConfig = once(() => readSmallBlob(this.source, this.parsed.config, `config of ${this.what}`));

  readonly config = once(async (): Promise<ImageConfig> => parseConfig(await this.rawConfig(), `config of ${this.what}`));

  readonly layers = once(async (): Promise<Layer[]> => {
    const diffIds = (await this.config()).rootfs.diff_ids;
    if (diffIds.length !== this.parsed.layers.length) {
      throw new BuilderError('LAYER_INVALID', `${this.what}: ${this.parsed.layers.length} layers but ${diffIds.length} diff_ids in its config`);
    }
    return this.parsed.layers.map((desc, i) => describedLayer(desc, diffIds[i], () => this.source.openBlob(desc), this.origin));
  });
}

export class SourceIndex extends SourceManifest<Index> implements ImageIndex {
  constructor(source: BlobSource, bytes: Buffer, type: string) {
    super(source, bytes, type, 'index', parseIndex);
  }

  async image(desc: Descriptor): Promise<Image> {
    const child = await this.child(desc);
    if (child.kind !== 'image') throw new BuilderError('MANIFEST_UNKNOWN', `${desc.digest} in ${this.what} is an index, not an image`);
    return child.image;
  }

  async index(desc: Descriptor): Promise<ImageIndex> {
    const child = await this.child(desc);
    if (child.kind !== 'index') throw new BuilderError('MANIFEST_UNKNOWN', `${desc.digest} in ${this.what} is an image, not an index`);
    return child.index;
  }

  private async child(desc: Descriptor): Promise<ImageOrIndex> {
    const what = `manifest ${desc.digest} of ${this.what}`;
    const bytes = checkManifestBytes(await this.source.readManifest(desc), desc, what);
    return openManifest(this.source, bytes, desc.mediaType);
  }
}

/** An image or an index from its manifest bytes; `declared` is the media type the source gave. */
export function openManifest(source: BlobSource, bytes: Buffer, declared: string | undefined): ImageOrIndex {
  const what = `manifest ${sha256(bytes)} in ${source.name}`;
  const type = detectMediaType(bytes, declared, what);
  if (isIndexMediaType(type)) return { kind: 'index', index: new SourceIndex(source, bytes, type) };
  if (isManifestMediaType(type)) return { kind: 'image', image: new SourceImage(source, bytes, type) };
  throw new BuilderError('MANIFEST_UNKNOWN', `${what}: unsupported media type ${type}`);
}

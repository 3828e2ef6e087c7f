// Writes OCI image layouts (image-layout spec v1.0) for the lab's base images: gzip layers,
// configs, manifests, indexes, and the top-level index.json with ref names.
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { tarStream, type TarEntry } from './layer-tar.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const REF_NAME = 'org.opencontainers.image.ref.name';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface LayerDescriptor extends Descriptor {
  diffId: string;
}

class HashTap extends Transform {
  private readonly hash: Hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }

  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

export async function initLayout(dir: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`);
}

export async function writeBlob(dir: string, mediaType: string, bytes: Buffer): Promise<Descriptor> {
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(join(dir, 'blobs', 'sha256', hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

export function writeJsonBlob(dir: string, mediaType: string, value: unknown): Promise<Descriptor> {
  return writeBlob(dir, mediaType, Buffer.from(JSON.stringify(value)));
}

/** Packs entries into a gzip layer blob, hashing the tar (diff_id) and the gzip (digest) as they stream. */
export async function writeLayer(dir: string, entries: AsyncIterable<TarEntry> | Iterable<TarEntry>, mtime: Date): Promise<LayerDescriptor> {
  const tmp = join(dir, 'blobs', 'sha256', `.layer-${process.pid}-${Date.now()}`);
  const tarTap = new HashTap();
  const gzTap = new HashTap();
  await pipeline(Readable.from(tarStream(entries, mtime)), tarTap, createGzip({ level: 6 }), gzTap, createWriteStream(tmp));
  const digest = gzTap.digest();
  await rename(tmp, join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  return { mediaType: OCI_LAYER_GZIP, digest, size: gzTap.size, diffId: tarTap.digest() };
}

export interface ImageSpec {
  platform: Platform;
  layers: LayerDescriptor[];
  created: string;
  /** The `config` member of the image config (Env, Cmd, …). */
  runConfig: Record<string, unknown>;
  /** One history line per layer. */
  history: string[];
}

/** Writes config and manifest blobs; returns the manifest's descriptor carrying the platform. */
export async function writeImage(dir: string, spec: ImageSpec): Promise<Descriptor> {
  const config = {
    created: spec.created,
    architecture: spec.platform.architecture,
    ...(spec.platform.variant ? { variant: spec.platform.variant } : {}),
    os: spec.platform.os,
    config: spec.runConfig,
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
    history: spec.history.map((createdBy) => ({ created: spec.created, created_by: createdBy })),
  };
  const configDesc = await writeJsonBlob(dir, OCI_CONFIG, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: configDesc,
    layers: spec.layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
  };
  const desc = await writeJsonBlob(dir, OCI_MANIFEST, manifest);
  return { ...desc, platform: spec.platform };
}

export async function writeImageIndex(dir: string, manifests: Descriptor[]): Promise<Descriptor> {
  return writeJsonBlob(dir, OCI_INDEX, { schemaVersion: 2, mediaType: OCI_INDEX, manifests });
}

/** The layout's index.json: one entry per tag. */
export async function writeLayoutIndex(dir: string, tagged: Record<string, Descriptor>): Promise<void> {
  const manifests = Object.entries(tagged).map(([tag, d]) => ({ ...d, annotations: { ...d.annotations, [REF_NAME]: tag } }));
  await writeFile(join(dir, 'index.json'), `${JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }, null, 2)}\n`);
}

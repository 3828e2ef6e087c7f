// Reading an OCI image layout directory: `oci-layout`, `index.json`, `blobs/<alg>/<hex>`. An image
// is named by the `org.opencontainers.image.ref.name` annotation of its index.json entry.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Descriptor, Index } from '../oci/types.ts';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import { BlobStore } from '../cache/blob-store.ts';
import { parseIndex } from './parse.ts';
import { openManifest } from './source.ts';
import { BlobStoreSource } from './store.ts';
import type { ImageOrIndex } from './types.ts';

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const LAYOUT_VERSION = '1.0.0';

export function layoutName(path: string, tag?: string): string {
  return `oci-layout:${path}${tag ? `:${tag}` : ''}`;
}

/** The layout's index.json, after checking that `dir` is a layout kiln can read. */
export async function readLayoutIndex(dir: string): Promise<Index> {
  const name = layoutName(dir);
  let marker: string;
  try {
    marker = await readFile(join(dir, 'oci-layout'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BuilderError('FILE_NOT_FOUND', `${name}: not an OCI layout (no oci-layout file)`);
    throw fromSystemError(err, join(dir, 'oci-layout'));
  }
  let version: unknown;
  try {
    version = (JSON.parse(marker) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch {
    version = undefined;
  }
  if (version !== LAYOUT_VERSION) throw new BuilderError('FILE_NOT_FOUND', `${name}: unsupported oci-layout version ${JSON.stringify(version)}`);
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, 'index.json'));
  } catch (err) {
    throw fromSystemError(err, join(dir, 'index.json'));
  }
  return parseIndex(bytes, `${name}/index.json`);
}

/** The index.json entry for `tag`, or the only entry when no tag is given. */
export function findLayoutEntry(index: Index, dir: string, tag?: string): Descriptor {
  if (tag !== undefined) {
    const found = index.manifests.filter((d) => d.annotations?.[REF_NAME] === tag);
    if (found.length === 0) {
      const names = index.manifests.map((d) => d.annotations?.[REF_NAME]).filter(Boolean);
      throw new BuilderError('MANIFEST_UNKNOWN', `${layoutName(dir, tag)}: no image tagged "${tag}" (tags: ${names.join(', ') || 'none'})`);
    }
    // A later entry replaces an earlier one with the same name.
    return found[found.length - 1];
  }
  if (index.manifests.length !== 1) {
    throw new BuilderError('USAGE', `${layoutName(dir)} holds ${index.manifests.length} images; name one as oci-layout:${dir}:TAG`);
  }
  return index.manifests[0];
}

export async function readLayout(path: string, tag?: string): Promise<ImageOrIndex> {
  const dir = resolve(path);
  const entry = findLayoutEntry(await readLayoutIndex(dir), path, tag);
  const name = layoutName(path, tag);
  const source = new BlobStoreSource(new BlobStore(dir, name), name);
  const bytes = await source.readManifest(entry);
  return openManifest(source, bytes, entry.mediaType);
}

// `kiln copy`: an image, or a whole index with every platform, from one place to another, keeping
// every digest (manifests are written as their original bytes). Places: a registry reference
// (optionally docker://REF), oci-layout:PATH[:TAG], and docker-archive:PATH[:NAME:TAG] (write only).
import type { Digest } from '../oci/digest.ts';
import { formatPlatform, hostPlatform } from '../oci/platform.ts';
import type { Platform } from '../oci/types.ts';
import type { RegistryClient } from '../registry/client.ts';
import { parseReference, type Reference } from '../registry/reference.ts';
import { BuilderError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { writeDockerArchive } from './docker-archive.ts';
import { layoutName, readLayout } from './layout.ts';
import { writeLayout } from './layout-write.ts';
import { resolveImage } from './platform.ts';
import { pushImage } from './push.ts';
import { readRemote } from './remote.ts';
import type { ImageOrIndex } from './types.ts';

export type Location =
  | { kind: 'registry'; ref: Reference }
  | { kind: 'oci-layout'; path: string; tag?: string }
  | { kind: 'docker-archive'; path: string; name?: string };

/** Splits "PATH[:REST]" at the first colon: paths with colons are not supported, as in skopeo. */
function pathAndRest(text: string, what: string): [string, string | undefined] {
  const colon = text.indexOf(':');
  const path = colon === -1 ? text : text.slice(0, colon);
  if (path === '') throw new BuilderError('USAGE', `${what}: a path is needed`);
  return [path, colon === -1 ? undefined : text.slice(colon + 1) || undefined];
}

export function parseLocation(text: string): Location {
  if (text.startsWith('oci-layout:')) {
    const [path, tag] = pathAndRest(text.slice('oci-layout:'.length), text);
    return { kind: 'oci-layout', path, tag };
  }
  if (text.startsWith('docker-archive:')) {
    const [path, name] = pathAndRest(text.slice('docker-archive:'.length), text);
    // The name must be a valid reference; check it now rather than after the copy.
    if (name) parseReference(name);
    return { kind: 'docker-archive', path, name };
  }
  return { kind: 'registry', ref: parseReference(text.startsWith('docker://') ? text.slice('docker://'.length) : text) };
}

export function describeLocation(loc: Location): string {
  switch (loc.kind) {
    case 'registry':
      return loc.ref.toString();
    case 'oci-layout':
      return layoutName(loc.path, loc.tag);
    case 'docker-archive':
      return `docker-archive:${loc.path}${loc.name ? `:${loc.name}` : ''}`;
  }
}

export async function readLocation(client: RegistryClient, loc: Location): Promise<ImageOrIndex> {
  switch (loc.kind) {
    case 'registry':
      return readRemote(client, loc.ref);
    case 'oci-layout':
      return readLayout(loc.path, loc.tag);
    case 'docker-archive':
      throw new BuilderError('USAGE', `${describeLocation(loc)}: docker archives can be written but not read`);
  }
}

export interface CopyOptions {
  client: RegistryClient;
  /** Copy only this platform's image out of an index (docker archives always need one). */
  platform?: Platform;
  concurrency?: number;
}

/** Copies and returns the digest of what was written. */
export async function copy(src: Location, dst: Location, opts: CopyOptions): Promise<Digest> {
  const srcName = describeLocation(src);
  let source = await readLocation(opts.client, src);
  // A docker archive holds one image: pick the platform from an index, as skopeo does.
  const platform = opts.platform ?? (dst.kind === 'docker-archive' && source.kind === 'index' ? hostPlatform() : undefined);
  if (platform && source.kind === 'index') {
    source = { kind: 'image', image: await resolveImage(source, platform, srcName) };
    log.info(`${srcName}: copying the ${formatPlatform(platform)} image of the index`);
  }
  switch (dst.kind) {
    case 'registry':
      return (await pushImage(opts.client, dst.ref, source, { concurrency: opts.concurrency })).digest;
    case 'oci-layout':
      return (await writeLayout(dst.path, source, { tag: dst.tag, concurrency: opts.concurrency })).digest;
    case 'docker-archive': {
      if (source.kind !== 'image') throw new BuilderError('INTERNAL', 'an index reached the docker-archive writer');
      await writeDockerArchive(dst.path, source.image, { tags: dst.name ? [dst.name] : [] });
      return source.image.digest();
    }
  }
}

// `kiln index create`: an OCI image index (or a docker manifest list) over images already pushed,
// the step kaniko users take manifest-tool for. Sources are registry references or local OCI layouts
// (oci-layout:PATH[:TAG], as `kiln copy` names them). Everything is read before anything is written, so
// a missing or unreadable child fails the command with nothing pushed; children from another
// repository are copied into the destination's first, and the index goes last, once a HEAD of
// every child in the destination repository has answered.
import { sha256, type Digest } from '../oci/digest.ts';
import { MediaType, isIndexMediaType } from '../oci/mediatypes.ts';
import { formatPlatform } from '../oci/platform.ts';
import type { Descriptor, ImageConfig, Index, Platform } from '../oci/types.ts';
import type { RegistryClient } from '../registry/client.ts';
import { Reference } from '../registry/reference.ts';
import { BuilderError, isBuilderError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { pushImage } from './push.ts';
import { describeLocation, readLocation, type Location } from './copy.ts';
import type { Image, ImageIndex } from './types.ts';

export type IndexFormat = 'oci' | 'docker';

/** One image of the index-to-be: where it was named, its descriptor (platform included). */
export interface IndexChild {
  source: string;
  descriptor: Descriptor;
}

/** The platform field of an index entry, from the image's config (as docker buildx and manifest-tool fill it). */
export function platformOfConfig(config: ImageConfig, what: string): Platform {
  if (typeof config.os !== 'string' || config.os === '' || typeof config.architecture !== 'string' || config.architecture === '') {
    throw new BuilderError('MANIFEST_UNKNOWN', `${what}: its config names no os/architecture, so it has no platform for an index`);
  }
  const platform: Platform = { architecture: config.architecture, os: config.os };
  if (typeof config.variant === 'string' && config.variant !== '') platform.variant = config.variant;
  if (typeof config['os.version'] === 'string' && config['os.version'] !== '') platform['os.version'] = config['os.version'];
  const features = config['os.features'];
  if (Array.isArray(features) && features.length > 0 && features.every((f) => typeof f === 'string')) platform['os.features'] = features as string[];
  return platform;
}

/** Platforms that a client picking from the index could not tell apart (arm64 is v8 with or without saying so). */
function platformKey(p: Platform): string {
  const variant = p.variant ?? (p.architecture === 'arm64' ? 'v8' : '');
  return [p.os, p.architecture, variant, p['os.version'] ?? '', [...(p['os.features'] ?? [])].sort().join(',')].join('|');
}

/** The media type of the index: as asked, else a docker manifest list when every child is docker schema 2. */
export function indexMediaType(children: IndexChild[], format: IndexFormat | undefined, annotated: boolean): string {
  const allDocker = children.every((c) => c.descriptor.mediaType === MediaType.DockerManifest);
  if (format === 'docker') {
    const oci = children.find((c) => c.descriptor.mediaType !== MediaType.DockerManifest);
    if (oci) throw new BuilderError('USAGE', `--format docker: ${oci.source} is ${oci.descriptor.mediaType}; a docker manifest list holds docker schema 2 manifests only (use --format oci)`);
    if (annotated) throw new BuilderError('USAGE', '--annotation: a docker manifest list has no annotations (use --format oci)');
    return MediaType.DockerManifestList;
  }
  // A docker manifest list cannot carry annotations, so asking for them chooses OCI.
  return format === 'oci' || annotated || !allDocker ? MediaType.OciIndex : MediaType.DockerManifestList;
}

/** The index document's exact bytes; refuses two children of one platform. */
export function assembleIndex(children: IndexChild[], mediaType: string, annotations: Record<string, string> = {}): Buffer {
  if (children.length === 0) throw new BuilderError('USAGE', 'an index needs at least one image');
  const seen = new Map<string, IndexChild>();
  for (const child of children) {
    const platform = child.descriptor.platform;
    if (!platform) throw new BuilderError('INTERNAL', `${child.source}: index child without a platform`);
    const earlier = seen.get(platformKey(platform));
    if (earlier) {
      throw new BuilderError('USAGE', `${earlier.source} and ${child.source} are both ${formatPlatform(platform)}; an index holds one image per platform`);
    }
    seen.set(platformKey(platform), child);
  }
  const doc: Record<string, unknown> = { schemaVersion: 2, mediaType, manifests: children.map((c) => c.descriptor) };
  if (Object.keys(annotations).length > 0) doc.annotations = annotations;
  return Buffer.from(JSON.stringify(doc));
}

/** A child read and checked, with what copying it into the destination takes. */
export interface ReadChild extends IndexChild {
  image: Image;
  /** The repository it was read from; a child with none (built here) is always pushed. */
  from?: Reference;
}

/** The index entry of `image`: its manifest and the platform its config names. */
export async function describeImage(image: Image, source: string): Promise<Descriptor> {
  const what = `${source} (${await image.digest()})`;
  const platform = platformOfConfig(await image.config(), what);
  // Layers are listed (their count checked against the config) so a broken image fails here, before any push.
  await image.layers();
  return { mediaType: await image.mediaType(), digest: await image.digest(), size: (await image.rawManifest()).length, platform };
}

/** An index named as a source contributes its images (nested indexes flattened); attestations are left out. */
async function imagesOfIndex(index: ImageIndex): Promise<Image[]> {
  const images: Image[] = [];
  for (const desc of (await index.manifest()).manifests) {
    if (isIndexMediaType(desc.mediaType)) images.push(...(await imagesOfIndex(await index.index(desc))));
    else if (desc.platform?.os === 'unknown' && desc.platform.architecture === 'unknown') log.info(`${desc.digest}: not a platform image (an attestation), left out of the index`);
    else images.push(await index.image(desc));
  }
  return images;
}

/** Reads one source (an image, or an index whose images all join); every failure names the source. */
async function readSource(client: RegistryClient, loc: Location): Promise<ReadChild[]> {
  const name = describeLocation(loc);
  // Read from DEST's repository, a child need not be pushed again; from a layout it always is.
  const from = loc.kind === 'registry' ? loc.ref : undefined;
  const where = loc.kind === 'registry' ? loc.ref.context().toString() : name;
  try {
    const found = await readLocation(client, loc);
    const images = found.kind === 'image' ? [found.image] : await imagesOfIndex(found.index);
    const children: ReadChild[] = [];
    for (const image of images) {
      const source = found.kind === 'image' ? name : `${where}@${await image.digest()} (of ${name})`;
      children.push({ source, image, from, descriptor: await describeImage(image, source) });
    }
    return children;
  } catch (err) {
    if (!isBuilderError(err) || err.message.includes(name)) throw err;
    throw new BuilderError(err.code, `index child ${name}: ${err.message}`, { cause: err });
  }
}

export interface CreateIndexOptions {
  client: RegistryClient;
  format?: IndexFormat;
  annotations?: Record<string, string>;
  /** Blobs transferred at once when a child is copied in. */
  concurrency?: number;
}

export interface CreateIndexResult {
  digest: Digest;
  mediaType: string;
  children: IndexChild[];
}

export async function createIndex(dest: Reference, sources: Location[], opts: CreateIndexOptions): Promise<CreateIndexResult> {
  const children: ReadChild[] = [];
  for (const ref of sources) children.push(...(await readSource(opts.client, ref)));
  return publishIndex(dest, children, opts);
}

/**
 * Pushes an index over `children` to `dest`: children not read from DEST's repository are pushed
 * there first, then every child is HEAD-checked, and only then does the index itself go.
 */
export async function publishIndex(dest: Reference, children: ReadChild[], opts: CreateIndexOptions): Promise<CreateIndexResult> {
  if (dest.digest) throw new BuilderError('USAGE', `${dest}: the destination of an index takes a tag, not a digest`);
  const { client } = opts;
  const annotations = opts.annotations ?? {};
  const mediaType = indexMediaType(children, opts.format, Object.keys(annotations).length > 0);
  const bytes = assembleIndex(children, mediaType, annotations);

  const inDest = (digest: Digest): Reference => new Reference(dest.registry, dest.repository, undefined, digest);
  for (const child of children) {
    if (child.from && child.from.registry === dest.registry && child.from.repository === dest.repository) continue;
    if (child.from) log.info(`copying ${child.source} into ${dest.context()}`);
    await pushImage(client, inDest(child.descriptor.digest), { kind: 'image', image: child.image }, { concurrency: opts.concurrency });
  }
  for (const child of children) {
    const head = await client.headManifest(inDest(child.descriptor.digest));
    if (!head || head.digest !== child.descriptor.digest) {
      throw new BuilderError('MANIFEST_UNKNOWN', `${child.source}: ${child.descriptor.digest} is not in ${dest.context()}; the index was not pushed`);
    }
  }
  const digest = await client.putManifest(dest, bytes, mediaType);
  log.info(`pushed ${dest.context()}@${digest}: ${mediaType === MediaType.OciIndex ? 'OCI image index' : 'docker manifest list'} of ${children.map((c) => formatPlatform(c.descriptor.platform!)).join(', ')}`);
  return { digest, mediaType, children };
}

/** An index held in memory over images at hand, for the sinks that take one (an OCI layout). */
export function memoryIndex(children: ReadChild[], format?: IndexFormat): ImageIndex {
  const mediaType = indexMediaType(children, format, false);
  const bytes = assembleIndex(children, mediaType);
  const digest = sha256(bytes);
  const byDigest = new Map(children.map((c) => [c.descriptor.digest, c.image]));
  return {
    rawManifest: async () => bytes,
    manifest: async () => JSON.parse(bytes.toString('utf8')) as Index,
    mediaType: async () => mediaType,
    digest: async () => digest,
    image: async (desc) => {
      const image = byDigest.get(desc.digest);
      if (!image) throw new BuilderError('INTERNAL', `${desc.digest}: not a child of this index`);
      return image;
    },
    index: async (desc) => {
      throw new BuilderError('INTERNAL', `${desc.digest}: this index has no nested indexes`);
    },
  };
}

// Where a finished image goes: every --destination, --tar-path, --oci-layout-path, and the digest
// files kaniko writes. Registry pushes go first so the files name what the registries hold. A
// multi-platform build's outputs are an index over its images.
import { writeFile } from 'node:fs/promises';
import type { RegistryClient } from '../registry/client.ts';
import { parseReference, type Reference } from '../registry/reference.ts';
import { pushImage } from '../image/push.ts';
import { writeLayout } from '../image/layout-write.ts';
import { writeDockerArchive } from '../image/docker-archive.ts';
import type { Image } from '../image/types.ts';
import { memoryIndex, publishIndex, type ReadChild } from '../image/index-create.ts';
import type { Descriptor } from '../oci/types.ts';
import type { Digest } from '../oci/digest.ts';
import { fromSystemError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import type { BuildOptions } from './options.ts';

export interface PushedDestination {
  reference: string;
  digest: Digest;
}

export interface OutputResult {
  digest: Digest;
  pushed: PushedDestination[];
}

/** Parses every destination before anything is built, so a typo fails in the first second. */
export function parseDestinations(destinations: string[]): Reference[] {
  return destinations.map((d) => parseReference(d));
}

export async function writeText(path: string, text: string, flag: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (err) {
    throw fromSystemError(err, `--${flag} ${path}`);
  }
}

export async function writeOutputs(image: Image, options: BuildOptions, client: RegistryClient, destinations: Reference[]): Promise<OutputResult> {
  const digest = await image.digest();
  const pushed: PushedDestination[] = [];
  if (!options.noPush) {
    for (const ref of destinations) {
      const result = await pushImage(client, ref, { kind: 'image', image });
      pushed.push({ reference: ref.toString(), digest: result.digest });
    }
  }
  if (options.tarPath) {
    await writeDockerArchive(options.tarPath, image, { tags: destinations.map((d) => d.toString()) });
    log.info(`wrote docker archive ${options.tarPath}`);
  }
  if (options.ociLayoutPath) {
    await writeLayout(options.ociLayoutPath, { kind: 'image', image }, { tag: destinations[0]?.tag ?? 'latest' });
    log.info(`wrote OCI layout ${options.ociLayoutPath}`);
  }
  await writeDigestFiles(options, destinations, digest);
  return { digest, pushed };
}

/**
 * The outputs of a multi-platform build: an index over one image per platform, pushed to every
 * destination after its children (index-create.ts), or written as an OCI layout; the digest
 * files name the index.
 */
export async function writeIndexOutputs(children: ReadChild[], options: BuildOptions, client: RegistryClient, destinations: Reference[]): Promise<OutputResult & { descriptor: Descriptor }> {
  const index = memoryIndex(children);
  const digest = await index.digest();
  const pushed: PushedDestination[] = [];
  if (!options.noPush) {
    for (const ref of destinations) {
      const result = await publishIndex(ref, children, { client });
      pushed.push({ reference: ref.toString(), digest: result.digest });
    }
  }
  if (options.ociLayoutPath) {
    await writeLayout(options.ociLayoutPath, { kind: 'index', index }, { tag: destinations[0]?.tag ?? 'latest' });
    log.info(`wrote OCI layout ${options.ociLayoutPath}`);
  }
  await writeDigestFiles(options, destinations, digest);
  return { digest, pushed, descriptor: { mediaType: await index.mediaType(), digest, size: (await index.rawManifest()).length } };
}

async function writeDigestFiles(options: BuildOptions, destinations: Reference[], digest: Digest): Promise<void> {
  if (options.digestFile) await writeText(options.digestFile, digest, 'digest-file');
  const names = destinations.map((d) => d.context().toString());
  if (options.imageNameWithDigestFile) {
    await writeText(options.imageNameWithDigestFile, names.map((n) => `${n}@${digest}\n`).join(''), 'image-name-with-digest-file');
  }
  if (options.imageNameTagWithDigestFile) {
    const lines = destinations.map((d) => `${d.context()}:${d.tag ?? 'latest'}@${digest}\n`).join('');
    await writeText(options.imageNameTagWithDigestFile, lines, 'image-name-tag-with-digest-file');
  }
}

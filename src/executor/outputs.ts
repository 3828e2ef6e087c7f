// Where a finished image goes: every --destination, --tar-path, --oci-layout-path, and the digest
// files kaniko writes. Registry pushes go first so the files name what the registries hold.
import { writeFile } from 'node:fs/promises';
import type { RegistryClient } from '../registry/client.ts';
import { parseReference, type Reference } from '../registry/reference.ts';
import { pushImage } from '../image/push.ts';
import { writeLayout } from '../image/layout-write.ts';
import { writeDockerArchive } from '../image/docker-archive.ts';
import type { Image } from '../image/types.ts';
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
  if (options.digestFile) await writeText(options.digestFile, digest, 'digest-file');
  const names = destinations.map((d) => d.context().toString());
  if (options.imageNameWithDigestFile) {
    await writeText(options.imageNameWithDigestFile, names.map((n) => `${n}@${digest}\n`).join(''), 'image-name-with-digest-file');
  }
  if (options.imageNameTagWithDigestFile) {
    const lines = destinations.map((d) => `${d.context()}:${d.tag ?? 'latest'}@${digest}\n`).join('');
    await writeText(options.imageNameTagWithDigestFile, lines, 'image-name-tag-with-digest-file');
  }
  return { digest, pushed };
}

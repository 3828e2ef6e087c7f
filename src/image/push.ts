// The registry sink: every blob first (layers, then configs; mounted from another repository of the
// same registry when possible, skipped when present, else streamed), then child manifests by
// digest, then the top manifest under the tag. A manifest is never pushed before its blobs.
import type { Digest } from '../oci/digest.ts';
import type { RegistryClient } from '../registry/client.ts';
import { Reference } from '../registry/reference.ts';
import { log } from '../util/log.ts';
import { forEachLimit } from './concurrency.ts';
import type { ImageOrIndex } from './types.ts';
import { walkImage, type BlobEntry } from './walk.ts';

export interface PushOptions {
  /** Blobs transferred at once. */
  concurrency?: number;
}

export interface PushResult {
  digest: Digest;
  mounted: number;
  present: number;
  uploaded: number;
  uploadedBytes: number;
}

export async function pushImage(client: RegistryClient, ref: Reference, source: ImageOrIndex, opts: PushOptions = {}): Promise<PushResult> {
  const tree = await walkImage(source);
  const repo = ref.context();
  const result = { mounted: 0, present: 0, uploaded: 0, uploadedBytes: 0 };

  const mountable = (blob: BlobEntry): string | undefined =>
    blob.origin && blob.origin.registry === ref.registry && blob.origin.repository !== ref.repository ? blob.origin.repository : undefined;

  // Configs wait for every layer: a config in place then means its layers are in place too.
  for (const kind of ['layer', 'config'] as const) {
    await forEachLimit(
      tree.blobs.filter((b) => b.kind === kind),
      opts.concurrency ?? 4,
      async (blob) => {
        const from = mountable(blob);
        if (from && (await client.mountBlob(repo, blob.digest, from))) {
          result.mounted++;
          return;
        }
        if (await client.uploadBlob(repo, { digest: blob.digest, size: blob.size }, blob.open)) {
          result.uploaded++;
          result.uploadedBytes += blob.size;
        } else {
          result.present++;
        }
      },
    );
  }

  const top = tree.manifests[tree.manifests.length - 1];
  for (const m of tree.manifests.slice(0, -1)) {
    await client.putManifest(new Reference(ref.registry, ref.repository, undefined, m.digest), m.bytes, m.mediaType);
  }
  await client.putManifest(ref, top.bytes, top.mediaType);

  log.info(
    `pushed ${ref.registry}/${ref.repository}@${top.digest}: ${result.mounted} blobs mounted, ${result.present} already present, ` +
      `${result.uploaded} uploaded, ${result.uploadedBytes} bytes uploaded`,
  );
  if (tree.foreign) log.info(`${tree.foreign} foreign layers left out (they stay at their URLs)`);
  return { digest: top.digest, ...result };
}

// The target stage's layers go to the first destination's repository while they are being
// compressed, so that the push at the end finds them there (its HEAD answers 200) instead of
// sending each after the build: on a slow link the upload overlaps the layer's own writing.
// Best effort: an early upload that fails is logged at debug level, and the push sends that layer
// from the workspace as it always did.
import type { Digest } from '../oci/digest.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { Reference, Repository } from '../registry/reference.ts';
import type { LayerUpload } from '../snapshot/layer-writer.ts';
import { describeError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import type { BuildOptions } from './options.ts';

export class EarlyUploads {
  private readonly pending: Array<Promise<void>> = [];
  private readonly name: string;

  constructor(
    private readonly client: RegistryClient,
    private readonly repo: Repository,
  ) {
    this.name = `${repo.registry}/${repo.repository}`;
  }

  readonly upload: LayerUpload = (bytes, digest) => {
    const sent = this.client.streamBlob(this.repo, bytes, digest).then(
      (d: Digest) => log.debug(`sent ${d} to ${this.name} while writing it`),
      (err: unknown) => {
        // The layer's writer must not wait for a reader that has gone.
        bytes.destroy();
        log.debug(`sending a layer to ${this.name} while writing it failed (${describeError(err)}); the push sends it`);
      },
    );
    this.pending.push(sent);
  };

  /** Waits for every upload begun; none of them rejects. */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }
}

/** Early uploads where the build pushes: to its first destination's repository. */
export function earlyUploadsFor(options: BuildOptions, client: RegistryClient, destinations: Reference[]): EarlyUploads | undefined {
  if (options.noPush || destinations.length === 0) return undefined;
  return new EarlyUploads(client, destinations[0].context());
}

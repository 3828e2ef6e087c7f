// The images a build reads: FROM bases and COPY --from / RUN --mount from= images, each pulled
// once per build and platform, and extracted into a directory at most once.
import type { RegistryClient } from '../registry/client.ts';
import { parseReference } from '../registry/reference.ts';
import { readRemote } from '../image/remote.ts';
import { resolveImage } from '../image/platform.ts';
import { cachedImage, warmedDigest } from '../image/base-cache.ts';
import { isBuilderError } from '../util/errors.ts';
import type { Image } from '../image/types.ts';
import { extractImage } from '../tar/extract.ts';
import { formatPlatform } from '../oci/platform.ts';
import type { Platform } from '../oci/types.ts';
import { log } from '../util/log.ts';
import type { Workspace } from './workspace.ts';

export interface PulledImage {
  /** The reference as the Dockerfile named it, after ARG expansion. */
  name: string;
  /** Fully qualified, pinned to the digest of the platform's manifest. */
  pinned: string;
  image: Image;
}

export class ImageSource {
  private readonly pulled = new Map<string, Promise<PulledImage>>();
  private readonly extracted = new Map<string, Promise<string>>();

  constructor(
    private readonly client: RegistryClient,
    private readonly workspace: Workspace,
    /** --cache-dir: kaniko's base-image cache, filled by `kiln warm`. */
    private readonly cacheDir?: string,
  ) {}

  image(name: string, platform: Platform): Promise<PulledImage> {
    const key = `${name} ${formatPlatform(platform)}`;
    let found = this.pulled.get(key);
    if (!found) {
      found = this.pull(name, platform);
      this.pulled.set(key, found);
    }
    return found;
  }

  /**
   * The registry says which digest a name has now; the base-image cache supplies the bytes when it
   * holds that digest. A registry that cannot be reached falls back to the digest the name had
   * when it was warmed, as kaniko's warmer allows.
   */
  private async pull(name: string, platform: Platform): Promise<PulledImage> {
    const ref = parseReference(name);
    let image: Image;
    try {
      image = await resolveImage(await readRemote(this.client, ref), platform, ref.toString());
    } catch (err) {
      const warmed = this.cacheDir && isBuilderError(err, 'REGISTRY_UNREACHABLE') ? await warmedDigest(this.cacheDir, ref) : undefined;
      const cached = warmed && this.cacheDir ? await cachedImage(this.cacheDir, warmed) : undefined;
      if (!cached) throw err;
      image = cached;
    }
    const digest = await image.digest();
    if (this.cacheDir) image = (await cachedImage(this.cacheDir, digest)) ?? image;
    const pinned = ref.withDigest(digest).toString();
    log.debug(`resolved ${name} to ${pinned}`);
    return { name, pinned, image };
  }

  /** The filesystem of an image, extracted once per build, for COPY --from and mounts. */
  rootfs(name: string, platform: Platform): Promise<string> {
    const key = `${name} ${formatPlatform(platform)}`;
    let dir = this.extracted.get(key);
    if (!dir) {
      dir = (async () => {
        const { image, pinned } = await this.image(name, platform);
        const target = await this.workspace.scratchDir('image-');
        await extractImage(target, await image.layers(), { image: pinned });
        return target;
      })();
      this.extracted.set(key, dir);
    }
    return dir;
  }
}

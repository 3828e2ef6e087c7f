// The `docker load` tarball sink (--tar-path, copy to docker-archive:PATH[:NAME:TAG]).
//
// Layout, as `docker save` of Docker 25 and later writes it: every blob under blobs/sha256/<hex>,
// an OCI layout (oci-layout, index.json) over them, and manifest.json with Config, RepoTags and
// Layers pointing at those blob files. Older engines read only manifest.json; newer ones and
// skopeo can also read it as an OCI archive.
//
// Layers are written as stored (gzip, or zstd), not decompressed: `docker load` detects the
// compression of each layer file and decompresses it itself (gzip in every engine, zstd in current
// ones), the blobs keep their digests, and nothing has to be decompressed or counted in advance
// (a tar header needs the size, which for an uncompressed layer is unknown until it is read).
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { Header } from 'tar';
import { digestHex, type Digest } from '../oci/digest.ts';
import { MediaType } from '../oci/mediatypes.ts';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { sizeMismatch } from '../cache/digest-stream.ts';
import { isForeignLayer } from './layer.ts';
import { LAYOUT_VERSION, REF_NAME } from './layout.ts';
import type { Image } from './types.ts';

export interface DockerArchiveOptions {
  /** Names `docker load` gives the image, e.g. "registry.example/app:1.0". */
  tags: string[];
}

const BLOCK = 512;
// Fixed times keep the archive byte-for-byte the same for the same image.
const EPOCH = new Date(0);

class TarFile {
  private offset = 0;

  constructor(private readonly fh: FileHandle) {}

  private async write(data: Uint8Array): Promise<void> {
    for (let off = 0; off < data.length; ) off += (await this.fh.write(data, off)).bytesWritten;
    this.offset += data.length;
  }

  private async pad(): Promise<void> {
    const rest = this.offset % BLOCK;
    if (rest) await this.write(Buffer.alloc(BLOCK - rest));
  }

  async directory(path: string): Promise<void> {
    const header = new Header({ path, mode: 0o755, size: 0, mtime: EPOCH, type: 'Directory', uid: 0, gid: 0 });
    header.encode();
    await this.write(header.block!);
  }

  /** A file of exactly `size` bytes taken from `chunks`; anything else is an error. */
  async file(path: string, size: number, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, what: string): Promise<void> {
    const header = new Header({ path, mode: 0o644, size, mtime: EPOCH, type: 'File', uid: 0, gid: 0 });
    header.encode();
    await this.write(header.block!);
    let written = 0;
    for await (const chunk of chunks) {
      written += chunk.length;
      if (written > size) throw sizeMismatch(what, size, written);
      await this.write(chunk);
    }
    if (written !== size) throw sizeMismatch(what, size, written);
    await this.pad();
  }

  async end(): Promise<void> {
    await this.write(Buffer.alloc(2 * BLOCK));
  }
}

const blobPath = (d: Digest): string => `blobs/sha256/${digestHex(d)}`;

export async function writeDockerArchive(path: string, image: Image, opts: DockerArchiveOptions): Promise<void> {
  const target = resolve(path);
  const name = `docker-archive:${path}`;
  const [manifest, rawManifest, rawConfig, layers, digest, mediaType] = await Promise.all([
    image.manifest(),
    image.rawManifest(),
    image.rawConfig(),
    image.layers(),
    image.digest(),
    image.mediaType(),
  ]);
  const foreign = layers.find(isForeignLayer);
  if (foreign) throw new BuilderError('LAYER_INVALID', `${name}: layer ${foreign.digest} is foreign (non-distributable) and cannot be saved in a docker archive`);
  if ([digest, manifest.config.digest, ...layers.map((l) => l.digest)].some((d) => !d.startsWith('sha256:'))) {
    throw new BuilderError('LAYER_INVALID', `${name}: docker archives name blobs by sha256 only`);
  }

  const temp = `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    const fh = await open(temp, 'wx', 0o644);
    try {
      const tar = new TarFile(fh);
      await tar.directory('blobs/');
      await tar.directory('blobs/sha256/');
      const written = new Set<string>();
      for (const layer of layers) {
        if (written.has(layer.digest)) continue;
        written.add(layer.digest);
        await tar.file(blobPath(layer.digest), layer.size, await layer.compressed(), `layer ${layer.digest} for ${name}`);
      }
      await tar.file(blobPath(manifest.config.digest), rawConfig.length, [rawConfig], `config for ${name}`);
      await tar.file(blobPath(digest), rawManifest.length, [rawManifest], `manifest for ${name}`);

      const entry = {
        mediaType,
        digest,
        size: rawManifest.length,
        ...(opts.tags[0] ? { annotations: { 'io.containerd.image.name': opts.tags[0], [REF_NAME]: refName(opts.tags[0]) } } : {}),
      };
      const files: Array<[string, unknown]> = [
        ['index.json', { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [entry] }],
        ['oci-layout', { imageLayoutVersion: LAYOUT_VERSION }],
        ['manifest.json', [{ Config: blobPath(manifest.config.digest), RepoTags: opts.tags, Layers: layers.map((l) => blobPath(l.digest)) }]],
      ];
      for (const [file, json] of files) {
        const bytes = Buffer.from(JSON.stringify(json));
        await tar.file(file, bytes.length, [bytes], `${file} for ${name}`);
      }
      await tar.end();
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw fromSystemError(err, target);
  }
  log.info(`wrote ${digest} to ${name}`, { layers: layers.length });
}

/** The tag part of "registry/repo:tag", which is what an OCI ref name holds. */
function refName(tag: string): string {
  const slash = tag.lastIndexOf('/');
  const colon = tag.lastIndexOf(':');
  return colon > slash ? tag.slice(colon + 1) : 'latest';
}

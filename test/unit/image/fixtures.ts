// Small in-memory layers for the image unit tests: a tar of a few files, compressed as asked.
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { Header } from 'tar';
import { sha256 } from '../../../src/oci/digest.ts';
import { MediaType } from '../../../src/oci/mediatypes.ts';
import { openerLayer } from '../../../src/image/layer.ts';
import type { Layer } from '../../../src/image/types.ts';

export function tarOf(files: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [path, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const header = new Header({ path, mode: 0o644, size: data.length, mtime: new Date(0), type: 'File', uid: 0, gid: 0 });
    header.encode();
    parts.push(header.block!, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function layerOf(files: Record<string, string>, compression: 'gzip' | 'zstd' | 'none' = 'gzip', mediaType?: string): Layer {
  const tar = tarOf(files);
  const stored = compression === 'gzip' ? gzipSync(tar) : compression === 'zstd' ? execFileSync('zstd', ['-q', '-c'], { input: tar }) : tar;
  const type = mediaType ?? { gzip: MediaType.OciLayerGzip, zstd: MediaType.OciLayerZstd, none: MediaType.OciLayer }[compression];
  return openerLayer({
    digest: sha256(stored),
    diffId: sha256(tar),
    size: stored.length,
    mediaType: type,
    open: async () => Readable.from([stored]),
  });
}

export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

// Decompression chosen by the stream's first bytes, as moby's archive.DecompressStream does for
// `ADD` of local archives and for tar build contexts: gzip, bzip2, xz, zstd, or plain.
//
// bzip2 and xz are decoded by Debian's `bzip2` and `xz` binaries rather than an npm package:
// they are fast, audited, already on every Debian host and one apt package each in the
// executor image, while the JS decoders on npm are slow or unmaintained. zstd uses fzstd, which
// the image layer code already depends on; gzip is node's zlib.
import { spawn } from 'node:child_process';
import { Duplex, PassThrough, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { zstdDecompressor } from '../util/zstd.ts';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

const MAGICS: Array<[Compression, number[]]> = [
  ['gzip', [0x1f, 0x8b, 0x08]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];
const SNIFF_BYTES = 6;

function detectCompression(head: Uint8Array): Compression {
  for (const [kind, magic] of MAGICS) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
  }
  return 'none';
}

/**
 * Reads the first bytes of `input`, picks the decoder they name and returns the decoded stream
 * (the input itself, re-fronted with the peeked bytes, when it is not compressed).
 */
export async function decompressByContent(input: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let size = 0;
  while (size < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    head.push(chunk);
    size += chunk.length;
  }
  const first = Buffer.concat(head);
  async function* whole(): AsyncGenerator<Buffer> {
    try {
      if (first.length > 0) yield first;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Stopping early (a caller that only sniffed the head) closes the input too.
      await iterator.return?.();
    }
  }
  const raw = Readable.from(whole(), { objectMode: false });
  const compression = detectCompression(first);
  const decoder = decoderFor(compression);
  if (!decoder) return { stream: raw, compression };
  raw.on('error', (err) => decoder.destroy(err));
  decoder.on('close', () => raw.destroy());
  raw.pipe(decoder);
  return { stream: decoder, compression };
}

function decoderFor(kind: Compression): Duplex | null {
  switch (kind) {
    case 'gzip':
      return zlib.createGunzip();
    case 'bzip2':
      return externalFilter('bzip2', ['-dc']);
    case 'xz':
      return externalFilter('xz', ['-dc']);
    case 'zstd':
      return zstdDecompressor('zstd archive', 'CONTEXT_INVALID');
    case 'none':
      return null;
  }
}

/** A duplex stream through `command` reading stdin and writing stdout; a non-zero exit is an error. */
function externalFilter(command: string, args: string[]): Duplex {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.pipe(out, { end: false });
  const done = new Promise<void>((resolve) => child.stdout.on('end', resolve));
  child.on('error', (err) => {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    out.destroy(new Error(missing ? `${command} is not installed (needed to decompress ${command} data)` : err.message));
  });
  child.on('close', (code) => {
    if (code === 0) void done.then(() => out.end());
    else out.destroy(new Error(`invalid ${command} data: ${stderr.trim().split('\n')[0] ?? `exit ${code}`}`));
  });
  // Writes after the child died (EPIPE) are reported through its exit status instead.
  child.stdin.on('error', () => undefined);
  const duplex = Duplex.from({ writable: child.stdin, readable: out });
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return duplex;
}


// ADD's local archive rule, as BuildKit decides it: a regular file whose content, after
// gzip/bzip2/xz/zstd detection, starts with a valid tar header is unpacked into the destination
// directory; anything else is copied as a file. Remote (URL) sources are never unpacked.
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { decompressByContent } from '../../context/decompress.ts';
import { extractTar, type Owner } from '../../context/untar.ts';

const BLOCK = 512;

export async function isTarArchive(hostPath: string): Promise<boolean> {
  const st = await lstat(hostPath);
  if (!st.isFile() || st.size === 0) return false;
  let head: Buffer;
  try {
    head = await readHead(hostPath, BLOCK);
  } catch {
    // Bytes that claim a compression but do not decode are no archive: ADD copies them.
    return false;
  }
  return head.length === BLOCK && validHeader(head);
}

async function readHead(hostPath: string, size: number): Promise<Buffer> {
  const { stream } = await decompressByContent(createReadStream(hostPath));
  const chunks: Buffer[] = [];
  let have = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      have += (chunk as Buffer).length;
      if (have >= size) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, size);
}

/** A tar header block: not all zeros, and its checksum field matches (signed or unsigned sum). */
function validHeader(block: Buffer): boolean {
  if (block.every((b) => b === 0)) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  const want = Number.parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return want === unsigned || want === signed;
}

/** Unpacks the archive at `hostPath` into the existing directory `destHost`; paths relative to it. */
export async function unpackArchive(hostPath: string, destHost: string, owner: Owner | undefined): Promise<string[]> {
  const { stream } = await decompressByContent(createReadStream(hostPath));
  return extractTar(stream, destHost, { owner, keepOwnership: true });
}

// Deterministic tar encoding: the bytes depend only on the entries given, never on the machine.
// ustar headers from node-tar's Header (numeric owners, empty uname/gname, no atime/ctime), and a
// PAX record written here only when ustar cannot hold a value: long or non-ASCII names and link
// targets, huge sizes or ids, and xattrs as SCHILY.xattr.* (node-tar's Pax has no xattr field).
import { open } from 'node:fs/promises';
import { Header } from 'tar';
import { BuilderError } from '../util/errors.ts';
import type { EntryType } from './reader.ts';

export interface PackEntry {
  /** Relative path, no leading "/" or "./"; directories without the trailing slash. */
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Whole seconds. */
  mtime: number;
  size?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Map<string, Buffer>;
  /** Where a file's bytes are read from when the entry is written. */
  source?: string;
}

const BLOCK = 512;
const ZEROS = Buffer.alloc(BLOCK * 2);
const TYPE_NAMES: Record<EntryType, string> = {
  file: 'File',
  dir: 'Directory',
  symlink: 'SymbolicLink',
  hardlink: 'Link',
  char: 'CharacterDevice',
  block: 'BlockDevice',
  fifo: 'FIFO',
};

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : ZEROS.subarray(0, BLOCK - rest);
}

function paxRecord(key: string, value: Buffer | string): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'), Buffer.from('\n')]);
  // The length prefix counts its own digits.
  let digits = 1;
  while (String(body.length + digits).length !== digits) digits++;
  return Buffer.concat([Buffer.from(String(body.length + digits)), body]);
}

function fitsUstarString(value: string, max: number): boolean {
  return Buffer.byteLength(value) === value.length && value.length <= max;
}

function headerBlock(fields: ConstructorParameters<typeof Header>[0] & object): Buffer {
  const block = Buffer.alloc(BLOCK);
  new Header(fields).encode(block);
  return block;
}

/** The header blocks of one entry: an optional PAX header, then the ustar header. */
export function encodeHeader(entry: PackEntry): Buffer {
  const path = entry.type === 'dir' ? `${entry.name}/` : entry.name;
  const size = entry.type === 'file' ? (entry.size ?? 0) : 0;
  const linkpath = entry.linkname ?? '';
  const mtime = new Date(entry.mtime * 1000);
  const records: Buffer[] = [];
  // ustar can split a path of up to 255 bytes into prefix + name; let node-tar decide.
  const probe = new Header({ path, type: 'File' as never });
  probe.encode(Buffer.alloc(BLOCK));
  if (probe.needPax) records.push(paxRecord('path', path));
  if (!fitsUstarString(linkpath, 100)) records.push(paxRecord('linkpath', linkpath));
  if (size >= 8 ** 11) records.push(paxRecord('size', String(size)));
  if (entry.uid >= 8 ** 7) records.push(paxRecord('uid', String(entry.uid)));
  if (entry.gid >= 8 ** 7) records.push(paxRecord('gid', String(entry.gid)));
  for (const name of [...(entry.xattrs?.keys() ?? [])].sort()) {
    records.push(paxRecord(`SCHILY.xattr.${name}`, entry.xattrs?.get(name) as Buffer));
  }
  const ustar = headerBlock({
    path,
    mode: entry.mode & 0o7777,
    uid: entry.uid < 8 ** 7 ? entry.uid : 0,
    gid: entry.gid < 8 ** 7 ? entry.gid : 0,
    size: size < 8 ** 11 ? size : 0,
    mtime,
    type: TYPE_NAMES[entry.type] as never,
    linkpath,
    uname: '',
    gname: '',
    devmaj: entry.devmajor ?? 0,
    devmin: entry.devminor ?? 0,
  });
  if (records.length === 0) return ustar;
  const pax = Buffer.concat(records);
  // The PAX header's own name, as Go's archive/tar makes it: stable for a given entry name.
  const slash = entry.name.lastIndexOf('/');
  const paxName = `${slash === -1 ? '.' : entry.name.slice(0, slash)}/PaxHeaders.0/${entry.name.slice(slash + 1)}`.slice(0, 100);
  const paxHeader = headerBlock({ path: paxName, mode: 0o644, uid: 0, gid: 0, size: pax.length, mtime, type: 'ExtendedHeader' as never, uname: '', gname: '' });
  return Buffer.concat([paxHeader, pax, padding(pax.length), ustar]);
}

async function* fileBytes(source: string, size: number, name: string): AsyncGenerator<Buffer> {
  const fh = await open(source, 'r');
  try {
    let left = size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(left, 1 << 20));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) throw new BuilderError('IO', `${source}: file "${name}" shrank while its layer was written`);
      left -= bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** The tar bytes of `entries`, in the order given, ending with the two zero blocks. */
export async function* packTar(entries: AsyncIterable<PackEntry> | Iterable<PackEntry>): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    yield encodeHeader(entry);
    if (entry.type !== 'file' || !entry.size) continue;
    if (entry.source === undefined) throw new BuilderError('INTERNAL', `tar entry "${entry.name}" has a size but no source`);
    yield* fileBytes(entry.source, entry.size, entry.name);
    yield padding(entry.size);
  }
  yield ZEROS;
}

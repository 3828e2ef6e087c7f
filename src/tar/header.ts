// The fields of a tar header block that the reader uses. node-tar's Header decodes every field
// through a string and a regular expression, and that was the largest single cost of extracting
// a layer of small files on the extracting thread (about 5 µs a header). The block nearly every
// writer makes (ASCII names, numbers in octal, a type the reader handles) is decoded here by
// reading its bytes; any other block goes to node-tar's Header, so the two agree there by
// construction, and test/unit/tar/header.test.ts checks that they agree on the common ones.
import { Header } from 'tar';

export interface TarHeader {
  path?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  /** node-tar's name for the type ("File", "ExtendedHeader", …, or "Unsupported"). */
  type: string;
  /** The type flag as stored. */
  typeKey: string;
  linkpath?: string;
  devmaj: number;
  devmin: number;
  cksumValid: boolean;
}

const TYPE_NAMES = new Map([
  ['0', 'File'], ['1', 'Link'], ['2', 'SymbolicLink'], ['3', 'CharacterDevice'], ['4', 'BlockDevice'], ['5', 'Directory'],
  ['6', 'FIFO'], ['7', 'ContiguousFile'], ['g', 'GlobalExtendedHeader'], ['x', 'ExtendedHeader'],
  ['K', 'NextFileHasLongLinkpath'], ['L', 'NextFileHasLongPath'],
]);

const USTAR = Buffer.from('ustar\u000000', 'latin1');

/** A field outside the common form: node-tar decodes the block. */
const UNCOMMON = null;

/**
 * Where a field's text ends (its first NUL, or its end), if every byte before that passes `ok`.
 * node-tar cuts at the first NUL only as far as a line break after it, so a field with one there
 * (or any byte above 0x7f) is not common.
 */
function fieldEnd(b: Buffer, start: number, length: number, ok: (c: number) => boolean): number | typeof UNCOMMON {
  const end = start + length;
  let nul = end;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 0) {
      nul = i;
      break;
    }
    if (!ok(c)) return UNCOMMON;
  }
  for (let i = nul + 1; i < end; i++) if (b[i] === 0x0a || b[i] === 0x0d || b[i] >= 0x80) return UNCOMMON;
  return nul;
}

const isAscii = (c: number): boolean => c < 0x80;
const isOctalOrSpace = (c: number): boolean => c === 0x20 || (c >= 0x30 && c <= 0x37);

/** An ASCII field up to its first NUL. */
function text(b: Buffer, start: number, length: number): string | typeof UNCOMMON {
  const nul = fieldEnd(b, start, length, isAscii);
  return nul === UNCOMMON ? UNCOMMON : b.toString('latin1', start, nul);
}

/**
 * An octal number as node-tar reads one (parseInt of the field up to its first NUL, trimmed): the
 * leading octal digits after any spaces, undefined where there are none. Only digits and spaces
 * before the NUL are common; a high first bit (base-256) is not.
 */
function octal(b: Buffer, start: number, length: number): number | undefined | typeof UNCOMMON {
  if (b[start] & 0x80) return UNCOMMON;
  const nul = fieldEnd(b, start, length, isOctalOrSpace);
  if (nul === UNCOMMON) return UNCOMMON;
  let i = start;
  while (i < nul && b[i] === 0x20) i++;
  if (i === nul) return undefined;
  let value = 0;
  for (; i < nul && b[i] !== 0x20; i++) value = value * 8 + (b[i] - 0x30);
  return value;
}

/** The block's fields where it is in the common form, else null. */
export function commonHeader(b: Buffer): TarHeader | null {
  const flag = b[156];
  let typeKey = flag === 0 ? '0' : String.fromCharCode(flag);
  if (!TYPE_NAMES.has(typeKey)) return UNCOMMON;
  const name = text(b, 0, 100);
  const mode = octal(b, 100, 8);
  const uid = octal(b, 108, 8);
  const gid = octal(b, 116, 8);
  let size = octal(b, 124, 12);
  const mtime = octal(b, 136, 12);
  // node-tar reads the checksum from 12 bytes, past its 8 into the type flag and link name.
  const cksum = octal(b, 148, 12);
  const linkpath = text(b, 157, 100);
  if (name === UNCOMMON || mode === UNCOMMON || uid === UNCOMMON || gid === UNCOMMON || size === UNCOMMON || mtime === UNCOMMON || cksum === UNCOMMON || linkpath === UNCOMMON) return UNCOMMON;
  if (typeKey === '0' && name.endsWith('/')) typeKey = '5';
  if (typeKey === '5') size = 0;
  let path = name;
  let devmaj = 0;
  let devmin = 0;
  if (b.compare(USTAR, 0, USTAR.length, 257, 265) === 0) {
    const major = octal(b, 329, 8);
    const minor = octal(b, 337, 8);
    if (major === UNCOMMON || minor === UNCOMMON) return UNCOMMON;
    devmaj = major ?? 0;
    devmin = minor ?? 0;
    if (b[475] !== 0) {
      // A whole 155-byte prefix: node-tar joins it even when it is empty.
      const prefix = text(b, 345, 155);
      if (prefix === UNCOMMON) return UNCOMMON;
      path = `${prefix}/${path}`;
    } else {
      // A 130-byte prefix, then atime and ctime, which node-tar decodes (and may refuse) too.
      const prefix = text(b, 345, 130);
      if (prefix === UNCOMMON || b[476] & 0x80 || b[488] & 0x80) return UNCOMMON;
      if (prefix) path = `${prefix}/${path}`;
    }
  }
  let sum = 256;
  for (let i = 0; i < 148; i++) sum += b[i];
  for (let i = 156; i < 512; i++) sum += b[i];
  return { path, mode, uid, gid, size, mtime, type: TYPE_NAMES.get(typeKey) as string, typeKey, linkpath, devmaj, devmin, cksumValid: sum === cksum };
}

/** node-tar's reading of a block, in the same fields. */
export function libraryHeader(block: Buffer): TarHeader {
  const h = new Header(block);
  return {
    path: h.path,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    size: h.size,
    mtime: h.mtime ? h.mtime.getTime() / 1000 : undefined,
    type: h.type as string,
    typeKey: h.typeKey as string,
    linkpath: h.linkpath,
    devmaj: h.devmaj,
    devmin: h.devmin,
    cksumValid: Boolean(h.cksumValid),
  };
}

/** The fields of the 512-byte header `block`. */
export function decodeHeader(block: Buffer): TarHeader {
  return commonHeader(block) ?? libraryHeader(block);
}

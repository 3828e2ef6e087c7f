// The header decoder's own reading of common blocks must be node-tar's, field for field: blocks
// node-tar encodes from random fields, then the same blocks with bytes set to what trips parsers
// (NUL, space, line breaks, high bits, digits out of octal), with and without a fixed checksum.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Header } from 'tar';
import { commonHeader, decodeHeader, libraryHeader, type TarHeader } from '../../../src/tar/header.ts';

const TYPES = ['File', 'Link', 'SymbolicLink', 'CharacterDevice', 'BlockDevice', 'Directory', 'FIFO', 'ContiguousFile', 'ExtendedHeader', 'GlobalExtendedHeader', 'NextFileHasLongPath', 'GNUDumpDir'] as const;
const TRICKY = [0, 0x20, 0x30, 0x37, 0x38, 0x2f, 0x61, 0x0a, 0x0d, 0x80, 0xe2, 0xff, 0x2b, 0x2d];

const pathPart = fc.stringMatching(/^[a-zA-Z0-9._-]{1,40}$/);
const fields = fc.record({
  path: fc.oneof(pathPart, fc.array(pathPart, { minLength: 2, maxLength: 6 }).map((p) => p.join('/')), fc.constant('dir/'), fc.string({ maxLength: 120 })),
  mode: fc.integer({ min: 0, max: 0o7777 }),
  uid: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0o7777777 })),
  gid: fc.integer({ min: 0, max: 0o7777777 }),
  size: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 33 })),
  mtime: fc.integer({ min: 0, max: 2 ** 33 }),
  type: fc.constantFrom(...TYPES),
  linkpath: fc.oneof(fc.constant(''), pathPart),
  devmaj: fc.integer({ min: 0, max: 255 }),
  devmin: fc.integer({ min: 0, max: 255 }),
  withTimes: fc.boolean(),
});

type Fields = typeof fields extends fc.Arbitrary<infer T> ? T : never;

function encode(f: Fields): Buffer {
  const block = Buffer.alloc(512);
  const mtime = new Date(f.mtime * 1000);
  new Header({ path: f.path, mode: f.mode, uid: f.uid, gid: f.gid, size: f.size, mtime, type: f.type, linkpath: f.linkpath, devmaj: f.devmaj, devmin: f.devmin, uname: 'root', gname: 'root', ...(f.withTimes ? { atime: mtime, ctime: mtime } : {}) }).encode(block);
  return block;
}

/** Writes the checksum node-tar would compute for the block as it now is. */
function fixChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

function outcome(decode: (b: Buffer) => TarHeader, block: Buffer): TarHeader | string {
  try {
    return decode(block);
  } catch (err) {
    return `threw: ${(err as Error).message}`;
  }
}

const edits = fc.array(fc.record({ at: fc.integer({ min: 0, max: 511 }), value: fc.oneof(fc.constantFrom(...TRICKY), fc.integer({ min: 0, max: 255 })) }), { maxLength: 6 });
const magic = fc.constantFrom('keep', 'gnu', 'none');

test("decodeHeader reads every block as node-tar's Header does", () => {
  let common = 0;
  const runs = 5000;
  fc.assert(
    fc.property(fields, edits, magic, fc.boolean(), (f, changes, kind, fix) => {
      const block = encode(f);
      if (kind === 'gnu') block.write('ustar  \0', 257, 'latin1');
      if (kind === 'none') block.fill(0, 257, 265);
      for (const { at, value } of changes) block[at] = value;
      if (fix) fixChecksum(block);
      if (commonHeader(block)) common++;
      assert.deepEqual(outcome(decodeHeader, block), outcome(libraryHeader, block));
    }),
    { numRuns: runs },
  );
  // The comparison means something only if most blocks took the decoder's own path.
  assert.ok(common > runs / 3, `${common} of ${runs} blocks were decoded without node-tar`);
});

test('a plain header is decoded without node-tar and as node-tar would', () => {
  const block = encode({ path: 'usr/share/doc/a.txt', mode: 0o644, uid: 0, gid: 0, size: 12, mtime: 1747699200, type: 'File', linkpath: '', devmaj: 0, devmin: 0, withTimes: false });
  const fast = commonHeader(block);
  assert.ok(fast);
  assert.deepEqual(fast, libraryHeader(block));
  assert.equal(fast.path, 'usr/share/doc/a.txt');
  assert.equal(fast.type, 'File');
  assert.equal(fast.mtime, 1747699200);
  assert.equal(fast.cksumValid, true);
});

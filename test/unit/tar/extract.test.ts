// Layer semantics: whiteouts and opaque dirs across layers, hard links, ownership with setuid,
// capabilities, directory mtimes; and the writer's tar read back by the reader.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { applyLayer } from '../../../src/tar/extract.ts';
import { readTar } from '../../../src/tar/reader.ts';
import { packTar } from '../../../src/tar/writer.ts';
import { readXattrs } from '../../../src/tar/xattr.ts';
import { rawTar } from '../../support/hostile-layers.ts';

const label = (n: number) => ({ image: 'unit:test', digest: `sha256:${String(n).repeat(64)}` });
const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex'); // cap_net_bind_service+ep

describe('applyLayer', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kiln-extract-'));
    await applyLayer(
      root,
      Readable.from([
        rawTar([
          { name: 'etc/', type: 'Directory' },
          { name: 'etc/keep', data: 'keep' },
          { name: 'etc/gone', data: 'gone' },
          { name: 'opq/', type: 'Directory' },
          { name: 'opq/old', data: 'old' },
          { name: 'opq/sub/', type: 'Directory' },
          { name: 'opq/sub/deep', data: 'deep' },
          { name: 'bin/', type: 'Directory' },
          { name: 'bin/su', data: 'su', mode: 0o4755 },
          { name: 'bin/ping', data: 'ping', mode: 0o755, pax: { 'SCHILY.xattr.security.capability': CAP, uid: '1000', gid: '2000' } },
          { name: 'bin/su-link', type: 'Link', linkpath: 'bin/su' },
          { name: 'tmp/', type: 'Directory', mode: 0o1777 },
        ]),
      ]),
      label(1),
    );
    await applyLayer(
      root,
      Readable.from([
        rawTar([
          { name: 'etc/.wh.gone' },
          { name: 'opq/new', data: 'new' }, // written before the marker, must survive it
          { name: 'opq/.wh..wh..opq' },
        ]),
      ]),
      label(2),
    );
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('applies whiteouts and opaque markers to lower layers only', () => {
    assert.equal(readFileSync(join(root, 'etc/keep'), 'utf8'), 'keep');
    assert.equal(existsSync(join(root, 'etc/gone')), false);
    assert.deepEqual(readdirSync(join(root, 'opq')), ['new']);
    assert.equal(existsSync(join(root, 'etc/.wh.gone')), false);
  });

  it('keeps setuid and sticky bits, numeric owners, hard links and capabilities', async () => {
    assert.equal(lstatSync(join(root, 'bin/su')).mode & 0o7777, 0o4755);
    assert.equal(lstatSync(join(root, 'tmp')).mode & 0o7777, 0o1777);
    const ping = lstatSync(join(root, 'bin/ping'));
    assert.equal(ping.uid, 1000);
    assert.equal(ping.gid, 2000);
    assert.equal(lstatSync(join(root, 'bin/su-link')).ino, lstatSync(join(root, 'bin/su')).ino);
    const xattrs = await readXattrs([join(root, 'bin/ping')]);
    assert.deepEqual(xattrs.get(join(root, 'bin/ping'))?.get('security.capability'), CAP);
  });

  it('sets directory mtimes after their contents', () => {
    // bin/ got three files and a link after its own entry; layer 2 did not touch it.
    assert.equal(lstatSync(join(root, 'bin')).mtimeMs, 1_700_000_000_000);
    assert.equal(lstatSync(join(root, 'tmp')).mtimeMs, 1_700_000_000_000);
  });
});

describe('packTar', () => {
  it('writes what readTar reads back: long names, long links, xattrs, devices', async () => {
    const longName = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    const chunks: Buffer[] = [];
    for await (const chunk of packTar([
          { name: longName, type: 'symlink', mode: 0o777, uid: 3_000_000, gid: 5, mtime: 42, linkname: 'l'.repeat(300), xattrs: new Map([['user.k', Buffer.from([0, 1, 255])]]) },
          { name: 'dev/zero', type: 'char', mode: 0o666, uid: 0, gid: 0, mtime: 0, devmajor: 1, devminor: 5 },
      { name: 'dir', type: 'dir', mode: 0o2755, uid: 0, gid: 0, mtime: 7 },
    ]))
      chunks.push(chunk);
    const tar = Buffer.concat(chunks);
    const entries = [];
    for await (const e of readTar(Readable.from([tar]), 'test')) entries.push(e);
    assert.equal(entries.length, 3);
    assert.equal(entries[0].name, longName);
    assert.equal(entries[0].linkname, 'l'.repeat(300));
    assert.equal(entries[0].uid, 3_000_000);
    assert.deepEqual(entries[0].xattrs.get('user.k'), Buffer.from([0, 1, 255]));
    assert.equal(entries[1].type, 'char');
    assert.equal(entries[1].devminor, 5);
    assert.equal(entries[2].name, 'dir/');
    assert.equal(entries[2].mode, 0o2755);
    assert.equal(entries[2].mtime, 7);
  });
});

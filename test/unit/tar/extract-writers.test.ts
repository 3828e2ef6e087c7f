// Writer threads must not change what a layer means: the same layers applied with threads and on
// the calling thread give identical trees, including where order matters (a file replacing a
// directory or a symlink, a hard link to a file made just before, a whiteout, a name written
// twice, a path through a symlink). The layers hold enough small files for the threads to start.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { applyLayer } from '../../../src/tar/extract.ts';
import { readXattrs } from '../../../src/tar/xattr.ts';
import { rawTar, type RawEntry } from '../../support/hostile-layers.ts';

const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex');

function manyFiles(prefix: string, dirs: number, perDir: number, tag: string): RawEntry[] {
  const out: RawEntry[] = [];
  for (let d = 0; d < dirs; d++) {
    out.push({ name: `${prefix}/d${d}/`, type: 'Directory' });
    for (let f = 0; f < perDir; f++) out.push({ name: `${prefix}/d${d}/f${f}`, data: `${tag} ${d}/${f}\n`, mode: f % 7 === 0 ? 0o600 : 0o644 });
  }
  return out;
}

const lower: RawEntry[] = [
  { name: 'real/', type: 'Directory' },
  { name: 'via', type: 'SymbolicLink', linkpath: 'real' },
  { name: 'becomes-file/', type: 'Directory' },
  { name: 'becomes-file/child', data: 'child' },
  { name: 'was-symlink', type: 'SymbolicLink', linkpath: 'real' },
  { name: 'to-delete', data: 'delete me' },
  ...manyFiles('bulk', 6, 60, 'lower'),
  { name: 'bin/', type: 'Directory' },
  { name: 'bin/su', data: 'su', mode: 0o4755 },
  { name: 'bin/ping', data: 'ping', mode: 0o755, pax: { 'SCHILY.xattr.security.capability': CAP, uid: '1000', gid: '2000' } },
  { name: 'big', data: Buffer.alloc(200_000, 7) },
  // A new file in a setgid directory takes the directory's group unless chowned back.
  { name: 'sg/', type: 'Directory', mode: 0o2775, pax: { gid: '2000' } },
  { name: 'sg/root-group', data: 'gid 0' },
  { name: 'sg/dir-group', data: 'gid 2000', pax: { gid: '2000' } },
];

const upper: RawEntry[] = [
  ...manyFiles('bulk', 6, 60, 'upper'),
  // Right behind files a thread may still be making: the later entry must win.
  { name: 'bulk/d5/f59', type: 'SymbolicLink', linkpath: 'f0' },
  { name: 'bulk/d5/f58/', type: 'Directory' },
  { name: 'becomes-file', data: 'now a file' },
  { name: 'was-symlink', data: 'now a file too' },
  { name: 'via/through-link', data: 'written through a symlink' },
  { name: 'bulk/d0/f1', data: 'written twice: first' },
  { name: 'bulk/d0/f1', data: 'written twice: second' },
  { name: 'bulk/d1/hard', type: 'Link', linkpath: 'bulk/d1/f3' },
  { name: '.wh.to-delete' },
  ...manyFiles('more', 3, 100, 'more'),
];

type Tree = Map<string, string>;
/** rawTar's fixed mtime. */
const TAR_MTIME_MS = 1_700_000_000_000;

/** Everything about every path that extraction decides. */
function describeTree(root: string): Tree {
  const out: Tree = new Map();
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const host = join(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(host);
      const common = `mode=${st.mode.toString(8)} uid=${st.uid} gid=${st.gid} nlink=${st.isDirectory() ? '-' : st.nlink}`;
      if (st.isSymbolicLink()) out.set(path, `${common} -> ${readlinkSync(host)}`);
      else if (st.isDirectory()) {
        // A directory the layers do not list, or change without listing, keeps the time it was touched.
        out.set(path, `${common} dir mtime=${st.mtimeMs === TAR_MTIME_MS ? 'from the tar' : 'when touched'}`);
        walk(host, path);
      } else out.set(path, `${common} mtime=${st.mtimeMs} sha=${createHash('sha256').update(readFileSync(host)).digest('hex')}`);
    }
  };
  walk(root, '');
  return out;
}

async function extract(writers: number): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `kiln-writers-${writers}-`));
  await applyLayer(root, Readable.from([rawTar(lower)]), { image: 'unit:test', digest: 'sha256:lower' }, { writers });
  await applyLayer(root, Readable.from([rawTar(upper)]), { image: 'unit:test', digest: 'sha256:upper' }, { writers });
  return root;
}

describe('extraction with writer threads', () => {
  let serial: string;
  let threaded: string;
  before(async () => {
    serial = await extract(0);
    threaded = await extract(2);
  });
  after(async () => {
    await rm(serial, { recursive: true, force: true });
    await rm(threaded, { recursive: true, force: true });
  });

  it('gives the same tree as extraction on the calling thread', () => {
    const a = describeTree(serial);
    const b = describeTree(threaded);
    assert.ok(a.size > 600, `expected a large tree, got ${a.size} paths`);
    assert.deepEqual(b, a);
  });

  it('keeps the order-dependent results', () => {
    assert.equal(readFileSync(join(threaded, 'becomes-file'), 'utf8'), 'now a file');
    assert.equal(readFileSync(join(threaded, 'was-symlink'), 'utf8'), 'now a file too');
    assert.equal(readFileSync(join(threaded, 'real/through-link'), 'utf8'), 'written through a symlink');
    assert.equal(readFileSync(join(threaded, 'bulk/d0/f1'), 'utf8'), 'written twice: second');
    assert.equal(readlinkSync(join(threaded, 'bulk/d5/f59')), 'f0');
    assert.ok(lstatSync(join(threaded, 'bulk/d5/f58')).isDirectory());
    assert.equal(lstatSync(join(threaded, 'bulk/d1/hard')).ino, lstatSync(join(threaded, 'bulk/d1/f3')).ino);
    assert.equal(readFileSync(join(threaded, 'bulk/d1/hard'), 'utf8'), 'upper 1/3\n');
    assert.throws(() => lstatSync(join(threaded, 'to-delete')), /ENOENT/);
    assert.equal(lstatSync(join(threaded, 'bin/su')).mode & 0o7777, 0o4755);
    assert.equal(lstatSync(join(threaded, 'bulk/d2/f7')).mode & 0o777, 0o600);
  });

  it('gives a file in a setgid directory the group the tar says', () => {
    for (const root of [serial, threaded]) {
      assert.equal(lstatSync(join(root, 'sg')).mode & 0o7777, 0o2775);
      assert.equal(lstatSync(join(root, 'sg/root-group')).gid, 0);
      assert.equal(lstatSync(join(root, 'sg/dir-group')).gid, 2000);
    }
  });

  it('keeps xattrs and ownership set by PAX records', async () => {
    const attrs = await readXattrs([join(threaded, 'bin/ping')]);
    assert.deepEqual(attrs.get(join(threaded, 'bin/ping'))?.get('security.capability'), CAP);
    const st = lstatSync(join(threaded, 'bin/ping'));
    assert.equal(st.uid, 1000);
    assert.equal(st.gid, 2000);
  });

  it('names the entry when a writer thread cannot make a file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kiln-writers-fail-'));
    try {
      // A name longer than NAME_MAX fails in the thread; the error must say which entry.
      const entries = [...manyFiles('bulk', 3, 100, 'x'), { name: `bulk/d1/${'n'.repeat(300)}`, pax: { path: `bulk/d1/${'n'.repeat(300)}` }, data: 'too long' }];
      await assert.rejects(
        applyLayer(root, Readable.from([rawTar(entries)]), { image: 'unit:test', digest: 'sha256:fail' }, { writers: 2 }),
        (err: Error) => /image unit:test layer sha256:fail/.test(err.message) && /nnnnnnnn/.test(err.message) && !/\n/.test(err.message),
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

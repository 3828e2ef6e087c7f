// Both snapshotters, every walk mode: the same edits in the run root give the same change set,
// and the layer written from it, applied to a copy of the old rootfs, reproduces the new one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile, rename, link } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import zlib from 'node:zlib';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractImage } from '../../../src/tar/extract.ts';
import { countChanges, type Change } from '../../../src/snapshot/changes.ts';
import { reproducibleMtime, writeLayer } from '../../../src/snapshot/layer-writer.ts';
import { OverlaySnapshotter, overlaySupported } from '../../../src/snapshot/overlay.ts';
import { createSnapshotter } from '../../../src/snapshot/select.ts';
import type { Snapshotter } from '../../../src/snapshot/types.ts';
import { WalkSnapshotter } from '../../../src/snapshot/walk.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { removeTree } from '../../support/mounts.ts';

/** path → type, mode, owner, link target, content hash: what an image promises about a tree. */
function tree(dir: string, ignore: string[] = ['proc', 'sys', 'dev']): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d)) {
      const r = rel === '' ? name : `${rel}/${name}`;
      if (ignore.includes(r)) continue;
      const p = join(d, name);
      const st = lstatSync(p);
      const extra = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : st.isSymbolicLink() ? readlinkSync(p) : '';
      out.set(r, `${st.mode.toString(8)} ${st.uid}:${st.gid} ${extra}`);
      if (st.isDirectory()) walk(p, r);
    }
  };
  walk(dir, '');
  return out;
}

async function makeBase(root: string): Promise<void> {
  await mkdir(join(root, 'bin'), { recursive: true });
  execFileSync('cp', ['/bin/busybox', join(root, 'bin/busybox')]);
  await symlink('busybox', join(root, 'bin/sh'));
  await mkdir(join(root, 'etc/conf.d'), { recursive: true });
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  await writeFile(join(root, 'etc/conf.d/a'), 'a');
  await writeFile(join(root, 'etc/conf.d/b'), 'b');
  await mkdir(join(root, 'var/lib/old/deep'), { recursive: true });
  await writeFile(join(root, 'var/lib/old/deep/f'), 'f');
  await mkdir(join(root, 'usr/share'), { recursive: true });
  await writeFile(join(root, 'usr/share/doc'), 'doc');
  await mkdir(join(root, 'proc'));
}

/** A RUN step's worth of edits, made through the run root as the command would. */
async function edit(runRoot: string): Promise<void> {
  await writeFile(join(runRoot, 'x'), ''); // RUN touch /x
  await writeFile(join(runRoot, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nkiln:x:1000:1000::/:/bin/sh\n');
  await rm(join(runRoot, 'etc/conf.d/b'));
  await rm(join(runRoot, 'var/lib/old'), { recursive: true }); // whole dir deleted
  await rm(join(runRoot, 'etc/conf.d'), { recursive: true }); // recreated: opaque / all-new
  await mkdir(join(runRoot, 'etc/conf.d'));
  await writeFile(join(runRoot, 'etc/conf.d/c'), 'c');
  await rm(join(runRoot, 'usr/share'), { recursive: true }); // dir replaced by a symlink
  await symlink('/tmp', join(runRoot, 'usr/share'));
  await writeFile(join(runRoot, 'bin/su'), 'su');
  await chmod(join(runRoot, 'bin/su'), 0o4755);
  await link(join(runRoot, 'bin/su'), join(runRoot, 'bin/su2'));
  await mkdir(join(runRoot, 'proc/ignored'));
  await rename(join(runRoot, 'bin/sh'), join(runRoot, 'bin/ash'));
}

const EXPECTED: Record<string, Change['kind']> = {
  x: 'add',
  'etc/passwd': 'modify',
  'etc/conf.d/c': 'add',
  'var/lib/old': 'delete',
  'usr/share': 'modify',
  'bin/su': 'add',
  'bin/su2': 'add',
  'bin/ash': 'add',
  'bin/sh': 'delete',
};

describe('snapshotters', async () => {
  let top: string;
  const overlayOk = await overlaySupported(tmpdir());
  before(async () => {
    top = await mkdtemp(join(tmpdir(), 'kiln-snap-'));
  });
  after(async () => {
    // removeTree unmounts first: a failed step may leave its overlay mounted under top.
    await removeTree(top);
  });

  const cases: Array<[string, (root: string) => Snapshotter]> = [
    ['walk full', (r) => WalkSnapshotter.create(r, { mode: 'full' })],
    ['walk redo', (r) => WalkSnapshotter.create(r, { mode: 'redo' })],
    ['walk time', (r) => WalkSnapshotter.create(r, { mode: 'time' })],
    ['overlay', (r) => new OverlaySnapshotter(r)],
  ];
  for (const [name, make] of cases) {
    it(`${name}: reports the edits, and its layer rebuilds the tree`, { skip: name === 'overlay' && !overlayOk && 'overlayfs does not mount here' }, async () => {
      const dir = await mkdtemp(join(top, 'case-'));
      const root = join(dir, 'rootfs');
      const copy = join(dir, 'copy');
      await makeBase(root);
      await makeBase(copy);
      const snap = make(root);

      const none = await (await snap.begin()).finish();
      assert.deepEqual(none.changes, [], 'no edit, no change');

      const step = await snap.begin();
      await edit(step.runRoot);
      const set = await step.finish();
      const kinds = Object.fromEntries(set.changes.map((c) => [c.path, c.kind]));
      for (const [path, kind] of Object.entries(EXPECTED)) assert.equal(kinds[path], kind, `${path} in ${JSON.stringify(set.changes)}`);
      assert.ok(!set.changes.some((c) => c.path.startsWith('proc')), 'ignored path reported');
      assert.ok(!set.changes.some((c) => c.path.startsWith('var/lib/old/')), 'whiteout under a deleted dir');
      assert.ok(!set.changes.some((c) => c.path.startsWith('usr/share/')), 'whiteout under a dir replaced by a link');
      assert.ok(set.changes.find((c) => c.path === 'usr/share')?.replaced);

      const layer = await writeLayer(set, { blobRoot: join(dir, 'blobs') });
      await extractImage(copy, [layer], { image: `snapshot ${name}` });
      // The layer was read before the step was settled; the rootfs holds the same tree after.
      await snap.settle();
      assert.deepEqual(tree(copy), tree(root));
      assert.equal(lstatSync(join(copy, 'bin/su2')).ino, lstatSync(join(copy, 'bin/su')).ino, 'hard link kept');

      const again = await (await snap.begin()).finish();
      assert.deepEqual(countChanges(again), { add: 0, modify: 0, delete: 0 });
    });
  }

  it('walk full ignores a rewrite with the same bytes; redo does not', async () => {
    const root = await mkdtemp(join(top, 'full-'));
    await makeBase(root);
    const full = WalkSnapshotter.create(root, { mode: 'full' });
    const redo = WalkSnapshotter.create(root, { mode: 'redo' });
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    assert.equal((await (await full.begin()).finish()).changes.length, 0);
    assert.deepEqual((await (await redo.begin()).finish()).changes.map((c) => c.path), ['etc/passwd']);
  });

  it('overlay: a mount left in the run root fails the step, and nothing is deleted through it', { skip: !overlayOk && 'overlayfs does not mount here' }, async () => {
    const dir = await mkdtemp(join(top, 'leftover-'));
    const root = join(dir, 'rootfs');
    await makeBase(root);
    const hostDir = join(dir, 'host-dev');
    await mkdir(hostDir);
    await writeFile(join(hostDir, 'keep'), 'keep');
    const step = await new OverlaySnapshotter(root).begin();
    await mkdir(join(step.runRoot, 'mnt'));
    execFileSync('mount', ['--bind', hostDir, join(step.runRoot, 'mnt')]);
    await assert.rejects(step.finish(), (err: unknown) => isBuilderError(err, 'ISOLATION'));
    assert.equal(readFileSync(join(hostDir, 'keep'), 'utf8'), 'keep');
  });

  it('overlay: a finished step reaches the rootfs only when settled, and COPY before that is refused', { skip: !overlayOk && 'overlayfs does not mount here' }, async () => {
    const dir = await mkdtemp(join(top, 'settle-'));
    const root = join(dir, 'rootfs');
    await makeBase(root);
    const before = tree(root);
    const snap = new OverlaySnapshotter(root);
    const step = await snap.begin();
    await edit(step.runRoot);
    const set = await step.finish();
    assert.notEqual(set.rootfs, root, 'the layer is read from the upper dir');
    assert.deepEqual(tree(root), before, 'the rootfs is untouched until settled');
    await assert.rejects(snap.pathsChanged(['/etc']), (err: unknown) => isBuilderError(err, 'INTERNAL'));
    await snap.settle();
    assert.equal(readFileSync(join(root, 'etc/passwd'), 'utf8'), 'root:x:0:0::/root:/bin/sh\nkiln:x:1000:1000::/:/bin/sh\n');
    assert.deepEqual(readdirSync(dir), ['rootfs'], 'the step leaves nothing beside the rootfs');
    await snap.settle();
  });

  it('createSnapshotter picks overlay where it mounts, walk when asked', async () => {
    const root = join(await mkdtemp(join(top, 'select-')), 'rootfs');
    await makeBase(root);
    assert.equal((await createSnapshotter(root, { kind: 'auto', mode: 'redo' })).kind, overlayOk ? 'overlay' : 'walk');
    assert.equal((await createSnapshotter(root, { kind: 'walk', mode: 'time' })).kind, 'walk');
  });

  it('pathsChanged lists what COPY wrote without a scan', async () => {
    const root = await mkdtemp(join(top, 'copy-'));
    await makeBase(root);
    const walk = WalkSnapshotter.create(root, { mode: 'redo' });
    await mkdir(join(root, 'app/lib'), { recursive: true });
    await writeFile(join(root, 'app/lib/m.js'), '1');
    await writeFile(join(root, 'etc/passwd'), 'new');
    const set = await walk.pathsChanged(['/app', 'etc/passwd']);
    assert.deepEqual(set.changes.map((c) => `${c.kind} ${c.path}`), ['add app', 'add app/lib', 'add app/lib/m.js', 'modify etc/passwd']);
    assert.equal((await (await walk.begin()).finish()).changes.length, 0, 'the walk index knows about them');
  });

  it('writeLayer: reproducible digests, and a clear error for zstd on this Node', async () => {
    const root = await mkdtemp(join(top, 'repro-'));
    await makeBase(root);
    const set = await new OverlaySnapshotter(root).pathsChanged(['/']);
    const a = await writeLayer(set, { blobRoot: join(top, 'ra'), fixedMtime: 0 });
    await new Promise((r) => setTimeout(r, 1100));
    execFileSync('touch', [join(root, 'etc/passwd')]);
    const b = await writeLayer(set, { blobRoot: join(top, 'rb'), fixedMtime: 0 });
    assert.equal(a.digest, b.digest);
    assert.equal(a.diffId, b.diffId);
    assert.equal(reproducibleMtime({}), 0);
    assert.equal(reproducibleMtime({ SOURCE_DATE_EPOCH: '1700000000' }), 1_700_000_000);
    assert.throws(() => reproducibleMtime({ SOURCE_DATE_EPOCH: 'yesterday' }), /SOURCE_DATE_EPOCH/);
    const c = await writeLayer(set, { blobRoot: join(top, 'rc') });
    assert.notEqual(c.diffId, a.diffId);
    assert.equal(a.size, lstatSync(a.blobPath).size);
    assert.ok(set.changes.length > 10);
    const hasZstd = 'createZstdCompress' in zlib;
    if (!hasZstd) await assert.rejects(writeLayer(set, { blobRoot: top, compression: 'zstd' }), (err: unknown) => isBuilderError(err, 'USAGE') && /--compression=zstd/.test(err.message));
    await assert.rejects(writeLayer(set, { blobRoot: top, compressionLevel: 12 }), (err: unknown) => isBuilderError(err, 'USAGE') && /--compression-level/.test(err.message));
  });
});

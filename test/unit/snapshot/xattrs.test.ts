// Extended attributes a step adds, changes or removes, on files and directories, must reach the
// layer exactly: tar cannot say "remove", so an entry is written whole with what it still has.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { writeLayer } from '../../../src/snapshot/layer-writer.ts';
import { OverlaySnapshotter, overlaySupported } from '../../../src/snapshot/overlay.ts';
import type { Snapshotter } from '../../../src/snapshot/types.ts';
import { WalkSnapshotter } from '../../../src/snapshot/walk.ts';
import { readTar } from '../../../src/tar/reader.ts';
import { readXattrs } from '../../../src/tar/xattr.ts';
import { removeTree } from '../../support/mounts.ts';

const setfattr = (...args: string[]): void => void execFileSync('setfattr', args);

async function makeBase(root: string): Promise<void> {
  await mkdir(join(root, 'd'), { recursive: true });
  await writeFile(join(root, 'd/f'), 'f');
  await writeFile(join(root, 'g'), 'g');
  await writeFile(join(root, 'untouched'), 'u');
  await mkdir(join(root, 'e'));
  // Whole seconds, so that putting the mtime back through utimes is exact.
  await utimes(join(root, 'e'), 1000, 1000);
  setfattr('-n', 'user.a', '-v', '1', join(root, 'd'));
  setfattr('-n', 'user.b', '-v', '2', join(root, 'd'));
  setfattr('-n', 'user.x', '-v', '1', join(root, 'd/f'));
  setfattr('-n', 'user.keep', '-v', 'k', join(root, 'd/f'));
  setfattr('-n', 'user.only', '-v', 'o', join(root, 'g'));
  setfattr('-n', 'user.u', '-v', 'u', join(root, 'untouched'));
}

/**
 * What the step does: remove one of a directory's two, one of a file's two, a file's only one;
 * only read another file; make and remove a file in a directory and put its mtime back, as the
 * runner does with its mount placeholders (only the directory's ctime moves: no change).
 */
async function edit(runRoot: string): Promise<void> {
  const e = await stat(join(runRoot, 'e'));
  await writeFile(join(runRoot, 'e/placeholder'), '');
  await rm(join(runRoot, 'e/placeholder'));
  await utimes(join(runRoot, 'e'), e.atime, e.mtime);
  setfattr('-x', 'user.a', join(runRoot, 'd'));
  setfattr('-x', 'user.x', join(runRoot, 'd/f'));
  setfattr('-x', 'user.only', join(runRoot, 'g'));
  execFileSync('cat', [join(runRoot, 'untouched')]);
}

function show(attrs: Map<string, Buffer> | undefined): Record<string, string> {
  return Object.fromEntries([...(attrs ?? new Map<string, Buffer>())].map(([k, v]) => [k, v.toString('hex')]));
}

async function layerXattrs(blobPath: string): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for await (const e of readTar(createReadStream(blobPath).pipe(createGunzip()), 'layer')) {
    out.set(e.name.replace(/\/$/, ''), show(e.xattrs));
    for await (const chunk of e.body()) void chunk;
  }
  return out;
}

describe('snapshotters carry xattr removals', async () => {
  let top: string;
  const overlayOk = await overlaySupported(tmpdir());
  before(async () => {
    top = await mkdtemp(join(tmpdir(), 'kiln-xattr-'));
  });
  after(async () => {
    await removeTree(top);
  });
  const cases: Array<[string, (root: string) => Snapshotter]> = [
    ['walk full', (r) => WalkSnapshotter.create(r, { mode: 'full' })],
    ['walk redo', (r) => WalkSnapshotter.create(r, { mode: 'redo' })],
    ['overlay', (r) => new OverlaySnapshotter(r)],
  ];
  for (const [name, make] of cases) {
    it(`${name}: removed xattrs leave the entry whole with what remains`, { skip: name === 'overlay' && !overlayOk && 'overlayfs does not mount here' }, async () => {
      const dir = await mkdtemp(join(top, 'case-'));
      const root = join(dir, 'rootfs');
      await makeBase(root);
      const snap = make(root);
      const step = await snap.begin();
      await edit(step.runRoot);
      const set = await step.finish();
      const paths = set.changes.map((c) => c.path).sort();
      assert.deepEqual(paths, ['d', 'd/f', 'g'], JSON.stringify(set.changes));
      const layer = await writeLayer(set, { blobRoot: join(dir, 'blobs') });
      const inLayer = await layerXattrs(layer.blobPath);
      assert.deepEqual(inLayer.get('d'), { 'user.b': '32' });
      assert.deepEqual(inLayer.get('d/f'), { 'user.keep': '6b' });
      assert.deepEqual(inLayer.get('g'), {});
      assert.equal(inLayer.has('untouched'), false);
      // The rootfs the next step starts from agrees with the layer.
      await snap.settle();
      const now = await readXattrs([join(root, 'd'), join(root, 'd/f'), join(root, 'g')]);
      assert.deepEqual(show(now.get(join(root, 'd'))), { 'user.b': '32' });
      assert.deepEqual(show(now.get(join(root, 'd/f'))), { 'user.keep': '6b' });
      assert.equal(now.has(join(root, 'g')), false);
      const again = await (await snap.begin()).finish();
      assert.deepEqual(again.changes, []);
    });
  }
});

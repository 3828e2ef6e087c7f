import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256, type Digest } from '../../../src/oci/digest.ts';
import { BlobStore } from '../../../src/cache/blob-store.ts';
import { readLayout, REF_NAME } from '../../../src/image/layout.ts';
import { writeLayout } from '../../../src/image/layout-write.ts';
import { selectPlatform } from '../../../src/image/platform.ts';
import { readStoreImage } from '../../../src/image/store.ts';
import type { ImageOrIndex } from '../../../src/image/types.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { initLayout, writeImage, writeImageIndex, writeLayer, writeLayoutIndex, type Descriptor } from '../../support/oci-layout.ts';
import { readAll } from './fixtures.ts';

const mtime = new Date('2024-01-01T00:00:00Z');

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-layout-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A layout with "single" (one image) and "multi" (an index of amd64 and arm64). */
async function makeLayout(dir: string): Promise<{ single: Descriptor; multi: Descriptor; arm64: Descriptor }> {
  await initLayout(dir);
  const image = async (arch: string, text: string): Promise<Descriptor> => {
    const layer = await writeLayer(dir, [{ path: 'hello.txt', type: 'File', mode: 0o644, uid: 0, gid: 0, size: text.length, data: Buffer.from(text) }], mtime);
    return writeImage(dir, { platform: { os: 'linux', architecture: arch }, layers: [layer], created: mtime.toISOString(), runConfig: { Cmd: ['/hello'] }, history: ['COPY hello.txt /'] });
  };
  const amd64 = await image('amd64', 'amd64 world\n');
  const arm64 = await image('arm64', 'arm64 world\n');
  const single = await image('amd64', 'single\n');
  const multi = await writeImageIndex(dir, [amd64, arm64]);
  await writeLayoutIndex(dir, { single, multi });
  return { single, multi, arm64 };
}

function image(x: ImageOrIndex) {
  assert.equal(x.kind, 'image');
  return x.image;
}
function index(x: ImageOrIndex) {
  assert.equal(x.kind, 'index');
  return x.index;
}

test('reads an image by tag: manifest bytes, config, layers with diffIds', async (t) => {
  const dir = await tempDir(t);
  const { single } = await makeLayout(dir);
  const img = image(await readLayout(dir, 'single'));
  assert.equal(await img.digest(), single.digest);
  const config = await img.config();
  assert.deepEqual(config.config, { Cmd: ['/hello'] });
  const [layer] = await img.layers();
  assert.equal(layer.diffId, config.rootfs.diff_ids[0]);
  assert.equal(sha256(await readAll(await layer.uncompressed())), layer.diffId);
});

test('reads an index and picks a platform out of it', async (t) => {
  const dir = await tempDir(t);
  const { multi, arm64 } = await makeLayout(dir);
  const idx = index(await readLayout(dir, 'multi'));
  assert.equal(await idx.digest(), multi.digest);
  const picked = await selectPlatform(idx, { os: 'linux', architecture: 'arm64' }, 'multi');
  assert.equal(await picked.digest(), arm64.digest);
  await assert.rejects(selectPlatform(idx, { os: 'linux', architecture: 's390x' }, 'multi'), (err) => isBuilderError(err, 'PLATFORM_NOT_FOUND') && /amd64/.test(err.message));
});

test('an unknown tag, or no tag in a layout of several images, is a clear error', async (t) => {
  const dir = await tempDir(t);
  await makeLayout(dir);
  await assert.rejects(readLayout(dir, 'nope'), (err) => isBuilderError(err, 'MANIFEST_UNKNOWN') && err.message.includes('single'));
  await assert.rejects(readLayout(dir), (err) => isBuilderError(err, 'USAGE'));
  await assert.rejects(readLayout(join(dir, 'missing')), (err) => isBuilderError(err, 'FILE_NOT_FOUND'));
});

test('writing an index to a new layout keeps every digest; tags replace their own entry only', async (t) => {
  const src = await tempDir(t);
  const dst = join(await tempDir(t), 'out');
  const { multi, single } = await makeLayout(src);
  const written = await writeLayout(dst, await readLayout(src, 'multi'), { tag: 'v1' });
  assert.equal(written.digest, multi.digest);
  assert.equal(await index(await readLayout(dst, 'v1')).digest(), multi.digest);
  // Every blob of the source is now in the destination, byte for byte.
  // Every blob the index names is in the destination, and nothing else.
  const named = new Set<string>([multi.digest]);
  const copied = index(await readLayout(dst, 'v1'));
  for (const desc of (await copied.manifest()).manifests) {
    const img = await copied.image(desc);
    named.add(desc.digest);
    named.add((await img.manifest()).config.digest);
    for (const layer of await img.layers()) named.add(layer.digest);
  }
  assert.deepEqual((await readdir(join(dst, 'blobs', 'sha256'))).sort(), [...named].map((d) => d.slice(7)).sort());

  await writeLayout(dst, await readLayout(src, 'single'), { tag: 'v2' });
  await writeLayout(dst, await readLayout(src, 'single'), { tag: 'v1' });
  const entries = JSON.parse(await readFile(join(dst, 'index.json'), 'utf8')).manifests as Descriptor[];
  assert.deepEqual(entries.map((e) => [e.annotations?.[REF_NAME], e.digest]), [
    ['v2', single.digest],
    ['v1', single.digest],
  ]);
});

test('a corrupted source blob is refused and leaves nothing in the destination', async (t) => {
  const src = await tempDir(t);
  const dst = join(await tempDir(t), 'out');
  await makeLayout(src);
  const img = image(await readLayout(src, 'single'));
  const [layer] = await img.layers();
  const path = join(src, 'blobs', 'sha256', layer.digest.slice(7));
  const bytes = await readFile(path);
  bytes[bytes.length - 5] ^= 0xff;
  await writeFile(path, bytes);
  await assert.rejects(writeLayout(dst, { kind: 'image', image: img }, { tag: 'x' }), (err) => isBuilderError(err, 'DIGEST_MISMATCH'));
  assert.deepEqual(await readdir(join(dst, 'blobs', 'sha256')), []);
  assert.deepEqual((await readdir(dst)).sort(), ['blobs']);
});

test('images in the local blob store read like any other', async (t) => {
  const dir = await tempDir(t);
  const { single } = await makeLayout(dir);
  const found = image(await readStoreImage(new BlobStore(dir), single.digest as Digest, 'cache'));
  assert.equal(await found.digest(), single.digest);
  assert.equal((await found.layers()).length, 1);
});

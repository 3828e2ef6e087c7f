import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list, type ReadEntry } from 'tar';
import { sha256 } from '../../../src/oci/digest.ts';
import { buildImage } from '../../../src/image/commit.ts';
import { writeDockerArchive } from '../../../src/image/docker-archive.ts';
import { openerLayer } from '../../../src/image/layer.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { layerOf, readAll } from './fixtures.ts';

async function entriesOf(file: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const pending: Promise<void>[] = [];
  await list({
    file,
    onReadEntry: (entry: ReadEntry) => {
      pending.push(readAll(entry).then((b) => void files.set(entry.path, b)));
    },
  });
  await Promise.all(pending);
  return files;
}

const platform = { os: 'linux', architecture: 'amd64' };
const created = new Date(0);

test('writes manifest.json, config and layers as stored, plus an OCI layout over the same blobs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-archive-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = layerOf({ a: '1' });
  const b = layerOf({ b: '2' });
  const image = buildImage({ base: 'scratch', platform, created, config: { Cmd: ['/a'] }, steps: [{ layer: a, history: {} }, { layer: b, history: {} }, { layer: a, history: {} }] });
  const path = join(dir, 'image.tar');
  await writeDockerArchive(path, image, { tags: ['registry.example:5000/app:1.0'] });

  const files = await entriesOf(path);
  const manifestJson = JSON.parse(files.get('manifest.json')!.toString());
  const configDigest = (await image.manifest()).config.digest;
  assert.deepEqual(manifestJson, [
    {
      Config: `blobs/sha256/${configDigest.slice(7)}`,
      RepoTags: ['registry.example:5000/app:1.0'],
      Layers: [a, b, a].map((l) => `blobs/sha256/${l.digest.slice(7)}`),
    },
  ]);
  // Every blob file holds exactly the bytes its name promises; the repeated layer is stored once.
  const blobs = [...files.keys()].filter((p) => /^blobs\/sha256\/[0-9a-f]{64}$/.test(p));
  assert.equal(blobs.length, 4);
  for (const p of blobs) assert.equal(sha256(files.get(p)!), `sha256:${p.slice(13)}`);
  const index = JSON.parse(files.get('index.json')!.toString());
  assert.equal(index.manifests[0].digest, await image.digest());
  assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], '1.0');
  assert.deepEqual(JSON.parse(files.get('oci-layout')!.toString()), { imageLayoutVersion: '1.0.0' });
  assert.deepEqual(await readdir(dir), ['image.tar']);
});

test('a layer whose bytes are shorter than its size leaves no archive behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-archive-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const good = layerOf({ a: '1' });
  const short = openerLayer({ ...good, size: good.size + 10, open: () => good.compressed() });
  const image = buildImage({ base: 'scratch', platform, created, config: {}, steps: [{ layer: short, history: {} }] });
  await assert.rejects(writeDockerArchive(join(dir, 'x.tar'), image, { tags: [] }), (err) => isBuilderError(err, 'DIGEST_MISMATCH'));
  assert.deepEqual(await readdir(dir), []);
});

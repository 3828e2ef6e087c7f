import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../../../src/oci/digest.ts';
import { MediaType } from '../../../src/oci/mediatypes.ts';
import { buildImage } from '../../../src/image/commit.ts';
import { appendLayers, withConfig, withCreatedAt } from '../../../src/image/mutate.ts';
import { withLayerMediaType } from '../../../src/image/layer.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { layerOf } from './fixtures.ts';

const platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const created = new Date('2024-01-02T03:04:05Z');

test('buildImage from scratch: OCI manifest, diff_ids, history with empty_layer entries', async () => {
  const a = layerOf({ a: '1' });
  const b = layerOf({ b: '2' }, 'zstd');
  const image = buildImage({
    base: 'scratch',
    platform,
    created,
    config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'] },
    steps: [
      { layer: a, history: { created_by: 'COPY a /' } },
      { history: { created_by: 'ENV PATH=/bin' } },
      { layer: b, history: { created_by: 'RUN make b' } },
    ],
  });
  const manifest = await image.manifest();
  const config = await image.config();
  assert.equal(await image.mediaType(), MediaType.OciManifest);
  assert.equal(manifest.mediaType, MediaType.OciManifest);
  assert.equal(manifest.config.mediaType, MediaType.OciConfig);
  assert.equal(manifest.config.digest, sha256(await image.rawConfig()));
  assert.deepEqual(manifest.layers.map((l) => [l.mediaType, l.digest, l.size]), [
    [MediaType.OciLayerGzip, a.digest, a.size],
    [MediaType.OciLayerZstd, b.digest, b.size],
  ]);
  assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [a.diffId, b.diffId] });
  assert.deepEqual(config.history, [
    { created: created.toISOString(), created_by: 'COPY a /' },
    { created: created.toISOString(), created_by: 'ENV PATH=/bin', empty_layer: true },
    { created: created.toISOString(), created_by: 'RUN make b' },
  ]);
  assert.equal(config.architecture, 'arm64');
  assert.equal(config.variant, 'v8');
  assert.equal(config.created, created.toISOString());
  assert.deepEqual(config.config, { Env: ['PATH=/bin'], Cmd: ['/bin/sh'] });
  assert.equal(await image.digest(), sha256(await image.rawManifest()));
});

test('a Docker schema 2 base gives a Docker manifest with Docker layer types, as kaniko does', async () => {
  const base = buildImage({
    base: 'scratch',
    platform,
    created,
    config: { Env: ['A=1'] },
    steps: [{ layer: withLayerMediaType(layerOf({ base: 'x' }), MediaType.DockerLayerGzip), history: { created_by: 'base' } }],
    mediaTypeStyle: 'docker',
  });
  const child = buildImage({ base, platform, created, config: { Env: ['A=2'] }, steps: [{ layer: layerOf({ new: 'y' }), history: { created_by: 'RUN new' } }] });
  const manifest = await child.manifest();
  assert.equal(manifest.mediaType, MediaType.DockerManifest);
  assert.equal(manifest.config.mediaType, MediaType.DockerConfig);
  assert.deepEqual(manifest.layers.map((l) => l.mediaType), [MediaType.DockerLayerGzip, MediaType.DockerLayerGzip]);
  const config = await child.config();
  assert.equal(config.history?.length, 2);
  assert.equal(config.rootfs.diff_ids.length, 2);
  assert.deepEqual(config.config, { Env: ['A=2'] });
});

test('an OCI base keeps its layers as they are and new layers are OCI', async () => {
  const baseLayer = withLayerMediaType(layerOf({ base: 'x' }), MediaType.DockerLayerGzip);
  // appendLayers keeps media types, so this OCI image carries a Docker-typed layer.
  const base = appendLayers(buildImage({ base: 'scratch', platform, created, config: {}, steps: [] }), [baseLayer]);
  assert.equal(await base.mediaType(), MediaType.OciManifest);
  const child = buildImage({ base, platform, created, config: {}, steps: [{ layer: withLayerMediaType(layerOf({ n: 'y' }), MediaType.DockerLayerGzip), history: {} }] });
  const types = (await child.manifest()).layers.map((l) => l.mediaType);
  assert.deepEqual(types, [MediaType.DockerLayerGzip, MediaType.OciLayerGzip]);
});

test('zstd layers cannot go in a Docker manifest', async () => {
  const image = buildImage({ base: 'scratch', platform, created, config: {}, steps: [{ layer: layerOf({ z: '1' }, 'zstd'), history: {} }], mediaTypeStyle: 'docker' });
  await assert.rejects(image.manifest(), (err) => isBuilderError(err, 'LAYER_INVALID'));
});

test('mutations return new images and leave the base alone', async () => {
  const base = buildImage({ base: 'scratch', platform, created, config: { User: 'root' }, steps: [{ layer: layerOf({ a: '1' }), history: { created_by: 'one' } }] });
  const extra = layerOf({ b: '2' });
  const appended = appendLayers(base, [extra], [{ created_by: 'two', empty_layer: true }]);
  const configured = withConfig(appended, (c) => ({ ...c, config: { ...c.config, User: 'nobody' } }));
  const dated = withCreatedAt(configured, new Date(0));

  assert.equal((await base.layers()).length, 1);
  assert.equal((await appended.layers()).length, 2);
  assert.deepEqual((await appended.config()).rootfs.diff_ids.at(-1), extra.diffId);
  assert.deepEqual((await appended.config()).history?.at(-1), { created_by: 'two' });
  assert.equal((await configured.config()).config?.User, 'nobody');
  assert.equal((await base.config()).config?.User, 'root');
  assert.equal((await dated.config()).created, '1970-01-01T00:00:00.000Z');
  // Same layers, same blobs: mutation does not copy or re-encode layer bytes.
  assert.deepEqual((await dated.layers()).map((l) => l.digest), (await appended.layers()).map((l) => l.digest));
  assert.notEqual(await dated.digest(), await configured.digest());
});

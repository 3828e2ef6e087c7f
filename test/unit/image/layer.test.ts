import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { sha256 } from '../../../src/oci/digest.ts';
import { MediaType } from '../../../src/oci/mediatypes.ts';
import { openerLayer, withLayerMediaType } from '../../../src/image/layer.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { layerOf, readAll, tarOf } from './fixtures.ts';

const files = { 'etc/motd': 'hello\n', 'bin/tool': 'x'.repeat(70_000) };

for (const compression of ['gzip', 'zstd', 'none'] as const) {
  test(`uncompressed() of a ${compression} layer gives the tar whose digest is the diffId`, async () => {
    const layer = layerOf(files, compression);
    const tar = await readAll(await layer.uncompressed());
    assert.deepEqual(tar, tarOf(files));
    assert.equal(sha256(tar), layer.diffId);
    // compressed() is a fresh stream every time.
    assert.equal(sha256(await readAll(await layer.compressed())), layer.digest);
    assert.equal(sha256(await readAll(await layer.compressed())), layer.digest);
  });
}

test('a layer that decodes to other bytes than its diffId is refused', async () => {
  const gz = gzipSync(tarOf(files));
  const layer = openerLayer({ digest: sha256(gz), diffId: sha256('not this'), size: gz.length, mediaType: MediaType.OciLayerGzip, open: async () => Readable.from([gz]) });
  await assert.rejects(readAll(await layer.uncompressed()), (err) => isBuilderError(err, 'DIGEST_MISMATCH'));
});

test('bytes that are not gzip give LAYER_INVALID naming the layer', async () => {
  const junk = Buffer.from('definitely not gzip');
  const layer = openerLayer({ digest: sha256(junk), diffId: sha256(junk), size: junk.length, mediaType: MediaType.DockerLayerGzip, open: async () => Readable.from([junk]) });
  await assert.rejects(readAll(await layer.uncompressed()), (err) => isBuilderError(err, 'LAYER_INVALID') && err.message.includes(layer.digest));
});

test('bytes that are not zstd give LAYER_INVALID', async () => {
  const junk = Buffer.from('definitely not zstd either');
  const layer = openerLayer({ digest: sha256(junk), diffId: sha256(junk), size: junk.length, mediaType: MediaType.OciLayerZstd, open: async () => Readable.from([junk]) });
  await assert.rejects(readAll(await layer.uncompressed()), (err) => isBuilderError(err, 'LAYER_INVALID'));
});

test('withLayerMediaType renames without touching bytes', async () => {
  const layer = layerOf(files);
  const docker = withLayerMediaType(layer, MediaType.DockerLayerGzip);
  assert.equal(docker.mediaType, MediaType.DockerLayerGzip);
  assert.equal(docker.digest, layer.digest);
  assert.equal(sha256(await readAll(await docker.uncompressed())), layer.diffId);
});

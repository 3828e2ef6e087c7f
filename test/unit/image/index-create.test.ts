// Platform fields from image configs and the index document kiln index create pushes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assembleIndex, indexMediaType, platformOfConfig, type IndexChild } from '../../../src/image/index-create.ts';
import { MediaType } from '../../../src/oci/mediatypes.ts';
import type { Digest } from '../../../src/oci/digest.ts';
import type { ImageConfig, Platform } from '../../../src/oci/types.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

const config = (fields: Record<string, unknown>): ImageConfig => ({ rootfs: { type: 'layers', diff_ids: [] }, ...fields }) as unknown as ImageConfig;

function child(source: string, platform: Platform, mediaType: string = MediaType.OciManifest): IndexChild {
  const digest = `sha256:${Buffer.from(source).toString('hex').padEnd(64, '0').slice(0, 64)}` as Digest;
  return { source, descriptor: { mediaType, digest, size: 100, platform } };
}

describe('platformOfConfig', () => {
  it('takes os, architecture and variant', () => {
    assert.deepEqual(platformOfConfig(config({ os: 'linux', architecture: 'arm', variant: 'v7' }), 'x'), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.deepEqual(platformOfConfig(config({ os: 'linux', architecture: 'amd64', variant: '' }), 'x'), { os: 'linux', architecture: 'amd64' });
  });

  it('takes os.version and os.features when present', () => {
    const p = platformOfConfig(config({ os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1', 'os.features': ['win32k'] }), 'x');
    assert.deepEqual(p, { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1', 'os.features': ['win32k'] });
  });

  it('refuses a config without os or architecture, naming the image', () => {
    assert.throws(
      () => platformOfConfig(config({ os: 'linux' }), 'reg/app@sha256:1'),
      (err) => isBuilderError(err) && err.message.startsWith('reg/app@sha256:1: ') && err.message.includes('os/architecture'),
    );
  });
});

describe('indexMediaType', () => {
  const docker = [child('a', { os: 'linux', architecture: 'amd64' }, MediaType.DockerManifest), child('b', { os: 'linux', architecture: 'arm64' }, MediaType.DockerManifest)];
  const mixed = [docker[0], child('c', { os: 'linux', architecture: 'arm64' })];

  it('is a docker manifest list when every child is docker schema 2, else OCI', () => {
    assert.equal(indexMediaType(docker, undefined, false), MediaType.DockerManifestList);
    assert.equal(indexMediaType(mixed, undefined, false), MediaType.OciIndex);
  });

  it('follows --format, and annotations choose OCI', () => {
    assert.equal(indexMediaType(docker, 'oci', false), MediaType.OciIndex);
    assert.equal(indexMediaType(docker, undefined, true), MediaType.OciIndex);
    assert.equal(indexMediaType(docker, 'docker', false), MediaType.DockerManifestList);
  });

  it('refuses --format docker over an OCI child or with annotations', () => {
    assert.throws(() => indexMediaType(mixed, 'docker', false), (err) => isBuilderError(err, 'USAGE') && err.message.includes('c is application/vnd.oci.image.manifest.v1+json'));
    assert.throws(() => indexMediaType(docker, 'docker', true), (err) => isBuilderError(err, 'USAGE') && err.message.startsWith('--annotation'));
  });
});

describe('assembleIndex', () => {
  it('lists the children in order with their platforms, and the annotations', () => {
    const children = [child('amd', { os: 'linux', architecture: 'amd64' }), child('arm', { os: 'linux', architecture: 'arm64', variant: 'v8' })];
    const doc = JSON.parse(assembleIndex(children, MediaType.OciIndex, { k: 'v' }).toString());
    assert.deepEqual(doc, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: children.map((c) => c.descriptor), annotations: { k: 'v' } });
    assert.equal('annotations' in JSON.parse(assembleIndex(children, MediaType.OciIndex).toString()), false);
  });

  it('refuses two children of one platform, arm64 with and without v8 included', () => {
    const same = [child('one', { os: 'linux', architecture: 'arm64' }), child('two', { os: 'linux', architecture: 'arm64', variant: 'v8' })];
    assert.throws(() => assembleIndex(same, MediaType.OciIndex), (err) => isBuilderError(err, 'USAGE') && err.message === 'one and two are both linux/arm64/v8; an index holds one image per platform');
  });

  it('keeps windows images of different os.version apart', () => {
    const win = (v: string): Platform => ({ os: 'windows', architecture: 'amd64', 'os.version': v });
    assert.doesNotThrow(() => assembleIndex([child('ltsc2019', win('10.0.17763.1')), child('ltsc2022', win('10.0.20348.1'))], MediaType.OciIndex));
  });

  it('refuses an empty index', () => {
    assert.throws(() => assembleIndex([], MediaType.OciIndex), (err) => isBuilderError(err, 'USAGE'));
  });
});

// --registry-mirror: docker.io pulls try each mirror in order (a dead one, one without the image,
// one with it) and say which one served; other registries never go to a mirror.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { parseReference } from '../../src/registry/reference.ts';
import { anonymousKeychain } from '../../src/auth/credential.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { MediaType } from '../../src/oci/mediatypes.ts';
import { isBuilderError } from '../../src/util/errors.ts';

async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('registry mirrors', () => {
  let empty: LabRegistry;
  let full: LabRegistry;
  let manifest: Buffer;
  let layer: Buffer;
  before(async () => {
    [empty, full] = await Promise.all([startRegistry('plain'), startRegistry('plain')]);
    const c = new RegistryClient({ keychain: anonymousKeychain });
    const ref = parseReference(`${full.host}/library/busybox:latest`);
    layer = Buffer.from('pretend busybox layer');
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    for (const b of [layer, config]) await c.uploadBlob(ref.context(), { digest: sha256(b), size: b.length }, async () => Readable.from([b]));
    manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length },
        layers: [{ mediaType: MediaType.OciLayerGzip, digest: sha256(layer), size: layer.length }],
      }),
    );
    await c.putManifest(ref, manifest, MediaType.OciManifest);
    await c.close();
  });
  after(async () => {
    await empty?.stop();
    await full?.stop();
  });

  it('serves a docker.io image from the first mirror that has it', async () => {
    const dead = `127.0.0.1:${await deadPort()}`;
    const c = new RegistryClient({ keychain: anonymousKeychain, mirrors: [dead, empty.host, full.host], retries: 0 });
    try {
      const got = await c.getManifest(parseReference('busybox'));
      assert.deepEqual(got.bytes, manifest);
      assert.equal(got.source.toString(), `${full.host}/library/busybox:latest`);
      const parts: Buffer[] = [];
      for await (const chunk of await c.getBlob(got.source.context(), sha256(layer))) parts.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(parts), layer);
    } finally {
      await c.close();
    }
  });

  it('does not send other registries to a mirror', async () => {
    const c = new RegistryClient({ keychain: anonymousKeychain, mirrors: [full.host] });
    try {
      await assert.rejects(c.getManifest(parseReference(`${empty.host}/library/busybox:latest`)), (e: unknown) =>
        isBuilderError(e, 'MANIFEST_UNKNOWN') && e.message.includes(empty.host),
      );
    } finally {
      await c.close();
    }
  });
});

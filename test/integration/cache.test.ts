// The registry layer cache against the lab's real registry: an entry put by one build is read by
// the next with identical bytes, mounted (not uploaded) when its layer came from the same
// registry, refused once older than the TTL, readable by skopeo; a cache that cannot be reached
// costs a warning and a miss, never the build.
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { freePort, startRegistry, type LabRegistry } from '../support/registry.ts';
import { pushBaseImages } from '../support/base-images.ts';
import { run } from '../support/exec.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { anonymousKeychain } from '../../src/auth/credential.ts';
import { parseReference, parseRepository } from '../../src/registry/reference.ts';
import { readRemote } from '../../src/image/remote.ts';
import { openLayerCache } from '../../src/image/layer-cache.ts';
import { cacheKey } from '../../src/cache/cache-key.ts';
import { log } from '../../src/util/log.ts';
import { layerOf, readAll } from '../unit/image/fixtures.ts';

const HOUR = 3600_000;

function keyFor(instruction: string): string {
  return cacheKey({ parent: 'sha256:' + '0'.repeat(64), instruction, env: [], platform: 'linux/amd64' });
}

describe('registry layer cache', () => {
  let reg: LabRegistry;
  let client: RegistryClient;
  let busybox: string;
  let lines: string[];

  before(async () => {
    reg = await startRegistry('plain');
    ({ busybox } = await pushBaseImages(reg, ['busybox']));
    client = new RegistryClient({ keychain: anonymousKeychain, retries: 0 });
  });
  after(async () => {
    await client?.close();
    await reg?.stop();
  });
  beforeEach(() => {
    lines = [];
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    log.configure({ stream, format: 'text', level: 'debug' });
  });
  afterEach(() => log.configure({ stream: process.stderr, level: 'info' }));

  it('puts a layer and a later build gets the same bytes from the registry', async () => {
    const cacheRepo = `${reg.host}/builds/cache`;
    const layer = layerOf({ 'etc/motd': 'cached\n', 'usr/bin/tool': '#!/bin/sh\n' });
    const key = keyFor('RUN make motd');
    const cache = openLayerCache({ cacheRepo, destinations: [], ttlMs: HOUR, client });
    assert.equal(await cache.get(key), undefined);
    await cache.put(key, layer, { createdBy: 'RUN make motd' });
    assert.deepEqual(await cache.flush(), { written: 1, failed: 0 });

    const later = openLayerCache({ cacheRepo, destinations: [], ttlMs: HOUR, client });
    const hit = await later.get(key);
    assert.ok(hit, `hit; log: ${lines.join(' | ')}`);
    assert.equal(hit.layer.digest, layer.digest);
    assert.deepEqual(hit.layer.origin, { registry: reg.host, repository: 'builds/cache' }, 'a push to this registry can mount it');
    assert.deepEqual(await readAll(await hit.layer.compressed()), await readAll(await layer.compressed()));
    assert.deepEqual(await readAll(await hit.layer.uncompressed()), await readAll(await layer.uncompressed()));
    assert.equal(hit.createdBy, 'RUN make motd');
    assert.ok(Date.now() - hit.created.getTime() < HOUR);

    // skopeo, an independent client, reads the entry as a one-layer image tagged with the key.
    const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${cacheRepo}:${key}`]);
    assert.deepEqual(JSON.parse(stdout).Layers, [layer.digest]);
  });

  it("mounts a base image's layer into the default cache repository (<destination>/cache)", async () => {
    const found = await readRemote(client, parseReference(busybox));
    assert.equal(found.kind, 'image');
    const [layer] = await (found.kind === 'image' ? found.image.layers() : Promise.reject(new Error('index')));
    const key = keyFor('COPY --from=busybox / /');
    const cache = openLayerCache({ destinations: [`${reg.host}/team/app:v1`], ttlMs: HOUR, client });
    assert.equal(cache.name, `${reg.host}/team/app/cache`);
    await cache.put(key, layer, { createdBy: 'COPY --from=busybox / /' });
    assert.deepEqual(await cache.flush(), { written: 1, failed: 0 });
    // The layer is mounted from library/busybox; only the entry's small config travels.
    assert.ok(lines.some((l) => l.includes(`pushed ${reg.host}/team/app/cache@`) && l.includes('1 blobs mounted, 0 already present, 1 uploaded')), lines.join('\n'));
    assert.ok(await client.blobExists(parseRepository(`${reg.host}/team/app/cache`), layer.digest));
    const hit = await openLayerCache({ destinations: [`${reg.host}/team/app:v2`], ttlMs: HOUR, client }).get(key);
    assert.equal(hit?.layer.digest, layer.digest);
  });

  it('misses an entry whose created time is older than the TTL', async () => {
    const cacheRepo = `${reg.host}/ttl/cache`;
    const key = keyFor('RUN date');
    const cache = openLayerCache({ cacheRepo, destinations: [], ttlMs: 6 * HOUR, client });
    await cache.put(key, layerOf({ date: 'then' }), { createdBy: 'RUN date', created: new Date(Date.now() - 7 * HOUR) });
    assert.deepEqual(await cache.flush(), { written: 1, failed: 0 });
    assert.equal(await openLayerCache({ cacheRepo, destinations: [], ttlMs: 6 * HOUR, client }).get(key), undefined);
    assert.ok(lines.some((l) => l.includes(`cache entry ${cacheRepo}:${key} expired`)), lines.join('\n'));
    assert.ok(await openLayerCache({ cacheRepo, destinations: [], ttlMs: 8 * HOUR, client }).get(key), 'fresh under a longer TTL');
  });

  it('warns once and builds on uncached when the cache repository cannot be reached', async () => {
    const cacheRepo = `127.0.0.1:${await freePort()}/cache`;
    const cache = openLayerCache({ cacheRepo, destinations: [], ttlMs: HOUR, client });
    assert.equal(await cache.get(keyFor('RUN a')), undefined);
    assert.equal(await cache.get(keyFor('RUN b')), undefined);
    await cache.put(keyFor('RUN c'), layerOf({ c: 'c' }), { createdBy: 'RUN c' });
    assert.deepEqual(await cache.flush(), { written: 0, failed: 0 }, 'nothing is even tried once the cache proved unreachable');
    const warnings = lines.filter((l) => l.startsWith('WARN'));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], new RegExp(`layer cache ${cacheRepo.replace(/\./g, '\\.')} cannot be used, building without it`));
  });

  it('a put that cannot reach the registry is a warning, not a failure', async () => {
    const cacheRepo = `127.0.0.1:${await freePort()}/cache`;
    const cache = openLayerCache({ cacheRepo, destinations: [], ttlMs: HOUR, client });
    await cache.put(keyFor('RUN d'), layerOf({ d: 'd' }), { createdBy: 'RUN d' });
    await cache.put(keyFor('RUN e'), layerOf({ e: 'e' }), { createdBy: 'RUN e' });
    const result = await cache.flush();
    assert.equal(result.written, 0);
    assert.ok(result.failed >= 1);
    assert.ok(lines.some((l) => l.startsWith('WARN') && l.includes('could not write')), lines.join('\n'));
  });

  it('a registry that refuses us is a miss per entry; refused writes stop after the first', async () => {
    const locked = await startRegistry('token', { anonymous: 'none' });
    try {
      const cacheRepo = `${locked.host}/fresh/cache`;
      const cache = openLayerCache({ cacheRepo, destinations: [], ttlMs: HOUR, client });
      assert.equal(await cache.get(keyFor('RUN f')), undefined);
      assert.equal(await cache.get(keyFor('RUN g')), undefined);
      // Both reads were tried (a refused read is what Docker Hub answers for a repository not made yet).
      assert.equal(lines.filter((l) => l.includes(`no cached layer at ${cacheRepo}:`)).length, 2, lines.join('\n'));
      assert.equal(lines.filter((l) => l.startsWith('WARN')).length, 0, lines.join('\n'));
      await cache.put(keyFor('RUN f'), layerOf({ f: 'f' }), { createdBy: 'RUN f' });
      assert.deepEqual(await cache.flush(), { written: 0, failed: 1 });
      await cache.put(keyFor('RUN g'), layerOf({ g: 'g' }), { createdBy: 'RUN g' });
      assert.deepEqual(await cache.flush(), { written: 0, failed: 1 }, 'no second refused push');
      const warnings = lines.filter((l) => l.startsWith('WARN'));
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], /could not write .*unauthorized/);
    } finally {
      await locked.stop();
    }
  });
});

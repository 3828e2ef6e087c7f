// The layer cache without a registry: --cache-ttl parsing and expiry, background writes and
// flush, choosing the backend and the default cache repository, and the oci:PATH backend on disk.
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { isExpired } from '../../../src/cache/layer-cache-ttl.ts';
import { BackgroundWrites } from '../../../src/cache/layer-cache-writes.ts';
import { defaultCacheRepo, openLayerCache } from '../../../src/image/layer-cache.ts';
import { parseArgs } from '../../../src/cli/flags.ts';
import { buildFlags, toBuildOptions } from '../../../src/cli/build-flags.ts';
import { RegistryClient } from '../../../src/registry/client.ts';
import { anonymousKeychain } from '../../../src/auth/credential.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { log } from '../../../src/util/log.ts';
import { layerOf, readAll } from '../image/fixtures.ts';

const HOUR = 3600_000;

function ttlOf(value: string): number {
  return toBuildOptions(parseArgs([`--cache-ttl=${value}`], buildFlags)).cacheTtlMs;
}

/** Collects what the process logger writes while a test runs. */
function captureLog(): { lines: () => string[]; restore: () => void } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  log.configure({ stream, format: 'text', level: 'debug' });
  return {
    lines: () => chunks.join('').split('\n').filter(Boolean),
    restore: () => log.configure({ stream: process.stderr, level: 'info' }),
  };
}

describe('--cache-ttl', () => {
  it('defaults to 336h (two weeks) and takes Go durations', () => {
    assert.equal(toBuildOptions(parseArgs([], buildFlags)).cacheTtlMs, 336 * HOUR);
    assert.equal(ttlOf('6h'), 6 * HOUR);
    assert.equal(ttlOf('1h30m'), 1.5 * HOUR);
    assert.equal(ttlOf('90s'), 90_000);
    assert.equal(ttlOf('0'), 0);
  });

  it('refuses what is not a duration, naming the flag', () => {
    for (const bad of ['2w', '10', '-1h', 'h', '']) {
      assert.throws(() => ttlOf(bad), (err) => isBuilderError(err, 'USAGE') && err.message.includes('--cache-ttl'), bad);
    }
  });

  it('expires an entry once created + ttl lies behind now, and an undatable one at once', () => {
    const now = new Date('2026-01-15T12:00:00Z');
    assert.equal(isExpired('2026-01-15T06:00:00Z', 6 * HOUR, now), false, 'exactly at the limit is still fresh');
    assert.equal(isExpired('2026-01-15T05:59:59Z', 6 * HOUR, now), true);
    assert.equal(isExpired('2026-01-15T11:00:00.123456789Z', HOUR, now), false, 'nanosecond times from Go tools');
    assert.equal(isExpired(undefined, HOUR, now), true);
    assert.equal(isExpired('yesterday', HOUR, now), true);
  });
});

describe('BackgroundWrites', () => {
  it('runs at most `limit` writes at once and flush waits for all, counting failures', async () => {
    const capture = captureLog();
    try {
      const writes = new BackgroundWrites(2);
      let running = 0;
      let peak = 0;
      const order: number[] = [];
      for (let i = 0; i < 6; i++) {
        writes.add(`entry ${i}`, async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          order.push(i);
          if (i === 3) throw new Error('disk on fire');
        });
      }
      const result = await writes.flush();
      assert.deepEqual(result, { written: 5, failed: 1 });
      assert.equal(peak, 2);
      assert.deepEqual([...order].sort(), [0, 1, 2, 3, 4, 5]);
      assert.ok(capture.lines().some((l) => l.includes('could not write entry 3') && l.includes('disk on fire')));
    } finally {
      capture.restore();
    }
  });
});

describe('opening the layer cache', () => {
  const client = new RegistryClient({ keychain: anonymousKeychain });
  after(() => client.close());

  it("derives kaniko's default repository from the first destination", () => {
    assert.equal(defaultCacheRepo(['registry.example:5000/team/app:v1', 'other.example/x']), 'registry.example:5000/team/app/cache');
    assert.equal(defaultCacheRepo(['alpine']), 'docker.io/library/alpine/cache');
    assert.throws(() => defaultCacheRepo([]), (err) => isBuilderError(err, 'USAGE') && err.message.includes('--cache-repo'));
  });

  it('picks the backend from --cache-repo', () => {
    assert.equal(openLayerCache({ cacheRepo: 'oci:/tmp/kiln-cache', destinations: [], ttlMs: HOUR, client }).name, 'oci:/tmp/kiln-cache');
    assert.equal(openLayerCache({ cacheRepo: 'reg.example/cache', destinations: [], ttlMs: HOUR, client }).name, 'reg.example/cache');
    assert.equal(openLayerCache({ destinations: ['reg.example/app:1'], ttlMs: HOUR, client }).name, 'reg.example/app/cache');
    assert.throws(() => openLayerCache({ cacheRepo: 'reg.example/cache:tag', destinations: [], ttlMs: HOUR, client }), (err) => isBuilderError(err, 'USAGE') && err.message.includes('--cache-repo'));
    assert.throws(() => openLayerCache({ cacheRepo: 'oci:', destinations: [], ttlMs: HOUR, client }), (err) => isBuilderError(err, 'USAGE'));
  });
});

describe('the oci:PATH layer cache', () => {
  const client = new RegistryClient({ keychain: anonymousKeychain });
  let dir: string;
  let capture: ReturnType<typeof captureLog>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-layer-cache-'));
  });
  after(async () => {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    capture = captureLog();
  });
  afterEach(() => capture.restore());

  const key = 'a'.repeat(64);

  it('puts in the background, flushes, and gets the same bytes back after the build', async () => {
    const path = join(dir, 'roundtrip');
    const layer = layerOf({ 'etc/hello': 'hello\n' });
    const cache = openLayerCache({ cacheRepo: `oci:${path}`, destinations: [], ttlMs: HOUR, client });
    assert.equal(await cache.get(key), undefined, 'a missing layout is a miss');
    await cache.put(key, layer, { createdBy: 'RUN echo hello > /etc/hello' });
    const pending = await cache.get(key);
    assert.equal(pending?.layer, layer, 'an entry not yet flushed serves this build at once');
    assert.deepEqual(await cache.flush(), { written: 1, failed: 0 });

    // A later build: a fresh cache object over the same directory.
    const later = openLayerCache({ cacheRepo: `oci:${path}`, destinations: [], ttlMs: HOUR, client });
    const hit = await later.get(key);
    assert.ok(hit, 'hit');
    assert.equal(hit.layer.digest, layer.digest);
    assert.equal(hit.layer.diffId, layer.diffId);
    assert.equal(hit.createdBy, 'RUN echo hello > /etc/hello');
    assert.deepEqual(await readAll(await hit.layer.compressed()), await readAll(await layer.compressed()));
    assert.deepEqual(await readAll(await hit.layer.uncompressed()), await readAll(await layer.uncompressed()));
    assert.equal(await later.get('b'.repeat(64)), undefined, 'another key is a miss');
    const index = JSON.parse(await readFile(join(path, 'index.json'), 'utf8'));
    assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], key);
  });

  it('misses an entry older than the TTL', async () => {
    const path = join(dir, 'ttl');
    const cache = openLayerCache({ cacheRepo: `oci:${path}`, destinations: [], ttlMs: 6 * HOUR, client });
    await cache.put(key, layerOf({ old: 'x' }), { createdBy: 'RUN old', created: new Date(Date.now() - 7 * HOUR) });
    await cache.flush();
    const later = openLayerCache({ cacheRepo: `oci:${path}`, destinations: [], ttlMs: 6 * HOUR, client });
    assert.equal(await later.get(key), undefined);
    assert.ok(capture.lines().some((l) => l.includes('expired')));
    const longer = openLayerCache({ cacheRepo: `oci:${path}`, destinations: [], ttlMs: 8 * HOUR, client });
    assert.ok(await longer.get(key), 'the same entry is fresh under a longer TTL');
  });

  it('warns and builds on when the cache directory cannot be made', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory');
    const cache = openLayerCache({ cacheRepo: `oci:${file}/c`, destinations: [], ttlMs: HOUR, client });
    assert.equal(await cache.get(key), undefined);
    await cache.put(key, layerOf({ a: 'a' }), { createdBy: 'RUN a' });
    assert.deepEqual(await cache.flush(), { written: 0, failed: 1 });
    assert.ok(capture.lines().some((l) => l.includes('WARN') && l.includes('could not write')));
  });
});

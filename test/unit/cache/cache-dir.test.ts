// The dir:PATH layer cache: content-addressed entries that a later build reads back, shared blobs,
// least-recently-used eviction under --cache-max-size and `kiln cache prune`, and many writers
// and a pruner at once leaving a cache in which every entry is whole.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLayerCache } from '../../../src/image/layer-cache.ts';
import { pruneDirCache } from '../../../src/image/cache-dir.ts';
import { parseSize } from '../../../src/util/size.ts';
import { RegistryClient } from '../../../src/registry/client.ts';
import { anonymousKeychain } from '../../../src/auth/credential.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { kiln } from '../../support/kiln-cli.ts';
import { layerOf, readAll } from '../image/fixtures.ts';

const HOUR = 3600_000;
const keyOf = (c: string): string => c.repeat(64);

describe('the dir:PATH layer cache', () => {
  const client = new RegistryClient({ keychain: anonymousKeychain });
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-dir-cache-'));
  });
  after(async () => {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  });
  const open = (path: string, maxBytes?: number) => openLayerCache({ cacheRepo: `dir:${path}`, destinations: [], ttlMs: HOUR, client, maxBytes });

  it('gets back, in a later build, the bytes a build put', async () => {
    const path = join(dir, 'roundtrip');
    const layer = layerOf({ 'etc/hello': 'hello\n' });
    const cache = open(path);
    assert.equal(cache.name, `dir:${path}`);
    assert.equal(await cache.get(keyOf('a')), undefined, 'a missing directory is a miss');
    await cache.put(keyOf('a'), layer, { createdBy: 'RUN echo hello' });
    assert.deepEqual(await cache.flush(), { written: 1, failed: 0 });
    const hit = await open(path).get(keyOf('a'));
    assert.ok(hit);
    assert.equal(hit.layer.digest, layer.digest);
    assert.equal(hit.createdBy, 'RUN echo hello');
    assert.deepEqual(await readAll(await hit.layer.uncompressed()), await readAll(await layer.uncompressed()));
    assert.equal(await open(path).get(keyOf('b')), undefined);
  });

  it('stores a layer used by two keys once', async () => {
    const path = join(dir, 'shared');
    const layer = layerOf({ same: 'same\n' });
    const cache = open(path);
    await cache.put(keyOf('a'), layer, { createdBy: 'RUN same' });
    await cache.put(keyOf('b'), layer, { createdBy: 'RUN same' });
    await cache.flush();
    const blobs = await readdir(join(path, 'blobs/sha256'));
    assert.equal(blobs.filter((b) => b === layer.digest.slice(7)).length, 1);
    assert.deepEqual((await readdir(join(path, 'entries'))).sort(), [`${keyOf('a')}.json`, `${keyOf('b')}.json`]);
  });

  it('treats a corrupt entry file as a miss', async () => {
    const path = join(dir, 'corrupt');
    const cache = open(path);
    await cache.put(keyOf('c'), layerOf({ c: 'c' }), { createdBy: 'RUN c' });
    await cache.flush();
    await writeFile(join(path, 'entries', `${keyOf('c')}.json`), '{"manifest":');
    assert.equal(await open(path).get(keyOf('c')), undefined);
  });

  it('evicts least recently used entries beyond the cap, keeping what was just used', async () => {
    const path = join(dir, 'lru');
    const cache = open(path);
    // Random-ish contents so gzip cannot make the layers tiny.
    const big = (seed: string): string => Array.from({ length: 4000 }, (_, i) => `${seed}${(i * 2654435761) % 4294967296}`).join('\n');
    for (const c of ['a', 'b', 'c']) await cache.put(keyOf(c), layerOf({ [c]: big(c) }), { createdBy: `RUN ${c}` });
    await cache.flush();
    const entry = (c: string): string => join(path, 'entries', `${keyOf(c)}.json`);
    // a is the oldest write, but a read makes it the most recently used; b is then the oldest.
    for (const [c, age] of [['a', 3], ['b', 2], ['c', 1]] as const) await utimes(entry(c), new Date(Date.now() - age * HOUR), new Date(Date.now() - age * HOUR));
    assert.ok(await open(path).get(keyOf('a')));
    const before = await pruneDirCache(path);
    assert.equal(before.entriesKept, 3);
    assert.equal(before.blobsRemoved, 0);
    const result = await pruneDirCache(path, Math.ceil((before.bytes * 2) / 3) + 10);
    assert.equal(result.entriesRemoved, 1);
    assert.ok(result.bytes <= before.bytes, `${result.bytes} <= ${before.bytes}`);
    assert.ok(await open(path).get(keyOf('a')), 'recently read entry kept');
    assert.ok(await open(path).get(keyOf('c')));
    assert.equal(await open(path).get(keyOf('b')), undefined, 'least recently used entry evicted');
    assert.ok(result.blobsRemoved >= 1, 'its blobs went with it');
  });

  it('applies --cache-max-size after each write', async () => {
    const path = join(dir, 'capped');
    const cache = open(path, 1);
    await cache.put(keyOf('a'), layerOf({ a: 'a' }), { createdBy: 'RUN a' });
    assert.deepEqual(await cache.flush(), { written: 1, failed: 0 });
    assert.deepEqual(await readdir(join(path, 'entries')), [], 'nothing fits in one byte');
  });

  it('refuses --cache-max-size for other backends and bad sizes, naming the flag', () => {
    assert.throws(() => openLayerCache({ cacheRepo: 'oci:/tmp/x', destinations: [], ttlMs: HOUR, client, maxBytes: 10 }), (err) => isBuilderError(err, 'USAGE') && err.message.includes('--cache-max-size'));
    assert.throws(() => open(''), (err) => isBuilderError(err, 'USAGE'));
    assert.equal(parseSize('10G', '--max-size'), 10 * 2 ** 30);
    assert.equal(parseSize('512MiB', '--max-size'), 512 * 2 ** 20);
    assert.equal(parseSize('1.5k', '--max-size'), 1536);
    assert.equal(parseSize('100', '--max-size'), 100);
    for (const bad of ['', '10X', '-1G', 'G']) assert.throws(() => parseSize(bad, '--max-size'), (err) => isBuilderError(err, 'USAGE') && err.message.includes('--max-size'), bad);
  });

  it('keeps every entry whole while many writers and a pruner share the directory', async () => {
    const path = join(dir, 'concurrent');
    const writers = Array.from({ length: 6 }, (_, w) => async () => {
      const cache = open(path);
      // Every writer shares one layer with the others and has one of its own.
      await cache.put(keyOf('0'), layerOf({ shared: 'shared\n' }), { createdBy: 'RUN shared' });
      await cache.put(keyOf(String(w + 1)), layerOf({ own: `writer ${w}\n` }), { createdBy: `RUN ${w}` });
      return cache.flush();
    });
    const results = await Promise.all([...writers.map((w) => w()), pruneDirCache(path).catch(() => undefined), pruneDirCache(path).catch(() => undefined)]);
    for (const r of results.slice(0, 6)) assert.deepEqual(r, { written: 2, failed: 0 });
    await pruneDirCache(path);
    for (const c of ['0', '1', '2', '3', '4', '5', '6']) {
      const hit = await open(path).get(keyOf(c));
      assert.ok(hit, `entry ${c}`);
      await readAll(await hit.layer.uncompressed());
    }
    const entryFiles = await readdir(join(path, 'entries'));
    assert.equal(entryFiles.length, 7);
    assert.deepEqual((await readdir(join(path, 'blobs/sha256'))).filter((n) => n.startsWith('.tmp-')), []);
  });

  it('kiln cache prune trims the directory and reports what it did', async () => {
    const path = join(dir, 'cli');
    const cache = open(path);
    await cache.put(keyOf('a'), layerOf({ a: 'a' }), { createdBy: 'RUN a' });
    await cache.flush();
    const orphan = join(path, 'blobs/sha256', 'f'.repeat(64));
    await writeFile(orphan, 'orphan');
    const res = await kiln(['cache', 'prune', path]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /removed 0 entries and 1 blobs/);
    await assert.rejects(readFile(orphan));
    const all = await kiln(['cache', 'prune', '--max-size', '0', `dir:${path}`]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /removed 1 entries/);
    const bad = await kiln(['cache', 'prune', '--max-size', 'lots', path]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--max-size/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { ParallelGzip } from '../../../src/util/parallel-gzip.ts';
import { prng } from '../../support/prng.ts';

const BLOCK = 4096;

/** Compressible but not trivial: runs of random bytes from a small alphabet. */
function sample(size: number, seed: number): Buffer {
  const next = prng(seed);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = 97 + Math.floor(next() * 6);
  return out;
}

/** Feeds `input` in chunks of the given sizes (cycled) through a ParallelGzip. */
async function compress(input: Buffer, chunkSizes: number[], opts = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let off = 0, i = 0; off < input.length; i++) {
    const n = chunkSizes[i % chunkSizes.length];
    chunks.push(input.subarray(off, off + n));
    off += n;
  }
  return buffer(Readable.from(chunks).pipe(new ParallelGzip({ blockSize: BLOCK, concurrency: 3, ...opts })));
}

for (const size of [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 10 * BLOCK + 17]) {
  test(`parallel gzip round-trips ${size} bytes`, async () => {
    const input = sample(size, size + 1);
    const gz = await compress(input, [1000]);
    assert.deepEqual(gunzipSync(gz), input);
  });
}

test('parallel gzip output does not depend on how the input was chunked', async () => {
  const input = sample(7 * BLOCK + 333, 7);
  const a = await compress(input, [1]);
  const b = await compress(input, [BLOCK * 3]);
  const c = await compress(input, [17, 5000, 4096]);
  assert.deepEqual(a, b);
  assert.deepEqual(a, c);
});

test('parallel gzip makes one member per block, which GNU gzip reads as one stream', async () => {
  const input = sample(5 * BLOCK + 1, 3);
  const gz = await compress(input, [2048]);
  let members = 0;
  // A member starts with the gzip magic, method 8 and flags 0 as zlib writes them.
  for (let i = 0; i + 3 < gz.length; i++) if (gz[i] === 0x1f && gz[i + 1] === 0x8b && gz[i + 2] === 8 && gz[i + 3] === 0) members++;
  assert.ok(members >= 6, `expected at least 6 members, found ${members}`);
  const gunzip = spawnSync('gzip', ['-dc'], { input: gz, maxBuffer: 1 << 24 });
  assert.equal(gunzip.status, 0, gunzip.stderr.toString());
  assert.deepEqual(gunzip.stdout, input);
});

test('parallel gzip honours the level', async () => {
  const input = sample(4 * BLOCK, 11);
  const stored = await compress(input, [BLOCK], { level: 0 });
  const best = await compress(input, [BLOCK], { level: 9 });
  assert.ok(stored.length > input.length, 'level 0 stores');
  assert.ok(best.length < input.length / 2, 'level 9 compresses');
  assert.deepEqual(gunzipSync(stored), input);
  assert.deepEqual(gunzipSync(best), input);
});

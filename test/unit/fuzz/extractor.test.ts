// Property-based fuzzing (fast-check) of the layer extractor with random and mutated archives
// seeded from the hostile corpus: every archive is applied or refused with LAYER_INVALID, never
// a crash or a hang, and nothing outside the target rootfs changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { applyLayer } from '../../../src/tar/extract.ts';
import { BuilderError } from '../../../src/util/errors.ts';
import { fuzzParameters, mutatedBytes } from '../../support/fuzz.ts';
import { hostileLayers, rawTar, type RawEntry } from '../../support/hostile-layers.ts';

let top: string;
let sentinel: string;
let seeds: Buffer[];
let run = 0;

async function sentinelState(): Promise<string> {
  const names = (await readdir(sentinel)).sort();
  return `${names.join(',')}|${await readFile(join(sentinel, 'file'), 'utf8')}`;
}

before(async () => {
  top = await mkdtemp(join(tmpdir(), 'kiln-fuzz-tar-'));
  sentinel = join(top, 'sentinel');
  await mkdir(sentinel);
  await writeFile(join(sentinel, 'file'), 'precious');
  const valid: RawEntry[] = [
    { name: 'dir/', type: 'Directory' },
    { name: 'dir/file', data: 'content' },
    { name: 'dir/link', type: 'SymbolicLink', linkpath: 'file' },
    { name: 'dir/hard', type: 'Link', linkpath: 'dir/file' },
    { name: 'dir/.wh.gone', data: '' },
    { name: 'long/' + 'n'.repeat(150), data: 'x', pax: { path: 'long/' + 'n'.repeat(150) } },
  ];
  seeds = [rawTar(valid), ...hostileLayers(sentinel).map((c) => c.tar)];
});

after(async () => {
  await rm(top, { recursive: true, force: true });
});

async function applyOnce(tar: Buffer): Promise<void> {
  const root = join(top, `root-${run++}`);
  await mkdir(root);
  try {
    await applyLayer(root, Readable.from([tar]), { image: 'fuzz:test', digest: `run-${run}` }, { writers: 0 });
  } catch (err) {
    if (!(err instanceof BuilderError && err.code === 'LAYER_INVALID')) throw err;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('fuzz: mutated and random archives are applied or refused with LAYER_INVALID, and stay inside the rootfs', async () => {
  const before_ = await sentinelState();
  const archive = fc.oneof({ weight: 4, arbitrary: mutatedBytes(seeds) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)) });
  await fc.assert(
    fc.asyncProperty(archive, async (tar) => {
      await applyOnce(tar);
      assert.equal(await sentinelState(), before_, 'an archive changed a file outside the rootfs');
    }),
    fuzzParameters(),
  );
  assert.deepEqual((await readdir(top)).sort(), ['sentinel']);
});

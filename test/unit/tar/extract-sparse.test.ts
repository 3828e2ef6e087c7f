// A tar carries a sparse file as its zeros; the extractor leaves whole zero blocks as holes, so
// the file reads back byte for byte but takes on disk what its data takes.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { applyLayer } from '../../../src/tar/extract.ts';
import { rawTar } from '../../support/hostile-layers.ts';

const MiB = 1 << 20;
const label = { image: 'unit:sparse', digest: `sha256:${'5'.repeat(64)}` };

/** 1 MiB of data, 6 MiB of zeros, 1 MiB of data, then 3 bytes: holes inside, data at both ends. */
function holed(): Buffer {
  const b = Buffer.alloc(8 * MiB + 3);
  b.fill(0xa5, 0, MiB);
  b.fill(0x5a, 7 * MiB, 8 * MiB + 3);
  // Zeros that share a block with data are data.
  b[MiB + 10] = 1;
  return b;
}

function onDisk(path: string): number {
  return statSync(path).blocks * 512;
}

describe('applyLayer: sparse files', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kiln-extract-sparse-'));
    const tar = rawTar([
      { name: 'holed', data: holed() },
      { name: 'zeros', data: Buffer.alloc(4 * MiB) },
      { name: 'tail-hole', data: Buffer.concat([Buffer.from('head'), Buffer.alloc(2 * MiB)]) },
      { name: 'dense', data: Buffer.alloc(MiB, 7) },
    ]);
    // Small chunks, so blocks straddle the reader's chunks as they do in a real layer.
    const chunks = Array.from({ length: Math.ceil(tar.length / 10_007) }, (_, i) => tar.subarray(i * 10_007, (i + 1) * 10_007));
    await applyLayer(root, Readable.from(chunks), label);
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('reads back every byte of every file', () => {
    assert.ok(readFileSync(join(root, 'holed')).equals(holed()));
    assert.ok(readFileSync(join(root, 'zeros')).equals(Buffer.alloc(4 * MiB)));
    assert.ok(readFileSync(join(root, 'tail-hole')).equals(Buffer.concat([Buffer.from('head'), Buffer.alloc(2 * MiB)])));
    assert.ok(readFileSync(join(root, 'dense')).equals(Buffer.alloc(MiB, 7)));
  });

  it('takes on disk what the data takes, not the zeros', () => {
    assert.equal(statSync(join(root, 'holed')).size, 8 * MiB + 3);
    assert.ok(onDisk(join(root, 'holed')) <= 2 * MiB + 64 * 1024, `holed: ${onDisk(join(root, 'holed'))} bytes on disk`);
    assert.ok(onDisk(join(root, 'zeros')) <= 64 * 1024, `zeros: ${onDisk(join(root, 'zeros'))} bytes on disk`);
    assert.equal(statSync(join(root, 'tail-hole')).size, 4 + 2 * MiB);
    assert.ok(onDisk(join(root, 'tail-hole')) <= 64 * 1024, `tail-hole: ${onDisk(join(root, 'tail-hole'))} bytes on disk`);
    assert.ok(onDisk(join(root, 'dense')) >= MiB, 'data is written');
  });
});

// writeLayer's `upload`: the taker gets the blob's exact bytes and digest while the layer is
// written, at its own pace; a taker that gives up midway leaves the layer's own file whole.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { ChangeSet } from '../../../src/snapshot/changes.ts';
import { writeLayer, type WrittenLayer } from '../../../src/snapshot/layer-writer.ts';
import type { Digest } from '../../../src/oci/digest.ts';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('writeLayer with an upload', () => {
  let top: string;
  let set: ChangeSet;
  let plain: WrittenLayer;
  before(async () => {
    top = await mkdtemp(join(tmpdir(), 'kiln-layer-upload-'));
    // Incompressible, so the blob is several MiB and the stream sees backpressure.
    writeFileSync(join(top, 'data'), randomBytes(6 << 20));
    writeFileSync(join(top, 'note'), 'note\n');
    set = { rootfs: top, changes: [{ path: 'data', kind: 'add' }, { path: 'note', kind: 'add' }] };
    plain = await writeLayer(set, { blobRoot: join(top, 'plain') });
  });
  after(() => rm(top, { recursive: true, force: true }));

  it('a slow taker gets every byte and the digest, and the layer is the one written without it', async () => {
    let taken: Promise<{ bytes: Buffer; digest: Digest }> | undefined;
    const layer = await writeLayer(set, {
      blobRoot: join(top, 'slow'),
      upload: (bytes: Readable, digest: Promise<Digest>) => {
        taken = (async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of bytes) {
            chunks.push(chunk as Buffer);
            await sleep(1);
          }
          return { bytes: Buffer.concat(chunks), digest: await digest };
        })();
      },
    });
    const got = await (taken as Promise<{ bytes: Buffer; digest: Digest }>);
    assert.equal(layer.digest, plain.digest);
    assert.equal(got.digest, layer.digest);
    assert.equal(sha256(got.bytes), layer.digest);
    assert.equal(got.bytes.length, layer.size);
  });

  it('a taker that gives up midway does not stop the layer, which stays whole', async () => {
    const layer = await writeLayer(set, {
      blobRoot: join(top, 'quit'),
      upload: (bytes: Readable) => {
        let seen = 0;
        bytes.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > 1 << 20) bytes.destroy();
        });
      },
    });
    assert.equal(layer.digest, plain.digest);
    assert.equal(sha256(readFileSync(layer.blobPath)), layer.digest);
  });
});

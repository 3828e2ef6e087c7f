// Every hostile layer of the corpus either fails with LAYER_INVALID naming the image and layer,
// or is neutralised: in both cases not one byte changes outside the target rootfs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { openerLayer } from '../../../src/image/layer.ts';
import { MediaType } from '../../../src/oci/mediatypes.ts';
import { sha256 } from '../../../src/oci/digest.ts';
import { applyLayer, extractImage } from '../../../src/tar/extract.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { hostileLayers } from '../../support/hostile-layers.ts';

/** Every path under `dir` with its type, mode, size, mtime and content hash. */
function fingerprint(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const hash = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : '';
      out.push(`${rel}${name} ${st.mode} ${st.size} ${st.mtimeMs} ${st.ino} ${hash}`);
      if (st.isDirectory()) walk(p, `${rel}${name}/`);
    }
  };
  walk(dir, '');
  return out;
}

describe('hostile layers', () => {
  let top: string;
  let sentinel: string;
  let before_: string[];

  before(async () => {
    top = await mkdtemp(join(tmpdir(), 'kiln-hostile-'));
    sentinel = join(top, 'sentinel');
    await mkdir(sentinel);
    await writeFile(join(sentinel, 'file'), 'precious');
    await mkdir(join(sentinel, 'sub'));
    before_ = fingerprint(top);
  });

  after(async () => {
    await rm(top, { recursive: true, force: true });
  });

  for (const [i, c] of hostileLayers('/SENTINEL').entries()) {
    it(`${c.name}: ${c.expect === 'error' ? 'refused' : 'kept inside the rootfs'}`, async () => {
      // The corpus names the sentinel; rebuild it for this run's real path.
      const hostile = hostileLayers(sentinel)[i];
      const root = join(top, `root-${i}`);
      await mkdir(root);
      const label = { image: 'hostile:test', digest: sha256(hostile.tar) };
      const run = hostile.gzip
        ? extractImage(
            root,
            [openerLayer({ digest: sha256(hostile.gzip), diffId: sha256(hostile.tar), size: hostile.gzip.length, mediaType: MediaType.OciLayerGzip, open: async () => Readable.from([hostile.gzip as Buffer]) })],
            { image: 'hostile:test' },
          )
        : applyLayer(root, Readable.from([hostile.tar]), label);
      if (hostile.expect === 'error') {
        await assert.rejects(run, (err: unknown) => {
          assert.ok(isBuilderError(err, 'LAYER_INVALID'), `expected LAYER_INVALID, got ${String(err)}`);
          assert.match(err.message, /image hostile:test layer sha256:[0-9a-f]{64}/);
          if (hostile.message) assert.ok(err.message.includes(hostile.message), err.message);
          return true;
        });
      } else {
        await run;
      }
      await rm(root, { recursive: true, force: true });
      assert.deepEqual(fingerprint(top), before_, 'something outside the rootfs changed');
    });
  }

  it('neutralised writes land inside the rootfs', async () => {
    const root = join(top, 'root-inside');
    await mkdir(root);
    const byName = new Map(hostileLayers(sentinel).map((c) => [c.name, c]));
    const apply = (name: string) => applyLayer(root, Readable.from([(byName.get(name) as { tar: Buffer }).tar]), { image: 'hostile:test', digest: 'sha256:0' });
    await apply('absolute symlink out, then write through it');
    assert.equal(readFileSync(join(root, sentinel, 'pwned'), 'utf8'), 'pwned');
    await apply('device nodes and a fifo');
    const nul = lstatSync(join(root, 'dev/null'));
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, 0x103);
    assert.equal(nul.mode & 0o7777, 0o666);
    assert.ok(lstatSync(join(root, 'dev/loop9')).isBlockDevice());
    assert.ok(lstatSync(join(root, 'dev/pipe')).isFIFO());
    await rm(root, { recursive: true, force: true });
  });
});

// outputs: type=local,dest=DIR through the Action as the runner runs it: the image's filesystem
// (base layers, COPY and RUN results, a file a later RUN deleted) lands in DIR beside an OCI
// layout and a docker archive asked for in the same step.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pushBaseImage } from '../support/base-images.ts';
import { runAction } from '../support/github-runner.ts';
import { removeTree } from '../support/mounts.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { labTempDir } from '../support/temp-dirs.ts';

let reg: LabRegistry;
let base: string;
let root: string;

before(async () => {
  reg = await startRegistry('plain');
  base = await pushBaseImage(reg, 'busybox');
  root = await labTempDir('action-outputs');
});

after(async () => {
  await reg?.stop();
  if (root) await removeTree(root);
});

describe('the Action outputs input', () => {
  test('type=local,dest= holds the image filesystem; type=oci and type=tar are written too', { timeout: 300_000 }, async () => {
    const ws = join(root, 'job', 'workspace');
    await mkdir(ws, { recursive: true });
    await writeFile(join(ws, 'Dockerfile'), `FROM ${base}\nCOPY hello.txt /app/hello.txt\nRUN echo built > /app/built && echo gone > /app/gone\nRUN rm /app/gone\n`);
    await writeFile(join(ws, 'hello.txt'), 'hello local\n');
    const out = join(root, 'job', 'out');
    const { main, post } = await runAction({
      workspace: ws,
      inputs: { push: 'false', outputs: `type=local,dest=${out}/rootfs\ntype=oci,dest=${out}/layout\ntype=tar,dest=${out}/image.tar` },
    });
    assert.equal(main.code, 0, main.log);
    assert.equal(post.code, 0, post.log);
    assert.equal(readFileSync(join(out, 'rootfs/app/hello.txt'), 'utf8'), 'hello local\n');
    assert.equal(readFileSync(join(out, 'rootfs/app/built'), 'utf8'), 'built\n');
    assert.equal(existsSync(join(out, 'rootfs/app/gone')), false, 'the whiteout of a later layer is applied');
    assert.ok(existsSync(join(out, 'rootfs/bin/busybox')), 'the base layers are there');
    assert.ok(existsSync(join(out, 'layout/index.json')) && existsSync(join(out, 'image.tar')));
    assert.match(main.log, /kiln: the image's filesystem is in .*rootfs \(\d+ entries\)/);
    assert.match(main.outputs.digest ?? '', /^sha256:[0-9a-f]{64}$/);
  });
});

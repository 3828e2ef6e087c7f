// What a build leaves behind and how its layers are framed: a layer larger than one gzip block
// (several gzip members) that Go readers (skopeo, umoci) must read as one stream, and a workspace
// that is gone from KILN_WORKDIR when kiln exits and deleted from disk soon after.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabRegistry } from '../support/registry.ts';
import { run } from '../support/exec.ts';
import { kiln } from '../support/kiln-cli.ts';
import { openBuildLab, type BuildLab } from '../support/build-lab.ts';

let reg: LabRegistry;
let busybox: string;
let work: string;

let lab: BuildLab | undefined;

before(async () => {
  lab = await openBuildLab('kiln-workspace-test-');
  ({ reg, busybox, work } = lab);
});

after(() => lab?.close());

test('a 5 MiB layer is several gzip members that skopeo and umoci read whole, and the workspace is gone after the build', async () => {
  const ctx = join(work, 'ctx');
  await mkdir(ctx);
  // Incompressible, so the compressed layer spans several 1 MiB blocks too.
  await writeFile(join(ctx, 'Dockerfile'), `FROM ${busybox}\nRUN head -c 5242880 /dev/urandom > /big && sha256sum /big > /big.sum\n`);
  const workdir = join(work, 'workdir');
  const dest = `${reg.host}/workspace/big:1`;
  const layout = join(work, 'layout');
  const res = await kiln(['build', '--context', ctx, '--destination', dest, '--insecure-registry', reg.host, '--oci-layout-path', layout], {
    env: { ...process.env, KILN_WORKDIR: workdir },
  });
  assert.equal(res.code, 0, res.stderr);

  // Renamed aside before kiln exits: no build directory is left under its own name.
  assert.deepEqual((await readdir(workdir)).filter((n) => n.startsWith('kiln-build-')), []);

  const inspected = JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', `docker://${dest}`])).stdout) as { Layers: string[] };
  const top = inspected.Layers[inspected.Layers.length - 1];
  const blob = await readFile(join(layout, 'blobs', 'sha256', top.slice('sha256:'.length)));
  let members = 0;
  for (let i = 0; i + 3 < blob.length; i++) if (blob[i] === 0x1f && blob[i + 1] === 0x8b && blob[i + 2] === 8 && blob[i + 3] === 0) members++;
  assert.ok(members >= 5, `expected the layer to hold several gzip members, found ${members}`);

  const pulled = join(work, 'pulled');
  await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${dest}`, `oci:${pulled}:1`]);
  const bundle = join(work, 'bundle');
  await run('umoci', ['unpack', '--image', `${pulled}:1`, bundle]);
  const big = await readFile(join(bundle, 'rootfs', 'big'));
  const recorded = (await readFile(join(bundle, 'rootfs', 'big.sum'), 'utf8')).split(' ')[0];
  assert.equal(big.length, 5 << 20);
  assert.equal(createHash('sha256').update(big).digest('hex'), recorded);

  // The detached rm finishes on its own; give a loaded machine some time.
  for (let i = 0; i < 60 && (await readdir(workdir)).length > 0; i++) await sleep(500);
  assert.deepEqual(await readdir(workdir), []);
});

// `kiln index create` with children read from local OCI layouts (oci-layout:PATH[:TAG], the
// syntax of `kiln copy`): images written by another tool (the lab's own layout writer) or by
// `kiln build --oci-layout-path`, alone or mixed with registry sources, are pushed into DEST's
// repository and indexed; a layout tag that does not exist fails in one line, nothing pushed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { baseImageLayout } from '../support/base-images.ts';
import { initLayout, writeImage, writeLayer, writeLayoutIndex, type Platform } from '../support/oci-layout.ts';
import { labTempDir } from '../support/temp-dirs.ts';
import { kiln, type KilnResult } from '../support/kiln-cli.ts';
import { run } from '../support/exec.ts';

interface RawIndex {
  mediaType: string;
  manifests: { digest: string; platform: Platform }[];
}

describe('kiln index create from OCI layouts', () => {
  let reg: LabRegistry;
  let other: LabRegistry;
  let work: string;
  let env: NodeJS.ProcessEnv;

  async function kilnOk(args: string[]): Promise<KilnResult> {
    const result = await kiln(args, { env });
    assert.equal(result.code, 0, `kiln ${args.join(' ')} failed: ${result.stderr}`);
    return result;
  }

  async function raw(ref: string): Promise<string> {
    return (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout;
  }

  /** A layout holding one one-layer image of `platform` tagged `v`; returns its path and the image's digest. */
  async function layoutImage(name: string, platform: Platform): Promise<{ path: string; digest: string }> {
    const path = join(work, name);
    await initLayout(path);
    const data = Buffer.from(`${platform.architecture}\n`);
    const layer = await writeLayer(path, [{ path: 'marker', type: 'File', mode: 0o644, uid: 0, gid: 0, size: data.length, data }], new Date(0));
    const desc = await writeImage(path, { platform, layers: [layer], created: new Date(0).toISOString(), runConfig: { Cmd: ['/marker'] }, history: ['COPY marker /'] });
    await writeLayoutIndex(path, { v: desc });
    return { path, digest: desc.digest };
  }

  before(async () => {
    [reg, other] = await Promise.all([startRegistry('plain'), startRegistry('plain')]);
    work = await labTempDir('index-layout');
    env = { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') };
  });

  after(async () => {
    await Promise.all([reg?.stop(), other?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('indexes images of two layouts; the children are pushed first and skopeo copies the index whole', async () => {
    const amd = await layoutImage('amd', { os: 'linux', architecture: 'amd64' });
    const arm = await layoutImage('arm', { os: 'linux', architecture: 'arm64', variant: 'v8' });
    const dest = `${reg.host}/layout/app:1`;
    const digestFile = join(work, 'digest');
    const { stdout } = await kilnOk(['index', 'create', dest, `oci-layout:${amd.path}:v`, `oci-layout:${arm.path}`, '--digest-file', digestFile]);
    const text = await raw(dest);
    const digest = `sha256:${createHash('sha256').update(text).digest('hex')}`;
    assert.equal(stdout.trim(), digest);
    assert.equal(await readFile(digestFile, 'utf8'), digest);
    const index = JSON.parse(text) as RawIndex;
    assert.deepEqual(index.manifests.map((m) => [m.digest, m.platform.architecture]), [[amd.digest, 'amd64'], [arm.digest, 'arm64']]);
    await run('skopeo', ['copy', '--quiet', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${dest}`, `docker://${other.host}/copied/app:1`]);
    assert.equal(await raw(`${other.host}/copied/app:1`), text);
  });

  it('takes a layout holding an index (its images join) beside a registry image', async () => {
    const multi = await baseImageLayout('multiarch');
    const extra = await layoutImage('s390x', { os: 'linux', architecture: 's390x' });
    await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${extra.path}:v`, `docker://${reg.host}/layout/s390x:1`]);
    const dest = `${reg.host}/layout/mixed:1`;
    await kilnOk(['index', 'create', dest, `oci-layout:${multi}:latest`, `${reg.host}/layout/s390x:1`]);
    const index = JSON.parse(await raw(dest)) as RawIndex;
    assert.deepEqual(index.manifests.map((m) => m.platform.architecture), ['amd64', 'arm64', 's390x']);
    for (const m of index.manifests) await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/layout/mixed@${m.digest}`]);
  });

  it('indexes the layout a multi-platform kiln build wrote', async () => {
    const layout = join(work, 'built');
    const context = join(work, 'ctx');
    await run('sh', ['-c', 'mkdir -p "$1" && printf "FROM scratch\\nARG TARGETARCH\\nLABEL arch=\\$TARGETARCH\\n" > "$1/Dockerfile"', 'sh', context]);
    await kilnOk(['build', '--context', context, '--platform', 'linux/amd64,linux/arm64', '--no-push', '--oci-layout-path', layout]);
    const dest = `${reg.host}/layout/built:1`;
    await kilnOk(['index', 'create', dest, `oci-layout:${layout}`]);
    const index = JSON.parse(await raw(dest)) as RawIndex;
    assert.deepEqual(index.manifests.map((m) => m.platform.architecture), ['amd64', 'arm64']);
  });

  it('a missing layout tag fails in one line naming the source; nothing is pushed', async () => {
    const amd = await layoutImage('amd-missing', { os: 'linux', architecture: 'amd64' });
    const dest = `${reg.host}/layout/missing:1`;
    const result = await kiln(['index', 'create', dest, `oci-layout:${amd.path}:v`, `oci-layout:${amd.path}:nope`], { env });
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.match(lines[lines.length - 1], new RegExp(`oci-layout:${amd.path}:nope`));
    await assert.rejects(raw(dest));
    await assert.rejects(raw(`${reg.host}/layout/missing@${amd.digest}`));
  });
});

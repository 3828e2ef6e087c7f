// Acceptance of `kiln index create` (issue 13, item 3): two single-platform images become an index
// skopeo reads with both platforms and copies whole to another registry; docker schema 2 children
// make a manifest list; children from other repositories and registries are copied in first; a
// missing child or two images of one platform fail in one line with nothing pushed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { initLayout, writeImage, writeLayer, writeLayoutIndex, type Platform } from '../support/oci-layout.ts';
import { labTempDir } from '../support/temp-dirs.ts';
import { kiln, type KilnResult } from '../support/kiln-cli.ts';
import { run } from '../support/exec.ts';

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const EPOCH = new Date(0);

interface RawIndex {
  mediaType: string;
  manifests: { mediaType: string; digest: string; size: number; platform: Platform }[];
  annotations?: Record<string, string>;
}

describe('kiln index create', () => {
  let a: LabRegistry;
  let b: LabRegistry;
  let work: string;
  let env: NodeJS.ProcessEnv;

  async function kilnOk(args: string[]): Promise<KilnResult> {
    const result = await kiln(args, { env });
    assert.equal(result.code, 0, `kiln ${args.join(' ')} failed: ${result.stderr}`);
    return result;
  }

  async function raw(ref: string): Promise<{ doc: RawIndex; digest: string }> {
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
    return { doc: JSON.parse(stdout) as RawIndex, digest: `sha256:${createHash('sha256').update(stdout).digest('hex')}` };
  }

  async function exists(ref: string): Promise<boolean> {
    return run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]).then(
      () => true,
      () => false,
    );
  }

  /** A one-layer image of `platform` pushed to `ref` (OCI, or docker schema 2 with `v2s2`); returns its digest. */
  async function pushImage(ref: string, platform: Platform, marker: string, v2s2 = false): Promise<string> {
    const layout = join(work, `layout-${createHash('sha256').update(ref).digest('hex').slice(0, 12)}`);
    await initLayout(layout);
    const data = Buffer.from(`${marker}\n`);
    const layer = await writeLayer(layout, [{ path: 'marker', type: 'File', mode: 0o644, uid: 0, gid: 0, size: data.length, data }], EPOCH);
    const desc = await writeImage(layout, { platform, layers: [layer], created: EPOCH.toISOString(), runConfig: { Cmd: ['/marker'] }, history: ['COPY marker /'] });
    await writeLayoutIndex(layout, { v: desc });
    const digestFile = join(layout, 'pushed-digest');
    await run('skopeo', ['copy', '--dest-tls-verify=false', ...(v2s2 ? ['--format', 'v2s2'] : []), `--digestfile=${digestFile}`, `oci:${layout}:v`, `docker://${ref}`]);
    return (await readFile(digestFile, 'utf8')).trim();
  }

  before(async () => {
    [a, b] = await Promise.all([startRegistry('plain'), startRegistry('plain')]);
    work = await labTempDir('index-create');
    env = { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') };
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('makes an OCI index of two platforms that skopeo reads and copies whole to another registry', async () => {
    const amd = await pushImage(`${a.host}/lab/app:amd64`, AMD64, 'amd64');
    const arm = await pushImage(`${a.host}/lab/app:arm64`, ARM64, 'arm64');
    const digestFile = join(work, 'index-digest');
    const nameFile = join(work, 'index-name');
    const { stdout } = await kilnOk([
      'index', 'create', `${a.host}/lab/app:multi`, `${a.host}/lab/app:amd64`, `@${arm}`,
      '--annotation', 'org.opencontainers.image.source=https://example.com/app',
      `--digest-file=${digestFile}`, `--image-name-with-digest-file=${nameFile}`,
    ]);
    const { doc, digest } = await raw(`${a.host}/lab/app:multi`);
    assert.equal(stdout.trim(), digest);
    assert.equal(await readFile(digestFile, 'utf8'), digest);
    assert.equal(await readFile(nameFile, 'utf8'), `${a.host}/lab/app@${digest}\n`);
    assert.equal(doc.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(doc.annotations, { 'org.opencontainers.image.source': 'https://example.com/app' });
    assert.deepEqual(
      doc.manifests.map((m) => [m.mediaType, m.digest, m.platform]),
      [
        ['application/vnd.oci.image.manifest.v1+json', amd, AMD64],
        ['application/vnd.oci.image.manifest.v1+json', arm, ARM64],
      ],
    );
    await run('skopeo', ['copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${a.host}/lab/app:multi`, `docker://${b.host}/copied/app:multi`]);
    assert.equal((await raw(`${b.host}/copied/app:multi`)).digest, digest);
    // The arm64 image is what a client of that platform gets.
    const { stdout: picked } = await run('skopeo', ['inspect', '--tls-verify=false', '--override-arch=arm64', `docker://${b.host}/copied/app:multi`]);
    assert.equal((JSON.parse(picked) as { Architecture: string }).Architecture, 'arm64');

    // An index as a source contributes its images.
    await kilnOk(['index', 'create', `${a.host}/lab/app:again`, `${a.host}/lab/app:multi`]);
    assert.deepEqual((await raw(`${a.host}/lab/app:again`)).doc.manifests.map((m) => m.digest), [amd, arm]);
  });

  it('makes a docker manifest list of docker schema 2 images, or an OCI index with --format oci', async () => {
    const amd = await pushImage(`${a.host}/lab/docker:amd64`, AMD64, 'docker-amd64', true);
    const arm = await pushImage(`${a.host}/lab/docker:arm64`, ARM64, 'docker-arm64', true);
    await kilnOk(['index', 'create', `${a.host}/lab/docker:multi`, `${a.host}/lab/docker:amd64`, `${a.host}/lab/docker:arm64`]);
    const list = (await raw(`${a.host}/lab/docker:multi`)).doc;
    assert.equal(list.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    assert.deepEqual(list.manifests.map((m) => [m.mediaType, m.digest]), [
      ['application/vnd.docker.distribution.manifest.v2+json', amd],
      ['application/vnd.docker.distribution.manifest.v2+json', arm],
    ]);
    await kilnOk(['index', 'create', '--format', 'oci', `${a.host}/lab/docker:oci`, `@${amd}`, `@${arm}`]);
    assert.equal((await raw(`${a.host}/lab/docker:oci`)).doc.mediaType, 'application/vnd.oci.image.index.v1+json');
    await run('skopeo', ['copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${a.host}/lab/docker:multi`, `docker://${b.host}/copied/docker:multi`]);
  });

  it('copies children from another repository and another registry into the destination first', async () => {
    const amd = await pushImage(`${a.host}/elsewhere/one:amd64`, AMD64, 'other-repo');
    const arm = await pushImage(`${b.host}/far/two:arm64`, ARM64, 'other-registry');
    const dest = `${a.host}/lab/combined`;
    await kilnOk(['index', 'create', `${dest}:multi`, `${a.host}/elsewhere/one@${amd}`, `${b.host}/far/two:arm64`]);
    assert.deepEqual((await raw(`${dest}:multi`)).doc.manifests.map((m) => m.digest), [amd, arm]);
    assert.ok(await exists(`${dest}@${amd}`));
    assert.ok(await exists(`${dest}@${arm}`));
    // Every blob is in place: skopeo copies the whole index out of the destination repository.
    await run('skopeo', ['copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${dest}:multi`, `docker://${b.host}/copied/combined:multi`]);
  });

  it('fails in one line and pushes nothing when a child is missing or two share a platform', async () => {
    const amd = await pushImage(`${a.host}/lab/fail:amd64`, AMD64, 'fail-amd64');
    const missing = `sha256:${'0'.repeat(64)}`;
    const gone = await kiln(['index', 'create', `${a.host}/lab/fail:multi`, `${a.host}/lab/fail:amd64`, `${a.host}/lab/fail@${missing}`], { env });
    assert.notEqual(gone.code, 0);
    assert.equal(gone.stderr.trim().split('\n').length, 1, gone.stderr);
    assert.match(gone.stderr, new RegExp(`lab/fail@${missing}`));
    assert.equal(await exists(`${a.host}/lab/fail:multi`), false);

    // Nothing of a cross-repository child is copied when another child fails.
    const twin = await pushImage(`${a.host}/lab/twin:amd64`, AMD64, 'twin');
    const dup = await kiln(['index', 'create', `${a.host}/lab/fresh:multi`, `${a.host}/lab/fail@${amd}`, `${a.host}/lab/twin@${twin}`], { env });
    assert.equal(dup.code, 2);
    assert.equal(dup.stderr.trim().split('\n').length, 1, dup.stderr);
    assert.match(dup.stderr, /both linux\/amd64/);
    assert.equal(await exists(`${a.host}/lab/fresh:multi`), false);
    assert.equal(await exists(`${a.host}/lab/fresh@${amd}`), false);
  });
});

// `kiln warm` against the lab registry, and the build's side of the base-image cache: what the
// warmer stores, cachedImage() reads back under the same digest, with every layer verified.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { baseImageDigest, pushBaseImages } from '../support/base-images.ts';
import { repoRoot } from '../support/lab-dir.ts';
import { run, CommandError } from '../support/exec.ts';
import { cachedImage, warmedDigest } from '../../src/image/base-cache.ts';
import { parseReference } from '../../src/registry/reference.ts';
import { parseDigest, type Digest } from '../../src/oci/digest.ts';
import type { Image } from '../../src/image/types.ts';
import { isBuilderError } from '../../src/util/errors.ts';
import { readAll } from '../unit/image/fixtures.ts';

interface KilnResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function kiln(args: string[], env?: NodeJS.ProcessEnv): Promise<KilnResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], env ? { env } : {});
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    return { code: err.exitCode ?? -1, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Reads every layer whole, both ways; the stores verify digests and diffIds as bytes pass. */
async function readEveryLayer(image: Image): Promise<void> {
  for (const layer of await image.layers()) {
    assert.equal((await readAll(await layer.compressed())).length, layer.size);
    await readAll(await layer.uncompressed());
  }
}

describe('kiln warm and the base-image cache', () => {
  let reg: LabRegistry;
  let refs: Record<string, string>;
  let work: string;

  before(async () => {
    reg = await startRegistry('plain');
    refs = await pushBaseImages(reg, ['busybox', 'multi']);
    work = await mkdtemp(join(tmpdir(), 'kiln-warm-test-'));
  });
  after(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('warms busybox and cachedImage reads it with the same digest, every layer verified', async () => {
    const dir = join(work, 'busybox');
    const expected = await baseImageDigest('busybox');
    const result = await kiln(['warm', '--image', refs.busybox, '--cache-dir', dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${expected} ${refs.busybox}\n`);

    const image = await cachedImage(dir, parseDigest(expected));
    assert.ok(image, 'cached');
    assert.equal(await image.digest(), expected);
    assert.equal((await image.config()).os, 'linux');
    await readEveryLayer(image);

    // The index maps the reference to the digest.
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    assert.deepEqual(
      index.manifests.map((m: { digest: string; annotations: Record<string, string> }) => [m.annotations['org.opencontainers.image.ref.name'], m.digest]),
      [[refs.busybox, expected]],
    );

    assert.equal(await warmedDigest(dir, parseReference(refs.busybox)), expected, 'the reference resolves offline');
    assert.equal(await warmedDigest(dir, parseReference(`${reg.host}/library/busybox:other`)), undefined);
    assert.equal(await warmedDigest(join(work, 'never-made'), parseReference(refs.busybox)), undefined);

    const again = await kiln(['warm', '-i', refs.busybox, '-c', dir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /is already cached as/);
  });

  it('--force downloads again and repairs a corrupted blob', async () => {
    const dir = join(work, 'force');
    const digest = parseDigest(await baseImageDigest('busybox'));
    assert.equal((await kiln(['warm', '--image', refs.busybox, '--cache-dir', dir])).code, 0);
    const image = (await cachedImage(dir, digest)) as Image;
    const [layer] = await image.layers();
    // Same size, other bytes: only reading can tell.
    const fh = await open(join(dir, 'blobs', 'sha256', layer.digest.slice('sha256:'.length)), 'r+');
    await fh.write(Buffer.from('kiln'), 0, 4, 100);
    await fh.close();
    await assert.rejects(readEveryLayer(image), (err) => isBuilderError(err, 'DIGEST_MISMATCH'));

    const forced = await kiln(['warm', '--image', refs.busybox, '--cache-dir', dir, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    await readEveryLayer((await cachedImage(dir, digest)) as Image);
  });

  it('takes the --customPlatform image out of an index', async () => {
    const dir = join(work, 'multi');
    const result = await kiln(['warm', '--image', refs.multi, '--cache-dir', dir, '--customPlatform', 'linux/arm64']);
    assert.equal(result.code, 0, result.stderr);
    const digest = parseDigest(result.stdout.split(' ')[0]);
    assert.notEqual(digest, await baseImageDigest('multi'), 'the image, not the index');
    const image = (await cachedImage(dir, digest)) as Image;
    assert.equal((await image.config()).architecture, 'arm64');
    await readEveryLayer(image);
  });

  it('--dockerfile warms the images the FROM lines name, build args expanded, each once', async () => {
    const dir = join(work, 'dockerfile');
    const dockerfile = join(work, 'Dockerfile.warm');
    await writeFile(dockerfile, 'ARG REG\nFROM ${REG}/library/busybox:latest AS one\nRUN true\nFROM ${REG}/library/busybox:latest\nFROM --platform=linux/arm64 ${REG}/lab/multi:latest\n');
    const result = await kiln(['warm', '-d', dockerfile, '--build-arg', `REG=${reg.host}`, '--image', refs.busybox, '--cache-dir', dir]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(' ')[1]), [refs.busybox, refs.multi]);
    const arm = (await cachedImage(dir, parseDigest(lines[1].split(' ')[0]))) as Image;
    assert.equal((await arm.config()).architecture, 'arm64', "the FROM's --platform decides");
  });

  it('warms from a TLS registry with basic auth through the transport flags, keeping the password out of its output', async () => {
    const tls = await startRegistry('tls-basic');
    try {
      const [ref] = Object.values(await pushBaseImages(tls, ['busybox']));
      const dir = join(work, 'tls');
      const env = { ...process.env, DOCKER_AUTH_CONFIG: await readFile(tls.authFile as string, 'utf8'), DOCKER_CONFIG: join(work, 'no-docker-config') };
      const refused = await kiln(['warm', '--image', ref, '--cache-dir', dir], env);
      assert.equal(refused.code, 1, 'the lab CA is not trusted without --registry-certificate');
      const result = await kiln(['warm', '--image', ref, '--cache-dir', dir, `--registry-certificate=${tls.host}=${tls.caFile}`], env);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${await baseImageDigest('busybox')} ${ref}\n`);
      for (const out of [refused, result]) assert.ok(!`${out.stdout}${out.stderr}`.includes(tls.password as string));
    } finally {
      await tls.stop();
    }
  });

  it('misses what is not cached, without failing', async () => {
    const other = ('sha256:' + 'f'.repeat(64)) as Digest;
    assert.equal(await cachedImage(join(work, 'busybox'), other), undefined);
    assert.equal(await cachedImage(join(work, 'never-made'), other), undefined);
  });

  it('fails naming the image when nothing could be warmed, and refuses a call without --image', async () => {
    const missing = `${reg.host}/library/nothing:here`;
    const result = await kiln(['warm', '--image', missing, '--cache-dir', join(work, 'none')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /nothing:here: manifest unknown/);
    const some = await kiln(['warm', '--image', missing, '--image', refs.busybox, '--cache-dir', join(work, 'some')]);
    assert.equal(some.code, 0, 'one of two warmed is a success, as with kaniko');
    assert.match(some.stderr, /could not warm .*nothing:here/);
    const usage = await kiln(['warm', '--cache-dir', join(work, 'none')]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /at least one --image/);
  });
});

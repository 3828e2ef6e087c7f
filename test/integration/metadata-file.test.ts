// --metadata-file: what the CI faces read instead of the log. Its buildx keys must name what the
// registry holds (checked with skopeo), its steps must say which came from the cache, and a failed
// build must still leave a file that points at the failing Dockerfile line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { run } from '../support/exec.ts';
import { kiln } from '../support/kiln-cli.ts';
import { openBuildLab, type BuildLab } from '../support/build-lab.ts';
import type { BuildMetadata } from '../../src/executor/build-report.ts';

let lab: BuildLab | undefined;

before(async () => {
  lab = await openBuildLab('kiln-metadata-test-');
});
after(() => lab?.close());

async function context(name: string, dockerfile: string): Promise<string> {
  const dir = join(lab!.work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile.replaceAll('BASE_IMAGE', lab!.busybox));
  await writeFile(join(dir, 'greeting'), 'hello\n');
  return dir;
}

async function readMetadata(path: string): Promise<BuildMetadata> {
  return JSON.parse(await readFile(path, 'utf8')) as BuildMetadata;
}

describe('kiln build --metadata-file', () => {
  test('names the pushed manifest and config as skopeo sees them, and a rebuild reports its RUN as cached', async () => {
    const { reg } = lab!;
    const dir = await context('meta-ok', 'FROM BASE_IMAGE\nCOPY greeting /greeting\nRUN cat /greeting > /copied\nENV A=1\n');
    const dests = [`${reg.host}/meta/app:1`, `${reg.host}/meta/app:2`];
    const build = async (file: string) =>
      kiln(['build', '--context', dir, ...dests.flatMap((d) => ['--destination', d]), '--insecure-registry', reg.host, '--cache', '--cache-repo', `${reg.host}/meta/cache`, '--metadata-file', file]);
    const first = join(lab!.work, 'meta-1.json');
    const res = await build(first);
    assert.equal(res.code, 0, res.stderr);
    const meta = await readMetadata(first);

    const raw = (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${dests[0]}`])).stdout;
    const manifest = JSON.parse(raw) as { mediaType: string; config: { digest: string }; layers: unknown[] };
    const digest = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    assert.equal(meta['containerimage.digest'], digest);
    assert.deepEqual(meta['containerimage.descriptor'], { mediaType: manifest.mediaType, digest, size: Buffer.byteLength(raw) });
    assert.equal(meta['containerimage.config.digest'], manifest.config.digest);
    assert.equal(meta['image.name'], dests.join(','));

    const report = meta['kiln.report'];
    assert.equal(report.success, true);
    assert.equal(report.layers, manifest.layers.length);
    assert.deepEqual(report.images, dests.map((name) => ({ name, digest })));
    assert.deepEqual(report.steps.map((s) => [s.instruction.split(' ')[0], s.line, s.file, s.cached]), [
      ['FROM', 1, 'Dockerfile', false],
      ['COPY', 2, 'Dockerfile', false],
      ['RUN', 3, 'Dockerfile', false],
      ['ENV', 4, 'Dockerfile', false],
    ]);

    const second = join(lab!.work, 'meta-2.json');
    assert.equal((await build(second)).code, 0);
    const again = (await readMetadata(second))['kiln.report'];
    assert.deepEqual(again.steps.filter((s) => s.cached).map((s) => s.line), [3], 'the RUN came from the layer cache');
  });

  test('a failing RUN leaves a report naming its Dockerfile line and the error, and no digest', async () => {
    const dir = await context('meta-fail', 'FROM BASE_IMAGE\nRUN true\nRUN exit 3\n');
    const file = join(lab!.work, 'meta-fail.json');
    const res = await kiln(['build', '--context', dir, '--no-push', '--metadata-file', file]);
    assert.notEqual(res.code, 0);
    const meta = await readMetadata(file);
    assert.equal(meta['containerimage.digest'], undefined);
    const report = meta['kiln.report'];
    assert.equal(report.success, false);
    assert.equal(report.error?.line, 3);
    assert.equal(report.error?.file, 'Dockerfile');
    assert.equal(report.error?.instruction, 'RUN exit 3');
    assert.match(report.error?.message ?? '', /exit/);
    assert.deepEqual(report.steps.map((s) => s.line), [1, 2], 'only the steps that finished');
  });
});

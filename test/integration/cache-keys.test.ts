// Cache keys end to end: a build whose steps each depend on one input (build arg, ENV, COPY
// source, bind-mount source, instruction text, base image) is rebuilt with only that input
// changed, and exactly the steps from the dependent one on miss. A no-change rebuild hits every
// step from each backend (registry, oci:DIR, dir:DIR), and two builds sharing one dir:DIR cache
// at once both succeed and leave a cache a third build hits completely.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kiln } from '../support/kiln-cli.ts';
import { openBuildLab, type BuildLab } from '../support/build-lab.ts';

let lab: BuildLab | undefined;
let work: string;
let host: string;

before(async () => {
  lab = await openBuildLab('kiln-cache-keys-');
  work = lab.work;
  host = lab.reg.host;
});
after(() => lab?.close());

const STEPS = ['RUN arg', 'COPY', 'RUN bind', 'RUN secret'];

function dockerfile(base: string, lastRun = 'echo s > /s'): string {
  return [
    `FROM ${base}`,
    'ARG A=1',
    'ENV E=1',
    'RUN echo "$A $E" > /a',
    'COPY f.txt /f.txt',
    'RUN --mount=type=bind,source=m.txt,target=/m.txt cat /m.txt > /m',
    `RUN --mount=type=secret,id=s cat /run/secrets/s > /dev/null; ${lastRun}`,
    '',
  ].join('\n');
}

interface Variant {
  dockerfile?: string;
  files?: Record<string, string>;
  args?: string[];
  secret?: string;
}

let contexts = 0;
/** Builds a fresh context (the same files unless `v` changes one) and returns which steps hit. */
async function build(cacheRepo: string, v: Variant = {}, extra: string[] = []): Promise<boolean[]> {
  const dir = join(work, `ctx-${contexts++}`);
  await mkdir(dir, { recursive: true });
  const files = { Dockerfile: v.dockerfile ?? dockerfile((lab as BuildLab).busybox), 'f.txt': 'f1\n', 'm.txt': 'm1\n', ...v.files };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const secret = join(dir, '..', `secret-${contexts}`);
  await writeFile(secret, v.secret ?? 'secret one');
  const meta = join(dir, '..', `meta-${contexts}.json`);
  const res = await kiln([
    'build', '--context', dir, '--no-push', '--insecure-registry', host, '--cache', '--cache-copy-layers', `--cache-repo=${cacheRepo}`,
    '--secret', `id=s,src=${secret}`, '--metadata-file', meta, ...(v.args ?? []), ...extra,
  ]);
  assert.equal(res.code, 0, res.stderr);
  const report = JSON.parse(await readFile(meta, 'utf8'))['kiln.report'] as { steps: { instruction: string; cached: boolean }[] };
  const layered = report.steps.filter((s) => /^(RUN|COPY)/.test(s.instruction));
  assert.equal(layered.length, STEPS.length, JSON.stringify(report.steps));
  return layered.map((s) => s.cached);
}

describe('layer cache keys', () => {
  test('changing one input misses exactly the steps from the one that depends on it', async () => {
    const repo = `dir:${join(work, 'keys-cache')}`;
    assert.deepEqual(await build(repo), [false, false, false, false], 'cold');
    assert.deepEqual(await build(repo), [true, true, true, true], 'no change');
    const cases: [string, Variant, boolean[]][] = [
      ['build arg', { args: ['--build-arg', 'A=2'] }, [false, false, false, false]],
      ['ENV', { dockerfile: dockerfile((lab as BuildLab).busybox).replace('ENV E=1', 'ENV E=2') }, [false, false, false, false]],
      ['COPY source', { files: { 'f.txt': 'f2\n' } }, [true, false, false, false]],
      ['bind mount source', { files: { 'm.txt': 'm2\n' } }, [true, true, false, false]],
      ['instruction text', { dockerfile: dockerfile((lab as BuildLab).busybox, 'echo t > /s') }, [true, true, true, false]],
      // The secret counts by its id (in the text), never by its value.
      ['secret value', { secret: 'secret two' }, [true, true, true, true]],
    ];
    for (const [input, variant, expected] of cases) assert.deepEqual(await build(repo, variant), expected, input);
  });

  test('a different base image misses every step', async () => {
    const repo = `dir:${join(work, 'base-cache')}`;
    const derived = `${host}/keys/base:1`;
    const ctx = join(work, 'derived');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${(lab as BuildLab).busybox}\nRUN echo other > /other\n`);
    const res = await kiln(['build', '--context', ctx, '--destination', derived, '--insecure-registry', host]);
    assert.equal(res.code, 0, res.stderr);
    await build(repo);
    assert.deepEqual(await build(repo, { dockerfile: dockerfile(derived) }), [false, false, false, false]);
    assert.deepEqual(await build(repo), [true, true, true, true], 'the first base still hits');
  });

  for (const [backend, repo] of [
    ['registry', () => `${host}/keys/cache`],
    ['oci layout', () => `oci:${join(work, 'oci-cache')}`],
    ['dir', () => `dir:${join(work, 'dir-cache')}`],
  ] as const) {
    test(`a no-change rebuild hits every step from the ${backend} backend`, async () => {
      assert.deepEqual(await build(repo()), [false, false, false, false]);
      assert.deepEqual(await build(repo()), [true, true, true, true]);
    });
  }

  test('two builds sharing one dir:DIR cache at once both succeed and leave a consistent cache', async () => {
    const repo = `dir:${join(work, 'shared-cache')}`;
    const both = await Promise.all([build(repo), build(repo)]);
    for (const hits of both) assert.equal(hits.length, STEPS.length);
    assert.deepEqual(await build(repo), [true, true, true, true]);
    const prune = await kiln(['cache', 'prune', repo]);
    assert.equal(prune.code, 0, prune.stderr);
    assert.deepEqual(await build(repo), [true, true, true, true], 'still whole after a prune');
  });
});

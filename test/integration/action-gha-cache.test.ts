// cache-from / cache-to type=gha through the Action as the runner runs it, against the strict
// local cache service (test/support/gha-cache-server.ts) that @actions/cache talks to with the
// runner's ACTIONS_RESULTS_URL / ACTIONS_RUNTIME_TOKEN: a second job on a wiped workspace (another
// runner, same paths as GitHub-hosted runners have) restores the cache and every step hits; an
// export the service rate-limits is a warning and the step succeeds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pushBaseImage } from '../support/base-images.ts';
import { startGhaCacheServer, type GhaCacheServer } from '../support/gha-cache-server.ts';
import { runAction, type StepResult } from '../support/github-runner.ts';
import { removeTree } from '../support/mounts.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { labTempDir } from '../support/temp-dirs.ts';

let reg: LabRegistry;
let cache: GhaCacheServer;
let base: string;
let root: string;

before(async () => {
  reg = await startRegistry('plain');
  cache = await startGhaCacheServer();
  base = await pushBaseImage(reg, 'busybox');
  root = await labTempDir('action-gha');
});

after(async () => {
  await cache?.stop();
  await reg?.stop();
  if (root) await removeTree(root);
});

const DOCKERFILE = 'FROM BASE\nRUN echo one > /one && sleep 2\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt /one > /two && sleep 1\n';

/** A job's fresh workspace at a fixed path: the job directory (runner temp included) is wiped first. */
async function freshJob(name: string, dockerfile: string): Promise<string> {
  await removeTree(join(root, name));
  const ws = join(root, name, 'workspace');
  await mkdir(ws, { recursive: true });
  await writeFile(join(ws, 'Dockerfile'), dockerfile.replaceAll('BASE', base));
  await writeFile(join(ws, 'hello.txt'), 'hello\n');
  return ws;
}

/** The summary's step table (report-markdown.ts) less FROM (no layer): `| \`INSTRUCTION\` | FILE:LINE | yes/no | SECONDS |`. */
function cacheSteps(step: StepResult): { instruction: string; cached: boolean }[] {
  return [...step.summary.matchAll(/^\| `(.+)` \| \S+:\d+ \| (yes|no) \| [\d.]+ \|$/gm)]
    .map((m) => ({ instruction: m[1], cached: m[2] === 'yes' }))
    .filter((s) => !s.instruction.startsWith('FROM '));
}

/** The build's own seconds: the last cell of the summary's image row. */
function buildSeconds(step: StepResult): string {
  return /^\| `[^`]+@sha256:[0-9a-f]{64}` \|.*\| ([\d.]+) \|$/m.exec(step.summary)?.[1] ?? '?';
}

function warnings(step: StepResult): string[] {
  return step.commands.filter((c) => c.command === 'warning').map((c) => c.message);
}

function assertNoLeak(step: StepResult, secret: string): void {
  for (const [where, text] of Object.entries({ ...step.files, log: step.log })) assert.ok(!text.includes(secret), `${where} holds the runtime token`);
}

describe('the Action with type=gha', () => {
  test('a second job on a wiped workspace restores the layer cache and every step hits', { timeout: 300_000 }, async () => {
    const inputs = { tags: `${reg.host}/gh/gha:1`, 'cache-from': 'type=gha,scope=web', 'cache-to': 'type=gha,scope=web', 'extra-args': '--cache-copy-layers' };
    const first = await timed(async () => runAction({ workspace: await freshJob('gha-job', DOCKERFILE), env: cache.env, inputs }));
    assert.equal(first.run.main.code, 0, first.run.main.log);
    assert.equal(first.run.post.code, 0, first.run.post.log);
    assert.deepEqual(warnings(first.run.main), []);
    assert.equal(cache.keys().length, 1, JSON.stringify(cache.requests));
    assert.match(cache.keys()[0], /^kiln-layers-web-[0-9a-f]{32}$/);
    const firstSteps = cacheSteps(first.run.main);

    const second = await timed(async () => runAction({ workspace: await freshJob('gha-job', DOCKERFILE), env: cache.env, inputs }));
    const main = second.run.main;
    assert.equal(main.code, 0, main.log);
    assert.match(main.log, new RegExp(`layer cache ${cache.keys()[0]} restored from the GitHub Actions cache`));
    const steps = cacheSteps(main);
    assert.equal(steps.length, 3, main.summary);
    assert.ok(steps.every((s) => s.cached), main.summary);
    assert.ok(firstSteps.every((s) => !s.cached), first.run.main.summary);
    assert.match(main.summary, /\| 3\/4 \|/);
    // Nothing new to save: the key the cache holds is the one this build would write.
    assert.match(main.log, /the GitHub Actions cache already holds these layers/);
    assert.equal(cache.keys().length, 1);
    for (const step of [first.run.main, main]) assertNoLeak(step, cache.token);
    console.log(
      `type=gha: first job ${first.seconds}s step (build ${buildSeconds(first.run.main)}s, cold, cache saved); ` +
        `second job on a wiped workspace ${second.seconds}s step (build ${buildSeconds(main)}s, 3/3 layer steps cached)`,
    );
  });

  test('an export the cache service answers 429 is a warning; the step succeeds and pushes', { timeout: 300_000 }, async () => {
    cache.tooManyRequests.add('CreateCacheEntry');
    try {
      const ws = await freshJob('gha-429', DOCKERFILE.replace('echo one', 'echo rate-limited'));
      const { main } = await runAction({ workspace: ws, env: cache.env, inputs: { tags: `${reg.host}/gh/gha-429:1`, 'cache-to': 'type=gha,scope=limited' } });
      assert.equal(main.code, 0, main.log);
      assert.match(main.outputs.digest ?? '', /^sha256:[0-9a-f]{64}$/);
      assert.deepEqual(
        cache.requests.filter((r) => r.operation === 'CreateCacheEntry').slice(-1),
        [{ operation: 'CreateCacheEntry', status: 429 }],
      );
      const w = warnings(main);
      assert.ok(w.some((m) => m.startsWith('kiln: the layer cache was not saved to the GitHub Actions cache (scope limited)')), JSON.stringify(w));
      assert.ok(!main.commands.some((c) => c.command === 'error'), main.stdout);
      assert.ok(!cache.keys().some((k) => k.startsWith('kiln-layers-limited-')));
    } finally {
      cache.tooManyRequests.clear();
    }
  });

  test('an export the service refuses (a full quota) or never answers is a warning; the step succeeds', { timeout: 300_000 }, async () => {
    cache.refuseReservations = 'cache storage quota exceeded for this repository';
    try {
      const ws = await freshJob('gha-full', DOCKERFILE.replace('echo one', 'echo full'));
      const { main } = await runAction({ workspace: ws, env: cache.env, inputs: { tags: `${reg.host}/gh/gha-full:1`, 'cache-to': 'type=gha,scope=full' } });
      assert.equal(main.code, 0, main.log);
      assert.ok(warnings(main).some((m) => m.includes('quota exceeded')), main.stdout);
      assert.ok(warnings(main).some((m) => m.startsWith('kiln: the layer cache was not saved to the GitHub Actions cache (scope full)')), main.stdout);
    } finally {
      cache.refuseReservations = undefined;
    }
    cache.stalled.add('CreateCacheEntry');
    try {
      const ws = await freshJob('gha-hung', DOCKERFILE.replace('echo one', 'echo hung'));
      const started = performance.now();
      const { main } = await runAction({ workspace: ws, env: cache.env, inputs: { tags: `${reg.host}/gh/gha-hung:1`, 'cache-to': 'type=gha,scope=hung,timeout=3s' } });
      assert.equal(main.code, 0, main.log);
      assert.match(main.outputs.digest ?? '', /^sha256:/);
      assert.ok(warnings(main).some((m) => m === 'kiln: the layer cache was not saved to the GitHub Actions cache (scope hung): no answer within 3s; the image is built and pushed all the same'), main.stdout);
      // The step ends at the timeout, not when the hung request would.
      assert.ok(performance.now() - started < 120_000);
    } finally {
      cache.stalled.clear();
    }
  });

  test('without the runner cache service, type=gha warns and the build runs uncached', { timeout: 300_000 }, async () => {
    const ws = await freshJob('gha-none', DOCKERFILE);
    const { main } = await runAction({ workspace: ws, inputs: { tags: `${reg.host}/gh/gha-none:1`, 'cache-from': 'type=gha', 'cache-to': 'type=gha' } });
    assert.equal(main.code, 0, main.log);
    assert.ok(warnings(main).some((m) => m.startsWith('kiln: type=gha needs the GitHub Actions cache service')), main.stdout);
  });
});

async function timed<T>(work: () => Promise<T>): Promise<{ run: T; seconds: number }> {
  const started = performance.now();
  const run = await work();
  return { run, seconds: Math.round((performance.now() - started) / 100) / 10 };
}

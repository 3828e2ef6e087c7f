import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executorInvocation } from '../../../../src/ci/github/executor-argv.ts';
import { cacheKey, ghaCachePlan, keyPrefix } from '../../../../src/ci/github/gha-cache-plan.ts';
import { readInputs } from '../../../../src/ci/github/inputs.ts';

const inputs = (values: Record<string, string>) => readInputs((name) => values[name] ?? '', '/ws');

test('type=gha: a plan only when an input names it and no-cache is off; the executor gets the dir: cache', () => {
  assert.equal(ghaCachePlan(inputs({ 'cache-to': 'type=registry,ref=r.io/a/c' }), '/rt'), undefined);
  assert.equal(ghaCachePlan(inputs({ 'cache-to': 'type=gha', 'no-cache': 'true' }), '/rt'), undefined);
  const both = inputs({ 'cache-from': 'type=gha,scope=main\ntype=gha,scope=pr', 'cache-to': 'type=gha,scope=pr' });
  const plan = ghaCachePlan(both, '/rt');
  assert.deepEqual(plan && { dir: plan.dir, from: plan.from.map((s) => s.scope), to: plan.to.map((s) => s.scope) }, { dir: '/rt/kiln-gha-cache', from: ['main', 'pr'], to: ['pr'] });
  const { argv } = executorInvocation(both, { metadata: '/tmp/m.json', ghaCache: plan?.dir });
  assert.deepEqual(argv.filter((a) => a.startsWith('--cache')), ['--cache=true', '--cache-repo=dir:/rt/kiln-gha-cache']);
  // kiln keeps one cache: gha with a registry cache is refused as before.
  assert.throws(() => executorInvocation(inputs({ 'cache-from': 'type=gha', 'cache-to': 'type=registry,ref=r.io/a/c' }), { metadata: '/tmp/m.json', ghaCache: '/rt/x' }), /^BuilderError: input cache-to: kiln reads and writes one layer cache/);
});

test('the save key digests the entries: none gives no key, the same entries the same key, a changed entry a new one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-gha-key-'));
  try {
    assert.equal(cacheKey(dir, 'web'), undefined);
    mkdirSync(join(dir, 'entries'));
    writeFileSync(join(dir, 'entries', 'aa.json'), '{"manifest":1}');
    const key = cacheKey(dir, 'web');
    assert.match(key ?? '', /^kiln-layers-web-[0-9a-f]{32}$/);
    assert.ok(key?.startsWith(keyPrefix('web')));
    assert.equal(cacheKey(dir, 'web'), key);
    writeFileSync(join(dir, 'entries', 'aa.json'), '{"manifest":2}');
    assert.notEqual(cacheKey(dir, 'web'), key);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

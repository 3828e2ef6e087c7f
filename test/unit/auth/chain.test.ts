import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChainKeychain, EXPIRY_MARGIN_MS } from '../../../src/auth/chain.ts';
import type { Answer, CredentialSource } from '../../../src/auth/source.ts';

/** A source that claims one host and mints a numbered token on each lookup. */
function mintingSource(name: string, host: string, ttlMs?: number, now = () => 0): CredentialSource & { minted: number } {
  const source = {
    name,
    minted: 0,
    claims: (registry: string) => (registry === host ? `${name} serves ${host}` : undefined),
    async lookup(registry: string): Promise<Answer | undefined> {
      if (registry !== host) return undefined;
      source.minted++;
      return {
        credential: { kind: 'registryToken', registryToken: `${name}-${source.minted}` },
        expiresAt: ttlMs === undefined ? undefined : now() + ttlMs,
        why: `${name} minted`,
      };
    },
  };
  return source;
}

test('first claiming source answers; a source that claims but has nothing passes to the next', async () => {
  const empty: CredentialSource = { name: 'empty', claims: () => 'always', lookup: async () => undefined };
  const a = mintingSource('a', 'r.example');
  const b = mintingSource('b', 'r.example');
  const kc = new ChainKeychain([empty, a, b]);
  assert.deepEqual(await kc.resolve('r.example', 'x'), { kind: 'registryToken', registryToken: 'a-1' });
  assert.equal(b.minted, 0);
  assert.equal(await kc.resolve('other.example'), undefined);
  assert.deepEqual(kc.explain('r.example'), { source: 'empty', why: 'always' });
  assert.equal(new ChainKeychain([a]).explain('other.example').source, 'anonymous');
});

test('answers are cached per registry and repository until expiry minus the margin', async () => {
  let clock = 1_000_000;
  const now = () => clock;
  const src = mintingSource('cloud', 'r.example', 2 * EXPIRY_MARGIN_MS + 60_000, now);
  const kc = new ChainKeychain([src], now);
  await kc.resolve('r.example', 'app');
  await kc.resolve('r.example', 'app');
  assert.equal(src.minted, 1);
  await kc.resolve('r.example', 'other');
  assert.equal(src.minted, 2, 'another repository is another cache entry');
  clock += EXPIRY_MARGIN_MS + 59_000;
  await kc.resolve('r.example', 'app');
  assert.equal(src.minted, 2, 'still fresh before the margin');
  clock += 2_000;
  assert.deepEqual(await kc.resolve('r.example', 'app'), { kind: 'registryToken', registryToken: 'cloud-3' });
});

test('a token shorter-lived than twice the margin is kept for half its life, not re-minted on every ask', async () => {
  let clock = 1_000_000;
  const now = () => clock;
  const src = mintingSource('short', 'r.example', 4_000, now);
  const kc = new ChainKeychain([src], now);
  await kc.resolve('r.example', 'app');
  clock += 1_900;
  await kc.resolve('r.example', 'app');
  assert.equal(src.minted, 1, 'fresh in the first half of its life');
  clock += 200;
  assert.deepEqual(await kc.resolve('r.example', 'app'), { kind: 'registryToken', registryToken: 'short-2' });
});

test('invalidate makes the next resolve mint anew (one repository, or the whole registry)', async () => {
  const src = mintingSource('s', 'r.example');
  const kc = new ChainKeychain([src]);
  await kc.resolve('r.example', 'a');
  await kc.resolve('r.example', 'b');
  kc.invalidate('r.example', 'a');
  await kc.resolve('r.example', 'a');
  await kc.resolve('r.example', 'b');
  assert.equal(src.minted, 3);
  kc.invalidate('R.example');
  await kc.resolve('r.example', 'a');
  await kc.resolve('r.example', 'b');
  assert.equal(src.minted, 5);
});

test('a failing lookup is not cached', async () => {
  let calls = 0;
  const flaky: CredentialSource = {
    name: 'flaky',
    claims: () => 'yes',
    async lookup() {
      if (++calls === 1) throw new Error('refused');
      return { credential: { kind: 'basic', username: 'u', password: 'p' }, why: 'ok' };
    },
  };
  const kc = new ChainKeychain([flaky]);
  await assert.rejects(kc.resolve('r.example'), /refused/);
  assert.deepEqual(await kc.resolve('r.example'), { kind: 'basic', username: 'u', password: 'p' });
});

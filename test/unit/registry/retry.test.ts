import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, isRetryableError, isRetryableStatus, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../../src/registry/retry.ts';
import { BuilderError } from '../../../src/util/errors.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');

const cases: Array<[string | undefined, number | undefined]> = [
  [undefined, undefined],
  ['', undefined],
  ['0', 0],
  ['1', 1000],
  [' 7 ', 7000],
  ['120', MAX_RETRY_AFTER_MS],
  ['-1', undefined],
  ['1.5', undefined],
  ['soon', undefined],
  ['Thu, 01 Jan 2026 00:00:05 GMT', 5000],
  ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
  ['Thu, 01 Jan 2026 01:00:00 GMT', MAX_RETRY_AFTER_MS],
];

for (const [header, expected] of cases) {
  test(`parseRetryAfter(${JSON.stringify(header)}) = ${expected}`, () => {
    assert.equal(parseRetryAfter(header, NOW), expected);
  });
}

test('retryable statuses are 408, 429 and the transient 5xx', () => {
  for (const s of [408, 429, 500, 502, 503, 504]) assert.equal(isRetryableStatus(s), true, String(s));
  for (const s of [200, 201, 400, 401, 403, 404, 405, 501]) assert.equal(isRetryableStatus(s), false, String(s));
});

test('retryable errors are found through the cause chain', () => {
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  assert.equal(isRetryableError(reset), true);
  assert.equal(isRetryableError(new BuilderError('REGISTRY_UNREACHABLE', 'h: connection reset', { cause: reset })), true);
  assert.equal(isRetryableError(new BuilderError('REGISTRY_ERROR', 'h: HTTP 503', { cause: { status: 503 } })), true);
  assert.equal(isRetryableError(new BuilderError('REGISTRY_ERROR', 'h: HTTP 400', { cause: { status: 400 } })), false);
  assert.equal(isRetryableError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), false);
  assert.equal(isRetryableError(undefined), false);
});

test('backoff grows and stays within its cap', () => {
  assert.equal(backoffDelay(0, () => 0), 125);
  assert.equal(backoffDelay(0, () => 1), 250);
  assert.equal(backoffDelay(3, () => 1), 2000);
  assert.equal(backoffDelay(30, () => 1), 10_000);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTokenResponse } from '../../../src/registry/token.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');

test('token or access_token, with the spec default of 60 s and an early margin', () => {
  assert.deepEqual(parseTokenResponse('{"token":"t1"}', NOW), { token: 't1', expiresAt: NOW + 60_000 - 6_000 });
  assert.equal(parseTokenResponse('{"access_token":"t2","expires_in":300}', NOW).token, 't2');
  assert.equal(parseTokenResponse('{"access_token":"t2","expires_in":300}', NOW).expiresAt, NOW + 300_000 - 30_000);
});

test('issued_at in the past shortens the life; in the future it is ignored', () => {
  const past = new Date(NOW - 100_000).toISOString();
  assert.equal(parseTokenResponse(JSON.stringify({ token: 't', expires_in: 300, issued_at: past }), NOW).expiresAt, NOW - 100_000 + 270_000);
  const future = new Date(NOW + 100_000).toISOString();
  assert.equal(parseTokenResponse(JSON.stringify({ token: 't', expires_in: 300, issued_at: future }), NOW).expiresAt, NOW + 270_000);
});

test('a response without a token is refused', () => {
  assert.throws(() => parseTokenResponse('{"expires_in":60}', NOW), /no token/);
  assert.throws(() => parseTokenResponse('not json', NOW));
});

test('a refresh token in the response is kept', () => {
  assert.equal(parseTokenResponse('{"token":"t","refresh_token":"r1"}', NOW).refreshToken, 'r1');
  assert.equal(parseTokenResponse('{"token":"t"}', NOW).refreshToken, undefined);
});


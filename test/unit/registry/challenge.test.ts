import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenge } from '../../../src/registry/challenge.ts';

test('Bearer challenge with quoted parameters, commas inside quotes', () => {
  const c = parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"');
  assert.deepEqual(c, {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull,push' },
  });
});

test('Basic challenge, odd spacing, unquoted values and escapes', () => {
  assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
  assert.deepEqual(parseChallenge('BEARER  Realm = "a\\"b" , service=svc,error=insufficient_scope'), {
    scheme: 'bearer',
    params: { realm: 'a"b', service: 'svc', error: 'insufficient_scope' },
  });
  assert.deepEqual(parseChallenge('Basic'), { scheme: 'basic', params: {} });
  assert.equal(parseChallenge(undefined), undefined);
  assert.equal(parseChallenge(''), undefined);
});

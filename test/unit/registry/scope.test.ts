import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatScope, mergeScopes, parseScope, parseScopes, repositoryScope, scopesCover } from '../../../src/registry/scope.ts';

test('repositoryScope orders actions push before pull, like docker', () => {
  assert.equal(formatScope(repositoryScope('a/b', 'pull', 'push')), 'repository:a/b:push,pull');
  assert.equal(formatScope(repositoryScope('a/b', 'pull', 'pull')), 'repository:a/b:pull');
});

test('parseScope splits at the first and last colon', () => {
  assert.deepEqual(parseScope('repository:library/busybox:pull,push'), { type: 'repository', name: 'library/busybox', actions: ['push', 'pull'] });
  assert.deepEqual(parseScope('repository:host:5000/x:pull'), { type: 'repository', name: 'host:5000/x', actions: ['pull'] });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  assert.equal(parseScope('nonsense'), undefined);
  assert.equal(parseScope('a:b'), undefined);
});

test('parseScopes reads a space-separated challenge scope', () => {
  assert.deepEqual(parseScopes('repository:a:pull repository:b:push,pull').map(formatScope), ['repository:a:pull', 'repository:b:push,pull']);
  assert.deepEqual(parseScopes(undefined), []);
});

test('mergeScopes unions actions per repository and sorts', () => {
  const merged = mergeScopes(
    [repositoryScope('new', 'pull')],
    [repositoryScope('new', 'push')],
    [repositoryScope('base', 'pull')],
    [repositoryScope('new', 'pull')],
  );
  assert.deepEqual(merged.map(formatScope), ['repository:base:pull', 'repository:new:push,pull']);
});

test('a mount asks for push,pull on the target and pull on the source in one token', () => {
  const merged = mergeScopes([repositoryScope('dst', 'push', 'pull'), repositoryScope('src', 'pull')]);
  assert.deepEqual(merged.map(formatScope), ['repository:dst:push,pull', 'repository:src:pull']);
});

test('scopesCover: a push,pull token serves pulls; a pull token does not serve pushes', () => {
  const pushPull = [repositoryScope('a', 'push', 'pull')];
  assert.equal(scopesCover(pushPull, [repositoryScope('a', 'pull')]), true);
  assert.equal(scopesCover([repositoryScope('a', 'pull')], pushPull), false);
  assert.equal(scopesCover(pushPull, [repositoryScope('b', 'pull')]), false);
  assert.equal(scopesCover([{ type: 'repository', name: 'a', actions: ['*'] }], pushPull), true);
  assert.equal(scopesCover([], []), true);
});

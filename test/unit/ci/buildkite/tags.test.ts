import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ociLabels, sanitizeTag, sourceUrl, tagsFromBuild } from '../../../../src/ci/buildkite/tags.ts';

const commit = '0123456789abcdef0123456789abcdef01234567';

test('a branch push tags the sanitised branch and sha; the default branch also latest', () => {
  const env = { BUILDKITE_BRANCH: 'feature/Login fix', BUILDKITE_COMMIT: commit, BUILDKITE_PULL_REQUEST: 'false', BUILDKITE_PIPELINE_DEFAULT_BRANCH: 'main' };
  assert.deepEqual(tagsFromBuild(env), ['feature-Login-fix', 'sha-0123456']);
  assert.deepEqual(tagsFromBuild({ ...env, BUILDKITE_BRANCH: 'main' }), ['main', 'sha-0123456', 'latest']);
});

test('a pull request tags pr-N and never latest', () => {
  const env = { BUILDKITE_BRANCH: 'main', BUILDKITE_COMMIT: commit, BUILDKITE_PULL_REQUEST: '42', BUILDKITE_PIPELINE_DEFAULT_BRANCH: 'main' };
  assert.deepEqual(tagsFromBuild(env), ['pr-42', 'sha-0123456']);
});

test('a semver tag gives X.Y.Z, X.Y, X and latest; a pre-release only itself; 0.x no bare 0', () => {
  const base = { BUILDKITE_BRANCH: 'v1.2.3', BUILDKITE_COMMIT: commit, BUILDKITE_PIPELINE_DEFAULT_BRANCH: 'main' };
  assert.deepEqual(tagsFromBuild({ ...base, BUILDKITE_TAG: 'v1.2.3' }), ['1.2.3', '1.2', '1', 'sha-0123456', 'latest']);
  assert.deepEqual(tagsFromBuild({ ...base, BUILDKITE_TAG: 'v2.0.0-rc.1' }), ['2.0.0-rc.1', 'sha-0123456']);
  assert.deepEqual(tagsFromBuild({ ...base, BUILDKITE_TAG: '0.4.1' }, ['semver']), ['0.4.1', '0.4']);
  assert.deepEqual(tagsFromBuild({ ...base, BUILDKITE_TAG: 'nightly' }), ['sha-0123456']);
});

test('types choose which tags are made', () => {
  const env = { BUILDKITE_BRANCH: 'main', BUILDKITE_COMMIT: commit, BUILDKITE_PIPELINE_DEFAULT_BRANCH: 'main' };
  assert.deepEqual(tagsFromBuild(env, ['sha']), ['sha-0123456']);
  assert.deepEqual(tagsFromBuild({ ...env, BUILDKITE_COMMIT: 'HEAD' }, ['sha', 'latest']), ['latest']);
});

test('sanitizeTag keeps the registry grammar', () => {
  assert.equal(sanitizeTag('.-a/b:c'), 'a-b-c');
  assert.equal(sanitizeTag('x'.repeat(200)).length, 128);
});

test('OCI labels: source as an https URL, revision, created', () => {
  assert.equal(sourceUrl('git@github.com:acme/app.git'), 'https://github.com/acme/app');
  assert.equal(sourceUrl('ssh://git@gitlab.example:2222/acme/app.git'), 'https://gitlab.example/acme/app');
  assert.equal(sourceUrl('https://github.com/acme/app.git'), 'https://github.com/acme/app');
  const now = new Date('2026-12-07T06:00:00Z');
  assert.deepEqual(ociLabels({ BUILDKITE_REPO: 'git@github.com:acme/app.git', BUILDKITE_COMMIT: commit }, now), {
    'org.opencontainers.image.source': 'https://github.com/acme/app',
    'org.opencontainers.image.revision': commit,
    'org.opencontainers.image.created': '2026-12-07T06:00:00.000Z',
  });
});

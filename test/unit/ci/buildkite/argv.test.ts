import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildArgv } from '../../../../src/ci/buildkite/argv.ts';
import { parseArgs } from '../../../../src/cli/flags.ts';
import { buildFlags, toBuildOptions } from '../../../../src/cli/build-flags.ts';
import type { PluginConfig } from '../../../../src/ci/buildkite/config.ts';

const now = new Date('2026-12-07T06:00:00Z');

/** The argv through kiln build's own flag parser: proves every flag exists and means what we think. */
function options(config: PluginConfig, env: NodeJS.ProcessEnv = {}) {
  const { argv } = buildArgv(config, env, now);
  assert.equal(argv[0], 'build');
  return toBuildOptions(parseArgs(argv.slice(1), buildFlags));
}

test('tags, build args (list and map), target, labels, secrets, cache and platform', () => {
  const o = options({
    context: 'app', dockerfile: 'docker/Dockerfile', tags: ['reg/a:1'], destinations: ['reg/a:2'],
    'build-args': { A: '1', B: true }, target: 'final', labels: { team: 'x' },
    secrets: ['npm=env:NPM_TOKEN', 'key=file:/run/key'], cache: { repo: 'reg/cache', ttl: '24h' },
    platforms: ['linux/arm64'], 'extra-args': ['--reproducible'],
  });
  assert.equal(o.context, 'app');
  assert.equal(o.dockerfile, 'docker/Dockerfile');
  assert.deepEqual(o.destinations, ['reg/a:1', 'reg/a:2']);
  assert.equal(o.push, true);
  assert.deepEqual(o.buildArgs, { A: '1', B: 'true' });
  assert.equal(o.target, 'final');
  assert.deepEqual(o.labels, { team: 'x' });
  assert.deepEqual(o.secrets, [{ id: 'npm', env: 'NPM_TOKEN' }, { id: 'key', src: '/run/key' }]);
  assert.equal(o.cache, true);
  assert.equal(o.cacheRepo, 'reg/cache');
  assert.equal(o.cacheCopyLayers, true);
  assert.equal(options({ tags: ['r/a'], cache: { 'copy-layers': false } }).cacheCopyLayers, false);
  assert.equal(o.customPlatform, 'linux/arm64');
  assert.equal(options({ tags: ['r/a'], platforms: ['linux/amd64', 'linux/arm64'] }).customPlatform, 'linux/amd64,linux/arm64', 'several platforms make one index');
  assert.equal(o.reproducible, true);
  assert.deepEqual(options({ tags: ['r/a'], 'build-args': ['X=1'] }).buildArgs, { X: '1' });
});

test('tags-from-build adds derived tags and OCI labels', () => {
  const env = { BUILDKITE_BRANCH: 'main', BUILDKITE_PIPELINE_DEFAULT_BRANCH: 'main', BUILDKITE_COMMIT: 'abcdef0123456789', BUILDKITE_REPO: 'git@github.com:acme/app.git' };
  const { destinations } = buildArgv({ 'tags-from-build': { images: ['reg/app'] } }, env, now);
  assert.deepEqual(destinations, ['reg/app:main', 'reg/app:sha-abcdef0', 'reg/app:latest']);
  const o = options({ 'tags-from-build': { images: ['reg/app'] }, labels: ['extra=1'] }, env);
  assert.deepEqual(o.labels, {
    'org.opencontainers.image.source': 'https://github.com/acme/app',
    'org.opencontainers.image.revision': 'abcdef0123456789',
    'org.opencontainers.image.created': '2026-12-07T06:00:00.000Z',
    extra: '1',
  });
});

test('outputs: tar and oci layouts; pushing only with type=registry or no outputs', () => {
  const o = options({ tags: ['r/a'], outputs: ['type=tar,dest=out.tar', 'type=oci,dest=layout'] });
  assert.equal(o.push, false);
  assert.equal(o.tarPath, 'out.tar');
  assert.equal(o.ociLayoutPath, 'layout');
  assert.equal(options({ tags: ['r/a'], outputs: ['type=registry'] }).push, true);
  assert.equal(options({ tags: ['r/a'], push: false }).push, false);
  assert.throws(() => buildArgv({ outputs: ['type=tar'] , push: false }, {}, now), /outputs\[0\]: type=tar needs dest=/);
  assert.throws(() => buildArgv({ 'tags-from-build': { images: ['r/a'] , types: ['pr'] } }, {}, now), /tags: missing/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema, readConfig, validateConfig } from '../../../../src/ci/buildkite/config.ts';
import { isBuilderError } from '../../../../src/util/errors.ts';

const schema = loadSchema();

function failure(value: unknown): string {
  try {
    validateConfig(value, schema);
  } catch (err) {
    assert.ok(isBuilderError(err, 'USAGE'), String(err));
    assert.ok(!err.message.includes('\n'), 'one line');
    return err.message;
  }
  assert.fail(`accepted ${JSON.stringify(value)}`);
}

test('plugin.yml accepts a configuration using every option', () => {
  const config = {
    context: '.', dockerfile: 'Dockerfile', tags: ['reg/a:1'], destinations: ['reg/a:2'],
    'tags-from-build': { images: ['reg/a'], types: ['branch', 'sha'] },
    'build-args': { A: '1', B: 2 }, target: 'final', push: true, labels: ['a=b'],
    secrets: ['npm=env:NPM_TOKEN', 'key=file:/run/key'], cache: { repo: 'reg/cache', ttl: '24h' },
    platforms: ['linux/arm64'], outputs: ['type=registry', 'type=tar,dest=image.tar'],
    auth: [
      { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', provider: 'aws', 'role-arn': 'arn:aws:iam::123456789012:role/push' },
      { registry: 'europe-docker.pkg.dev', provider: 'gcp', 'workload-identity-provider': 'projects/1/locations/global/workloadIdentityPools/p/providers/bk', 'service-account': 'push@p.iam.gserviceaccount.com' },
      { registry: 'x.azurecr.io', provider: 'azure', 'client-id': 'c', 'tenant-id': 't' },
      { registry: 'packages.buildkite.com', provider: 'buildkite-packages' },
      { registry: 'reg.example', provider: 'env', 'username-env': 'U', 'password-env': 'P' },
    ],
    'oidc-lifetime': 600, annotate: false, 'meta-data-key': 'img', 'upload-metadata': true,
    'run-command': true, 'extra-args': ['--reproducible'], executor: '/usr/local/bin/kiln',
  };
  assert.deepEqual(validateConfig(config, schema), config);
  assert.deepEqual(validateConfig({ 'build-args': ['A=1'], tags: ['r/a'] }, schema).tags, ['r/a']);
  assert.deepEqual(validateConfig({ push: false }, schema), { push: false });
});

test('an unknown key is named with its path', () => {
  assert.match(failure({ tags: ['r/a'], tag: 'x' }), /: tag: unknown option$/);
  assert.match(failure({ tags: ['r/a'], cache: { repo: 'r/c', ttl: '1h', size: 1 } }), /: cache\.size: unknown option$/);
  assert.match(failure({ tags: ['r/a'], auth: [{ registry: 'r', provider: 'env', 'username-env': 'U', 'password-env': 'P', token: 'x' }] }), /: auth\[0\]\.token: unknown option$/);
});

test('a wrong type is named with its path', () => {
  assert.match(failure({ tags: 'r/a' }), /: tags: must be array$/);
  assert.match(failure({ tags: ['r/a'], push: 'yes' }), /: push: must be boolean$/);
  assert.match(failure({ tags: ['r/a'], 'oidc-lifetime': 10 }), /: oidc-lifetime: must be >= 60$/);
  assert.match(failure({ tags: ['r/a'], secrets: ['npm=NPM_TOKEN'] }), /: secrets\[0\]: must match pattern/);
});

test('a missing tag is reported as tags', () => {
  assert.match(failure({}), /: tags: missing/);
  assert.match(failure({ push: true }), /: tags: missing/);
});

test('an auth provider without its role fields names the missing field', () => {
  assert.match(failure({ tags: ['r/a'], auth: [{ registry: 'r', provider: 'aws' }] }), /: auth\[0\]\.role-arn: missing for this provider$/);
  assert.match(failure({ tags: ['r/a'], auth: [{ registry: 'r', provider: 'gcp', 'service-account': 's' }] }), /: auth\[0\]\.workload-identity-provider: missing/);
  assert.match(failure({ tags: ['r/a'], auth: [{ registry: 'r', provider: 'azure', 'client-id': 'c' }] }), /: auth\[0\]\.tenant-id: missing/);
  assert.match(failure({ tags: ['r/a'], auth: [{}, { registry: 'r', provider: 'env', 'username-env': 'U' }].slice(1) }), /: auth\[0\]\.password-env: missing/);
  assert.match(failure({ tags: ['r/a'], auth: [{ registry: 'r', provider: 'docker' }] }), /: auth\[0\]\.provider: must be one of aws, gcp, azure, buildkite-packages, env$/);
});

test('BUILDKITE_PLUGIN_CONFIGURATION is read as JSON', () => {
  assert.deepEqual(readConfig({ BUILDKITE_PLUGIN_CONFIGURATION: '{"tags":["r/a"]}' }, schema), { tags: ['r/a'] });
  assert.throws(() => readConfig({ BUILDKITE_PLUGIN_CONFIGURATION: '{tags' }, schema), /BUILDKITE_PLUGIN_CONFIGURATION: not JSON/);
  assert.throws(() => readConfig({}, schema), /tags: missing/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { load as loadYaml } from 'js-yaml';
import { readInputs, type InputGetter } from '../../../../src/ci/github/inputs.ts';
import { parseList } from '../../../../src/ci/github/list-input.ts';
import { isBuilderError } from '../../../../src/util/errors.ts';

function getter(values: Record<string, string>, asked?: Set<string>): InputGetter {
  return (name) => {
    asked?.add(name);
    return values[name] ?? '';
  };
}

function failure(values: Record<string, string>): string {
  try {
    readInputs(getter(values), '/ws');
  } catch (err) {
    assert.ok(isBuilderError(err, 'USAGE'), String(err));
    assert.ok(!err.message.includes('\n'), 'one line');
    return err.message;
  }
  assert.fail('expected a USAGE error');
}

test('lists: newlines and commas both separate; blanks and surrounding spaces go', () => {
  assert.deepEqual(parseList('a/b:1, a/b:2\n\n  a/b:3  \n'), ['a/b:1', 'a/b:2', 'a/b:3']);
  assert.deepEqual(parseList('a=1,2\nb=3', { ignoreComma: true }), ['a=1,2', 'b=3']);
  assert.deepEqual(parseList(''), []);
});

test("tags: docker/metadata-action's output passes verbatim", () => {
  const metadataActionTags = 'ghcr.io/o/app:main\nghcr.io/o/app:sha-1a2b3c4\nghcr.io/o/app:pr-7\n';
  const inputs = readInputs(getter({ tags: metadataActionTags, labels: 'org.opencontainers.image.title=app\norg.opencontainers.image.description=a, b and c\n' }), '/ws');
  assert.deepEqual(inputs.tags, ['ghcr.io/o/app:main', 'ghcr.io/o/app:sha-1a2b3c4', 'ghcr.io/o/app:pr-7']);
  assert.deepEqual(inputs.labels, ['org.opencontainers.image.title=app', 'org.opencontainers.image.description=a, b and c']);
  assert.equal(inputs.push, true, 'push defaults to true with tags');
  assert.equal(readInputs(getter({}), '/ws').push, false, 'and to false without');
  assert.equal(readInputs(getter({ tags: 'a', push: 'false' }), '/ws').push, false);
});

test('secrets: "=" inside values, quoted values keep newlines and whitespace', () => {
  const inputs = readInputs(getter({ secrets: 'token=a=b==\n"key=line 1\nline 2\n"\n"pad=  x  "\n"q=say ""hi"""' }), '/ws');
  assert.deepEqual(inputs.secrets, [
    { id: 'token', value: 'a=b==' },
    { id: 'key', value: 'line 1\nline 2\n' },
    { id: 'pad', value: '  x  ' },
    { id: 'q', value: 'say "hi"' },
  ]);
});

test('cache-from / cache-to: registry, local, gha forms and a bare reference', () => {
  const inputs = readInputs(getter({ 'cache-from': 'type=registry,ref=r.io/a/cache\nr.io/b/cache', 'cache-to': 'type=local,dest=/tmp/c\ntype=gha\ntype=gha,scope=web,timeout=90s' }), '/ws');
  assert.deepEqual(inputs.cacheFrom, [{ type: 'registry', ref: 'r.io/a/cache' }, { type: 'registry', ref: 'r.io/b/cache' }]);
  assert.deepEqual(inputs.cacheTo, [{ type: 'local', dir: '/tmp/c' }, { type: 'gha', scope: 'buildkit', timeoutMs: 600_000 }, { type: 'gha', scope: 'web', timeoutMs: 90_000 }]);
  assert.throws(() => readInputs(getter({ 'cache-to': 'type=gha,timeout=soon' }), '/ws'), /^BuilderError: input cache-to: type=gha timeout "soon" is not a duration/);
});

test('registry-auth: static and oidc entries; the aws-role-arn input fills an entry that names none', () => {
  const inputs = readInputs(
    getter({
      'registry-auth': [
        '- registry: ghcr.io',
        '  username: octo',
        '  password: "p:ss word"',
        '- registry: 1.dkr.ecr.us-east-1.amazonaws.com',
        '  oidc: aws',
        '- registry: europe-docker.pkg.dev',
        '  oidc: gcp',
        '  workload-identity-provider: projects/1/locations/global/workloadIdentityPools/p/providers/gh',
        '- registry: packages.buildkite.com/acme/images',
        '  oidc: buildkite-packages',
      ].join('\n'),
      'aws-role-arn': 'arn:aws:iam::1:role/push',
    }),
    '/ws',
  );
  assert.deepEqual(inputs.registryAuth, [
    { registry: 'ghcr.io', username: 'octo', password: 'p:ss word' },
    { registry: '1.dkr.ecr.us-east-1.amazonaws.com', oidc: { provider: 'aws', roleArn: 'arn:aws:iam::1:role/push' } },
    { registry: 'europe-docker.pkg.dev', oidc: { provider: 'gcp', workloadIdentityProvider: 'projects/1/locations/global/workloadIdentityPools/p/providers/gh' } },
    { registry: 'packages.buildkite.com/acme/images', oidc: { provider: 'buildkite-packages', organization: 'acme', registry: 'images' } },
  ]);
});

test('bad inputs fail with one line naming the input', () => {
  assert.match(failure({ 'cache-to': 'type=s3,bucket=b' }), /^input cache-to: unknown cache type "s3"/);
  assert.match(failure({ 'registry-auth': '- registry: 1.dkr.ecr.us-east-1.amazonaws.com\n  oidc: aws' }), /^input registry-auth: .*oidc: aws needs role-arn/);
  assert.match(failure({ 'registry-auth': '- registry: r.io\n  password: [unclosed' }), /^input registry-auth: not YAML/);
  assert.match(failure({ 'registry-auth': 'just text' }), /^input registry-auth: expected a YAML list/);
  assert.match(failure({ 'registry-auth': '- registry: r.io\n  oidc: vault' }), /^input registry-auth: r.io: unknown oidc provider "vault"/);
  assert.match(failure({ push: 'yes please' }), /^input push: /);
  assert.match(failure({ secrets: 'novalue' }), /^input secrets: "novalue" is not id=VALUE/);
  assert.match(failure({ outputs: 'type=registry' }), /^input outputs: /);
});

test('a registry-auth YAML error never echoes the input (it may hold a password)', () => {
  const message = failure({ 'registry-auth': '- registry: r.io\n  password: "s3cr3t-value\n  x: [' });
  assert.ok(!message.includes('s3cr3t-value'), message);
});

test('action.yml declares exactly the inputs the step reads', () => {
  const declared = Object.keys((loadYaml(readFileSync('action.yml', 'utf8')) as { inputs: object }).inputs).sort();
  const asked = new Set<string>();
  readInputs(getter({ 'registry-auth': '- registry: a\n  oidc: gcp\n- registry: b\n  oidc: azure\n- registry: c\n  oidc: aws' , 'aws-role-arn': 'r', 'gcp-workload-identity-provider': 'p', 'azure-client-id': 'c', 'azure-tenant-id': 't' }, asked), '/ws');
  // pull is accepted for build-push-action compatibility; kiln always resolves bases from the registry.
  assert.deepEqual([...asked, 'pull'].sort(), declared);
});

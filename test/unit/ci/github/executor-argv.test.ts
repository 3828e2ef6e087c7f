import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readInputs } from '../../../../src/ci/github/inputs.ts';
import { executorInvocation, localExportLayout } from '../../../../src/ci/github/executor-argv.ts';
import { isBuilderError } from '../../../../src/util/errors.ts';

const invocation = (values: Record<string, string>) => executorInvocation(readInputs((name) => values[name] ?? '', '/ws'), { metadata: '/tmp/meta.json' });

test("build-push-action's inputs become kaniko flags", () => {
  const { argv, env } = invocation({
    context: 'app',
    file: 'docker/Dockerfile',
    tags: 'r.io/a:1,r.io/a:2',
    'build-args': 'V=1,2\nW',
    labels: 'k=v',
    target: 'final',
    platforms: 'linux/arm64',
    outputs: 'type=oci,dest=/out/layout\ntype=tar,dest=/out/img.tar',
    'cache-to': 'type=registry,ref=r.io/a/cache',
    'secret-files': 'npmrc=/home/u/.npmrc',
    'secret-envs': 'tok=GH_TOKEN',
    reproducible: 'true',
    'extra-args': '--snapshot-mode=redo --label "x=a b"',
  });
  assert.deepEqual(argv, [
    '--context=app',
    '--dockerfile=docker/Dockerfile',
    '--destination=r.io/a:1',
    '--destination=r.io/a:2',
    '--build-arg=V=1,2',
    '--build-arg=W',
    '--label=k=v',
    '--target=final',
    '--custom-platform=linux/arm64',
    '--secret=id=npmrc,src=/home/u/.npmrc',
    '--secret=id=tok,env=GH_TOKEN',
    '--oci-layout-path=/out/layout',
    '--tar-path=/out/img.tar',
    '--cache=true',
    '--cache-repo=r.io/a/cache',
    '--reproducible',
    '--metadata-file=/tmp/meta.json',
    '--log-format=text',
    '--snapshot-mode=redo',
    '--label',
    'x=a b',
  ]);
  assert.deepEqual(env, {});
});

test('secret values go through the environment, never the argv', () => {
  const { argv, env } = invocation({ secrets: '"pem=-----BEGIN-----\nabc=\n-----END-----"' });
  assert.ok(argv.includes('--secret=id=pem,env=KILN_ACTION_SECRET_0'));
  assert.ok(!argv.join(' ').includes('BEGIN'));
  assert.deepEqual(env, { KILN_ACTION_SECRET_0: '-----BEGIN-----\nabc=\n-----END-----' });
});

test('no tags: build only; push: false keeps the tags as names', () => {
  assert.deepEqual(invocation({}).argv.slice(0, 2), ['--context=/ws', '--no-push']);
  assert.deepEqual(invocation({ tags: 'r.io/a:1', push: 'false' }).argv.slice(1, 3), ['--destination=r.io/a:1', '--no-push']);
});

test('local cache is an OCI layout; no-cache drops the cache; differing caches are refused', () => {
  assert.ok(invocation({ 'cache-from': 'type=local,src=/c', 'cache-to': 'type=local,dest=/c' }).argv.includes('--cache-repo=oci:/c'));
  assert.ok(!invocation({ 'cache-to': 'type=local,dest=/c', 'no-cache': 'true' }).argv.some((a) => a.startsWith('--cache')));
  assert.throws(() => invocation({ 'cache-from': 'r.io/a/c1', 'cache-to': 'type=registry,ref=r.io/a/c2' }), (err) => isBuilderError(err, 'USAGE') && /^input cache-to: /.test(err.message));
});

test('type=local outputs: the executor writes an OCI layout to unpack, a type=oci output\'s when there is one', () => {
  const local = readInputs((name) => ({ outputs: 'type=local,dest=/out/rootfs' })[name] ?? '', '/ws');
  assert.deepEqual(local.outputs, [{ type: 'local', dest: '/out/rootfs' }]);
  assert.equal(localExportLayout(local, '/step/layout'), '/step/layout');
  assert.ok(executorInvocation(local, { metadata: '/m.json', localLayout: '/step/layout' }).argv.includes('--oci-layout-path=/step/layout'));
  const both = readInputs((name) => ({ outputs: 'type=local,dest=/out/rootfs\ntype=oci,dest=/out/layout' })[name] ?? '', '/ws');
  assert.equal(localExportLayout(both, '/step/layout'), '/out/layout');
  assert.deepEqual(executorInvocation(both, { metadata: '/m.json', localLayout: '/out/layout' }).argv.filter((a) => a.startsWith('--oci-layout-path')), ['--oci-layout-path=/out/layout']);
  assert.equal(localExportLayout(readInputs(() => '', '/ws'), '/step/layout'), undefined);
});

test('several platforms go to the executor as one list: one image each, one index', () => {
  assert.ok(invocation({ tags: 'r.io/a:1', platforms: 'linux/amd64\nlinux/arm64' }).argv.includes('--custom-platform=linux/amd64,linux/arm64'));
});

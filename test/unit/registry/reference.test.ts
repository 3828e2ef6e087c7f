import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference, parseRepository, registryApiHost, normalizeRegistry } from '../../../src/registry/reference.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

const D = 'sha256:' + 'a'.repeat(64);
const D512 = 'sha512:' + 'b'.repeat(128);

// [input, registry, repository, tag, digest, toString]
const valid: Array<[string, string, string, string | undefined, string | undefined, string]> = [
  ['busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest'],
  ['busybox:1.36', 'docker.io', 'library/busybox', '1.36', undefined, 'docker.io/library/busybox:1.36'],
  ['library/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest'],
  ['docker.io/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest'],
  ['docker.io/library/busybox:musl', 'docker.io', 'library/busybox', 'musl', undefined, 'docker.io/library/busybox:musl'],
  ['index.docker.io/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest'],
  ['registry-1.docker.io/library/alpine:3', 'docker.io', 'library/alpine', '3', undefined, 'docker.io/library/alpine:3'],
  ['INDEX.DOCKER.IO/alpine', 'docker.io', 'library/alpine', 'latest', undefined, 'docker.io/library/alpine:latest'],
  ['bitnami/redis:7.2', 'docker.io', 'bitnami/redis', '7.2', undefined, 'docker.io/bitnami/redis:7.2'],
  ['docker.io/bitnami/redis', 'docker.io', 'bitnami/redis', 'latest', undefined, 'docker.io/bitnami/redis:latest'],
  ['gcr.io/project/image', 'gcr.io', 'project/image', 'latest', undefined, 'gcr.io/project/image:latest'],
  ['gcr.io/project/sub/image:v1', 'gcr.io', 'project/sub/image', 'v1', undefined, 'gcr.io/project/sub/image:v1'],
  ['gcr.io/image', 'gcr.io', 'image', 'latest', undefined, 'gcr.io/image:latest'],
  ['localhost/foo', 'localhost', 'foo', 'latest', undefined, 'localhost/foo:latest'],
  ['localhost:5000/foo:bar', 'localhost:5000', 'foo', 'bar', undefined, 'localhost:5000/foo:bar'],
  ['127.0.0.1:5000/a/b/c:tag', '127.0.0.1:5000', 'a/b/c', 'tag', undefined, '127.0.0.1:5000/a/b/c:tag'],
  ['[::1]:5000/foo', '[::1]:5000', 'foo', 'latest', undefined, '[::1]:5000/foo:latest'],
  ['myregistry:5000/foo', 'myregistry:5000', 'foo', 'latest', undefined, 'myregistry:5000/foo:latest'],
  ['Registry.Example.com/foo', 'Registry.Example.com', 'foo', 'latest', undefined, 'Registry.Example.com/foo:latest'],
  ['Upper/foo', 'Upper', 'foo', 'latest', undefined, 'Upper/foo:latest'],
  [`busybox@${D}`, 'docker.io', 'library/busybox', undefined, D, `docker.io/library/busybox@${D}`],
  [`busybox:1.36@${D}`, 'docker.io', 'library/busybox', '1.36', D, `docker.io/library/busybox:1.36@${D}`],
  [`localhost:5000/foo@${D}`, 'localhost:5000', 'foo', undefined, D, `localhost:5000/foo@${D}`],
  [`localhost:5000/foo:v2@${D512}`, 'localhost:5000', 'foo', 'v2', D512, `localhost:5000/foo:v2@${D512}`],
  ['foo/bar_baz.qux-1:TAG_1.0-rc', 'docker.io', 'foo/bar_baz.qux-1', 'TAG_1.0-rc', undefined, 'docker.io/foo/bar_baz.qux-1:TAG_1.0-rc'],
  ['a__b/c', 'docker.io', 'a__b/c', 'latest', undefined, 'docker.io/a__b/c:latest'],
  ['a---b', 'docker.io', 'library/a---b', 'latest', undefined, 'docker.io/library/a---b:latest'],
  ['quay.io/org/img:_underscore', 'quay.io', 'org/img', '_underscore', undefined, 'quay.io/org/img:_underscore'],
  ['ghcr.io/owner/repo:' + 'x'.repeat(128), 'ghcr.io', 'owner/repo', 'x'.repeat(128), undefined, 'ghcr.io/owner/repo:' + 'x'.repeat(128)],
  ['  busybox  ', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest'],
];

for (const [input, registry, repository, tag, digest, str] of valid) {
  test(`parseReference(${JSON.stringify(input.length > 60 ? input.slice(0, 60) + '…' : input)})`, () => {
    const ref = parseReference(input);
    assert.equal(ref.registry, registry);
    assert.equal(ref.repository, repository);
    assert.equal(ref.tag, tag);
    assert.equal(ref.digest, digest);
    assert.equal(ref.toString(), str);
    assert.equal(parseReference(ref.toString()).toString(), str, 'toString round-trips');
  });
}

// [input, a fragment the message must contain]
const invalid: Array<[string, string]> = [
  ['', 'empty'],
  ['   ', 'empty'],
  ['Busybox', 'lowercase'],
  ['docker.io/Library/busybox', 'lowercase'],
  ['gcr.io/project/Image:v1', 'lowercase'],
  ['busybox:', 'tag ""'],
  ['busybox:-bad', 'tag "-bad"'],
  ['busybox:.bad', 'tag ".bad"'],
  ['busybox:' + 'x'.repeat(129), 'tag'],
  ['busybox:bad!tag', 'tag'],
  ['busybox@sha256:abc', 'digest'],
  ['busybox@md5:' + 'a'.repeat(32), 'digest'],
  ['busybox@', 'digest'],
  ['foo//bar', 'empty component'],
  ['foo/', 'empty component'],
  ['/foo', 'empty component'],
  ['gcr.io/', 'empty'],
  ['foo/-bar', 'component "-bar"'],
  ['foo/bar-', 'component "bar-"'],
  ['foo/.bar', 'component ".bar"'],
  ['foo/b..ar', 'component "b..ar"'],
  ['foo/b___ar', 'component "b___ar"'],
  ['-host.io/foo', 'registry "-host.io"'],
  ['host.io:port/foo', 'registry "host.io:port"'],
  ['a'.repeat(256), 'longer than 255'],
  ['foo bar', 'component "foo bar"'],
];

for (const [input, fragment] of invalid) {
  test(`parseReference rejects ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)}`, () => {
    assert.throws(
      () => parseReference(input),
      (err: unknown) => isBuilderError(err, 'REFERENCE_INVALID') && err.message.includes(fragment) && err.message.includes('invalid image reference'),
    );
  });
}

test('context() names the repository without tag or digest', () => {
  const ref = parseReference(`localhost:5000/a/b:t@${D}`);
  assert.equal(ref.context().toString(), 'localhost:5000/a/b');
  assert.equal(ref.identifier, D);
  assert.equal(parseReference('busybox').identifier, 'latest');
});

test('withRegistry moves an image to a mirror, keeping library/', () => {
  const ref = parseReference('busybox:1').withRegistry('mirror.gcr.io');
  assert.equal(ref.toString(), 'mirror.gcr.io/library/busybox:1');
});

test('Docker Hub names map to the API host registry-1.docker.io', () => {
  for (const name of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
    assert.equal(normalizeRegistry(name), 'docker.io');
    assert.equal(registryApiHost(name), 'registry-1.docker.io');
  }
  assert.equal(registryApiHost('127.0.0.1:5000'), '127.0.0.1:5000');
});

test('parseRepository takes a bare repository and refuses tags and digests', () => {
  assert.equal(parseRepository('gcr.io/p/cache').toString(), 'gcr.io/p/cache');
  assert.equal(parseRepository('localhost:5000/cache').repository, 'cache');
  assert.equal(parseRepository('busybox').toString(), 'docker.io/library/busybox');
  assert.throws(() => parseRepository('gcr.io/p/cache:tag'), (e: unknown) => isBuilderError(e, 'REFERENCE_INVALID'));
  assert.throws(() => parseRepository(`gcr.io/p/cache@${D}`), (e: unknown) => isBuilderError(e, 'REFERENCE_INVALID'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFileCandidates, entryCredential, findAuthEntry, parseDockerConfig, type DockerConfig } from '../../../src/auth/docker-config.ts';
import { parseServerKey } from '../../../src/auth/server-key.ts';
import { DockerKeychain } from '../../../src/auth/keychain.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { redact } from '../../../src/util/redact.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const config: DockerConfig = {
  auths: {
    'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') },
    'http://127.0.0.1:5000': { username: 'local', password: 'localpass' },
    'registry.example.com/v2/': { auth: b64('ex:expass') },
    'registry.example.com/team': { auth: b64('team:teampass') },
    'registry.example.com/team/app': { auth: b64('app:apppass') },
    'tokens.example.com': { auth: b64('me:ignored'), identitytoken: 'refresh-xyz' },
    'bearer.example.com': { registrytoken: 'bearer-abc' },
    'https://empty.example.com': {},
    'Mixed.Case.Example.com:8443': { auth: b64('mc:mcpass') },
  },
};

// [registry, repository, expected key, expected credential summary]
const table: Array<[string, string | undefined, string | undefined, string | undefined]> = [
  ['docker.io', 'library/busybox', 'https://index.docker.io/v1/', 'basic hubuser:hubpass'],
  ['index.docker.io', undefined, 'https://index.docker.io/v1/', 'basic hubuser:hubpass'],
  ['registry-1.docker.io', 'x/y', 'https://index.docker.io/v1/', 'basic hubuser:hubpass'],
  ['127.0.0.1:5000', 'foo', 'http://127.0.0.1:5000', 'basic local:localpass'],
  ['127.0.0.1:5001', 'foo', undefined, undefined],
  ['127.0.0.1', 'foo', undefined, undefined],
  ['registry.example.com', 'other/img', 'registry.example.com/v2/', 'basic ex:expass'],
  ['registry.example.com', undefined, 'registry.example.com/v2/', 'basic ex:expass'],
  ['registry.example.com', 'team/tool', 'registry.example.com/team', 'basic team:teampass'],
  ['registry.example.com', 'team', 'registry.example.com/team', 'basic team:teampass'],
  ['registry.example.com', 'team/app', 'registry.example.com/team/app', 'basic app:apppass'],
  ['registry.example.com', 'team/app/sub', 'registry.example.com/team/app', 'basic app:apppass'],
  ['registry.example.com', 'teamster/x', 'registry.example.com/v2/', 'basic ex:expass'],
  ['REGISTRY.EXAMPLE.COM', 'team/app', 'registry.example.com/team/app', 'basic app:apppass'],
  ['tokens.example.com', 'a', 'tokens.example.com', 'identity me refresh-xyz'],
  ['bearer.example.com', 'a', 'bearer.example.com', 'registry bearer-abc'],
  ['empty.example.com', 'a', 'https://empty.example.com', undefined],
  ['mixed.case.example.com:8443', 'a', 'Mixed.Case.Example.com:8443', 'basic mc:mcpass'],
  ['example.com', 'a', undefined, undefined],
];

function summary(cred: ReturnType<typeof entryCredential>): string | undefined {
  if (!cred) return undefined;
  if (cred.kind === 'basic') return `basic ${cred.username}:${cred.password}`;
  if (cred.kind === 'identityToken') return `identity ${cred.username} ${cred.identityToken}`;
  return `registry ${cred.registryToken}`;
}

for (const [registry, repository, key, expected] of table) {
  test(`config.json lookup ${registry} ${repository ?? '(no repository)'}`, () => {
    const found = findAuthEntry(config, registry, repository);
    assert.equal(found?.key, key);
    assert.equal(found ? summary(entryCredential(found.entry, 'test')) : undefined, expected);
  });
}

test('server keys: scheme, /v1/ and /v2/ paths, Docker Hub names fold', () => {
  assert.deepEqual(parseServerKey('https://index.docker.io/v1/'), { host: 'docker.io', path: '' });
  assert.deepEqual(parseServerKey('registry-1.docker.io'), { host: 'docker.io', path: '' });
  assert.deepEqual(parseServerKey('http://h:5000/v2/'), { host: 'h:5000', path: '' });
  assert.deepEqual(parseServerKey('h:5000/org/repo/'), { host: 'h:5000', path: 'org/repo' });
  assert.deepEqual(parseServerKey('h/v1beta/x'), { host: 'h', path: 'v1beta/x' });
});

test('auth that is not user:password is a CREDENTIALS error without the value', () => {
  assert.throws(
    () => entryCredential({ auth: b64('no-colon-secret') }, 'cfg auths["h"]'),
    (e: unknown) => isBuilderError(e, 'CREDENTIALS') && e.message.includes('cfg auths["h"]') && !e.message.includes('no-colon-secret'),
  );
});

test('bad JSON names its source; secrets read from a config are registered for redaction', () => {
  assert.throws(() => parseDockerConfig('{nope', 'DOCKER_AUTH_CONFIG'), (e: unknown) => isBuilderError(e, 'CREDENTIALS') && e.message.startsWith('DOCKER_AUTH_CONFIG'));
  parseDockerConfig(JSON.stringify({ auths: { h: { password: 'pw-registered-1' } } }), 'x');
  assert.equal(redact('leak pw-registered-1 here'), 'leak *** here');
});

test('config file candidates: $DOCKER_CONFIG, then /kaniko/.docker, then ~/.docker', () => {
  assert.deepEqual(configFileCandidates({ DOCKER_CONFIG: '/d', HOME: '/home/u' }), [
    '/d/config.json',
    '/kaniko/.docker/config.json',
    '/home/u/.docker/config.json',
  ]);
  assert.deepEqual(configFileCandidates({ HOME: '/home/u' }), ['/kaniko/.docker/config.json', '/home/u/.docker/config.json']);
});

test('keychain: DOCKER_AUTH_CONFIG shadows the file; the file answers for the rest', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-keychain-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'cfg'));
  writeFileSync(
    join(dir, 'cfg', 'config.json'),
    JSON.stringify({ auths: { 'a.example': { auth: b64('file:filepass') }, 'b.example': { auth: b64('fileb:filebpass') } } }),
  );
  const env = {
    HOME: join(dir, 'home'),
    DOCKER_CONFIG: join(dir, 'cfg'),
    DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'a.example': { auth: b64('env:envpass') } } }),
  };
  const kc = new DockerKeychain(env);
  assert.deepEqual(await kc.resolve('a.example', 'x'), { kind: 'basic', username: 'env', password: 'envpass' });
  assert.deepEqual(await kc.resolve('b.example', 'x'), { kind: 'basic', username: 'fileb', password: 'filebpass' });
  assert.equal(await kc.resolve('c.example', 'x'), undefined);
  const noEnv = new DockerKeychain({ HOME: env.HOME, DOCKER_CONFIG: env.DOCKER_CONFIG });
  assert.deepEqual(await noEnv.resolve('a.example'), { kind: 'basic', username: 'file', password: 'filepass' });
});

test('keychain with no config anywhere is anonymous', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-keychain-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // /kaniko/.docker does not exist on a test machine; HOME and DOCKER_CONFIG point at empty dirs.
  const kc = new DockerKeychain({ HOME: dir, DOCKER_CONFIG: join(dir, 'none') });
  assert.equal(await kc.resolve('docker.io', 'library/busybox'), undefined);
});

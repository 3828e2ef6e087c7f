import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kanikoEnvNames, kanikoEnvSource, registryEnvSource } from '../../../src/auth/env-sources.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { redact } from '../../../src/util/redact.ts';

const who = async (env: NodeJS.ProcessEnv, registry: string, repository?: string) => {
  const answer = await registryEnvSource(env).lookup(registry, repository);
  return answer?.credential.kind === 'basic' ? answer.credential.username : answer?.credential.kind;
};

// imgpkg's documented cases: globs per label, the non-glob host wins, a path scopes to
// repositories under it (longer path first), ports must match.
const env: NodeJS.ProcessEnv = {
  KILN_REGISTRY_HOSTNAME_0: '*.docker.io',
  KILN_REGISTRY_USERNAME_0: 'glob',
  KILN_REGISTRY_PASSWORD_0: 'globpass',
  KILN_REGISTRY_HOSTNAME_1: 'foo.docker.io',
  KILN_REGISTRY_USERNAME_1: 'exact',
  KILN_REGISTRY_PASSWORD_1: 'exactpass',
  KILN_REGISTRY_HOSTNAME_2: 'gcr.io/repo',
  KILN_REGISTRY_USERNAME_2: 'repo',
  KILN_REGISTRY_PASSWORD_2: 'repopass',
  KILN_REGISTRY_HOSTNAME_3: 'gcr.io/repo/image',
  KILN_REGISTRY_USERNAME_3: 'image',
  KILN_REGISTRY_PASSWORD_3: 'imagepass',
  KILN_REGISTRY_HOSTNAME_4: 'localhost:5000',
  KILN_REGISTRY_USERNAME_4: 'port',
  KILN_REGISTRY_PASSWORD_4: 'portpass',
  KILN_REGISTRY_HOSTNAME_tok: 'tokens.example.com',
  KILN_REGISTRY_IDENTITY_TOKEN_tok: 'refresh-token-value',
  KILN_REGISTRY_HOSTNAME: 'bearer.example.com',
  KILN_REGISTRY_REGISTRY_TOKEN: 'bearer-token-value',
};

const cases: [string, string | undefined, string | undefined][] = [
  ['foo.docker.io', undefined, 'exact'],
  ['bar.docker.io', undefined, 'glob'],
  ['a.b.docker.io', undefined, undefined], // a glob stands for one label
  ['docker.io', undefined, undefined],
  ['gcr.io', 'repo/image', 'image'],
  ['gcr.io', 'repo/image/sub', 'image'],
  ['gcr.io', 'repo/other', 'repo'],
  ['gcr.io', 'repository', undefined], // a prefix ends at a path segment
  ['gcr.io', undefined, undefined],
  ['localhost:5000', undefined, 'port'],
  ['localhost', undefined, undefined],
  ['localhost:5001', undefined, undefined],
  ['tokens.example.com', undefined, 'identityToken'],
  ['bearer.example.com', undefined, 'registryToken'],
];
for (const [registry, repository, expected] of cases) {
  test(`KILN_REGISTRY_*: ${registry}${repository ? `/${repository}` : ''} → ${expected ?? 'no answer'}`, async () => {
    assert.equal(await who(env, registry, repository), expected);
    assert.equal(registryEnvSource(env).claims(registry, repository) !== undefined, expected !== undefined);
  });
}

test('KILN_REGISTRY_*: secrets are registered; explain names the variable, not the secret', () => {
  const src = registryEnvSource(env);
  assert.equal(redact('x exactpass refresh-token-value'), 'x *** ***');
  assert.equal(src.claims('foo.docker.io'), 'KILN_REGISTRY_HOSTNAME_1="foo.docker.io" matches foo.docker.io');
});

test('KILN_REGISTRY_*: an unknown name, or credentials without a hostname, is an error naming the variable', () => {
  assert.throws(
    () => registryEnvSource({ KILN_REGISTRY_USER: 'x' }),
    (e) => isBuilderError(e, 'CREDENTIALS') && /KILN_REGISTRY_USER\b/.test(e.message),
  );
  assert.throws(
    () => registryEnvSource({ KILN_REGISTRY_PASSWORD_7: 'secretvalue' }),
    (e) => isBuilderError(e, 'CREDENTIALS') && /KILN_REGISTRY_HOSTNAME_7/.test(e.message) && !e.message.includes('secretvalue'),
  );
  assert.throws(
    () => registryEnvSource({ KILN_REGISTRY_HOSTNAME_x: 'r.example', KILN_REGISTRY_USERNAME_x: 'u' }),
    (e) => isBuilderError(e, 'CREDENTIALS') && /KILN_REGISTRY_PASSWORD_x/.test(e.message),
  );
});

test('KANIKO_<HOST>_USER/_PASSWORD: from the full host to its shortest dotted suffix', async () => {
  assert.deepEqual(kanikoEnvNames('registry.gitlab-x.com:5000'), [
    'KANIKO_REGISTRY_GITLAB_X_COM_5000',
    'KANIKO_GITLAB_X_COM_5000',
    'KANIKO_COM_5000',
  ]);
  const kenv = {
    KANIKO_EXAMPLE_COM_USER: 'wide',
    KANIKO_EXAMPLE_COM_PASSWORD: 'widepass',
    KANIKO_TEAM_EXAMPLE_COM_USER: 'team',
    KANIKO_TEAM_EXAMPLE_COM_PASSWORD: 'teampass',
  };
  const src = kanikoEnvSource(kenv);
  assert.deepEqual((await src.lookup('team.example.com'))?.credential, { kind: 'basic', username: 'team', password: 'teampass' });
  assert.deepEqual((await src.lookup('other.example.com'))?.credential, { kind: 'basic', username: 'wide', password: 'widepass' });
  assert.equal(await src.lookup('example.org'), undefined);
  assert.match(src.claims('other.example.com')!, /KANIKO_EXAMPLE_COM_USER/);
  await assert.rejects(kanikoEnvSource({ KANIKO_R_IO_USER: 'u' }).lookup('r.io'), (e) => isBuilderError(e, 'CREDENTIALS') && /KANIKO_R_IO_PASSWORD/.test(e.message));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CREDENTIAL_HELPERS, parseCredentialHelpers } from '../../../src/auth/builtins.ts';
import { ghcrSource, gitlabSource } from '../../../src/auth/ci-sources.ts';
import { defaultKeychain } from '../../../src/auth/default-keychain.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

const noConfig = { HOME: '/nonexistent', DOCKER_CONFIG: '/nonexistent' };

test('--credential-helpers: default is every built-in, "" none, unknown names refused', () => {
  assert.deepEqual(parseCredentialHelpers(undefined), [...DEFAULT_CREDENTIAL_HELPERS]);
  assert.ok(DEFAULT_CREDENTIAL_HELPERS.includes('gitlab') && DEFAULT_CREDENTIAL_HELPERS.includes('ghcr'));
  assert.deepEqual(parseCredentialHelpers(''), []);
  assert.deepEqual(parseCredentialHelpers('gitlab, env'), ['gitlab', 'env']);
  assert.throws(() => parseCredentialHelpers('env,nope'), (e) => isBuilderError(e, 'USAGE') && /"nope"/.test(e.message));
});

test('gitlab: CI_REGISTRY host and port matched exactly; registry user/password, else the job token', async () => {
  const job = gitlabSource({ CI_REGISTRY: 'registry.gitlab.example:5050', CI_JOB_TOKEN: 'job-token-value' });
  assert.equal(job.claims('registry.gitlab.example'), undefined);
  assert.equal(job.claims('other.example:5050'), undefined);
  assert.deepEqual((await job.lookup('registry.gitlab.example:5050'))?.credential, {
    kind: 'basic',
    username: 'gitlab-ci-token',
    password: 'job-token-value',
  });
  const reg = gitlabSource({ CI_REGISTRY: 'registry.gitlab.example', CI_REGISTRY_USER: 'gitlab-ci-token', CI_REGISTRY_PASSWORD: 'regpass', CI_JOB_TOKEN: 'x' });
  assert.deepEqual((await reg.lookup('registry.gitlab.example'))?.credential, { kind: 'basic', username: 'gitlab-ci-token', password: 'regpass' });
  assert.equal(gitlabSource({ CI_REGISTRY: 'registry.gitlab.example' }).claims('registry.gitlab.example'), undefined);
});

test('ghcr: GITHUB_TOKEN as GITHUB_ACTOR for ghcr.io only', async () => {
  const src = ghcrSource({ GITHUB_TOKEN: 'ghs_tokenvalue', GITHUB_ACTOR: 'octocat' });
  assert.deepEqual((await src.lookup('ghcr.io'))?.credential, { kind: 'basic', username: 'octocat', password: 'ghs_tokenvalue' });
  assert.equal(src.claims('docker.io'), undefined);
  assert.equal(ghcrSource({}).claims('ghcr.io'), undefined);
});

test('default chain order: --registry-auth > env > DOCKER_AUTH_CONFIG > built-in helpers; disabled helpers pass', async () => {
  const env = {
    ...noConfig,
    FLAGPASS: 'flag-secret',
    KILN_REGISTRY_HOSTNAME: 'ghcr.io',
    KILN_REGISTRY_USERNAME: 'envuser',
    KILN_REGISTRY_PASSWORD: 'env-secret',
    DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'ghcr.io': { username: 'cfguser', password: 'cfg-secret' } } }),
    GITHUB_TOKEN: 'ghs_x',
  };
  const explain = (opts: Parameters<typeof defaultKeychain>[0]) => defaultKeychain({ env, ...opts }).explain('ghcr.io', 'o/app').source;
  assert.equal(explain({ registryAuth: ['ghcr.io/o=flaguser:env:FLAGPASS'] }), 'flags');
  assert.equal(explain({}), 'env');
  assert.equal(explain({ credentialHelpers: 'ghcr' }), 'DOCKER_AUTH_CONFIG');
  const { DOCKER_AUTH_CONFIG: _, ...rest } = env;
  assert.equal(defaultKeychain({ env: rest, credentialHelpers: 'gitlab,ghcr' }).explain('ghcr.io').source, 'ghcr');
  assert.equal(defaultKeychain({ env: rest, credentialHelpers: '' }).explain('ghcr.io').source, 'anonymous');
});

test('--registry-auth: secrets from env or file only, scoped by path', async () => {
  assert.throws(() => defaultKeychain({ env: noConfig, registryAuth: ['r.io=u:hunter2'] }), (e) => isBuilderError(e, 'USAGE') && /env:VAR or file:PATH/.test(e.message));
  assert.throws(() => defaultKeychain({ env: noConfig, registryAuth: ['r.io=u:env:MISSING'] }), (e) => isBuilderError(e, 'USAGE') && /MISSING/.test(e.message));
  const kc = defaultKeychain({ env: { ...noConfig, P1: 'pass-one', P2: 'pass-two' }, registryAuth: ['r.io=wide:env:P1', 'r.io/team=team:env:P2'] });
  assert.deepEqual(await kc.resolve('r.io', 'team/app'), { kind: 'basic', username: 'team', password: 'pass-two' });
  assert.deepEqual(await kc.resolve('r.io', 'other'), { kind: 'basic', username: 'wide', password: 'pass-one' });
});

// `kiln auth explain IMAGE` run as a user runs it: for each source of the chain (flags, the two env
// conventions, DOCKER_AUTH_CONFIG, config.json path-scoped auths and credHelpers, a built-in), the
// printed answer names the source that wins and why, the rows follow the chain's order, and no
// secret value appears in what it prints.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kiln } from '../support/kiln-cli.ts';
import { assertNoLeaks } from '../support/leak-check.ts';
import { removeTree } from '../support/mounts.ts';
import { labTempDir } from '../support/temp-dirs.ts';

const SECRETS = {
  flag: 'explain-flag-password-1a2b',
  kiln: 'explain-kiln-registry-password-3c4d',
  kaniko: 'explain-kaniko-password-5e6f',
  dac: 'explain-docker-auth-config-7a8b',
  teamA: 'explain-team-a-password-9c0d',
  host: 'explain-host-wide-password-1e2f',
  gitlab: 'explain-gitlab-job-token-3a4b',
};
const auth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

describe('kiln auth explain', () => {
  let dir: string;
  let dockerConfig: string;
  const outputs: Record<string, string> = {};

  before(async () => {
    dir = await labTempDir('auth-cli-explain');
    dockerConfig = join(dir, 'docker');
    await mkdir(dockerConfig);
    await writeFile(
      join(dockerConfig, 'config.json'),
      JSON.stringify({
        auths: {
          'registry.lab.test/team-a': { auth: auth('team-a', SECRETS.teamA) },
          'registry.lab.test': { auth: auth('host-wide', SECRETS.host) },
        },
        credHelpers: { 'helped.lab.test': 'kiln' },
      }),
    );
  });

  after(async () => {
    if (dir) await removeTree(dir);
  });

  /** A clean environment: only the variables a case sets, plus what node needs to run. */
  async function explain(image: string, env: Record<string, string>, flags: string[] = []): Promise<string> {
    const res = await kiln(['auth', 'explain', image, ...flags], {
      env: { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: dockerConfig, TMPDIR: process.env.TMPDIR, ...env },
    });
    outputs[`${image} ${JSON.stringify(env)} stdout`] = res.stdout;
    outputs[`${image} ${JSON.stringify(env)} stderr`] = res.stderr;
    assert.equal(res.code, 0, res.stderr);
    return res.stdout;
  }

  const answer = (out: string) => /^answer: (.*)$/m.exec(out)?.[1];

  it('lists every source in the chain order, then anonymous', async () => {
    const out = await explain('registry.lab.test/team-a/app', {});
    const sources = [...out.matchAll(/^\s+\d+\. (\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(sources, ['flags', 'env', 'env', 'DOCKER_AUTH_CONFIG', 'config.json', 'google', 'ecr', 'acr', 'gitlab', 'ghcr', 'anonymous']);
  });

  it('config.json auths: the repository-scoped key wins over the host-wide one', async () => {
    assert.equal(answer(await explain('registry.lab.test/team-a/app', {})), `config.json (${join(dockerConfig, 'config.json')} auths["registry.lab.test/team-a"] matches registry.lab.test/team-a/app)`);
    assert.equal(answer(await explain('registry.lab.test/team-b/app', {})), `config.json (${join(dockerConfig, 'config.json')} auths["registry.lab.test"] matches registry.lab.test/team-b/app)`);
  });

  it('config.json credHelpers naming kiln is answered in process', async () => {
    assert.match(answer(await explain('helped.lab.test/app', {})) ?? '', /names credential helper "kiln" for helped\.lab\.test \(answered by kiln itself\)/);
  });

  it('DOCKER_AUTH_CONFIG comes before config.json', async () => {
    const env = { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'registry.lab.test': { auth: auth('dac', SECRETS.dac) } } }) };
    const out = await explain('registry.lab.test/team-a/app', env);
    assert.equal(answer(out), 'DOCKER_AUTH_CONFIG (DOCKER_AUTH_CONFIG auths["registry.lab.test"] matches registry.lab.test/team-a/app)');
    assert.match(out, /config\.json\s+claims, asked only if the sources above have nothing/);
  });

  it('KANIKO_<HOST>_USER/_PASSWORD, matched on the longest dotted suffix, beats docker config', async () => {
    const env = { KANIKO_LAB_TEST_USER: 'kaniko', KANIKO_LAB_TEST_PASSWORD: SECRETS.kaniko };
    assert.equal(answer(await explain('registry.lab.test/team-a/app', env)), 'env (KANIKO_LAB_TEST_USER / KANIKO_LAB_TEST_PASSWORD are set for registry.lab.test)');
  });

  it('KILN_REGISTRY_* globs: the non-glob host wins, and it comes before KANIKO_*', async () => {
    const env = {
      KILN_REGISTRY_HOSTNAME_A: '*.lab.test',
      KILN_REGISTRY_PASSWORD_A: SECRETS.kiln,
      KILN_REGISTRY_HOSTNAME_B: 'registry.lab.test',
      KILN_REGISTRY_USERNAME_B: 'kiln',
      KILN_REGISTRY_PASSWORD_B: SECRETS.kiln + '-b',
      KANIKO_LAB_TEST_USER: 'kaniko',
      KANIKO_LAB_TEST_PASSWORD: SECRETS.kaniko,
    };
    assert.equal(answer(await explain('registry.lab.test/team-a/app', env)), 'env (KILN_REGISTRY_HOSTNAME_B="registry.lab.test" matches registry.lab.test/team-a/app)');
    assert.equal(answer(await explain('other.lab.test/app', env)), 'env (KILN_REGISTRY_HOSTNAME_A="*.lab.test" matches other.lab.test/app)');
  });

  it('--registry-auth beats everything; --credential-helpers "" drops the built-ins', async () => {
    const env = { FLAG_PW: SECRETS.flag, CI_REGISTRY: 'gitlab.lab.test', CI_JOB_TOKEN: SECRETS.gitlab };
    assert.equal(answer(await explain('registry.lab.test/team-a/app', env, ['--registry-auth', 'registry.lab.test=me:env:FLAG_PW'])), 'flags (--registry-auth registry.lab.test=me:env:FLAG_PW)');
    assert.equal(answer(await explain('gitlab.lab.test/group/app', env)), 'gitlab (CI_REGISTRY="gitlab.lab.test" with CI_JOB_TOKEN as user gitlab-ci-token)');
    const none = await explain('gitlab.lab.test/group/app', env, ['--credential-helpers', '']);
    assert.equal(answer(none), 'anonymous (no credential source claims gitlab.lab.test)');
    assert.doesNotMatch(none, /gitlab  /);
  });

  it('bad input is one line naming the variable, exit non-zero', async () => {
    const res = await kiln(['auth', 'explain', 'registry.lab.test/app'], { env: { PATH: process.env.PATH, HOME: dir, KILN_REGISTRY_PASSWORDS: SECRETS.kiln } });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^kiln auth: env: unknown variable KILN_REGISTRY_PASSWORDS: expected/);
    assert.equal(res.stderr.trim().split('\n').length, 1);
    outputs['bad input stderr'] = res.stderr;
  });

  it('never prints a secret', async () => {
    await assertNoLeaks(Object.values(SECRETS), { texts: outputs });
  });
});

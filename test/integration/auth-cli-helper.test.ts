// `kiln auth oidc`, `kiln auth configure` and docker-credential-kiln, run as a user runs them,
// against a lab token registry (TLS) that refuses anonymous and wrong credentials and accepts
// user `buildkite` only with a live token from the local OIDC issuer for the Buildkite Packages
// audience (what packages.buildkite.com checks). The helper re-reads its token file on every get,
// so two gets across a token's expiry answer two different secrets; kiln itself and skopeo
// push through a config.json whose credHelpers name it. No secret reaches any output, the
// recipe, the registry's storage or the pushed image.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { decodeJwt } from 'jose';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { dirname, join } from 'node:path';
import { fakeBuildkiteAgent, type FakeAgent } from '../support/buildkite-agent.ts';
import { run } from '../support/exec.ts';
import { kiln, type KilnResult } from '../support/kiln-cli.ts';
import { repoRoot } from '../support/lab-dir.ts';
import { assertNoLeaks, assertNoLeaksInImage } from '../support/leak-check.ts';
import { removeTree } from '../support/mounts.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { labTempDir } from '../support/temp-dirs.ts';

const PACKAGES = 'packages.buildkite.com';
const BK_AUDIENCE = 'https://packages.buildkite.com/kiln-lab/images';
const BK_FLAGS = ['--provider', 'buildkite-packages', '--organization', 'kiln-lab', '--package-registry', 'images'];
const STATIC_USER = 'configured-user';
const STATIC_PASSWORD = 'configured-static-password-8f7e';

describe('kiln auth oidc / configure and docker-credential-kiln', () => {
  let issuer: OidcIssuer;
  let reg: LabRegistry;
  let agent: FakeAgent;
  let dir: string;
  let context: string;
  let helperBin: string;
  const outputs: Record<string, string> = {};

  before(async () => {
    issuer = await startOidcIssuer();
    reg = await startRegistry('token', {
      tls: true,
      anonymous: 'none',
      authenticate: async (user, password) => {
        if (user === STATIC_USER) return password === STATIC_PASSWORD ? user : undefined;
        if (user !== 'buildkite') return undefined;
        const claims = await issuer.verify(password, BK_AUDIENCE).catch(() => undefined);
        return claims && `buildkite:${String(claims.sub)}`;
      },
    });
    agent = await fakeBuildkiteAgent({ tokenUrl: issuer.buildkiteTokenUrl });
    dir = await labTempDir('auth-cli-helper');
    context = join(dir, 'context');
    await mkdir(context);
    await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    await writeFile(join(context, 'hello.txt'), 'pushed with kiln auth\n');
    // docker-credential-kiln on PATH, as npm's bin link puts it: the bundle beside $KILN_BIN, or the sources.
    helperBin = join(dir, 'bin');
    await mkdir(helperBin);
    const entry = process.env.KILN_BIN
      ? `"${join(dirname(process.env.KILN_BIN), 'docker-credential-kiln.js')}"`
      : `--import "${import.meta.resolve('tsx')}" "${join(repoRoot, 'src/cli/credential-helper.ts')}"`;
    await writeFile(join(helperBin, 'docker-credential-kiln'), `#!/bin/sh\nexec "${process.execPath}" ${entry} "$@"\n`);
    await chmod(join(helperBin, 'docker-credential-kiln'), 0o755);
  });

  after(async () => {
    await reg?.stop();
    await issuer?.stop();
    if (agent) await removeTree(agent.dir);
    if (dir) await removeTree(dir);
  });

  function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      PATH: `${helperBin}:${agent.binDir}:${process.env.PATH ?? ''}`,
      HOME: dir,
      TMPDIR: process.env.TMPDIR,
      SSL_CERT_FILE: reg.caFile,
      AWS_EC2_METADATA_DISABLED: 'true',
      GCE_METADATA_HOST: '127.0.0.1:9',
      ...extra,
    };
  }

  async function kilnOk(label: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<KilnResult> {
    const res = await kiln(args, { env: env(extra) });
    outputs[`${label} stdout`] = res.stdout;
    outputs[`${label} stderr`] = res.stderr;
    assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
    return res;
  }

  /** Pushes with DOCKER_CONFIG=dockerConfig; the accounts the registry granted push to. */
  async function push(label: string, dockerConfig: string, repository: string): Promise<string[]> {
    const from = reg.tokenServer!.log.length;
    await kilnOk(label, ['build', '--context', context, '--destination', `${PACKAGES}/${repository}:1`, '--registry-address', `${PACKAGES}=${reg.host}`, '--isolation=chroot'], { DOCKER_CONFIG: dockerConfig });
    const granted = reg.tokenServer!.log.slice(from).filter((r) => r.status === 200 && r.scopes.some((s) => s.startsWith(`repository:${repository}:`) && s.includes('push')));
    return [...new Set(granted.map((r) => r.account ?? '(anonymous)'))];
  }

  /** One helper call as docker, podman and skopeo make it. */
  function helper(action: string, input: string, extra: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(join(helperBin, 'docker-credential-kiln'), [action], { env: env(extra) });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      child.stdin.end(input);
    });
  }

  /** Whether the registry's token server grants push for this login (the secret goes in a Basic header only). */
  async function grantsPush(username: string, password: string): Promise<boolean> {
    const ca = await readFile(reg.caFile!);
    const url = `${reg.tokenServer!.realm}?service=kiln-lab-registry&scope=repository:ci/probe:pull,push`;
    return new Promise((resolve, reject) => {
      const req = httpsGet(url, { ca, headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      });
      req.on('error', reject);
    });
  }

  async function assertPrivate(configDir: string, files: string[]): Promise<void> {
    assert.equal((await stat(configDir)).mode & 0o777, 0o700);
    for (const f of files) assert.equal((await stat(join(configDir, f))).mode & 0o777, 0o600, f);
  }

  it('kiln auth oidc: the Buildkite agent token becomes a login in a private config.json, and the push is that job\'s', async () => {
    const res = await kilnOk('oidc', ['auth', 'oidc', '--registry', PACKAGES, ...BK_FLAGS, '--buildkite']);
    const configDir = res.stdout.trim();
    assert.match(configDir, /kiln-docker-config-/);
    await assertPrivate(configDir, ['config.json']);
    const config = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.deepEqual(Object.keys(config.auths), [PACKAGES]);
    const calls = await agent.calls();
    assert.deepEqual(calls.at(-1)?.args.slice(0, 4), ['oidc', 'request-token', '--audience', BK_AUDIENCE]);
    assert.deepEqual(await push('oidc push', configDir, 'ci/oidc'), ['buildkite:organization:kiln-lab:pipeline:app:ref:refs/heads/main:commit:0123456789abcdef0123456789abcdef01234567:step:build']);
    await removeTree(configDir);
  });

  it('kiln auth configure: a static login from --password-env in --docker-config DIR', async () => {
    const configDir = join(dir, 'static');
    const res = await kilnOk('static', ['auth', 'configure', '--registry', PACKAGES, '--username', STATIC_USER, '--password-env', 'THE_PASSWORD', '--docker-config', configDir], { THE_PASSWORD: STATIC_PASSWORD });
    assert.equal(res.stdout.trim(), configDir);
    await assertPrivate(configDir, ['config.json']);
    assert.deepEqual(await push('static push', configDir, 'ci/static'), [STATIC_USER]);
  });

  it('docker-credential-kiln get, twice across the token expiry: two secrets, the later one accepted', async () => {
    const configDir = join(dir, 'helper');
    const tokenFile = join(dir, 'subject.jwt');
    for (const host of [PACKAGES, reg.host]) {
      await kilnOk(`configure helper ${host}`, ['auth', 'configure', '--registry', host, '--helper', ...BK_FLAGS, '--token-file', tokenFile, '--docker-config', configDir]);
    }
    await assertPrivate(configDir, ['config.json', 'kiln-credential-helper.json']);
    const config = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as unknown;
    assert.deepEqual(config, { credHelpers: { [PACKAGES]: 'kiln', [reg.host]: 'kiln' } });

    // Long enough for a helper started from the sources on a busy machine to answer while it is live.
    const first = await issuer.mint({ audience: BK_AUDIENCE, shape: 'buildkite', lifetimeSeconds: 10 });
    await writeFile(tokenFile, first);
    const got1 = await helper('get', `${PACKAGES}\n`, { DOCKER_CONFIG: configDir });
    assert.equal(got1.code, 0, got1.stdout);
    const answer1 = JSON.parse(got1.stdout) as { ServerURL: string; Username: string; Secret: string };
    assert.deepEqual(answer1, { ServerURL: PACKAGES, Username: 'buildkite', Secret: first });
    assert.equal(await grantsPush('buildkite', answer1.Secret), true);

    // The token expires; the CI system writes a fresh one (as kubelet and runners rotate files).
    await new Promise((r) => setTimeout(r, Math.max(0, decodeJwt(first).exp! * 1000 + 1500 - Date.now())));
    assert.equal(await grantsPush('buildkite', answer1.Secret), false);
    const second = await issuer.mint({ audience: BK_AUDIENCE, shape: 'buildkite' });
    await writeFile(tokenFile, second);
    const answer2 = JSON.parse((await helper('get', PACKAGES, { DOCKER_CONFIG: configDir })).stdout) as { Secret: string };
    assert.notEqual(answer2.Secret, answer1.Secret);
    assert.equal(answer2.Secret, second);
    assert.equal(await grantsPush('buildkite', answer2.Secret), true);

    // kiln answers the credHelpers entry itself, from the same recipe.
    assert.equal((await push('helper push', configDir, 'ci/helper')).length, 1);
    // skopeo runs the helper from PATH for the registry's own address.
    const skopeo = await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', '--authfile', join(configDir, 'config.json'), `docker://${reg.host}/ci/helper:1`, `docker://${reg.host}/ci/skopeo:1`], { env: env({ DOCKER_CONFIG: configDir }) });
    outputs['skopeo stdout'] = skopeo.stdout;
    outputs['skopeo stderr'] = skopeo.stderr;
  });

  it('docker-credential-kiln speaks the protocol: not found, no URL, list, store/erase refused, unknown action', async () => {
    const configDir = join(dir, 'helper');
    const cases: Array<[string, string, number, RegExp]> = [
      ['get', 'elsewhere.example.com\n', 1, /^credentials not found in native keychain\n$/],
      ['get', '', 1, /^no credentials server URL\n$/],
      ['list', '', 0, new RegExp(`^${JSON.stringify({ [PACKAGES]: '', [reg.host]: '' }).replace(/[.[\]{}]/g, '\\$&')}\\n$`)],
      ['store', JSON.stringify({ ServerURL: PACKAGES, Username: 'u', Secret: STATIC_PASSWORD }), 1, /store is not supported/],
      ['erase', PACKAGES, 1, /erase is not supported/],
      ['frobnicate', '', 1, /^Unknown credential action `frobnicate`\n$/],
    ];
    for (const [action, input, code, out] of cases) {
      const res = await helper(action, input, { DOCKER_CONFIG: configDir });
      outputs[`helper ${action} ${input} stdout`] = res.stdout;
      outputs[`helper ${action} ${input} stderr`] = res.stderr;
      assert.equal(res.code, code, `${action}: ${res.stdout}`);
      assert.match(res.stdout, out, action);
    }
  });

  it('bad flags are one line naming the flag', async () => {
    for (const [args, message] of [
      [['auth', 'oidc', '--registry', PACKAGES, '--provider', 'aws', '--token-file', 'f'], /^kiln auth: oidc: --provider aws needs --role-arn\n$/],
      [['auth', 'oidc', '--registry', PACKAGES, ...BK_FLAGS], /^kiln auth: oidc: give exactly one subject token source: --token-file PATH, --github or --buildkite\n$/],
      [['auth', 'oidc', '--registry', PACKAGES, ...BK_FLAGS, '--role-arn', 'r', '--github'], /^kiln auth: oidc: --role-arn does not apply to --provider buildkite-packages\n$/],
      [['auth', 'configure', '--registry', PACKAGES, '--token-file', 'f', '--helper'], /^kiln auth: configure: --token-file needs --oidc, or --helper with --provider\n$/],
      [['auth', 'explain', 'x/y', '--role-arn', 'r'], /^kiln auth: explain: unknown flag --role-arn/],
    ] as const) {
      const res = await kiln([...args], { env: env() });
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, message);
    }
  });

  it('no secret in any output, the helper directory, the registry storage or the pushed image', async () => {
    const secrets = [...issuer.minted.map((m) => m.token), STATIC_PASSWORD];
    await assertNoLeaks(secrets, { texts: outputs, paths: [join(dir, 'helper'), reg.storageDir, reg.logFile, agent.dir + '/calls'] });
    await assertNoLeaksInImage(secrets, `${reg.host}/ci/skopeo:1`, { authfile: join(dir, 'helper', 'config.json'), env: env({ DOCKER_CONFIG: join(dir, 'helper') }) });
  });
});

// Every credential source, end to end: `kiln build` pushes to a cloud-shaped registry name
// (ECR, Artifact Registry, GHCR, GitLab, …) that --registry-address routes to one lab token
// registry over TLS. The registry refuses anonymous and unknown credentials and records which
// account each token was granted to, so each test proves which source authorised its push.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startAwsServer, type AwsServer } from '../support/aws-server.ts';
import { FEDERATION_AUDIENCE, startAcrLoginServer, startAzureServer, type AzureServer } from '../support/azure-server.ts';
import { startGcpServer, type GcpServer } from '../support/gcp-server.ts';
import { kiln } from '../support/kiln-cli.ts';
import { assertNoLeaks } from '../support/leak-check.ts';
import { removeTree } from '../support/mounts.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { labTempDir } from '../support/temp-dirs.ts';

const ACCOUNT = '210987654321';
const ECR = `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/kiln-ci`;
const ACCESS_KEY = 'AKIAKILNLABPUSHER001';
const SECRET_KEY = 'kiln-lab-secret-access-key-0123456789ab';
const GAR = 'europe-west1-docker.pkg.dev';
const WIF_PROVIDER = '//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/kiln-lab/providers/ci';
const SERVICE_ACCOUNT = 'pusher@kiln-lab.iam.gserviceaccount.com';
const ACR = 'kilnlab.azurecr.io';
const TENANT = '72f988bf-0000-4000-8000-00000000beef';
const ACR_CLIENT = '12121212-3434-4565-8787-909090909090';
const K8S_SUBJECT = 'system:serviceaccount:ci:kiln-builder';

/** Static logins the lab registry accepts: user -> password; the user is the account recorded. */
const LOGINS: Record<string, string> = {
  'kiln-env-user': 'kiln-env-password-4d1f',
  'kaniko-env-user': 'kaniko-env-password-9b2e',
  'dac-user': 'docker-auth-config-password-77aa',
  'team-a-user': 'team-a-password-31c0',
  'host-wide-user': 'host-wide-password-5e6f',
  'flag-user': 'registry-auth-flag-password-0c9d',
  'gitlab-ci-token': 'gitlab-job-token-a1b2c3',
  'octocat': 'ghs_kilnLabGithubToken0123456789',
};

describe('kiln build pushes with each credential source', () => {
  let issuer: OidcIssuer;
  let aws: AwsServer;
  let gcp: GcpServer;
  let azure: AzureServer;
  let acrLogin: Awaited<ReturnType<typeof startAcrLoginServer>>;
  let reg: LabRegistry;
  let dir: string;
  let context: string;
  let saKey: string;
  /** Every kiln output of this suite, by test: searched for secrets at the end. */
  const outputs: Record<string, string> = {};

  before(async () => {
    issuer = await startOidcIssuer();
    aws = await startAwsServer({
      staticKeys: { [ACCESS_KEY]: { secret: SECRET_KEY, account: ACCOUNT } },
      roles: { [ROLE]: { issuer: issuer.issuer, subjects: ['repo:kiln-lab/app:ref:refs/heads/main'], account: ACCOUNT } },
    });
    gcp = await startGcpServer({ issuer, workloadIdentityProvider: WIF_PROVIDER, serviceAccount: SERVICE_ACCOUNT });
    azure = await startAzureServer({ tenant: TENANT, loginServer: ACR, apps: { [ACR_CLIENT]: { federated: { issuer, subject: K8S_SUBJECT } } } });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    saKey = JSON.stringify({ type: 'service_account', client_email: SERVICE_ACCOUNT, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) });
    reg = await startRegistry('token', {
      tls: true,
      anonymous: 'none',
      authenticate: (user, password) => {
        if (LOGINS[user] !== undefined) return LOGINS[user] === password ? user : undefined;
        if (user === '_json_key') return password === saKey ? `gar-key:${SERVICE_ACCOUNT}` : undefined;
        return aws.accepts(user, password) ?? gcp.authenticate(user, password);
      },
      verifyRefreshToken: azure.verifyRefreshToken,
    });
    acrLogin = await startAcrLoginServer(azure, reg);
    dir = await labTempDir('auth-push');
    context = join(dir, 'context');
    await mkdir(context);
    await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    await writeFile(join(context, 'hello.txt'), 'pushed with a credential source\n');
  });

  after(async () => {
    await acrLogin?.stop();
    await reg?.stop();
    await azure?.stop();
    await gcp?.stop();
    await aws?.stop();
    await issuer?.stop();
    if (dir) await removeTree(dir);
  });

  /** A clean environment: no credentials but the ones the test gives, an empty DOCKER_CONFIG. */
  async function cleanEnv(name: string, extra: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
    const dockerConfig = join(dir, `docker-${name}`);
    await mkdir(dockerConfig, { recursive: true });
    return {
      PATH: process.env.PATH,
      HOME: dir,
      TMPDIR: process.env.TMPDIR,
      SSL_CERT_FILE: reg.caFile,
      DOCKER_CONFIG: dockerConfig,
      AWS_EC2_METADATA_DISABLED: 'true',
      GCE_METADATA_HOST: '127.0.0.1:9',
      ...extra,
    };
  }

  /** Pushes `image` (on `host`, routed to the lab registry); the accounts the registry granted push to. */
  async function push(name: string, host: string, image: string, env: NodeJS.ProcessEnv, flags: string[] = [], address = reg.host): Promise<string[]> {
    const from = reg.tokenServer!.log.length;
    const res = await kiln(
      ['build', '--context', context, '--destination', image, '--registry-address', `${host}=${address}`, '--isolation=chroot', '--verbosity=trace', ...flags],
      { env: await cleanEnv(name, env) },
    );
    outputs[`${name} stdout`] = res.stdout;
    outputs[`${name} stderr`] = res.stderr;
    assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
    const repository = image.slice(host.length + 1).replace(/:[^/]*$/, '');
    for (const secret of [...Object.values(LOGINS), saKey, SECRET_KEY, ...aws.issuedSecrets, ...azure.accessTokens.keys(), ...azure.refreshTokens.keys()]) {
      assert.ok(!res.stdout.includes(secret) && !res.stderr.includes(secret), `a secret reached kiln's output (${name})`);
    }
    return reg.tokenServer!.log
      .slice(from)
      .filter((r) => r.status === 200 && r.scopes.some((s) => s.startsWith(`repository:${repository}:`) && s.includes('push')))
      .map((r) => r.account ?? '(anonymous)');
  }

  const unique = (accounts: string[]): string[] => [...new Set(accounts)];

  it('refuses a push with no credentials at all', async () => {
    const res = await kiln(['build', '--context', context, '--destination', 'nobody.example.com/ci/none:1', '--registry-address', `nobody.example.com=${reg.host}`, '--isolation=chroot'], {
      env: await cleanEnv('none', {}),
    });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /nobody\.example\.com/);
    assert.equal(res.stderr.trim().split('\n').filter((l) => /error/i.test(l)).length <= 1, true, res.stderr);
  });

  it('KILN_REGISTRY_* (imgpkg grammar, a glob hostname)', async () => {
    const accounts = await push('kiln-env', 'push.example.com', 'push.example.com/ci/kiln-env:1', {
      KILN_REGISTRY_HOSTNAME_CI: '*.example.com',
      KILN_REGISTRY_USERNAME_CI: 'kiln-env-user',
      KILN_REGISTRY_PASSWORD_CI: LOGINS['kiln-env-user'],
    });
    assert.deepEqual(unique(accounts), ['kiln-env-user']);
  });

  it("KANIKO_<HOST>_USER / _PASSWORD (the kaniko fork's convention, a dotted suffix)", async () => {
    const accounts = await push('kaniko-env', 'registry.kaniko.example.com', 'registry.kaniko.example.com/ci/kaniko-env:1', {
      KANIKO_KANIKO_EXAMPLE_COM_USER: 'kaniko-env-user',
      KANIKO_KANIKO_EXAMPLE_COM_PASSWORD: LOGINS['kaniko-env-user'],
    });
    assert.deepEqual(unique(accounts), ['kaniko-env-user']);
  });

  it('DOCKER_AUTH_CONFIG holding a whole config.json', async () => {
    const auth = Buffer.from(`dac-user:${LOGINS['dac-user']}`).toString('base64');
    const accounts = await push('dac', 'dac.example.com', 'dac.example.com/ci/dac:1', { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'dac.example.com': { auth } } }) });
    assert.deepEqual(unique(accounts), ['dac-user']);
  });

  it('config.json auths, path-scoped: host/team-a answers before host', async () => {
    const env = await cleanEnv('paths', {});
    const b64 = (user: string) => Buffer.from(`${user}:${LOGINS[user]}`).toString('base64');
    await writeFile(join(env.DOCKER_CONFIG!, 'config.json'), JSON.stringify({
      auths: { 'paths.example.com/team-a': { auth: b64('team-a-user') }, 'https://paths.example.com': { auth: b64('host-wide-user') } },
    }));
    assert.deepEqual(unique(await push('paths', 'paths.example.com', 'paths.example.com/team-a/app:1', {})), ['team-a-user']);
    assert.deepEqual(unique(await push('paths', 'paths.example.com', 'paths.example.com/team-b/app:1', {})), ['host-wide-user']);
  });

  it('--registry-auth HOST=USER:env:VAR beats config.json', async () => {
    const env = await cleanEnv('flag', {});
    await writeFile(join(env.DOCKER_CONFIG!, 'config.json'), JSON.stringify({ auths: { 'flag.example.com': { auth: Buffer.from('dac-user:wrong').toString('base64') } } }));
    const accounts = await push('flag', 'flag.example.com', 'flag.example.com/ci/flag:1', { FLAG_PASSWORD: LOGINS['flag-user'] }, ['--registry-auth', 'flag.example.com=flag-user:env:FLAG_PASSWORD']);
    assert.deepEqual(unique(accounts), ['flag-user']);
  });

  it('ECR with access keys (GetAuthorizationToken through the real SDK)', async () => {
    const accounts = await push('ecr-keys', ECR, `${ECR}/ci/ecr-keys:1`, { ...aws.endpointEnv(), AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY });
    assert.deepEqual(unique(accounts), [`ecr:${ACCOUNT}`]);
    assert.ok(aws.calls.some((c) => c.operation === 'ecr:GetAuthorizationToken' && c.status === 200 && c.accessKeyId === ACCESS_KEY));
  });

  it('ECR with web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, STS first)', async () => {
    const tokenFile = join(dir, 'web-identity.jwt');
    await writeFile(tokenFile, await issuer.mint({ audience: 'sts.amazonaws.com', shape: 'github' }));
    const before = aws.calls.length;
    const accounts = await push('ecr-wi', ECR, `${ECR}/ci/ecr-wi:1`, { ...aws.endpointEnv(), AWS_REGION: 'us-west-2', AWS_ROLE_ARN: ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile });
    assert.deepEqual(unique(accounts), [`ecr:${ACCOUNT}`]);
    assert.deepEqual(aws.calls.slice(before).map((c) => [c.operation, c.status]).slice(0, 2), [['AssumeRoleWithWebIdentity', 200], ['ecr:GetAuthorizationToken', 200]]);
  });

  it('ECR public (public.ecr.aws, signed for us-east-1)', async () => {
    const accounts = await push('ecr-public', 'public.ecr.aws', 'public.ecr.aws/kiln-lab/ecr-public:1', { ...aws.endpointEnv(), AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY });
    assert.deepEqual(unique(accounts), [`ecr:${ACCOUNT}`]);
    assert.equal(aws.calls.at(-1)?.operation, 'ecr-public:GetAuthorizationToken');
  });

  it('Artifact Registry with a service-account key (_json_key)', async () => {
    const keyFile = join(dir, 'sa-key.json');
    await writeFile(keyFile, saKey);
    const accounts = await push('gar-key', GAR, `${GAR}/kiln-lab/images/gar-key:1`, { GOOGLE_APPLICATION_CREDENTIALS: keyFile });
    assert.deepEqual(unique(accounts), [`gar-key:${SERVICE_ACCOUNT}`]);
  });

  it('Artifact Registry with an external account (workload identity federation + impersonation)', async () => {
    const subject = join(dir, 'gcp-subject.jwt');
    await writeFile(subject, await issuer.mint({ audience: `https://iam.googleapis.com/${WIF_PROVIDER.slice('//iam.googleapis.com/'.length)}`, shape: 'github' }));
    const credentials = join(dir, 'external-account.json');
    await writeFile(credentials, JSON.stringify({
      type: 'external_account',
      audience: WIF_PROVIDER,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: gcp.stsUrl,
      credential_source: { file: subject },
      service_account_impersonation_url: gcp.impersonationUrl(),
    }));
    const accounts = await push('gar-wif', GAR, `${GAR}/kiln-lab/images/gar-wif:1`, { GOOGLE_APPLICATION_CREDENTIALS: credentials });
    assert.deepEqual(unique(accounts), [SERVICE_ACCOUNT]);
  });

  it('ACR with a federated token (AZURE_FEDERATED_TOKEN_FILE -> Entra -> /oauth2/exchange on the login server)', async () => {
    const tokenFile = join(dir, 'azure-federated.jwt');
    await writeFile(tokenFile, await issuer.mint({ audience: FEDERATION_AUDIENCE, subject: K8S_SUBJECT }));
    const env = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: ACR_CLIENT, AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_AUTHORITY_HOST: azure.authorityHost };
    const accounts = await push('acr', ACR, `${ACR}/ci/acr:1`, env, [], acrLogin.host);
    assert.deepEqual(unique(accounts), [`acr:${ACR_CLIENT}`]);
    assert.ok(azure.calls.includes(`POST /${TENANT}/oauth2/v2.0/token`) && azure.calls.includes('POST /oauth2/exchange'));
  });

  it('GitLab CI (CI_REGISTRY matched exactly)', async () => {
    const host = 'registry.gitlab.example.com';
    const accounts = await push('gitlab', host, `${host}/group/project/app:1`, { CI_REGISTRY: host, CI_REGISTRY_USER: 'gitlab-ci-token', CI_REGISTRY_PASSWORD: LOGINS['gitlab-ci-token'] });
    assert.deepEqual(unique(accounts), ['gitlab-ci-token']);
  });

  it('GHCR (GITHUB_TOKEN as GITHUB_ACTOR)', async () => {
    const accounts = await push('ghcr', 'ghcr.io', 'ghcr.io/kiln-lab/app:1', { GITHUB_TOKEN: LOGINS.octocat, GITHUB_ACTOR: 'octocat' });
    assert.deepEqual(unique(accounts), ['octocat']);
  });

  it('no secret in any trace-level output, the registry log or storage (every pushed layer, config and history)', async () => {
    const secrets = [...Object.values(LOGINS), saKey, SECRET_KEY, ...aws.issuedSecrets, ...azure.accessTokens.keys(), ...azure.refreshTokens.keys(), ...issuer.minted.map((m) => m.token)];
    assert.ok(Object.keys(outputs).length >= 20, 'the pushes above ran first');
    await assertNoLeaks(secrets, { texts: outputs, paths: [reg.storageDir, reg.logFile] });
  });
});

describe('a push that outlives its first ECR token', () => {
  const TOKEN_SECONDS = 3;
  let aws: AwsServer;
  let reg: LabRegistry;
  let dir: string;
  /** Each ECR password the registry accepted, in order, with when. */
  const accepted: { password: string; at: number }[] = [];

  before(async () => {
    aws = await startAwsServer({ staticKeys: { [ACCESS_KEY]: { secret: SECRET_KEY, account: ACCOUNT } }, registryTokenSeconds: TOKEN_SECONDS });
    reg = await startRegistry('token', {
      tls: true,
      anonymous: 'none',
      // Registry tokens that last a second, handed out slowly: the push needs several, spread over more than the ECR token's life.
      tokenExpiresIn: 1,
      authenticate: async (user, password) => {
        await new Promise((resolve) => setTimeout(resolve, 1200));
        const account = aws.accepts(user, password);
        if (account) accepted.push({ password, at: Date.now() });
        return account;
      },
    });
    dir = await labTempDir('auth-expiry');
    await mkdir(join(dir, 'context'));
    // Layers go to the registry as they are written, so a RUN that outlasts the ECR token between
    // two halves of the layers makes the push outlive it however fast the machine is.
    await copyFile('/bin/busybox', join(dir, 'context', 'busybox'));
    const steps = ['FROM scratch', 'COPY busybox /bin/busybox'];
    for (let i = 0; i < 6; i++) {
      await writeFile(join(dir, 'context', `part-${i}.bin`), randomBytes(2 << 20));
      if (i === 3) steps.push(`RUN ["/bin/busybox", "sleep", "${TOKEN_SECONDS + 1}"]`);
      steps.push(`COPY part-${i}.bin /part-${i}.bin`);
    }
    await writeFile(join(dir, 'context', 'Dockerfile'), `${steps.join('\n')}\n`);
  });

  after(async () => {
    await reg?.stop();
    await aws?.stop();
    if (dir) await removeTree(dir);
  });

  it('re-mints the ECR token when it expires mid-push, and the push completes', async () => {
    const dockerConfig = join(dir, 'docker');
    await mkdir(dockerConfig);
    const res = await kiln(['build', '--context', join(dir, 'context'), '--destination', `${ECR}/ci/slow:1`, '--registry-address', `${ECR}=${reg.host}`, '--isolation=chroot', '--verbosity=trace'], {
      env: { PATH: process.env.PATH, HOME: dir, TMPDIR: process.env.TMPDIR, SSL_CERT_FILE: reg.caFile, DOCKER_CONFIG: dockerConfig, AWS_EC2_METADATA_DISABLED: 'true', ...aws.endpointEnv(), AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY },
    });
    assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
    const first = accepted[0]!;
    const later = accepted.filter((a) => a.password !== first.password && a.at >= first.at + TOKEN_SECONDS * 1000);
    assert.ok(later.length > 0, `a second ECR token was used after the first expired (accepted ${accepted.length}, ${new Set(accepted.map((a) => a.password)).size} distinct, over ${accepted.at(-1)!.at - first.at} ms)`);
    assert.ok(aws.calls.filter((c) => c.operation === 'ecr:GetAuthorizationToken' && c.status === 200).length >= 2);
    for (const secret of [SECRET_KEY, ...aws.issuedSecrets]) assert.ok(!res.stdout.includes(secret) && !res.stderr.includes(secret));
    assert.match(res.stdout + res.stderr, /sha256:[0-9a-f]{64}/, 'the pushed digest is reported');
  });
});

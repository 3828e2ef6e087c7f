// mintRegistryCredential end to end: subject tokens from the local issuer (GitHub's request URL,
// a fake buildkite-agent on PATH, a file), exchanged with the strict local AWS server through the
// real STS and ECR SDKs, or used as Buildkite Packages passwords; each credential is then offered
// to a lab token registry that accepts only what the AWS server issued or a JWT for its audience.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultAudience, mintRegistryCredential } from '../../src/auth/oidc/index.ts';
import type { Credential } from '../../src/auth/credential.ts';
import { isBuilderError } from '../../src/util/errors.ts';
import { startAwsServer, type AwsServer } from '../support/aws-server.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { labTempDir } from '../support/temp-dirs.ts';
import { removeTree } from '../support/mounts.ts';

const ACCOUNT = '210987654321';
const ECR = `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/kiln-ci`;
const BK_SPEC = { provider: 'buildkite-packages', organization: 'kiln-lab', registry: 'images' } as const;
const BK_AUDIENCE = 'https://packages.buildkite.com/kiln-lab/images';

async function registryGrantsPush(reg: LabRegistry, cred: Credential): Promise<boolean> {
  assert.equal(cred.kind, 'basic');
  const res = await fetch(`${reg.tokenServer!.realm}?service=kiln-lab-registry&scope=repository:ci/app:pull,push`, {
    headers: { authorization: `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}` },
  });
  return res.status === 200 && ((await res.json()) as { scope: string }).scope === 'repository:ci/app:pull,push';
}

describe('OIDC registry credentials', () => {
  let issuer: OidcIssuer;
  let aws: AwsServer;
  let reg: LabRegistry;
  let dir: string;
  const savedEndpoints = { ...process.env };

  before(async () => {
    issuer = await startOidcIssuer();
    aws = await startAwsServer({ roles: { [ROLE]: { issuer: issuer.issuer, subjects: ['repo:kiln-lab/app:ref:refs/heads/main', 'organization:kiln-lab:*'], account: ACCOUNT } } });
    // Buildkite Packages accepts user `buildkite` with a job token minted for the registry.
    const buildkitePackages = async (user: string, password: string) => {
      if (user !== 'buildkite') return undefined;
      const claims = await issuer.verify(password, BK_AUDIENCE).catch(() => undefined);
      return claims ? `buildkite:${String(claims.sub)}` : undefined;
    };
    reg = await startRegistry('token', { anonymous: 'none', authenticate: (u, p) => aws.accepts(u, p) ?? buildkitePackages(u, p) });
    dir = await labTempDir('auth-oidc');
    Object.assign(process.env, aws.endpointEnv());
  });

  after(async () => {
    process.env = savedEndpoints;
    await reg?.stop();
    await aws?.stop();
    await issuer?.stop();
    if (dir) await removeTree(dir);
  });

  /** A buildkite-agent stand-in on PATH: records its argv, prints a token from the issuer. */
  async function fakeBuildkiteAgent(): Promise<{ env: NodeJS.ProcessEnv; calls: () => Promise<string[][]> }> {
    const bin = join(dir, 'bin');
    const log = join(dir, 'buildkite-agent.log');
    await mkdir(bin, { recursive: true });
    const script = join(bin, 'buildkite-agent');
    await writeFile(
      script,
      `#!${process.execPath}
const args = process.argv.slice(2);
require('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
const at = (f) => { const i = args.indexOf(f); return i < 0 ? undefined : args[i + 1]; };
if (args[0] !== 'oidc' || args[1] !== 'request-token' || !at('--audience')) { console.error('usage: buildkite-agent oidc request-token --audience A'); process.exit(1); }
const url = new URL(${JSON.stringify(issuer.buildkiteTokenUrl)});
url.searchParams.set('audience', at('--audience'));
if (at('--lifetime')) url.searchParams.set('lifetime', at('--lifetime'));
fetch(url).then((r) => r.text()).then((t) => process.stdout.write(t + '\\n'));
`,
    );
    await chmod(script, 0o755);
    return {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      calls: async () => (await readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as string[]),
    };
  }

  it('default audiences: sts.amazonaws.com for AWS, the registry URL for Buildkite Packages', () => {
    assert.equal(defaultAudience({ provider: 'aws', roleArn: ROLE }), 'sts.amazonaws.com');
    assert.equal(defaultAudience(BK_SPEC), BK_AUDIENCE);
  });

  it('GitHub Actions token -> STS AssumeRoleWithWebIdentity -> ECR password the registry accepts', async () => {
    const answer = await mintRegistryCredential({ registry: ECR, spec: { provider: 'aws', roleArn: ROLE }, subject: { kind: 'github' } }, { ...process.env, ...issuer.githubEnv() });
    assert.equal(issuer.minted.at(-1)?.audience, 'sts.amazonaws.com');
    assert.equal(answer.credential.kind === 'basic' && answer.credential.username, 'AWS');
    assert.equal(await registryGrantsPush(reg, answer.credential), true);
    assert.equal(await registryGrantsPush(reg, { kind: 'basic', username: 'AWS', password: 'made-up' }), false);
    assert.deepEqual(aws.calls.slice(-2).map((c) => [c.operation, c.status]), [['AssumeRoleWithWebIdentity', 200], ['ecr:GetAuthorizationToken', 200]]);
    assert.ok(answer.expiresAt && answer.expiresAt > Date.now());
  });

  it('Buildkite agent token -> ECR public', async () => {
    const agent = await fakeBuildkiteAgent();
    const answer = await mintRegistryCredential({ registry: 'public.ecr.aws', spec: { provider: 'aws', roleArn: ROLE }, subject: { kind: 'buildkite', lifetimeSeconds: 120 } }, agent.env);
    assert.equal(await registryGrantsPush(reg, answer.credential), true);
    assert.deepEqual((await agent.calls()).at(-1), ['oidc', 'request-token', '--audience', 'sts.amazonaws.com', '--lifetime', '120']);
    assert.equal(aws.calls.at(-1)?.operation, 'ecr-public:GetAuthorizationToken');
  });

  it('Buildkite Packages: the job token for the registry audience is the password of user buildkite', async () => {
    const agent = await fakeBuildkiteAgent();
    const answer = await mintRegistryCredential({ registry: 'packages.buildkite.com', spec: BK_SPEC, subject: { kind: 'buildkite' } }, agent.env);
    assert.equal(answer.credential.kind === 'basic' && answer.credential.username, 'buildkite');
    assert.equal(await registryGrantsPush(reg, answer.credential), true);
    assert.ok(answer.expiresAt && answer.expiresAt > Date.now());
    // A token for another audience is refused by the registry.
    const other = await issuer.mint({ audience: 'https://packages.buildkite.com/kiln-lab/other', shape: 'buildkite' });
    assert.equal(await registryGrantsPush(reg, { kind: 'basic', username: 'buildkite', password: other }), false);
  });

  for (const [what, mint, code] of [
    ['a token for another audience', { audience: 'https://github.com/kiln-lab', shape: 'github' }, 'InvalidIdentityToken'],
    ['an expired token', { audience: 'sts.amazonaws.com', shape: 'github', lifetimeSeconds: -60 }, 'ExpiredTokenException'],
    ['a subject the role does not trust', { audience: 'sts.amazonaws.com', shape: 'github', subject: 'repo:evil/app:ref:refs/heads/main' }, 'AccessDenied'],
  ] as const) {
    it(`refuses ${what} in one line naming the provider, role and host, with STS's reason`, async () => {
      const file = join(dir, `subject-${code}.jwt`);
      const token = await issuer.mint(mint);
      await writeFile(file, token);
      await assert.rejects(mintRegistryCredential({ registry: ECR, spec: { provider: 'aws', roleArn: ROLE }, subject: { kind: 'file', path: file } }), (err: unknown) => {
        assert.ok(isBuilderError(err, 'CREDENTIALS'));
        assert.match(err.message, new RegExp(`^oidc aws: AssumeRoleWithWebIdentity of ${ROLE} for ${ECR.replace(/\./g, '\\.')} refused: ${code}`));
        assert.ok(!err.message.includes('\n') && !err.message.includes(token));
        return true;
      });
    });
  }

  it('a GitHub job without id-token permission, a missing agent, a non-ECR host: one line each', async () => {
    const spec = { provider: 'aws', roleArn: ROLE } as const;
    await assert.rejects(mintRegistryCredential({ registry: ECR, spec, subject: { kind: 'github' } }, {}), /^BuilderError: oidc: ACTIONS_ID_TOKEN_REQUEST_URL.*id-token: write/);
    await assert.rejects(mintRegistryCredential({ registry: ECR, spec, subject: { kind: 'buildkite' } }, { PATH: join(dir, 'empty') }), /oidc: buildkite-agent oidc request-token failed: buildkite-agent is not on PATH/);
    await assert.rejects(mintRegistryCredential({ registry: 'ghcr.io', spec, subject: { kind: 'value', token: 'x.y.z' } }), (err: unknown) => isBuilderError(err, 'USAGE') && /ghcr\.io is not an ECR registry/.test(err.message));
  });
});

// The GitHub Action run as the runner runs it (test/support/github-runner.ts) against a lab token
// registry that refuses anonymous requests, so the step's credentials must work: a static login,
// and OIDC entries whose GitHub ID token comes from the local issuer (ACTIONS_ID_TOKEN_REQUEST_URL)
// and is exchanged as Buildkite Packages' password or through the strict AWS server for ECR.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pushBaseImage } from '../support/base-images.ts';
import { run } from '../support/exec.ts';
import { runAction, runMainStep, runPostStep, type StepResult } from '../support/github-runner.ts';
import { startAwsServer, type AwsServer } from '../support/aws-server.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { labTempDir } from '../support/temp-dirs.ts';
import { removeTree } from '../support/mounts.ts';

const PASSWORD = randomBytes(12).toString('hex');
const SECRET_VALUE = `s3cret-${randomBytes(8).toString('hex')}`;
const ACCOUNT = '210987654321';
const ECR = `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/kiln-gh`;
const PACKAGES_AUDIENCE = 'https://packages.buildkite.com/kiln-lab/images';

let reg: LabRegistry;
let issuer: OidcIssuer;
let aws: AwsServer;
let base: string;
let root: string;
let n = 0;

before(async () => {
  issuer = await startOidcIssuer();
  aws = await startAwsServer({ roles: { [ROLE]: { issuer: issuer.issuer, subjects: ['repo:kiln-lab/app:ref:refs/heads/main'], account: ACCOUNT } } });
  const packagesToken = async (user: string, password: string) =>
    user === 'buildkite' && (await issuer.verify(password, PACKAGES_AUDIENCE).catch(() => undefined)) ? 'buildkite-packages' : undefined;
  reg = await startRegistry('token', {
    users: { lab: PASSWORD },
    anonymous: 'none',
    authenticate: async (u, p) => (u === 'lab' && p === PASSWORD ? 'lab' : (aws.accepts(u, p) ?? (await packagesToken(u, p)))),
  });
  base = await pushBaseImage(reg, 'busybox');
  root = await labTempDir('action');
});

after(async () => {
  await reg?.stop();
  await aws?.stop();
  await issuer?.stop();
  if (root) await removeTree(root);
});

/** A fresh job: its workspace holds a Dockerfile (BASE is the lab busybox) and hello.txt. */
async function workspace(dockerfile: string): Promise<string> {
  const dir = join(root, `job-${++n}`, 'workspace');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile.replaceAll('BASE', base));
  await writeFile(join(dir, 'hello.txt'), `hello ${n}\n`);
  return dir;
}

const login = `- registry: REGISTRY\n  username: lab\n  password: ${PASSWORD}\n`;

async function inspectRaw(ref: string, creds: string): Promise<{ digest: string; config: string; raw: string }> {
  const raw = (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${ref}`])).stdout;
  return { raw, digest: `sha256:${createHash('sha256').update(raw).digest('hex')}`, config: (JSON.parse(raw) as { config: { digest: string } }).config.digest };
}

/** Zero hits for any secret in what the runner keeps: the step files and the log (add-mask lines are the runner's). */
function assertNoLeak(step: StepResult, secrets: string[]): void {
  for (const secret of secrets) {
    for (const [where, text] of Object.entries({ ...step.files, log: step.log })) {
      assert.ok(!text.includes(secret), `${where} holds a secret`);
    }
  }
}

function errors(step: StepResult): string[] {
  return step.commands.filter((c) => c.command === 'error').map((c) => c.message);
}

describe('the GitHub Action', () => {
  test("build-push-action's inputs push two tags; digest, imageid, metadata and images are what the registry holds", { timeout: 300_000 }, async () => {
    const ws = await workspace('FROM BASE\nARG GREETING\nCOPY hello.txt /hello.txt\nRUN --mount=type=secret,id=tok cat /run/secrets/tok | wc -c > /tok-len && echo "$GREETING" > /greeting\n');
    const tags = [`${reg.host}/gh/app:1`, `${reg.host}/gh/app:2`];
    const main = await runMainStep({
      workspace: ws,
      inputs: {
        context: '.',
        file: 'Dockerfile',
        tags: tags.join('\n'),
        'build-args': 'GREETING=hi there',
        labels: 'org.opencontainers.image.source=https://github.com/kiln-lab/app\norg.opencontainers.image.title=app',
        push: 'true',
        secrets: `tok=${SECRET_VALUE}`,
        'registry-auth': login.replace('REGISTRY', reg.host),
      },
    });
    assert.equal(main.code, 0, main.log);
    // The private DOCKER_CONFIG exists between the steps, 0700 and 0600.
    const dir = main.state.kilnDir;
    assert.ok(dir && dir.startsWith(join(ws, '..', 'runner-temp')));
    assert.equal(statSync(join(dir, 'docker')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'docker', 'config.json')).mode & 0o777, 0o600);

    const pushed = await inspectRaw(tags[0], `lab:${PASSWORD}`);
    assert.equal(main.outputs.digest, pushed.digest);
    assert.equal(main.outputs.imageid, pushed.config);
    assert.equal((await inspectRaw(tags[1], `lab:${PASSWORD}`)).digest, pushed.digest);
    assert.deepEqual(JSON.parse(main.outputs.metadata), {
      'containerimage.digest': pushed.digest,
      'containerimage.config.digest': pushed.config,
      'containerimage.descriptor': { mediaType: (JSON.parse(pushed.raw) as { mediaType: string }).mediaType, digest: pushed.digest, size: Buffer.byteLength(pushed.raw) },
      'image.name': tags.join(','),
    });
    assert.equal(main.outputs.images, tags.map((t) => `${t}@${pushed.digest}`).join('\n'));
    const config = JSON.parse((await run('skopeo', ['inspect', '--config', '--tls-verify=false', '--creds', `lab:${PASSWORD}`, `docker://${tags[0]}`])).stdout) as { config: { Labels: Record<string, string> } };
    assert.equal(config.config.Labels['org.opencontainers.image.title'], 'app');

    // Progress in one group per stage; the summary names the images and shows the secret's id only.
    assert.ok(main.commands.some((c) => c.command === 'group' && c.message === 'stage stage-0'), main.stdout);
    assert.match(main.summary, new RegExp(`${tags[0].replace(/[.:/]/g, '\\$&')}@${pushed.digest}`));
    assert.match(main.summary, /\| `RUN --mount=type=secret/);
    assert.match(main.summary, /secrets:\n\s+- tok/);
    assert.ok(main.masks.includes(PASSWORD) && main.masks.includes(SECRET_VALUE));
    assertNoLeak(main, [PASSWORD, SECRET_VALUE]);
    const image = (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', `lab:${PASSWORD}`, `docker://${tags[0]}`])).stdout;
    assert.ok(!image.includes(SECRET_VALUE));

    const post = await runPostStep({ workspace: ws, inputs: {} }, main.state);
    assert.equal(post.code, 0, post.log);
    assert.equal(existsSync(dir), false);
  });

  test('OIDC: the GitHub ID token is the Buildkite Packages password, and goes through STS to ECR', { timeout: 300_000 }, async () => {
    const ws = await workspace('FROM BASE\nCOPY hello.txt /hello.txt\n');
    const packages = `${reg.host}/gh/packages:1`;
    const ecr = `${ECR}/gh/aws:1`;
    const minted = issuer.minted.length;
    const { main, post } = await runAction({
      workspace: ws,
      env: { ...issuer.githubEnv(), ...aws.endpointEnv() },
      inputs: {
        tags: `${packages}\n${ecr}`,
        'registry-auth': `- registry: ${reg.host}\n  oidc: buildkite-packages\n  organization: kiln-lab\n  registry-slug: images\n- registry: ${ECR}\n  oidc: aws\n  role-arn: ${ROLE}\n`,
        'extra-args': `--registry-address=${ECR}=${reg.host} --insecure-registry=${ECR}`,
      },
    });
    assert.equal(main.code, 0, main.log);
    assert.equal(post.code, 0, post.log);
    const tokens = issuer.minted.slice(minted);
    assert.deepEqual(tokens.map((t) => t.audience), [PACKAGES_AUDIENCE, 'sts.amazonaws.com']);
    assert.equal((await inspectRaw(packages, `lab:${PASSWORD}`)).digest, main.outputs.digest);
    assert.equal((await inspectRaw(`${reg.host}/gh/aws:1`, `lab:${PASSWORD}`)).digest, main.outputs.digest);
    assert.equal(main.outputs.images, `${packages}@${main.outputs.digest}\n${ecr}@${main.outputs.digest}`);
    assert.deepEqual(aws.calls.slice(-2).map((c) => [c.operation, c.status]), [['AssumeRoleWithWebIdentity', 200], ['ecr:GetAuthorizationToken', 200]]);
    for (const t of tokens) assert.ok(main.masks.includes(t.token));
    assertNoLeak(main, [...tokens.map((t) => t.token), issuer.githubRequestToken]);
    assert.equal(existsSync(main.state.kilnDir), false);
  });

  test('an OIDC entry without id-token permission fails in one line saying to add it', { timeout: 120_000 }, async () => {
    const ws = await workspace('FROM BASE\n');
    const { main, post } = await runAction({
      workspace: ws,
      inputs: { tags: `${reg.host}/gh/no-oidc:1`, 'registry-auth': `- registry: ${reg.host}\n  oidc: buildkite-packages\n  organization: kiln-lab\n  registry-slug: images\n` },
    });
    assert.equal(main.code, 1);
    assert.equal(errors(main).length, 1, main.stdout);
    assert.match(errors(main)[0], /^input registry-auth: 127\.0\.0\.1:\d+ \(oidc: buildkite-packages\) .*add `permissions: id-token: write` to the job$/);
    assert.equal(post.code, 0);
    assert.equal(existsSync(main.state.kilnDir), false);
  });

  test('a failed build: an error annotation on the Dockerfile line, the step fails, post removes DOCKER_CONFIG', { timeout: 300_000 }, async () => {
    const ws = await workspace('FROM BASE\nCOPY hello.txt /hello.txt\nRUN echo failing && exit 3\n');
    const main = await runMainStep({ workspace: ws, inputs: { tags: `${reg.host}/gh/broken:1`, 'registry-auth': login.replace('REGISTRY', reg.host) } });
    assert.equal(main.code, 1, main.log);
    assert.match(main.stdout, /^::error title=kiln build failed,file=Dockerfile,line=3::/m);
    assert.match(main.stdout, /^::error::the build failed at Dockerfile:3$/m);
    assert.match(main.summary, /kiln build failed at Dockerfile:3/);
    assert.equal(main.outputs.digest, undefined);
    const dir = main.state.kilnDir;
    assert.ok(existsSync(join(dir, 'docker', 'config.json')));
    const post = await runPostStep({ workspace: ws, inputs: {} }, main.state);
    assert.equal(post.code, 0, post.log);
    assert.equal(existsSync(dir), false);
    assertNoLeak(main, [PASSWORD]);
  });

  test('a bad input fails in one line naming it, before anything runs', async () => {
    const ws = await workspace('FROM BASE\n');
    const { main } = await runAction({ workspace: ws, inputs: { 'cache-to': 'type=s3,bucket=b' } });
    assert.equal(main.code, 1);
    assert.deepEqual(errors(main), ['input cache-to: unknown cache type "s3" (expected registry, gha or local)']);
  });
});

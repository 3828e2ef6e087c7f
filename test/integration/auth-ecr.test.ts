// ecrSource with the real AWS SDKs against the strict local AWS server (SigV4 verified, web
// identity verified against the local OIDC issuer), through the SDKs' endpoint overrides.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ecrSource } from '../../src/auth/ecr.ts';
import { isBuilderError } from '../../src/util/errors.ts';
import { startAwsServer, type AwsServer } from '../support/aws-server.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';

const ACCOUNT = '123456789012';
const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/kiln-push`;
const savedEnv = { ...process.env };
let aws: AwsServer;
let issuer: OidcIssuer;
let dir: string;

before(async () => {
  issuer = await startOidcIssuer();
  aws = await startAwsServer({
    staticKeys: { AKIAKILNLAB000000001: { secret: 'lab-secret-key-0123456789abcdefghij', account: ACCOUNT } },
    roles: { [ROLE]: { issuer: issuer.issuer, subjects: ['repo:kiln-lab/app:*'], account: ACCOUNT } },
  });
  dir = await mkdtemp(join(tmpdir(), 'kiln-ecr-'));
});
after(async () => {
  await aws.stop();
  await issuer.stop();
});

/** Only what the test gives: no shared config files, no instance metadata, endpoints local. */
beforeEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  Object.assign(process.env, aws.endpointEnv(), {
    HOME: dir,
    AWS_CONFIG_FILE: join(dir, 'none-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
});
after(() => {
  process.env = savedEnv;
});

test('static keys: a SigV4-signed GetAuthorizationToken gives a password the registry accepts', async () => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIAKILNLAB000000001';
  process.env.AWS_SECRET_ACCESS_KEY = 'lab-secret-key-0123456789abcdefghij';
  const source = ecrSource();
  assert.match(source.claims(HOST) ?? '', /ECR account 123456789012 in eu-west-1/);
  const answer = await source.lookup(HOST);
  assert.ok(answer && answer.credential.kind === 'basic');
  assert.equal(answer.credential.username, 'AWS');
  assert.equal(aws.accepts(answer.credential.username, answer.credential.password), `ecr:${ACCOUNT}`);
  assert.ok(answer.expiresAt && answer.expiresAt > Date.now() + 11 * 3600_000);
  assert.match(answer.why, /AWS_ACCESS_KEY_ID/);
  assert.equal(aws.accepts('AWS', 'not-issued'), undefined);
});

test('ECR public: signed for ecr-public in us-east-1', async () => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIAKILNLAB000000001';
  process.env.AWS_SECRET_ACCESS_KEY = 'lab-secret-key-0123456789abcdefghij';
  const answer = await ecrSource().lookup('public.ecr.aws');
  assert.ok(answer && answer.credential.kind === 'basic');
  assert.equal(aws.accepts('AWS', answer.credential.password), `ecr:${ACCOUNT}`);
  assert.equal(aws.calls.at(-1)?.operation, 'ecr-public:GetAuthorizationToken');
});

test('a wrong secret is refused as InvalidSignatureException, an unknown key as UnrecognizedClientException', async () => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIAKILNLAB000000001';
  process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
  await assert.rejects(ecrSource().lookup(HOST), (err) => {
    assert.ok(isBuilderError(err, 'CREDENTIALS'));
    assert.match(err.message, /^ecr: GetAuthorizationToken for 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com failed: InvalidSignatureException/);
    assert.doesNotMatch(err.message, /not-the-secret/);
    return true;
  });
  process.env.AWS_ACCESS_KEY_ID = 'AKIAUNKNOWN000000000';
  await assert.rejects(ecrSource().lookup(HOST), /UnrecognizedClientException/);
});

test('web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE go through STS, then ECR with the session keys', async () => {
  const tokenFile = join(dir, 'web-identity-token');
  await writeFile(tokenFile, await issuer.mint({ audience: 'sts.amazonaws.com', shape: 'github' }));
  process.env.AWS_ROLE_ARN = ROLE;
  process.env.AWS_WEB_IDENTITY_TOKEN_FILE = tokenFile;
  process.env.AWS_ROLE_SESSION_NAME = 'kiln-test';
  const answer = await ecrSource().lookup(HOST);
  assert.ok(answer && answer.credential.kind === 'basic');
  assert.equal(aws.accepts('AWS', answer.credential.password), `ecr:${ACCOUNT}`);
  const ecrCall = aws.calls.at(-1);
  assert.equal(ecrCall?.status, 200);
  assert.match(ecrCall?.accessKeyId ?? '', /^ASIA/);
  assert.match(answer.why, /AWS_ROLE_ARN/);
});

test('web identity with a wrong audience or an expired token: one CREDENTIALS line naming the host', async () => {
  const tokenFile = join(dir, 'bad-token');
  process.env.AWS_ROLE_ARN = ROLE;
  process.env.AWS_WEB_IDENTITY_TOKEN_FILE = tokenFile;
  for (const [opts, code] of [
    [{ audience: 'https://github.com/kiln-lab', shape: 'github' as const }, 'InvalidIdentityToken'],
    [{ audience: 'sts.amazonaws.com', shape: 'github' as const, lifetimeSeconds: -60 }, 'ExpiredTokenException'],
  ] as const) {
    const token = await issuer.mint(opts);
    await writeFile(tokenFile, token);
    await assert.rejects(ecrSource().lookup(HOST), (err) => {
      assert.ok(isBuilderError(err, 'CREDENTIALS'));
      assert.match(err.message, new RegExp(`^ecr: .*123456789012\\.dkr\\.ecr\\.eu-west-1\\.amazonaws\\.com.*${code}`));
      assert.doesNotMatch(err.message, /\n/);
      assert.ok(!err.message.includes(token));
      return true;
    });
  }
});

test('no AWS identity at all: the source passes, and hosts that are not ECR are not claimed', async () => {
  assert.equal(await ecrSource().lookup(HOST), undefined);
  assert.equal(ecrSource().claims('127.0.0.1:5000'), undefined);
  assert.equal(await ecrSource().lookup('ghcr.io'), undefined);
});

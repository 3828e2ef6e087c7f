// The google credential source with the real google-auth-library pointed at strict local GCP
// endpoints (STS, IAM credentials, metadata server) through the documented overrides: the
// external_account file's token_url / service_account_impersonation_url and GCE_METADATA_HOST.
// The access tokens it returns are then offered to a lab token registry that accepts only
// tokens the local GCP server issued.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChainKeychain } from '../../src/auth/chain.ts';
import { googleSource } from '../../src/auth/google.ts';
import type { Credential } from '../../src/auth/credential.ts';
import { isBuilderError } from '../../src/util/errors.ts';
import { startSilentEndpoint } from '../support/azure-server.ts';
import { startGcpServer, type GcpServer } from '../support/gcp-server.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { labTempDir } from '../support/temp-dirs.ts';
import { removeTree } from '../support/mounts.ts';

const PROVIDER = '//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/kiln-lab/providers/ci';
const PROVIDER_AUDIENCE = `https://iam.googleapis.com/${PROVIDER.slice('//iam.googleapis.com/'.length)}`;
const SERVICE_ACCOUNT = 'pusher@kiln-lab.iam.gserviceaccount.com';
const GAR = 'europe-docker.pkg.dev';

/** Whether the lab token registry grants push on a repository for this credential. */
async function registryGrantsPush(reg: LabRegistry, cred: Credential): Promise<boolean> {
  assert.equal(cred.kind, 'basic');
  const realm = reg.tokenServer!.realm;
  const res = await fetch(`${realm}?service=kiln-lab-registry&scope=repository:gar/app:pull,push`, {
    headers: { authorization: `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}` },
  });
  if (res.status !== 200) return false;
  const body = (await res.json()) as { scope: string };
  return body.scope === 'repository:gar/app:pull,push';
}

describe('google credential source', () => {
  let issuer: OidcIssuer;
  let gcp: GcpServer;
  let reg: LabRegistry;
  let dir: string;

  before(async () => {
    issuer = await startOidcIssuer();
    gcp = await startGcpServer({ issuer, workloadIdentityProvider: PROVIDER, serviceAccount: SERVICE_ACCOUNT, metadataServiceAccount: 'vm@kiln-lab.iam.gserviceaccount.com' });
    reg = await startRegistry('token', { anonymous: 'none', authenticate: gcp.authenticate });
    dir = await labTempDir('auth-google');
  });

  after(async () => {
    await reg?.stop();
    await gcp?.stop();
    await issuer?.stop();
    if (dir) await removeTree(dir);
  });

  /** An external_account file reading its subject token from `tokenFile`, as gcloud writes one. */
  async function externalAccountFile(name: string, tokenFile: string, impersonate: boolean, audience = PROVIDER): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, JSON.stringify({
      type: 'external_account',
      audience,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: gcp.stsUrl,
      credential_source: { file: tokenFile },
      ...(impersonate ? { service_account_impersonation_url: gcp.impersonationUrl() } : {}),
    }));
    return file;
  }

  async function subjectTokenFile(name: string, lifetimeSeconds = 300, audience = PROVIDER_AUDIENCE): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, await issuer.mint({ audience, shape: 'github', lifetimeSeconds }));
    return file;
  }

  it('claims gcr.io, its regional hosts and Artifact Registry, nothing else', () => {
    const source = googleSource({});
    for (const host of ['gcr.io', 'eu.gcr.io', 'us-docker.pkg.dev', 'EUROPE-WEST1-docker.pkg.dev']) assert.ok(source.claims(host), host);
    for (const host of ['docker.io', 'gcr.io.example.com', 'pkg.dev.evil.test', '127.0.0.1:5000']) assert.equal(source.claims(host), undefined, host);
  });

  it('hands a service-account key over as _json_key, as Artifact Registry documents', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = join(dir, 'sa-key.json');
    const key = JSON.stringify({ type: 'service_account', client_email: SERVICE_ACCOUNT, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) });
    await writeFile(keyFile, key);
    const answer = await googleSource({ GOOGLE_APPLICATION_CREDENTIALS: keyFile }).lookup(GAR);
    assert.deepEqual(answer?.credential, { kind: 'basic', username: '_json_key', password: key });
  });

  it('exchanges a file subject token at STS for a token the registry accepts', async () => {
    const file = await externalAccountFile('wif.json', await subjectTokenFile('subject.jwt'), false);
    const answer = await googleSource({ GOOGLE_APPLICATION_CREDENTIALS: file }).lookup(GAR);
    assert.ok(answer);
    assert.equal(answer.credential.kind === 'basic' && answer.credential.username, 'oauth2accesstoken');
    const issued = answer.credential.kind === 'basic' ? gcp.issued.get(answer.credential.password) : undefined;
    assert.equal(issued?.via, 'sts');
    assert.match(issued.account, /^principal:\/\/iam\.googleapis\.com\/projects\/123456789\/locations\/global\/workloadIdentityPools\/kiln-lab\/subject\/repo:kiln-lab\/app:/);
    assert.ok(answer.expiresAt && Math.abs(answer.expiresAt - issued.expiresAt) < 60_000, 'expiresAt follows the token');
    assert.equal(await registryGrantsPush(reg, answer.credential), true);
    assert.equal(await registryGrantsPush(reg, { kind: 'basic', username: 'oauth2accesstoken', password: 'ya29.not-issued-here' }), false);
  });

  it('impersonates the service account with the STS token when the file says so', async () => {
    const file = await externalAccountFile('wif-sa.json', await subjectTokenFile('subject-sa.jwt'), true);
    const answer = await googleSource({ GOOGLE_APPLICATION_CREDENTIALS: file }).lookup(GAR);
    const issued = answer?.credential.kind === 'basic' ? gcp.issued.get(answer.credential.password) : undefined;
    assert.deepEqual([issued?.via, issued?.account], ['impersonation', SERVICE_ACCOUNT]);
    assert.equal(await registryGrantsPush(reg, answer!.credential), true);
  });

  for (const [what, lifetime, audience] of [
    ['a subject token for another audience', 300, 'https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/other/providers/x'],
    ['an expired subject token', -60, PROVIDER_AUDIENCE],
  ] as const) {
    it(`refuses ${what} in one line naming google and the host, with STS's reason and without the token`, async () => {
      const tokenFile = await subjectTokenFile(`bad-${lifetime}.jwt`, lifetime, audience);
      const file = await externalAccountFile(`bad-${lifetime}.json`, tokenFile, false);
      const refusalsBefore = gcp.refusals.length;
      await assert.rejects(googleSource({ GOOGLE_APPLICATION_CREDENTIALS: file }).lookup(GAR), (err: unknown) => {
        assert.ok(isBuilderError(err, 'CREDENTIALS'));
        assert.match(err.message, new RegExp(`^google: external_account credentials .* refused for ${GAR}: .*invalid_grant`));
        assert.ok(err.message.includes(gcp.refusals[refusalsBefore]), 'STS error text passed through');
        assert.ok(!err.message.includes('\n'));
        assert.ok(!issuer.minted.some((m) => err.message.includes(m.token)), 'token not in the message');
        return true;
      });
    });
  }

  it('asks the metadata server (GCE_METADATA_HOST) when there is no credentials file', async () => {
    process.env.GCE_METADATA_HOST = gcp.metadataHost;
    try {
      const answer = await googleSource({ HOME: dir }).lookup(GAR);
      const issued = answer?.credential.kind === 'basic' ? gcp.issued.get(answer.credential.password) : undefined;
      assert.deepEqual([issued?.via, issued?.account], ['metadata', 'vm@kiln-lab.iam.gserviceaccount.com']);
      assert.equal(await registryGrantsPush(reg, answer!.credential), true);
    } finally {
      delete process.env.GCE_METADATA_HOST;
    }
  });

  it('a metadata server that never answers: bounded, then the next source answers', async () => {
    const silent = await startSilentEndpoint();
    process.env.GCE_METADATA_HOST = new URL(silent.url).host;
    try {
      const next = { name: 'next', claims: () => 'after google', lookup: async () => ({ credential: { kind: 'basic' as const, username: 'next-user', password: 'next-password' }, why: 'next' }) };
      const started = Date.now();
      const answer = await new ChainKeychain([googleSource({ HOME: dir }), next]).answer(GAR);
      assert.equal(answer?.source, 'next');
      assert.ok(Date.now() - started < 20_000, `gave up on the metadata server after ${Date.now() - started} ms`);
    } finally {
      delete process.env.GCE_METADATA_HOST;
      await silent.stop();
    }
  });
});
